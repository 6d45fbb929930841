"""Webhook signing: each endpoint's ``whsec_`` secret and Stripe's ``Stripe-Signature`` header.

Stripe signs a delivery by computing ``HMAC-SHA256(secret, f"{t}.{body}")`` over the exact
bytes it sends, and sends ``Stripe-Signature: t=<unix time>,v1=<hex digest>``; receivers
check it with ``stripe.Webhook.construct_event(body, header, secret)``, which also refuses a
``t`` more than five minutes old. Framework-free: the delivery code and the tests use it.
"""

from __future__ import annotations

import hashlib
import hmac

from .keys import BASE62

SECRET_PREFIX = "whsec_"
SECRET_LENGTH = 32


def endpoint_secret(pepper: str, endpoint_id: str) -> str:
    """The signing secret of endpoint ``endpoint_id``: ``whsec_`` + 32 base62 characters.

    Derived from the server's pepper and the endpoint's id, so it is never stored (nothing
    in the database can sign a delivery) and the same on every worker. Only the response
    that creates the endpoint shows it, as Stripe's API does.
    """
    raw = hmac.new(pepper.encode(), f"webhook_endpoint:{endpoint_id}".encode(),
                   hashlib.sha256).digest()
    number = int.from_bytes(raw, "big")
    chars = []
    for _ in range(SECRET_LENGTH):
        number, rest = divmod(number, 62)
        chars.append(BASE62[rest])
    return SECRET_PREFIX + "".join(chars)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex ``v1`` signature of ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Stripe-Signature`` header value: ``t=<timestamp>,v1=<signature>``."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
