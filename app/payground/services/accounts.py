"""Sign-up, log-in, sessions, live-mode activation, and the account as ``/v1`` shows it."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import messages
from ..core.banks import is_test_routing_number
from ..core.emails import normalize_email
from ..core.ids import ACCOUNT_ID, new_id
from ..core.passwords import check_password, hash_password
from ..errors import AuthenticationError, InvalidRequestError, ParameterInvalid
from ..models.account import Account, Session
from ..models.base import db
from .bank import refuse_test_bank_in_live_mode
from .common import Page
from .keys import IssuedKey, caller_account, issue_standard_keys

if TYPE_CHECKING:
    from .audit import Source

SESSION_SECONDS = 30 * 86400
MIN_PASSWORD = 8


@dataclass
class SignedIn:
    account: Account
    session_token: str
    keys: tuple[IssuedKey, ...] = ()


def signup(email: str, password: str, *, pepper: str, clock, password_cost: int = 2**14,
           source: Source | None = None) -> SignedIn:
    """A new account with its test keys (shown once, here) and a session.

    :param source: the request that signed up, for the keys' ``api_key.created`` events.
    """
    email = normalize_email(email)  # the form it is stored and looked up in (core.emails)
    if len(password) < MIN_PASSWORD:
        raise ParameterInvalid(f"Passwords must be at least {MIN_PASSWORD} characters long.",
                               param="password", code="password_too_short")
    if db.session.execute(select(Account.id).where(Account.email == email)).first():
        raise _email_taken()
    now = clock.now()
    account = Account(id=new_id("acct_", 16), email=email,
                      password_hash=hash_password(password, password_cost),
                      created=now, clock_offset=0, live_enabled=False)
    db.session.add(account)
    keys = issue_standard_keys(account, livemode=False, pepper=pepper, now=now, source=source)
    token = _open_session(account, now)
    try:
        db.session.commit()
    except IntegrityError:  # the same email signed up meanwhile (the column is unique)
        db.session.rollback()
        raise _email_taken() from None
    return SignedIn(account=account, session_token=token, keys=keys)


def _email_taken() -> InvalidRequestError:
    return InvalidRequestError("An account with this email address already exists.",
                               param="email", code="email_taken")


def login(email: str, password: str, *, clock, password_cost: int = 2**14) -> SignedIn:
    """A new session for the account with this email and password.

    :param password_cost: the scrypt cost sign-ups use (``PASSWORD_COST``): an unknown email
        is checked against a hash of that cost, so it takes as long as a wrong password.
    :raises AuthenticationError: no such account, or the wrong password (one message).
    """
    candidates = accounts_for_email(email)
    # An unknown email costs a password check too: answering at once would tell a caller
    # which emails have accounts.
    if not candidates:
        check_password(_unknown_email_hash(password_cost), password)
    # Two candidates (a legacy twin, accounts_for_email) cost a second check only when the
    # first, the one spelled as typed, is not the password's: only the password tells
    # which of the two the caller owns, and each has its own salt.
    account = next((a for a in candidates if check_password(a.password_hash, password)), None)
    if account is None:
        raise AuthenticationError("Incorrect email address or password.")
    token = _open_session(account, clock.now())
    db.session.commit()
    return SignedIn(account=account, session_token=token)


def accounts_for_email(email: str) -> list[Account]:
    """The accounts ``email`` may name, however it is typed (``core.emails``): the one
    with its normal form, and one made before addresses were normalised that kept its own
    spelling because another had that normal form first (migrations, version 9; the
    password tells them apart). The one spelled exactly as typed comes first.
    """
    key, legacy = normalize_email(email), email.strip().lower()
    found = db.session.execute(
        select(Account).where(Account.email.in_([key, legacy]))).scalars().all()
    return sorted(found, key=lambda account: account.email != legacy)


@functools.cache
def _unknown_email_hash(cost: int) -> str:
    """A hash no password matches, made once per cost when first needed."""
    return hash_password(secrets.token_urlsafe(16), cost)


def account_for_session(token: str, *, clock) -> Account:
    """The account a ``sess_...`` token belongs to, or a 401."""
    row = db.session.execute(
        select(Account, Session.expires_at).join(Session, Session.account_id == Account.id)
        .where(Session.digest == _session_digest(token))
    ).first()
    if row is None or row[1] <= clock.now():
        raise AuthenticationError("You did not provide a valid session. Log in with "
                                  "POST /sandbox/login and send 'Authorization: Bearer sess_...'.")
    return row[0]


def logout(token: str) -> None:
    db.session.execute(db.delete(Session).where(Session.digest == _session_digest(token)))
    db.session.commit()


def activate(account: Account, details: dict, *, pepper: str, clock,
             source: Source | None = None) -> tuple[IssuedKey, ...]:
    """Turn on live mode: business details (Faker fills gaps) and the live key pair, once.

    :param source: the request that activated, for the live keys' ``api_key.created`` events.
    :raises InvalidRequestError: ``account_already_activated`` once live mode is on (whatever
        the details); ``routing_number_invalid`` for Stripe's test bank, nothing changed.
    """
    bank = details.get("bank_account") or {}
    # Claimed with one conditional UPDATE: of two activations at once (a double click, a
    # retry), exactly one issues the live keys.
    claimed = db.session.execute(
        update(Account).where(Account.id == account.id, Account.live_enabled.is_(False))
        .values(live_enabled=True)).rowcount
    if not claimed:
        db.session.rollback()
        raise InvalidRequestError(messages.LIVE_ALREADY_ACTIVATED,
                                  code="account_already_activated")
    # After the claim: an activated account is told so even when the details name the test
    # bank (a lesson copied before it was refused runs its activate.py again).
    try:
        refuse_test_bank_in_live_mode(bank)
    except InvalidRequestError:
        db.session.rollback()
        raise
    from faker import Faker  # only here: Faker is slow to import and rarely needed

    fake = Faker()
    account.business_name = details.get("business_name") or fake.company()
    account.country = (details.get("country") or "US").upper()
    # Faker makes one up if none was given: never Stripe's test bank, which live mode refuses
    # (Faker could make it, about once in 10^8 tries).
    routing_number = bank.get("routing_number")
    while not routing_number or is_test_routing_number(routing_number):
        routing_number = fake.aba()
    account.bank_routing_number = routing_number
    account_number = bank.get("account_number") or fake.bban()
    account.bank_account_last4 = account_number[-4:]
    account.live_enabled = True
    keys = issue_standard_keys(account, livemode=True, pepper=pepper,
                               now=clock.for_account(account), source=source)
    db.session.commit()
    return keys


def count_accounts() -> int:
    return db.session.execute(select(func.count(Account.id))).scalar_one()


def _open_session(account: Account, now: int) -> str:
    token = "sess_" + secrets.token_urlsafe(32)
    db.session.add(Session(digest=_session_digest(token), account_id=account.id, created=now,
                           expires_at=now + SESSION_SECONDS))
    return token


def _session_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- the account as /v1 shows it (GET /v1/account, /v1/accounts/{id}, /v1/accounts) ----------


@dataclass(frozen=True)
class ShownAccount:
    """An account as a key of one mode sees it: the account is both modes', but what it can
    do is the mode's. Test mode always works; live mode once it has been activated."""

    account: Any  # the request's ``CallerAccount`` (never the password hash)
    livemode: bool

    @property
    def enabled(self) -> bool:
        return not self.livemode or self.account.live_enabled


