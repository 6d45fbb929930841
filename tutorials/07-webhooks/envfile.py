"""Lesson 7: set one NAME=value line in .env (used by register.py and roll_secret.py), and
check that the keys in your environment are that .env's."""

import os
import sys
import tempfile
from pathlib import Path

from dotenv import dotenv_values

# Loaded in another folder, then a `cd` here: the programs would act on that folder's
# account (its endpoint, its deliveries) and save the secret here, or blame the saved session.
NOT_LOADED_HERE = ("the keys in your environment are not this folder's .env's (loaded in "
                   "another folder?): load .env again (set -a; . ./.env; set +a)")


def check_loaded(path: Path = Path(".env")) -> None:
    """Stop unless the environment's STRIPE_PUBLISHABLE_KEY is one of .env's: `payground
    init` wrote it with the secret key, so it tells whose keys the environment holds (its
    live one, `payground activate`'s, in a terminal that exported the live keys as lesson
    5's production one does). No .env, or no such key on either side: can't tell."""
    loaded = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    here = dotenv_values(path) if path.exists() else {}
    mine = {here.get(n) for n in ("STRIPE_PUBLISHABLE_KEY", "STRIPE_LIVE_PUBLISHABLE_KEY")}
    if loaded and mine - {None, ""} and loaded not in mine:
        sys.exit(NOT_LOADED_HERE)


def save_to_env(name: str, value: str, path: Path = Path(".env")) -> None:
    """Set NAME=value in .env, replacing the file in one step (never a half-written file,
    and the new one is readable by you alone, like the one `payground init` wrote)."""
    lines = [line for line in path.read_text().splitlines()
             if not line.startswith(f"{name}=")]
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".env.")  # mode 0600
    with os.fdopen(fd, "w") as file:
        file.write("\n".join(lines + [f"{name}={value}"]) + "\n")
    os.replace(temporary, path)
