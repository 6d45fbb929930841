"""Balance, balance transactions and payouts through the official ``stripe`` SDK (issue 4)."""

from __future__ import annotations

import pytest
import requests
import stripe

from payground import messages

DAY = 86400


def amounts(balance) -> tuple[int, int]:
    return balance.available[0].amount, balance.pending[0].amount


def test_balance_follows_charges_refunds_and_payouts(payground_stripe, payground_account):
    settled = payground_stripe.Charge.create(amount=10000, currency="usd",
                                             source="tok_bypassPending")
    payground_stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")
    # Fees are 2.9% + 30: 320 on $100.00 (available at once), 88 on $20.00 (pending 2 days).
    assert amounts(payground_stripe.Balance.retrieve()) == (9680, 1912)

    refund = payground_stripe.Refund.create(charge=settled.id, amount=1000)
    assert refund.status == "succeeded"
    assert amounts(payground_stripe.Balance.retrieve()) == (8680, 1912)  # fees stay taken

    payout = payground_stripe.Payout.create(amount=5000, currency="usd")
    assert (payout.status, payout.amount, payout.arrival_date - payout.created) == (
        "pending", 5000, 2 * DAY)
    assert amounts(payground_stripe.Balance.retrieve()) == (3680, 1912)

    txns = payground_stripe.BalanceTransaction.list(limit=10)
    assert [(t.type, t.amount, t.fee, t.net) for t in txns.data] == [
        ("payout", -5000, 0, -5000), ("refund", -1000, 0, -1000),
        ("charge", 2000, 88, 1912), ("charge", 10000, 320, 9680)]

    payground_account.advance_clock(DAY)
    assert payground_stripe.Payout.retrieve(payout.id).status == "in_transit"
    payground_account.advance_clock(DAY)
    assert payground_stripe.Payout.retrieve(payout.id).status == "paid"
    # The $20.00 charge settled on the same day the payout arrived.
    assert amounts(payground_stripe.Balance.retrieve()) == (3680 + 1912, 0)


def test_payout_beyond_available_funds_is_refused(payground_stripe):
    payground_stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")  # pending
    with pytest.raises(stripe.InvalidRequestError) as caught:
        payground_stripe.Payout.create(amount=1000, currency="usd")
    assert caught.value.http_status == 400
    assert caught.value.code == "balance_insufficient"
    assert caught.value.user_message.startswith("You have insufficient funds in your Stripe "
                                                "account for this transfer.")
    assert payground_stripe.Payout.list().data == []


def test_canceled_payout_returns_the_money(payground_stripe):
    payground_stripe.Charge.create(amount=5000, currency="usd", source="tok_bypassPending")
    payout = payground_stripe.Payout.create(amount=3000, currency="usd")
    canceled = payground_stripe.Payout.cancel(payout.id)
    assert canceled.status == "canceled"
    assert amounts(payground_stripe.Balance.retrieve()) == (5000 - 175, 0)


def test_payout_to_a_failing_test_bank_account(payground_stripe, payground_account):
    bank = payground_account.use_test_bank_account("000111111113")
    assert (bank["last4"], bank["status"]) == ("1113", "new")
    payground_stripe.Charge.create(amount=5000, currency="usd", source="tok_bypassPending")
    payout = payground_stripe.Payout.create(amount=3000, currency="usd")
    assert payout.destination == bank["id"]
    payground_account.advance_clock(2 * DAY)
    failed = payground_stripe.Payout.retrieve(payout.id,
                                              expand=["failure_balance_transaction"])
    assert (failed.status, failed.failure_code, failed.failure_message) == (
        "failed", "account_closed", "The bank account has been closed.")
    assert (failed.failure_balance_transaction.type,
            failed.failure_balance_transaction.amount) == ("payout_failure", 3000)
    assert amounts(payground_stripe.Balance.retrieve()) == (5000 - 175, 0)
    with pytest.raises(requests.HTTPError) as refused:
        payground_account.use_test_bank_account("000987654321")
    assert refused.value.response.status_code == 400
    assert messages.TEST_MODE_LIVE_BANK_ACCOUNT in str(refused.value)
