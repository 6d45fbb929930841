"""core.ledger: journals sum to zero per currency, and each operation moves the right money."""

import pytest

from payground.core import ledger
from payground.core.ledger import Entry, Journal, UnbalancedJournal


def moves(journal: Journal) -> dict[str, int]:
    """One-currency journal -> {ledger account: amount}."""
    assert len({e.currency for e in journal.entries}) == 1
    return {e.ledger_account: e.amount for e in journal.entries}


def test_a_balanced_journal_is_accepted():
    journal = Journal("test", (Entry("available", "usd", -5), Entry("bank", "usd", 5)))
    assert journal.deltas() == {("usd", "available"): -5, ("usd", "bank"): 5}


def test_an_unbalanced_journal_is_refused():
    with pytest.raises(UnbalancedJournal, match="usd sums to 1"):
        Journal("test", (Entry("available", "usd", -5), Entry("bank", "usd", 6)))


def test_each_currency_must_balance_on_its_own():
    # Same total overall, but dollars are not euros.
    with pytest.raises(UnbalancedJournal, match="sums to"):
        Journal("test", (Entry("available", "usd", -5), Entry("bank", "eur", 5)))
    both = Journal("fx", (Entry("available", "usd", -5), Entry("bank", "usd", 5),
                          Entry("available", "eur", 7), Entry("pending", "eur", -7)))
    assert len(both.entries) == 4


@pytest.mark.parametrize("entries,message", [
    ((), "moves nothing"),
    ((Entry("available", "usd", 0), Entry("bank", "usd", 0)), "moves nothing"),
    ((Entry("savings", "usd", -1), Entry("bank", "usd", 1)), "unknown ledger account"),
    ((Entry("available", "USD", -1), Entry("bank", "USD", 1)), "bad currency"),
    ((Entry("available", "usd", -1.5), Entry("bank", "usd", 1.5)), "integers"),
    ((Entry("available", "usd", True), Entry("bank", "usd", -1)), "integers"),
])
def test_malformed_journals_are_refused(entries, message):
    with pytest.raises(UnbalancedJournal, match=message):
        Journal("test", entries)


def test_zero_entries_are_dropped():
    journal = Journal("test", (Entry("available", "usd", -5), Entry("pending", "usd", 0),
                               Entry("bank", "usd", 5)))
    assert [e.ledger_account for e in journal.entries] == ["available", "bank"]


def test_captured_charge_splits_out_the_fee():
    assert moves(ledger.captured_charge(2000, 88, "usd", available=False)) == {
        "card_payments": -2000, "pending": 1912, "stripe_fees": 88}
    assert moves(ledger.captured_charge(2000, 88, "usd", available=True)) == {
        "card_payments": -2000, "available": 1912, "stripe_fees": 88}


def test_a_fee_larger_than_the_charge_is_refused():
    with pytest.raises(UnbalancedJournal):
        ledger.captured_charge(50, 51, "usd", available=False)


def test_refund_returns_the_amount_but_not_the_fee():
    assert moves(ledger.refund(700, "usd", available=True)) == {
        "available": -700, "card_payments": 700}
    assert moves(ledger.refund(700, "usd", available=False)) == {
        "pending": -700, "card_payments": 700}


def test_settlement_moves_pending_to_available_either_way():
    assert moves(ledger.settlement(1912, "usd")) == {"pending": -1912, "available": 1912}
    # A pending refund settles too: it lowers available and gives pending back.
    assert moves(ledger.settlement(-700, "usd")) == {"pending": 700, "available": -700}


def test_payout_lifecycle():
    assert moves(ledger.payout_created(1000, "usd")) == {
        "available": -1000, "payouts_in_transit": 1000}
    assert moves(ledger.payout_paid(1000, "usd")) == {"payouts_in_transit": -1000, "bank": 1000}
    for kind in ("payout_cancel", "payout_failure"):
        returned = ledger.payout_returned(1000, "usd", kind=kind)
        assert returned.kind == kind
        assert moves(returned) == {"payouts_in_transit": -1000, "available": 1000}
    with pytest.raises(UnbalancedJournal):
        ledger.payout_returned(1000, "usd", kind="payout")


def test_a_charge_refunded_and_paid_out_adds_up():
    journals = [
        ledger.captured_charge(10000, 320, "usd", available=False),
        ledger.refund(1000, "usd", available=False),
        ledger.settlement(9680, "usd"),
        ledger.settlement(-1000, "usd"),
        ledger.payout_created(8000, "usd"),
        ledger.payout_paid(8000, "usd"),
    ]
    assert ledger.combine(journals) == {
        ("usd", "available"): 680, ("usd", "bank"): 8000, ("usd", "card_payments"): -9000,
        ("usd", "stripe_fees"): 320}
    # Everything that moved sums to zero: no money made or lost.
    assert sum(ledger.combine(journals).values()) == 0


def test_combine_is_sorted_and_leaves_out_zeros():
    journals = [ledger.payout_created(5, "usd"), ledger.payout_returned(5, "usd"),
                ledger.captured_charge(100, 33, "eur", available=True)]
    combined = ledger.combine(journals)
    assert list(combined) == sorted(combined)
    assert combined == {("eur", "available"): 67, ("eur", "card_payments"): -100,
                        ("eur", "stripe_fees"): 33}


def test_compare_totals():
    assert ledger.compare_totals({("usd", "bank"): 5}, {("usd", "bank"): 5}) == []
    assert ledger.compare_totals({("usd", "bank"): 5, ("usd", "available"): 0},
                                 {("usd", "bank"): 4}) == [
        "running total usd/bank is 5, its entries sum to 4"]
    assert ledger.compare_totals({}, {(False, "eur", "pending"): 3}) == [
        "running total False/eur/pending is 0, its entries sum to 3"]