def shown(account, livemode: bool) -> ShownAccount:
    """The caller's own account, as ``GET /v1/account`` answers it."""
    return ShownAccount(account, livemode)


def reachable(account, livemode: bool, account_id: str, *,
              connected: bool) -> ShownAccount | None:
    """The account ``account_id`` names, as ``GET /v1/accounts/{id}`` shows it to ``account``:
    itself, or (``connected``: a platform's own key, acting on its own account) an account
    connected to its Connect application in ``livemode``. ``None`` for any other id, whether
    it exists or not: Stripe answers both alike."""
    if account_id == account.id:
        return ShownAccount(account, livemode)
    if not connected or not ACCOUNT_ID.fullmatch(account_id):
        return None  # not sent to the database: anything else names no account
    from .connections import reach  # only here: a platform's request, rarely made

    found = reach(account.id, livemode, account_id)
    return None if found is None else ShownAccount(caller_account(found[1]), livemode)


def connected(account, livemode: bool, params: dict, url: str) -> Page:
    """``GET /v1/accounts``: the accounts connected to ``account``'s Connect application of
    ``livemode`` (a platform's own key), each as ``GET /v1/accounts/{id}`` shows it. An empty
    list for an account that is no platform, as on Stripe."""
    from .connections import connected_accounts  # only here: a platform's request

    page = connected_accounts(account.id, livemode, params, url)
    page.items = [ShownAccount(caller_account(row), livemode) for row in page.items]
    return page
