"""Each account's simulated bank account (one per mode), where its payouts land."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..core import ledger as core
from ..models.bank_account import BankAccount
from ..models.base import db
from ..models.direct import upsert_insert
from . import ledger
from .common import new_object_id

# Stripe's test bank account (routing 110000000, account 000123456789): payouts succeed.
TEST_BANK = {"bank_name": "STRIPE TEST BANK", "routing_number": "110000000", "last4": "6789"}
LIVE_BANK_NAME = "PAYGROUND SIMULATED BANK"


def bank_account(account, livemode: bool, now: int) -> BankAccount:
    """The account's bank account in this mode, made on first use.

    Test mode gets Stripe's test bank account. Live mode gets the routing number and account
    number given (or made up by Faker) when live mode was activated.
    """
    found = _find(account.id, livemode)
    if found is not None:
        return found
    _create(account, livemode, now)
    return _find(account.id, livemode)


def _create(account, livemode: bool, now: int) -> None:
    details = dict(TEST_BANK)
    if livemode:
        details = {"bank_name": LIVE_BANK_NAME,
                   "routing_number": account.bank_routing_number or TEST_BANK["routing_number"],
                   "last4": account.bank_account_last4 or TEST_BANK["last4"]}
    table = BankAccount.__table__
    # Two first payouts at once must not make two bank accounts: the unique index decides.
    db.session.execute(upsert_insert(db.session.get_bind().dialect.name, table).values(
        id=new_object_id(BankAccount), account_id=account.id, livemode=livemode, created=now,
        country=(account.country or "US"), currency="usd",
        account_holder_name=account.business_name, **details
    ).on_conflict_do_nothing(index_elements=["account_id", "livemode"]))


def _find(account_id: str, livemode: bool) -> BankAccount | None:
    return db.session.execute(
        select(BankAccount).where(BankAccount.account_id == account_id,
                                  BankAccount.livemode == livemode)).scalar_one_or_none()


def bank_summary(account, clock) -> list[dict[str, Any]]:
    """Per mode: the bank account, what it has received, and what is on its way to it.

    Catches up first, so payouts whose arrival date has passed show as received.
    """
    ledger.catch_up_modes(account, clock)
    now = clock.for_account(account)
    modes = (False, True) if account.live_enabled else (False,)
    missing = [livemode for livemode in modes if _find(account.id, livemode) is None]
    if missing:
        # A GET: end the read first, so that on SQLite the insert starts a write transaction
        # (waiting for the lock) rather than upgrading a read one (which can fail at once).
        db.session.commit()
        for livemode in missing:
            _create(account, livemode, now)
        db.session.commit()
    summary = []
    for livemode in modes:
        bank = _find(account.id, livemode)
        totals = ledger.totals(account.id, livemode, (core.BANK, core.IN_TRANSIT))
        summary.append({
            "object": "bank_account", "id": bank.id, "livemode": livemode,
            "bank_name": bank.bank_name, "routing_number": bank.routing_number,
            "last4": bank.last4, "country": bank.country, "currency": bank.currency,
            "account_holder_name": bank.account_holder_name,
            "received": _amounts(totals, core.BANK),
            "in_transit": _amounts(totals, core.IN_TRANSIT),
        })
    return summary


def _amounts(totals: dict[tuple[str, str], int], name: str) -> list[dict[str, Any]]:
    found = sorted((c, a) for (c, n), a in totals.items() if n == name)
    return [{"currency": c, "amount": a} for c, a in found] or [{"currency": "usd", "amount": 0}]
