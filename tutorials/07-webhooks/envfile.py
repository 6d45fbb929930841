"""Lesson 7: set one NAME=value line in .env (used by register.py and roll_secret.py)."""

import os
import tempfile
from pathlib import Path


def save_to_env(name: str, value: str, path: Path = Path(".env")) -> None:
    """Set NAME=value in .env, replacing the file in one step (never a half-written file,
    and the new one is readable by you alone, like the one `payground init` wrote)."""
    lines = [line for line in path.read_text().splitlines()
             if not line.startswith(f"{name}=")]
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".env.")  # mode 0600
    with os.fdopen(fd, "w") as file:
        file.write("\n".join(lines + [f"{name}={value}"]) + "\n")
    os.replace(temporary, path)
