"""Stripe-style prefixed object ids (``ch_3Nx...``) from a cryptographic source."""

import secrets
import threading
import time

from .keys import BASE62, base62

_lock = threading.Lock()
_last_micros = 0


# Bytes below 248 (= 4 * 62) map evenly onto base62; the rest are drawn again.
_EVEN = 248


def new_id(prefix: str, length: int = 24) -> str:
    """``prefix`` followed by ``length`` random base62 characters (one read of the OS RNG)."""
    chars: list[str] = []
    while len(chars) < length:
        chars += [BASE62[b % 62] for b in secrets.token_bytes(length + 8) if b < _EVEN]
    return prefix + "".join(chars[:length])


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
    return prefix + base62(micros).rjust(10, "0") + new_id("", length - 10)
