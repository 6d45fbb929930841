"""core.banks: Stripe's test bank account numbers and the payout failure each one gives."""

import pytest

from payground.core import banks


def test_the_table_is_stripes():
    # https://stripe.com/docs/connect/testing#account-numbers (routing number 110000000).
    assert banks.TEST_ROUTING_NUMBER == "110000000"
    assert banks.TEST_ACCOUNT_NUMBERS == {
        "000123456789": None, "000111111116": "no_account", "000111111113": "account_closed",
        "000222222227": "insufficient_funds", "000333333335": "debit_not_authorized",
        "000444444440": "invalid_currency"}
    # Every failure has Stripe's message, and the last four digits tell the numbers apart.
    assert set(banks.PAYOUT_FAILURE_MESSAGES) == {
        code for code in banks.TEST_ACCOUNT_NUMBERS.values() if code}
    assert len({number[-4:] for number in banks.TEST_ACCOUNT_NUMBERS}) == 6


@pytest.mark.parametrize("number,code", sorted(banks.TEST_ACCOUNT_NUMBERS.items()))
def test_payout_failure_for(number, code):
    assert banks.payout_failure_for(number) == code


@pytest.mark.parametrize("number", ["123456789", "111111116", "000111111116 ", "0001111111160",
                                    "", "000987654321"])
def test_other_numbers_are_not_test_accounts(number):
    with pytest.raises(KeyError):
        banks.payout_failure_for(number)


@pytest.mark.parametrize("routing,test", [
    ("110000000", True), ("110-000-000", True), (" 110 000 000 ", True),
    ("021000021", False), ("11000000", False), ("1100000000", False), ("", False),
    (None, False), ("１１００００００００", False)])
def test_is_test_routing_number(routing, test):
    assert banks.is_test_routing_number(routing) is test
