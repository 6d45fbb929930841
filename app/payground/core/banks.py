"""Stripe's test bank account numbers, and what a payout to each of them does.

In test mode Stripe takes only its own test bank (routing number ``110000000``) and six account
numbers, one per outcome (https://stripe.com/docs/connect/testing#account-numbers): a payout to
``000123456789`` is paid, a payout to any of the others fails with a payout failure code. In
live mode that routing number is no bank at all. The account number is only read here, never
kept: a bank account keeps its last four digits and the failure code it stands for.
"""

from __future__ import annotations

TEST_ROUTING_NUMBER = "110000000"
TEST_BANK_NAME = "STRIPE TEST BANK"
SUCCESS_ACCOUNT_NUMBER = "000123456789"

# Account number -> the failure_code of a payout to it (None: the payout is paid).
TEST_ACCOUNT_NUMBERS: dict[str, str | None] = {
    SUCCESS_ACCOUNT_NUMBER: None,
    "000111111116": "no_account",
    "000111111113": "account_closed",
    "000222222227": "insufficient_funds",
    "000333333335": "debit_not_authorized",
    "000444444440": "invalid_currency",
}

# A failed payout's failure_message: Stripe's description of each code (API reference, the
# payout object's failure_code).
PAYOUT_FAILURE_MESSAGES = {
    "no_account": ("The bank account details on file are probably incorrect. No bank account "
                   "could be located with those details."),
    "account_closed": "The bank account has been closed.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "debit_not_authorized": ("Debit transactions are not approved on the bank account. (Stripe "
                             "requires bank accounts to be set up for both credit and debit "
                             "payouts.)"),
    "invalid_currency": ("The bank was unable to process this payout because of its currency. "
                         "This is probably because the bank account cannot accept payments in "
                         "that currency."),
}


def is_test_routing_number(routing_number: str | None) -> bool:
    """Whether ``routing_number`` is Stripe's test bank (spaces and dashes ignored: written
    ``110-000-000`` it is still the test bank)."""
    return "".join(c for c in (routing_number or "") if c not in " -") == TEST_ROUTING_NUMBER


def payout_failure_for(account_number: str) -> str | None:
    """The failure code of a test-mode payout to ``account_number`` (None: it is paid).

    :raises KeyError: ``account_number`` is not one of Stripe's test account numbers.
    """
    return TEST_ACCOUNT_NUMBERS[account_number]
