"""Every list takes Stripe's ``created`` filter: an exact time or gt/gte/lt/lte bounds."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error

MAKERS = {
    "/v1/customers": lambda a: a.post("/v1/customers", {"email": "c@example.com"}),
    "/v1/charges": lambda a: a.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                                    "source": "tok_visa"}),
    "/v1/payment_intents": lambda a: a.post("/v1/payment_intents", {"amount": 2000,
                                                                    "currency": "usd"}),
    "/v1/refunds": lambda a: a.post("/v1/refunds", {"charge": a.post("/v1/charges", {
        "amount": 2000, "currency": "usd", "source": "tok_visa"}).get_json()["id"]}),
}


@pytest.mark.parametrize("path", sorted(MAKERS))
def test_created_filters_every_list(account, path, wall):  # wall: the clock stands still
    first = MAKERS[path](account).get_json()
    account.advance_clock(100)
    second = MAKERS[path](account).get_json()
    t1, t2 = first["created"], second["created"]
    assert t2 == t1 + 100

    def ids(query):
        r = account.get(f"{path}?{query}")
        assert r.status_code == 200, r.get_json()
        return [item["id"] for item in r.get_json()["data"]]

    assert ids(f"created={t1}") == [first["id"]]
    assert ids(f"created[gte]={t2}") == [second["id"]]
    assert ids(f"created[lt]={t2}") == [first["id"]]
    assert ids(f"created[gt]={t1}&created[lte]={t2}") == [second["id"]]
    assert ids(f"created[gte]={t1}&limit=1") == [second["id"]]
    assert_error(account.get(f"{path}?created[gte]=soon"), 400,
                 code="parameter_invalid_integer", param="created[gte]",
                 message="Invalid integer: soon")
    assert_error(account.get(f"{path}?created[after]=1"), 400, code="parameter_unknown",
                 param="created[after]", message="Received unknown parameter: created[after]")
