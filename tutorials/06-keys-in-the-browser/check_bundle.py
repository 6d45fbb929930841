"""Lesson 6: refuse to deploy front-end files that hold a secret or restricted key.

Run it on what you are about to publish (the built site, the mobile app's assets):

    python check_bundle.py site/

Publishable keys (pk_...) are allowed; any sk_ or rk_ key fails the check, shown masked.
"""

import re
import sys
from pathlib import Path

SECRET = re.compile(r"\b(?:sk|rk)_(?:test|live)_[0-9A-Za-z]{24,}")


def masked(key):
    return f"{key[:8]}...{key[-4:]}"


if len(sys.argv) != 2:
    sys.exit("usage: python check_bundle.py PATH (the folder or file you are about to publish)")
root = Path(sys.argv[1])
if not root.exists():  # a typo must fail the deploy, not pass it as "no keys found"
    sys.exit(f"{root}: no such file or folder")

found = 0
for path in [root] if root.is_file() else sorted(root.rglob("*")):
    if not path.is_file():
        continue
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        for key in SECRET.findall(line):
            print(f"{path}:{number}: {masked(key)} must not ship to a browser")
            found += 1

if found:
    sys.exit(f"{found} secret key(s) found: move them to your server and roll them")
print(f"{sys.argv[1]}: no secret or restricted keys")
