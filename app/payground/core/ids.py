"""Stripe-style prefixed object ids (``ch_3Nx...``) from a cryptographic source."""

import os
import re
import threading
import time

from .keys import BASE62, base62

# What an account id can be (``Stripe-Account``, ``/v1/accounts/{id}``): anything else names no
# account, and is not sent to the database (PostgreSQL refuses a NUL in text: a 500).
ACCOUNT_ID = re.compile(r"acct_[0-9A-Za-z]{1,35}")

_lock = threading.Lock()
_last_micros = 0


# Bytes below 248 (= 4 * 62) map evenly onto base62; the rest are drawn again. One C call
# (bytes.translate) maps the bytes and drops the uneven ones.
_EVEN = 248
_TO_BASE62 = bytes(ord(BASE62[b % 62]) for b in range(256))
_UNEVEN = bytes(range(_EVEN, 256))
# Two base62 digits per table entry: half the divisions when spelling the time.
_PAIRS = [a + b for a in BASE62 for b in BASE62]


def new_id(prefix: str, length: int = 24) -> str:
    """``prefix`` followed by ``length`` random base62 characters (one read of the OS RNG)."""
    chars = b""
    while len(chars) < length:
        chars += os.urandom(length + 8).translate(_TO_BASE62, _UNEVEN)
    return prefix + chars[:length].decode("ascii")


def new_sortable_id(prefix: str, length: int = 24) -> str:
    """Like ``new_id``, but ids sort in creation order (within one process, strictly).

    The first 10 characters are the creation time in microseconds, in base62 (whose alphabet
    is in ASCII order), so lists that are "newest first" stay in order for objects created
    within the same second: ``created`` alone has one-second resolution.
    """
    global _last_micros
    with _lock:
        micros = max(time.time_ns() // 1000, _last_micros + 1)
        _last_micros = micros
    return prefix + _ten_digits(micros) + new_id("", length - 10)


def _ten_digits(number: int) -> str:
    """``base62(number).rjust(10, "0")`` for numbers below 62**10, by pairs of digits."""
    if number >= 62**10:
        return base62(number).rjust(10, "0")
    number, e = divmod(number, 3844)
    number, d = divmod(number, 3844)
    number, c = divmod(number, 3844)
    a, b = divmod(number, 3844)
    return _PAIRS[a] + _PAIRS[b] + _PAIRS[c] + _PAIRS[d] + _PAIRS[e]
