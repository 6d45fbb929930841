"""Stripe-style prefixed object ids (``ch_3Nx...``) from a cryptographic source."""

import secrets

from .keys import BASE62


def new_id(prefix: str, length: int = 24) -> str:
    """``prefix`` followed by ``length`` random base62 characters."""
    return prefix + "".join(secrets.choice(BASE62) for _ in range(length))
