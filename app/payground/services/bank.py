"""Each account's simulated bank accounts, where its payouts land: one default per mode.

Test mode starts with Stripe's test bank account (``000123456789``: payouts are paid) and may
switch to another of Stripe's test account numbers (``use_test_bank_account``), whose payouts
fail as Stripe's do. Live mode pays out to the account given at activation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from .. import messages
from ..core import banks
from ..errors import InvalidRequestError
from ..models.account import Account
from ..models.bank_account import DEFAULT, BankAccount
from ..models.base import db
from ..models.direct import upsert_insert
from ..models.payout import Payout
from . import ledger
from .common import new_object_id

TEST_BANK = {"bank_name": banks.TEST_BANK_NAME, "routing_number": banks.TEST_ROUTING_NUMBER,
             "last4": banks.SUCCESS_ACCOUNT_NUMBER[-4:]}
LIVE_BANK_NAME = "PAYGROUND SIMULATED BANK"


def bank_account(account, livemode: bool, now: int) -> BankAccount:
    """The account's default bank account in this mode, made on first use.

    Test mode gets Stripe's test bank account. Live mode gets the routing number and account
    number given (or made up by Faker) when live mode was activated.
    """
    found = _find(account.id, livemode)
    if found is not None:
        return found
    _create(account, livemode, now)
    return _find(account.id, livemode)


def use_test_bank_account(account, clock, bank: dict[str, str]) -> dict[str, Any]:
    """Make one of Stripe's test bank accounts the test-mode default: later payouts go there.

    The previous default stays (payouts already sent to it still name it, and end as it
    says). Returns the new account as ``bank_summary`` shows it.

    :param bank: ``account_number`` (required) and ``routing_number`` (``110000000`` if left
        out), as ``POST /sandbox/bank`` takes them.
    :raises InvalidRequestError: ``routing_number_invalid`` for another routing number,
        ``account_number_invalid`` for a number that is not one of Stripe's test accounts.
    """
    routing_number = bank.get("routing_number") or banks.TEST_ROUTING_NUMBER
    if not banks.is_test_routing_number(routing_number):
        raise InvalidRequestError(messages.TEST_MODE_ROUTING_NUMBER,
                                  code="routing_number_invalid",
                                  param="bank_account[routing_number]")
    try:
        failure_code = banks.payout_failure_for(bank["account_number"])
    except KeyError:
        raise InvalidRequestError(messages.TEST_MODE_LIVE_BANK_ACCOUNT,
                                  code="account_number_invalid",
                                  param="bank_account[account_number]") from None
    now = clock.for_account(account)
    # A default first (committed): a first payout made meanwhile then finds one, rather than
    # racing the insert below for the unique index.
    bank_account(account, False, now)
    db.session.commit()
    # Choosing twice at once: the second waits here, then retires the first one's choice.
    db.session.execute(select(Account.id).where(Account.id == account.id).with_for_update())
    db.session.execute(update(BankAccount).where(
        BankAccount.account_id == account.id, BankAccount.livemode.is_(False), DEFAULT
    ).values(default_for_currency=False).execution_options(synchronize_session=False))
    _create(account, False, now, {**TEST_BANK, "last4": bank["account_number"][-4:],
                                  "payout_failure_code": failure_code})
    db.session.commit()
    return next(b for b in bank_summary(account, clock) if not b["livemode"])


def refuse_test_bank_in_live_mode(bank: dict[str, str]) -> None:
    """Live mode pays out to a real bank: Stripe's test routing number is none.

    :raises InvalidRequestError: ``routing_number_invalid``, naming
        ``bank_account[routing_number]``.
    """
    if banks.is_test_routing_number(bank.get("routing_number")):
        raise InvalidRequestError(messages.LIVE_MODE_TEST_BANK_ACCOUNT,
                                  code="routing_number_invalid",
                                  param="bank_account[routing_number]")


def _create(account, livemode: bool, now: int, details: dict[str, Any] | None = None) -> None:
    details = details or dict(TEST_BANK)
    if livemode:
        details = {"bank_name": LIVE_BANK_NAME,
                   "routing_number": account.bank_routing_number or TEST_BANK["routing_number"],
                   "last4": account.bank_account_last4 or TEST_BANK["last4"]}
    table = BankAccount.__table__
    # Two first payouts at once must not make two defaults: the unique index decides.
    db.session.execute(upsert_insert(db.session.get_bind().dialect.name, table).values(
        id=new_object_id(BankAccount), account_id=account.id, livemode=livemode, created=now,
        country=(account.country or "US"), currency="usd", default_for_currency=True,
        status="new", account_holder_name=account.business_name, **details
    ).on_conflict_do_nothing(index_elements=["account_id", "livemode"], index_where=DEFAULT))


def _find(account_id: str, livemode: bool) -> BankAccount | None:
    return db.session.execute(
        select(BankAccount).where(BankAccount.account_id == account_id,
                                  BankAccount.livemode == livemode, DEFAULT)
    ).scalar_one_or_none()


def bank_summary(account, clock) -> list[dict[str, Any]]:
    """Per mode: the default bank account, what has reached it, and what is on its way there.

    Catches up first, so payouts whose arrival date has passed show as received (or, to a
    failing test account, as never arriving).
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
        received, on_the_way = _payout_totals(bank)
        summary.append({
            "object": "bank_account", "id": bank.id, "livemode": livemode,
            "bank_name": bank.bank_name, "routing_number": bank.routing_number,
            "last4": bank.last4, "country": bank.country, "currency": bank.currency,
            "account_holder_name": bank.account_holder_name, "status": bank.status,
            "received": received, "in_transit": on_the_way,
        })
    return summary


def _payout_totals(bank: BankAccount) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What the payouts sent to ``bank`` that were paid add up to, and those still on their
    way, per currency. Summed over the mode's bank accounts, these are the ledger's ``bank``
    and ``payouts_in_transit`` totals (``ledger_verify`` checks that)."""
    received: dict[str, int] = {}
    on_the_way: dict[str, int] = {}
    for status, currency, amount in db.session.execute(
            select(Payout.status, Payout.currency, func.sum(Payout.amount))
            .where(Payout.account_id == bank.account_id, Payout.livemode == bank.livemode,
                   Payout.destination_id == bank.id,
                   Payout.status.in_(("pending", "in_transit", "paid")))
            .group_by(Payout.status, Payout.currency)):
        into = received if status == "paid" else on_the_way
        into[currency] = into.get(currency, 0) + int(amount)
    return _amounts(received), _amounts(on_the_way)


def _amounts(totals: dict[str, int]) -> list[dict[str, Any]]:
    return ([{"currency": c, "amount": a} for c, a in sorted(totals.items())]
            or [{"currency": "usd", "amount": 0}])
