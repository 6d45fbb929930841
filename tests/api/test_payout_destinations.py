"""``POST /v1/payouts destination=ba_...``: one of the account's own bank accounts in the mode,
the default or not, ``errored`` or not; the payout ends as that bank account says."""

from __future__ import annotations

import pytest

from payground import messages
from payground.core import banks, keys
from tests.api.test_payout_failures import (DAY, NET, available, banks_listed, chosen, fund,
                                            payout, verified)
from tests.helpers import assert_error


def pay_to(account, amount, destination=None, key=None, **extra) -> dict:
    params = {"amount": amount, "currency": "usd", **extra}
    if destination is not None:
        params["destination"] = destination
    r = account.post("/v1/payouts", params, key=key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def no_such(response, bank_id):
    assert_error(response, 404, code="resource_missing", param="destination",
                 message=f"No such external account: '{bank_id}'")


def test_a_payout_goes_where_destination_says_and_ends_as_that_bank_says(account, wall):
    failing = chosen(account, "000111111116")
    good = chosen(account, banks.SUCCESS_ACCOUNT_NUMBER)  # the default now
    fund(account)
    to_failing = pay_to(account, 1000, failing["id"])
    to_default = pay_to(account, 2000)
    assert (to_failing["destination"], to_default["destination"]) == (failing["id"], good["id"])
    assert available(account) == NET - 3000
    wall[0] += 2 * DAY
    failed = payout(account, to_failing["id"], "destination")
    assert (failed["status"], failed["failure_code"], failed["destination"]["status"]) == (
        "failed", "no_account", "errored")
    assert payout(account, to_default["id"])["status"] == "paid"
    assert available(account) == NET - 2000

    # An errored bank account still takes a payout that names it (Stripe stops only its
    # scheduled payouts), and fails it again.
    again = pay_to(account, 500, failing["id"], **{"expand[]": "destination"})
    assert (again["status"], again["destination"]["id"], again["destination"]["status"]) == (
        "pending", failing["id"], "errored")
    # The other way round: the default fails, a named earlier account pays.
    chosen(account, "000222222227")
    to_good = pay_to(account, 700, good["id"])
    to_failing_default = pay_to(account, 300)
    wall[0] += 2 * DAY
    ended = {p: payout(account, p) for p in (again["id"], to_good["id"],
                                             to_failing_default["id"])}
    assert [(ended[p]["status"], ended[p]["failure_code"]) for p in ended] == [
        ("failed", "no_account"), ("paid", None), ("failed", "insufficient_funds")]
    assert available(account) == NET - 2000 - 700
    by_bank = {b: [p["id"] for p in account.get(f"/v1/payouts?destination={b}").get_json()[
        "data"]] for b in (failing["id"], good["id"])}
    assert by_bank == {failing["id"]: [again["id"], to_failing["id"]],
                       good["id"]: [to_good["id"], to_default["id"]]}
    verified(account)


def test_destination_is_one_of_this_accounts_bank_accounts_in_this_mode(account, make_account):
    """Anything else is Stripe's 404 naming ``destination``, before the balance is looked at
    (nothing is available here) and with nothing changed; the other mode's with Stripe's hint,
    as for any object of the other mode; another account's as unknown as a made-up id."""
    account.activate(bank_account={"routing_number": "021000021",
                                   "account_number": "000123456789"})
    test_bank, live_bank = (b["id"] for b in banks_listed(account))
    (others_bank,) = (b["id"] for b in banks_listed(make_account()))
    for key, bank_id, hint in [
            (account.secret_key, others_bank, ""),
            (account.live_secret_key, others_bank, ""),
            (account.secret_key, live_bank, messages.NO_SUCH_OTHER_MODE.format(
                noun="external account", id=live_bank, other="live", mode="test")),
            (account.live_secret_key, test_bank, messages.NO_SUCH_OTHER_MODE.format(
                noun="external account", id=test_bank, other="test", mode="live")),
            (account.secret_key, "ba_nope", ""),
            (account.secret_key, "card_1Nv0FGQ9RKHgCVdKmbcDQdd6", ""),  # not a bank account
            (account.secret_key, account.account_id, ""),
            (account.secret_key, "1234", "")]:
        r = account.post("/v1/payouts", {"amount": 100, "currency": "usd",
                                          "destination": bank_id}, key=key)
        if hint:
            assert_error(r, 404, code="resource_missing", param="destination", message=hint)
        else:
            no_such(r, bank_id)
    for key in (account.secret_key, account.live_secret_key):
        assert account.get("/v1/payouts", key=key).get_json()["data"] == []
        assert account.get("/v1/events?type=payout.*", key=key).get_json()["data"] == []


@pytest.mark.parametrize("destination,status,code,message", [
    ("", 400, "parameter_invalid_empty", messages.INVALID_EMPTY.format(param="destination")),
    ("ba_" + "x" * 253, 400, "parameter_invalid_string",
     f"Invalid string: ba_{'x' * 54}...; must be at most 255 characters"),
])
def test_an_empty_or_overlong_destination_is_refused(account, destination, status, code,
                                                     message):
    fund(account)
    assert_error(account.post("/v1/payouts", {"amount": 100, "currency": "usd",
                                              "destination": destination}),
                 status, code=code, param="destination", message=message)
    assert available(account) == NET


def test_a_read_only_key_is_refused_whatever_destination_it_names(account, make_account):
    fund(account)
    (others_bank,) = (b["id"] for b in banks_listed(make_account()))
    key = account.create_key(permissions=["payout_read"])
    for bank_id in (banks_listed(account)[0]["id"], others_bank, "ba_nope"):
        r = account.post("/v1/payouts", {"amount": 100, "currency": "usd",
                                          "destination": bank_id}, key=key)
        assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
            masked=keys.mask(key), account=account.account_id, permission="payout_write"))
    assert available(account) == NET


def test_an_idempotent_retry_names_the_same_destination(account):
    first_bank = chosen(account, "000111111113")
    chosen(account, banks.SUCCESS_ACCOUNT_NUMBER)
    fund(account)
    params = {"amount": 1000, "currency": "usd", "destination": first_bank["id"]}
    first = account.post("/v1/payouts", params, headers={"Idempotency-Key": "weekly-12"})
    again = account.post("/v1/payouts", params, headers={"Idempotency-Key": "weekly-12"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert first.get_json()["destination"] == first_bank["id"]
    elsewhere = account.post("/v1/payouts", {**params, "destination": "ba_elsewhere"},
                             headers={"Idempotency-Key": "weekly-12"})
    assert_error(elsewhere, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_MISMATCH.format(key="weekly-12"))
    assert available(account) == NET - 1000  # paid out once
