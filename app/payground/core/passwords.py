"""Password hashing with scrypt from the standard library (no extra dependency)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# N=2**14, r=8, p=1: Django's scrypt default; ~80 ms on a 2-core laptop.
N, R, P = 2**14, 8, 1
MAXMEM = 64 * 2**20
MAX_N = 2**15  # the largest N (a power of two, as scrypt requires) that fits in MAXMEM


def hash_password(password: str, n: int = N) -> str:
    """``scrypt$N$r$p$salt$hash``; ``n`` may be lowered for test fixtures (never for serving)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=R, p=P, maxmem=MAXMEM)
    return "$".join(["scrypt", str(n), str(R), str(P), _b64(salt), _b64(digest)])


def check_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                            maxmem=MAXMEM)
    return hmac.compare_digest(digest, _unb64(expected))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
