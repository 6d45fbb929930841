"""Double-entry bookkeeping for an account's money: journals that always sum to zero.

Every movement of money is a *journal*: a few *entries*, each moving a signed amount (integer
minor units) into one *ledger account* of one currency. A journal must sum to zero in every
currency it touches, so money is never made or lost, only moved. A ledger account's balance is
the sum of every entry ever posted to it.

The ledger accounts of one Payground account and mode (amounts from the merchant's side;
positive means money held there)::

    card_payments        the outside world: cardholders' money (negative: what they paid us)
    stripe_fees          processing fees the merchant paid (never returned, as with Stripe)
    pending              charged money not yet settled (``available_on`` still ahead)
    available            settled money: what a payout may take
    payouts_in_transit   paid out of the balance, on its way to the bank
    bank                 the account's (simulated) bank account: what arrived there

What each operation posts::

    captured charge   card_payments -amount, pending|available +net, stripe_fees +fee
    refund            pending|available -amount, card_payments +amount   (fee kept)
    settlement        pending -net, available +net           (net < 0 for a refund)
    payout created    available -amount, payouts_in_transit +amount
    payout paid       payouts_in_transit -amount, bank +amount
    payout returned   payouts_in_transit -amount, available +amount   (canceled or failed)

This module knows nothing of Flask or databases; ``services.ledger`` stores what it builds.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CARD_PAYMENTS = "card_payments"
STRIPE_FEES = "stripe_fees"
PENDING = "pending"
AVAILABLE = "available"
IN_TRANSIT = "payouts_in_transit"
BANK = "bank"
LEDGER_ACCOUNTS = (AVAILABLE, BANK, CARD_PAYMENTS, IN_TRANSIT, PENDING, STRIPE_FEES)

_CURRENCY = re.compile(r"^[a-z]{3}$")


class UnbalancedJournal(ValueError):
    """A journal whose entries do not sum to zero in some currency (or is otherwise invalid)."""


@dataclass(frozen=True)
class Entry:
    """``amount`` (signed, minor units) of ``currency`` moved into ``ledger_account``."""

    ledger_account: str
    currency: str
    amount: int


@dataclass(frozen=True)
class Journal:
    """A set of entries that sums to zero per currency; refuses to exist otherwise.

    :param kind: what happened (``charge``, ``refund``, ``settlement``, ``payout`` ...).
    :param entries: the movements; zero amounts are dropped.
    :raises UnbalancedJournal: no non-zero entry, an unknown ledger account, a bad currency,
        a non-integer amount, or a currency whose entries do not sum to zero.
    """

    kind: str
    entries: tuple[Entry, ...] = field(default=())

    def __post_init__(self) -> None:
        kept = []
        for entry in self.entries:
            if entry.ledger_account not in LEDGER_ACCOUNTS:
                raise UnbalancedJournal(f"unknown ledger account {entry.ledger_account!r}")
            if not _CURRENCY.match(entry.currency or ""):
                raise UnbalancedJournal(f"bad currency {entry.currency!r}")
            if isinstance(entry.amount, bool) or not isinstance(entry.amount, int):
                raise UnbalancedJournal(f"amounts are integers, not {entry.amount!r}")
            if entry.amount:
                kept.append(entry)
        if not kept:
            raise UnbalancedJournal(f"a {self.kind} journal moves nothing")
        for currency, total in sums_by_currency(kept).items():
            if total:
                raise UnbalancedJournal(
                    f"a {self.kind} journal must sum to zero; {currency} sums to {total}")
        object.__setattr__(self, "entries", tuple(kept))

    def deltas(self) -> dict[tuple[str, str], int]:
        """How much each ``(currency, ledger account)`` changes."""
        return combine([self])


def sums_by_currency(entries: Iterable[Entry]) -> dict[str, int]:
    """The sum of ``entries`` in each currency (all zero for a balanced journal)."""
    sums: dict[str, int] = defaultdict(int)
    for entry in entries:
        sums[entry.currency] += entry.amount
    return dict(sums)


def combine(journals: Iterable[Journal]) -> dict[tuple[str, str], int]:
    """The net change per ``(currency, ledger account)`` of several journals, in sorted order.

    Sorted on purpose: applying running-total updates in one global order means two
    transactions can never wait for each other's rows in opposite orders (no deadlock).
    """
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    for journal in journals:
        for entry in journal.entries:
            deltas[(entry.currency, entry.ledger_account)] += entry.amount
    return {key: deltas[key] for key in sorted(deltas) if deltas[key]}


def _bucket(available: bool) -> str:
    return AVAILABLE if available else PENDING


def captured_charge(amount: int, fee: int, currency: str, *, available: bool) -> Journal:
    """A captured charge: the card pays ``amount``; the fee goes to Stripe, the net to us.

    :param available: the funds are available at once (``tok_bypassPending``), else pending.
    """
    if not 0 <= fee <= amount:
        raise UnbalancedJournal(f"a fee of {fee} on a charge of {amount}")
    return Journal("charge", (
        Entry(CARD_PAYMENTS, currency, -amount),
        Entry(_bucket(available), currency, amount - fee),
        Entry(STRIPE_FEES, currency, fee),
    ))


def refund(amount: int, currency: str, *, available: bool) -> Journal:
    """A refund: ``amount`` goes back to the card from the bucket the charge's funds are in.

    The processing fee is not returned (as with Stripe): only ``amount`` moves.
    """
    return Journal("refund", (
        Entry(_bucket(available), currency, -amount),
        Entry(CARD_PAYMENTS, currency, amount),
    ))


def settlement(net: int, currency: str) -> Journal:
    """Pending funds become available (``net`` is negative when a pending refund settles)."""
    return Journal("settlement", (
        Entry(PENDING, currency, -net),
        Entry(AVAILABLE, currency, net),
    ))


def payout_created(amount: int, currency: str) -> Journal:
    """A payout takes ``amount`` of available funds; they are in transit to the bank."""
    return Journal("payout", (
        Entry(AVAILABLE, currency, -amount),
        Entry(IN_TRANSIT, currency, amount),
    ))


def payout_paid(amount: int, currency: str) -> Journal:
    """A payout arrives: the money in transit lands in the bank account."""
    return Journal("payout_paid", (
        Entry(IN_TRANSIT, currency, -amount),
        Entry(BANK, currency, amount),
    ))


def payout_returned(amount: int, currency: str, *, kind: str = "payout_cancel") -> Journal:
    """A payout canceled (``payout_cancel``) or failed (``payout_failure``): money comes back."""
    if kind not in ("payout_cancel", "payout_failure"):
        raise UnbalancedJournal(f"a returned payout is canceled or failed, not {kind!r}")
    return Journal(kind, (
        Entry(IN_TRANSIT, currency, -amount),
        Entry(AVAILABLE, currency, amount),
    ))


# --- verification -------------------------------------------------------------------------

SETTLEMENT_KIND = "settlement"


def transaction_problems(txn_id: str, net: int, fee: int, effects: Mapping[str, Mapping[str, int]],
                         scheduled: bool) -> list[str]:
    """Whether a balance transaction agrees with the journals posted for it.

    :param effects: ``{journal kind: {ledger account: sum of its entries}}`` over the journals
        linked to the transaction: the one that created it, and its settlement if any.
    :param scheduled: its settlement is still waiting in the schedule.
    """
    created = {kind: moved for kind, moved in effects.items() if kind != SETTLEMENT_KIND}
    if len(created) != 1:
        return [f"balance transaction {txn_id} has {len(created)} journals creating it, not 1"]
    (moved,) = created.values()
    problems = []
    balance_effect = moved.get(AVAILABLE, 0) + moved.get(PENDING, 0)
    if balance_effect != net:
        problems.append(f"balance transaction {txn_id} has net {net}, its journal moves "
                        f"{balance_effect}")
    if moved.get(STRIPE_FEES, 0) != fee:
        problems.append(f"balance transaction {txn_id} has fee {fee}, its journal charges "
                        f"{moved.get(STRIPE_FEES, 0)}")
    settled = effects.get(SETTLEMENT_KIND)
    if moved.get(PENDING, 0):
        if settled is None and not scheduled:
            problems.append(f"balance transaction {txn_id} is pending with nothing to settle it")
        if settled is not None and scheduled:
            problems.append(f"balance transaction {txn_id} is settled and still scheduled")
        if settled is not None and (settled.get(AVAILABLE, 0), settled.get(PENDING, 0)) != (
                moved[PENDING], -moved[PENDING]):
            problems.append(f"balance transaction {txn_id} settled {settled.get(AVAILABLE, 0)} "
                            f"of {moved[PENDING]} pending")
    elif settled is not None or scheduled:
        problems.append(f"balance transaction {txn_id} was available at once but has a "
                        "settlement")
    return problems


def compare_totals(stored: Mapping[tuple, int], summed: Mapping[tuple, int]) -> list[str]:
    """Problems where a stored running total differs from the sum of its entries.

    Keys are whatever identifies a total (e.g. ``(livemode, currency, ledger account)``); a
    key missing on one side counts as zero there.
    """
    problems = []
    for key in sorted(set(stored) | set(summed), key=repr):
        have, want = stored.get(key, 0), summed.get(key, 0)
        if have != want:
            problems.append(f"running total {_label(key)} is {have}, its entries sum to {want}")
    return problems


def _label(key: tuple) -> str:
    return "/".join(str(part) for part in key)
