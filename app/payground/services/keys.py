"""Issuing, finding and authenticating API keys."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..core import keys as keyfmt
from ..core.ids import new_id
from ..errors import ApiKeyExpired, InvalidApiKey
from ..models.account import Account
from ..models.api_key import ApiKey
from ..models.base import db


@dataclass
class IssuedKey:
    """A key object together with its full secret, which exists only in this response."""

    key: ApiKey
    secret: str


def issue_key(account: Account, *, kind: str, livemode: bool, pepper: str, now: int,
              name: str | None = None, note: str | None = None,
              permissions: list[str] | None = None, ip_allowlist: list[str] | None = None,
              expires_at: int | None = None, rolled_from: str | None = None) -> IssuedKey:
    """Create a key of ``kind``; only its digest and last four characters are stored."""
    key_id = new_id("key_")
    if kind == "publishable":
        secret = keyfmt.derive(kind, livemode, pepper, key_id)
    else:
        secret = keyfmt.generate(kind, livemode)
    row = ApiKey(
        id=key_id, account_id=account.id, livemode=livemode, type=kind, name=name, note=note,
        digest=keyfmt.digest(pepper, secret), prefix=keyfmt.prefix_of(secret),
        last4=secret[-4:], created=now, expires_at=expires_at,
        permissions=permissions if kind == "restricted" else None,
        ip_allowlist=ip_allowlist or None, rolled_from=rolled_from,
    )
    db.session.add(row)
    return IssuedKey(key=row, secret=secret)


def issue_standard_keys(account: Account, *, livemode: bool, pepper: str,
                        now: int) -> tuple[IssuedKey, IssuedKey]:
    """The secret and publishable key pair every account has for each mode."""
    mode = "Live" if livemode else "Test"
    secret = issue_key(account, kind="secret", livemode=livemode, pepper=pepper, now=now,
                       name=f"{mode} secret key")
    publishable = issue_key(account, kind="publishable", livemode=livemode, pepper=pepper,
                            now=now, name=f"{mode} publishable key")
    return secret, publishable


def publishable_secret(key: ApiKey, pepper: str) -> str:
    """A publishable key in full: public, so it is recomputed and shown whenever asked."""
    return keyfmt.derive("publishable", key.livemode, pepper, key.id)


def list_keys(account: Account) -> list[ApiKey]:
    return list(db.session.execute(
        select(ApiKey).where(ApiKey.account_id == account.id)
        .order_by(ApiKey.created.desc(), ApiKey.id.desc())
    ).scalars())


def authenticate(raw_key: str, pepper: str, clock) -> tuple[ApiKey, Account]:
    """The key and account behind ``raw_key``, or the 401 Stripe would give.

    Shape and checksum are checked before any database read: a typo costs nothing.
    """
    parsed = keyfmt.parse(raw_key)
    if parsed is None:
        raise InvalidApiKey(keyfmt.mask(raw_key))
    row = db.session.execute(
        select(ApiKey, Account).join(Account, Account.id == ApiKey.account_id)
        .where(ApiKey.digest == keyfmt.digest(pepper, raw_key))
    ).first()
    if row is None:
        raise InvalidApiKey(keyfmt.mask(raw_key))
    key, account = row
    now = clock.for_account(account)
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise ApiKeyExpired(keyfmt.mask(raw_key))
    return key, account
