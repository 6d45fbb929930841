"""``verify``: whether an account's ledger holds together (``GET /sandbox/ledger/verify``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import case, func, select

from ..core import ledger as core
from ..models.balance_transaction import BalanceTransaction
from ..models.base import db
from ..models.charge import Charge
from ..models.ledger import LedgerEntry, LedgerJournal, LedgerSchedule
from ..models.payout import Payout
from ..models.refund import Refund
from . import ledger

CHECKS = ("journals", "entries", "running_totals", "balance_transactions", "charges", "payouts")


def verify(account, clock) -> dict[str, Any]:
    """Check the account's ledger in every mode it has, after catching up with its clock.

    Every journal sums to zero per currency; every running total equals the sum of its
    entries; no charge has more refunded than it took; nothing is still scheduled past its
    date; every balance transaction agrees with its journals; and the pending, in-transit and
    bank totals match the transactions and payouts they stand for.

    :returns: ``{"ok", "balanced", "checked": {what: count}, "problems": [text]}``.
    """
    ledger.catch_up_modes(account, clock)
    now = clock.for_account(account)
    checked = dict.fromkeys(CHECKS, 0)
    problems: list[str] = []
    for livemode in (False, True) if account.live_enabled else (False,):
        mode = "live mode" if livemode else "test mode"
        found = _check_mode(account.id, livemode, now, checked)
        problems += [f"{mode}: {problem}" for problem in found]
    db.session.commit()
    ok = not problems
    return {"object": "ledger_verification", "ok": ok, "balanced": ok, "checked": checked,
            "problems": problems}


def _check_mode(account_id: str, livemode: bool, now: int, checked: dict) -> list[str]:
    def scoped(model):
        return (model.account_id == account_id, model.livemode == livemode)

    entry, journal = LedgerEntry, LedgerJournal
    checked["journals"] += db.session.execute(
        select(func.count()).select_from(journal).where(*scoped(journal))).scalar_one()
    checked["entries"] += db.session.execute(
        select(func.count()).select_from(entry).where(*scoped(entry))).scalar_one()
    problems = [f"journal {j} sums to {total} {currency}, not 0"
                for j, currency, total in db.session.execute(
                    select(entry.journal_id, entry.currency, func.sum(entry.amount))
                    .where(*scoped(entry)).group_by(entry.journal_id, entry.currency)
                    .having(func.sum(entry.amount) != 0))]
    problems += [f"journal {j} has no entries" for (j,) in db.session.execute(
        select(journal.id).where(*scoped(journal), ~select(entry.id).where(
            entry.journal_id == journal.id).exists()))]

    stored = ledger.totals(account_id, livemode)
    checked["running_totals"] += len(stored)
    summed = {(c, n): int(a) for c, n, a in db.session.execute(
        select(entry.currency, entry.ledger_account, func.sum(entry.amount))
        .where(*scoped(entry)).group_by(entry.currency, entry.ledger_account))}
    problems += core.compare_totals(stored, summed)

    problems += _refund_problems(scoped, checked)
    overdue = db.session.execute(select(func.count()).select_from(LedgerSchedule).where(
        *scoped(LedgerSchedule), LedgerSchedule.due_at <= now)).scalar_one()
    if overdue:
        problems.append(f"{overdue} scheduled settlements, payout steps or charge expiries are "
                        "past their date")
    problems += _transaction_problems(scoped, stored, checked)
    problems += _payout_problems(scoped, stored, checked)
    return problems


def _refund_problems(scoped, checked: dict) -> list[str]:
    checked["charges"] += db.session.execute(
        select(func.count()).select_from(Charge).where(*scoped(Charge))).scalar_one()
    # What may be refunded: the captured amount, or all of an uncaptured (released) charge.
    limit = case((Charge.captured, Charge.amount_captured), else_=Charge.amount)
    over = db.session.execute(
        select(Charge.id, limit, func.sum(Refund.amount))
        .join(Refund, Refund.charge_id == Charge.id).where(*scoped(Charge))
        .group_by(Charge.id, limit).having(func.sum(Refund.amount) > limit))
    problems = [f"charge {c} has {refunded} refunded of {allowed}" for c, allowed, refunded in over]
    problems += [f"charge {c} shows {refunded} refunded of {amount}" for c, amount, refunded in
                 db.session.execute(select(Charge.id, Charge.amount, Charge.amount_refunded)
                                    .where(*scoped(Charge),
                                           Charge.amount_refunded > Charge.amount))]
    return problems


def _transaction_problems(scoped, stored: dict, checked: dict) -> list[str]:
    entry, journal, txn = LedgerEntry, LedgerJournal, BalanceTransaction
    effects: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for txn_id, kind, name, amount in db.session.execute(
            select(journal.balance_transaction_id, journal.kind, entry.ledger_account,
                   func.sum(entry.amount))
            .join(entry, entry.journal_id == journal.id)
            .where(*scoped(journal), journal.balance_transaction_id.is_not(None))
            .group_by(journal.balance_transaction_id, journal.kind, entry.ledger_account)):
        effects[txn_id][kind][name] = int(amount)
    scheduled = set(db.session.execute(select(LedgerSchedule.ref).where(
        *scoped(LedgerSchedule), LedgerSchedule.kind == ledger.SETTLE)).scalars())
    problems = []
    pending: dict[str, int] = defaultdict(int)
    for txn_id, net, fee, currency in db.session.execute(
            select(txn.id, txn.net, txn.fee, txn.currency).where(*scoped(txn))):
        checked["balance_transactions"] += 1
        problems += core.transaction_problems(txn_id, net, fee, effects.get(txn_id, {}),
                                              txn_id in scheduled)
        if txn_id in scheduled:
            pending[currency] += net
    problems += _expect(stored, core.PENDING, pending, "pending balance transactions")
    return problems


def _payout_problems(scoped, stored: dict, checked: dict) -> list[str]:
    in_transit: dict[str, int] = defaultdict(int)
    paid: dict[str, int] = defaultdict(int)
    for status, currency, amount in db.session.execute(
            select(Payout.status, Payout.currency, Payout.amount).where(*scoped(Payout))):
        checked["payouts"] += 1
        if status in ("pending", "in_transit"):
            in_transit[currency] += amount
        elif status == "paid":
            paid[currency] += amount
    return (_expect(stored, core.IN_TRANSIT, in_transit, "payouts on their way")
            + _expect(stored, core.BANK, paid, "paid payouts"))


def _expect(stored: dict, name: str, wanted: dict[str, int], what: str) -> list[str]:
    currencies = {c for c, n in stored if n == name} | set(wanted)
    return [f"{name} is {stored.get((c, name), 0)} {c}, but the {what} add up to "
            f"{wanted.get(c, 0)}" for c in sorted(currencies)
            if stored.get((c, name), 0) != wanted.get(c, 0)]

