"""Numbers at the edges: a charge that is all fee, and digits from other scripts."""

from __future__ import annotations

from payground import messages
from tests.helpers import assert_error


def test_a_charge_at_gbps_minimum_costs_at_most_itself_and_the_ledger_balances(account, client):
    r = account.post("/v1/charges", {"amount": 30, "currency": "gbp", "source": "tok_visa",
                                     "expand[]": "balance_transaction"})
    assert r.status_code == 200, r.get_json()
    txn = r.get_json()["balance_transaction"]
    assert (txn["amount"], txn["fee"], txn["net"]) == (30, 30, 0)
    exact = account.post("/v1/charges", {"amount": 31, "currency": "gbp", "source": "tok_visa",
                                         "expand[]": "balance_transaction"}).get_json()
    assert (exact["balance_transaction"]["fee"], exact["balance_transaction"]["net"]) == (31, 0)
    verified = client.get("/sandbox/ledger/verify", headers=account.session_auth).get_json()
    assert verified["balanced"] is True, verified


def test_digits_of_other_scripts_are_refused(account):
    account.activate()
    card = {"card[exp_month]": "12", "card[exp_year]": "2040", "card[cvc]": "123"}
    for number in ("٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "４２４２４２４２４２４２４２４２"):
        r = account.post("/v1/tokens", {**card, "card[number]": number},
                         key=account.live_publishable_key)
        assert_error(r, 402, type="card_error", code="invalid_number", param="number",
                     message=messages.CARD_NUMBER_INVALID)
    r = account.post("/v1/tokens", {**card, "card[number]": "4242424242424242",
                                    "card[exp_month]": "1²"}, key=account.publishable_key)
    assert_error(r, 402, type="card_error", code="invalid_expiry_month", param="exp_month",
                 message=messages.INVALID_EXPIRY_MONTH)
    assert_error(account.post("/v1/charges", {"amount": "٢٠٠٠", "currency": "usd",
                                              "source": "tok_visa"}), 400,
                 code="parameter_invalid_integer", param="amount",
                 message="Invalid integer: ٢٠٠٠")
    assert account.post("/v1/customers", {"metadata[²]": "x"}).status_code == 200
    odd_index = account.get("/v1/customers?expand[²]=x")
    assert odd_index.status_code == 400, odd_index.get_json()
