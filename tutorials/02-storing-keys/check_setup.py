"""Lesson 2: check where the secret key lives, use it, and see that no log line shows it."""

import logging
import os
import stat
import sys
from pathlib import Path

import requests

from settings import load_env, masked, secret_key, setup_logging

setup_logging()
log = logging.getLogger("check_setup")

env_file, gitignore = Path(".env"), Path(".gitignore")
loaded = load_env(env_file)
if env_file.exists():
    mode = stat.S_IMODE(env_file.stat().st_mode)
    private = mode & 0o077 == 0  # no permission bits for the group or for others
    print(f".env mode {mode:o}:", "only you can read it" if private
          else "OTHER USERS CAN READ IT - run: chmod 600 .env")
    ignored = gitignore.exists() and ".env" in gitignore.read_text().split()
    print(".env in .gitignore:", "yes" if ignored else "NO - add it before your next commit")

key = secret_key()
source = "from .env" if "STRIPE_SECRET_KEY" in loaded else "from the environment"
print(f"STRIPE_SECRET_KEY={masked(key)} ({source})")

# The classic mistake, made on purpose: logging the key. The filter masks it on the way out.
log.info("calling Payground with %s", key)

api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
try:
    response = requests.get(f"{api_base}/v1/balance", timeout=10,
                            headers={"Authorization": f"Bearer {key}"})  # a header, not the URL
except requests.ConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {api_base}: start it with `payground serve`")
print("GET /v1/balance:", response.status_code)
if not response.ok:  # a mistyped, revoked or expired key: the server says which
    sys.exit(response.json()["error"]["message"])
