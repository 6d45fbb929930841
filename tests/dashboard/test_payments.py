"""Payments pages: customers, charges, refunds, payment intents, balance, payouts."""

from __future__ import annotations

import re

from tests.dashboard.conftest import PASSWORD, text, v1


def listed(response) -> list[str]:
    assert response.status_code == 200, text(response)
    return re.findall(r'<div class="note"><code>(\w+)</code></div>', response.get_data(
        as_text=True))


def post(client, key, path, **data):
    r = v1(client, path, key, method="post", data=data)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_customers_charges_and_refunds_of_the_current_mode(dash, signed_in, client):
    key = signed_in.secret_key
    customer = post(client, key, "/v1/customers", name="Ada Lovelace", email="ada@example.com")
    charge = post(client, key, "/v1/charges", amount="2000", currency="usd", source="tok_visa",
                  customer=customer["id"], description="Bike repair")
    refund = post(client, key, "/v1/refunds", charge=charge["id"], amount="500")

    page = dash.get("/dashboard/customers")
    assert listed(page) == [customer["id"]]
    assert "Ada Lovelace" in text(page) and "ada@example.com" in text(page)

    page = dash.get("/dashboard/charges")
    assert listed(page) == [charge["id"]]
    for expected in ("$20.00 USD", "succeeded", "$5.00 USD refunded", "Visa ·· 4242",
                     "Bike repair", customer["id"]):
        assert expected in text(page)

    page = dash.get("/dashboard/refunds")
    assert listed(page) == [refund["id"]]
    assert "$5.00 USD" in text(page) and charge["id"] in text(page)

    # Live mode has none of them.
    dash.post("/dashboard/activate", {})
    for path in ("/dashboard/customers", "/dashboard/charges", "/dashboard/refunds"):
        assert listed(dash.get(path)) == []
    assert "No charges in live mode yet." in text(dash.get("/dashboard/charges"))


def test_empty_pages_say_how_to_fill_them(dash, signed_in):
    assert "No customers in test mode yet." in text(dash.get("/dashboard/customers"))
    assert "<code>tok_visa</code>" in text(dash.get("/dashboard/charges"))


def test_list_pages_page_through(dash, signed_in, client):
    ids = [post(client, signed_in.secret_key, "/v1/customers")["id"] for _ in range(27)]
    first = dash.get("/dashboard/customers")
    assert listed(first) == ids[::-1][:25]
    older = re.search(r'href="([^"]+)" rel="next"', first.get_data(as_text=True)).group(1)
    assert listed(dash.get(older.replace("&amp;", "&"))) == ids[::-1][25:]
    r = dash.get("/dashboard/customers?starting_after=cus_nope")
    assert r.status_code == 400 and "No such customer: 'cus_nope'" in text(r)


def test_balance_shows_pending_and_available(dash, signed_in, client):
    post(client, signed_in.secret_key, "/v1/charges", amount="10000", currency="usd",
         source="tok_visa")
    balance = v1(client, "/v1/balance", signed_in.secret_key).get_json()
    page = text(dash.get("/dashboard/balance"))
    row = re.search(r'<tr><th scope="row">USD</th><td>([^<]+)</td><td>([^<]+)</td></tr>', page)
    from payground.dashboard.filters import money

    assert row.groups() == (money(balance["available"][0]["amount"], "usd"),
                            money(balance["pending"][0]["amount"], "usd"))
    assert balance["pending"][0]["amount"] > 0


def test_payment_intents_page(dash, signed_in, client):
    intent = post(client, signed_in.secret_key, "/v1/payment_intents", amount="1500",
                  currency="usd")
    page = dash.get("/dashboard/payment_intents")
    assert listed(page) == [intent["id"]]
    assert "$15.00 USD" in text(page) and "requires_payment_method" in text(page)


def test_payouts_page(dash, signed_in, client):
    assert "No payouts in test mode yet." in text(dash.get("/dashboard/payouts"))
    post(client, signed_in.secret_key, "/v1/charges", amount="10000", currency="usd",
         source="tok_visa")
    dash.post("/dashboard/clock", {"advance": "custom", "custom": "3d"})  # the charge settles
    payout = post(client, signed_in.secret_key, "/v1/payouts", amount="2500", currency="usd")
    page = dash.get("/dashboard/payouts")
    assert listed(page) == [payout["id"]]
    assert "$25.00 USD" in text(page) and payout["status"] in text(page)


def test_a_failed_payout_says_why(dash, signed_in, client):
    session = client.post("/sandbox/login", json={"email": signed_in.email,
                                                  "password": PASSWORD}).get_json()["session"]
    r = client.post("/sandbox/bank", json={"bank_account": {"account_number": "000111111113"}},
                    headers={"Authorization": f"Bearer {session}"})
    assert r.status_code == 201, r.get_json()
    post(client, signed_in.secret_key, "/v1/charges", amount="10000", currency="usd",
         source="tok_bypassPending")
    payout = post(client, signed_in.secret_key, "/v1/payouts", amount="2500", currency="usd")
    dash.post("/dashboard/clock", {"advance": "custom", "custom": "2d"})  # its arrival date
    page = dash.get("/dashboard/payouts")
    assert listed(page) == [payout["id"]]
    assert ('<span class="badge badge-failed">failed</span><div class="note"><code>'
            'account_closed</code>: The bank account has been closed.</div>') in text(page)


def test_a_held_lock_is_a_try_again_page_not_a_500(dash, signed_in, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from payground import messages
    from payground.services import customers

    def locked(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(customers, "list_customers", locked)
    r = dash.get("/dashboard/customers")
    assert r.status_code == 429
    assert messages.LOCK_TIMEOUT.split(".")[0] in text(r)


def test_the_refunds_page_shows_an_expired_authorisations_refund(dash, signed_in, client,
                                                                 wall):
    """The page is the first look after the seven days: it expires the charge itself."""
    charge = post(client, signed_in.secret_key, "/v1/charges", amount="2000", currency="usd",
                  source="tok_visa", capture="false")
    assert listed(dash.get("/dashboard/refunds")) == []
    wall[0] += 7 * 86400
    page = dash.get("/dashboard/refunds")
    (refund_id,) = listed(page)
    assert "$20.00 USD" in text(page) and charge["id"] in text(page)
    refund = v1(client, f"/v1/refunds/{refund_id}", signed_in.secret_key).get_json()
    assert (refund["charge"], refund["reason"]) == (charge["id"], "expired_uncaptured_charge")
