"""Cards saved on customers (Stripe's legacy sources): customer ``source`` and
``default_source``, /v1/customers/{id}/sources, and charges of a customer's card."""

from __future__ import annotations

import threading
import time

import pytest

from payground import messages
from tests.helpers import assert_error

YEAR = time.gmtime().tm_year
LIVE_NUMBER = "4012888888881881"  # Luhn-valid, not a test card: the simulated issuer's


def customer_with(account, source="tok_visa", key=None, **extra) -> dict:
    r = account.post("/v1/customers", {"email": "jo@example.com", "source": source, **extra},
                     key=key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def add_card(account, cus, source="tok_mastercard", key=None, **extra) -> dict:
    r = account.post(f"/v1/customers/{cus}/sources", {"source": source, **extra}, key=key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def token(account, number="4242424242424242", key=None, **extra) -> dict:
    r = account.post("/v1/tokens", {"card[number]": number, "card[exp_month]": "12",
                                    "card[exp_year]": str(YEAR + 2), **extra},
                     key=key or account.publishable_key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def event_types(account) -> list[str]:
    return [e["type"] for e in account.get("/v1/events?limit=100").get_json()["data"]]


# --- customer create / update ----------------------------------------------------------------


def test_customer_created_with_a_token_has_it_as_default_source(account):
    tok = token(account, **{"card[cvc]": "123", "card[name]": "Jo Doe",
                            "card[address_zip]": "94107"})
    cus = customer_with(account, tok["id"])
    card_id = tok["card"]["id"]
    assert cus["default_source"] == card_id  # Stripe: the token's card is the saved card
    assert "sources" not in cus  # shown only when expanded (Stripe since 2020-08-27)
    card = account.get(f"/v1/customers/{cus['id']}/sources/{card_id}").get_json()
    assert (card["object"], card["customer"], card["brand"], card["last4"]) == (
        "card", cus["id"], "Visa", "4242")
    assert (card["exp_month"], card["exp_year"], card["funding"], card["country"]) == (
        12, YEAR + 2, "credit", "US")
    assert card["fingerprint"] == tok["card"]["fingerprint"]
    assert (card["cvc_check"], card["name"], card["address_zip"]) == ("pass", "Jo Doe", "94107")
    assert (card["address_zip_check"], card["address_line1_check"]) == ("pass", None)
    assert card["metadata"] == {}
    assert account.get(f"/v1/tokens/{tok['id']}").get_json()["used"] is True
    assert event_types(account)[:2] == ["customer.created", "customer.source.created"]


def test_a_magic_token_is_saved_as_its_test_card(account):
    cus = customer_with(account, "tok_mastercard")
    card = account.get(f"/v1/customers/{cus['id']}/sources/{cus['default_source']}").get_json()
    assert (card["brand"], card["last4"], card["exp_year"]) == ("MasterCard", "4444", YEAR + 1)
    assert card["id"].startswith("card_")


def test_expanding_default_source_and_sources(account):
    cus = customer_with(account)
    second = add_card(account, cus["id"])
    r = account.get(f"/v1/customers/{cus['id']}?expand[]=default_source&expand[]=sources")
    body = r.get_json()
    assert body["default_source"]["id"] == cus["default_source"]
    assert body["default_source"]["object"] == "card"
    sources = body["sources"]
    assert (sources["object"], sources["url"], sources["has_more"]) == (
        "list", f"/v1/customers/{cus['id']}/sources", False)
    assert [c["id"] for c in sources["data"]] == [second["id"], cus["default_source"]]
    plain = account.get(f"/v1/customers/{cus['id']}").get_json()
    assert plain["default_source"] == cus["default_source"] and "sources" not in plain


def test_a_customer_without_cards_expands_default_source_to_null(account):
    cus = account.post("/v1/customers", {"email": "a@example.com"}).get_json()
    body = account.get(f"/v1/customers/{cus['id']}?expand[]=default_source").get_json()
    assert body["default_source"] is None


def test_a_used_token_is_refused_and_no_customer_is_made(account):
    tok = token(account)
    customer_with(account, tok["id"])
    before = account.get("/v1/customers").get_json()["data"]
    assert_error(account.post("/v1/customers", {"source": tok["id"]}), 400,
                 code="token_already_used", param="source",
                 message=messages.TOKEN_ALREADY_USED.format(id=tok["id"]))
    assert account.get("/v1/customers").get_json()["data"] == before


@pytest.mark.parametrize("value,status,code,message", [
    ("tok_nope", 404, "resource_missing", "No such token: 'tok_nope'"),
    ("pm_card_visa", 404, "resource_missing", "No such token: 'pm_card_visa'"),
    ("4242424242424242", 400, None, messages.RAW_CARD_DATA),
])
def test_a_source_that_is_no_token_is_refused(account, value, status, code, message):
    assert_error(account.post("/v1/customers", {"source": value}), status, code=code,
                 param="source", message=message)
    assert account.get("/v1/customers").get_json()["data"] == []


def test_an_empty_source_is_refused(account):
    assert_error(account.post("/v1/customers", {"source": ""}), 400,
                 code="parameter_invalid_empty", param="source")


@pytest.mark.parametrize("source,code,decline_code,param,message", [
    ("tok_chargeDeclined", "card_declined", "generic_decline", None, messages.CARD_DECLINED),
    ("tok_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", None,
     messages.CARD_INSUFFICIENT_FUNDS),
    ("tok_chargeDeclinedExpiredCard", "expired_card", None, "exp_month",
     messages.CARD_EXPIRED),
    ("tok_chargeDeclinedIncorrectCvc", "incorrect_cvc", None, "cvc",
     messages.CARD_INCORRECT_CVC),
])
def test_a_card_its_issuer_declines_is_not_saved(account, source, code, decline_code, param,
                                                 message):
    """Stripe verifies a card it saves: 0002 and the other declining cards are refused."""
    assert_error(account.post("/v1/customers", {"source": source}), 402, type="card_error",
                 code=code, param=param, message=message, decline_code=decline_code)
    assert account.get("/v1/customers").get_json()["data"] == []


def test_0341_is_saved_and_declined_when_charged(account):
    cus = customer_with(account, "tok_chargeCustomerFail")
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "customer": cus["id"]})
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         decline_code="generic_decline", message=messages.CARD_DECLINED)
    charge = account.get(f"/v1/charges/{error['charge']}").get_json()
    assert (charge["status"], charge["source"]["id"]) == ("failed", cus["default_source"])


def test_update_with_source_replaces_and_deletes_the_default(account):
    cus = customer_with(account)
    old = cus["default_source"]
    kept = add_card(account, cus["id"])
    r = account.post(f"/v1/customers/{cus['id']}", {"source": "tok_amex"})
    assert r.status_code == 200, r.get_json()
    new = r.get_json()["default_source"]
    assert new not in (old, kept["id"])
    listed = account.get(f"/v1/customers/{cus['id']}/sources").get_json()["data"]
    assert [c["id"] for c in listed] == [new, kept["id"]]
    assert_error(account.get(f"/v1/customers/{cus['id']}/sources/{old}"), 404,
                 code="resource_missing", param="id",
                 message=messages.NO_SUCH.format(noun="source", id=old))
    types = event_types(account)
    assert types[:3] == ["customer.updated", "customer.source.deleted",
                         "customer.source.created"]
    updated = account.get("/v1/events?type=customer.updated").get_json()["data"][0]
    assert updated["data"]["previous_attributes"] == {"default_source": old}


def test_default_source_must_be_one_of_its_cards(account):
    cus = customer_with(account)
    other = customer_with(account)
    second = add_card(account, cus["id"])
    r = account.post(f"/v1/customers/{cus['id']}", {"default_source": second["id"]})
    assert r.get_json()["default_source"] == second["id"]
    updated = account.get("/v1/events?type=customer.updated").get_json()["data"][0]
    assert updated["data"]["previous_attributes"] == {"default_source": cus["default_source"]}
    for wrong in (other["default_source"], "card_nope"):
        assert_error(account.post(f"/v1/customers/{cus['id']}", {"default_source": wrong}),
                     404, code="resource_missing", param="default_source",
                     message=messages.NO_SUCH.format(noun="source", id=wrong))
    assert account.get(f"/v1/customers/{cus['id']}").get_json()["default_source"] == second["id"]


# --- /v1/customers/{id}/sources ------------------------------------------------------------


def test_a_new_card_becomes_the_default_only_if_there_is_none(account):
    cus = account.post("/v1/customers", {"email": "a@example.com"}).get_json()
    first = add_card(account, cus["id"], "tok_visa", **{"metadata[label]": "home"})
    assert first["metadata"] == {"label": "home"} and first["customer"] == cus["id"]
    assert account.get(f"/v1/customers/{cus['id']}").get_json()["default_source"] == first["id"]
    add_card(account, cus["id"])
    assert account.get(f"/v1/customers/{cus['id']}").get_json()["default_source"] == first["id"]
    assert event_types(account)[:3] == ["customer.source.created", "customer.updated",
                                        "customer.source.created"]


def test_list_is_newest_first_pages_and_filters_by_object(account):
    cus = customer_with(account)
    cards = [cus["default_source"]] + [add_card(account, cus["id"])["id"] for _ in range(2)]
    page = account.get(f"/v1/customers/{cus['id']}/sources?limit=2").get_json()
    assert [c["id"] for c in page["data"]] == cards[:0:-1] and page["has_more"] is True
    rest = account.get(f"/v1/customers/{cus['id']}/sources?starting_after={cards[1]}").get_json()
    assert [c["id"] for c in rest["data"]] == [cards[0]]
    only = account.get(f"/v1/customers/{cus['id']}/sources?object=card").get_json()
    assert len(only["data"]) == 3
    banks = account.get(f"/v1/customers/{cus['id']}/sources?object=bank_account").get_json()
    assert banks["data"] == []
    assert_error(account.get(f"/v1/customers/{cus['id']}/sources?object=nope"), 400,
                 param="object", message="Invalid object: must be one of bank_account, card, "
                 "source")


def test_a_card_of_another_customer_is_no_such_source(account):
    cus, other = customer_with(account), customer_with(account)
    card = other["default_source"]
    for call in (lambda p: account.get(p), lambda p: account.post(p, {"name": "X"}),
                 lambda p: account.delete(p)):
        assert_error(call(f"/v1/customers/{cus['id']}/sources/{card}"), 404,
                     code="resource_missing", param="id",
                     message=messages.NO_SUCH.format(noun="source", id=card))
    assert account.get(f"/v1/customers/{other['id']}/sources/{card}").status_code == 200


def test_unknown_customer(account):
    assert_error(account.get("/v1/customers/cus_nope/sources"), 404, code="resource_missing",
                 param="id", message="No such customer: 'cus_nope'")
    assert_error(account.post("/v1/customers/cus_nope/sources", {"source": "tok_visa"}), 404,
                 code="resource_missing", param="id", message="No such customer: 'cus_nope'")


def test_create_needs_a_source(account):
    cus = customer_with(account)
    assert_error(account.post(f"/v1/customers/{cus['id']}/sources", {}), 400,
                 code="parameter_missing", param="source",
                 message="Missing required param: source.")


def test_update_a_card(account):
    cus = customer_with(account)
    path = f"/v1/customers/{cus['id']}/sources/{cus['default_source']}"
    r = account.post(path, {"exp_month": "3", "exp_year": str(YEAR + 5), "name": "Jo",
                            "address_line1": "1 Main St", "address_zip": "94107",
                            "metadata[label]": "home"})
    assert r.status_code == 200, r.get_json()
    card = r.get_json()
    assert (card["exp_month"], card["exp_year"], card["name"]) == (3, YEAR + 5, "Jo")
    assert (card["address_line1"], card["address_zip"], card["address_city"]) == (
        "1 Main St", "94107", None)
    assert card["metadata"] == {"label": "home"}
    event = account.get("/v1/events?type=customer.source.updated").get_json()["data"][0]
    assert event["data"]["previous_attributes"]["exp_month"] == 12
    assert event["data"]["object"]["name"] == "Jo"
    unchanged = account.post(path, {"name": "Jo"})
    assert unchanged.status_code == 200
    assert len(account.get("/v1/events?type=customer.source.updated").get_json()["data"]) == 1


def test_update_refuses_a_past_expiry(account):
    cus = customer_with(account)
    path = f"/v1/customers/{cus['id']}/sources/{cus['default_source']}"
    assert_error(account.post(path, {"exp_year": str(YEAR - 1)}), 402, type="card_error",
                 code="invalid_expiry_year", param="exp_year",
                 message=messages.INVALID_EXPIRY_YEAR)
    assert account.get(path).get_json()["exp_year"] == YEAR + 1


def test_deleting_the_default_makes_the_newest_left_the_default(account):
    cus = customer_with(account)
    first = cus["default_source"]
    second = add_card(account, cus["id"])["id"]
    third = add_card(account, cus["id"])["id"]
    account.post(f"/v1/customers/{cus['id']}", {"default_source": second})
    r = account.delete(f"/v1/customers/{cus['id']}/sources/{second}")
    assert r.status_code == 200
    assert r.get_json() == {"id": second, "object": "card", "deleted": True}
    assert account.get(f"/v1/customers/{cus['id']}").get_json()["default_source"] == third
    account.delete(f"/v1/customers/{cus['id']}/sources/{first}")  # not the default
    assert account.get(f"/v1/customers/{cus['id']}").get_json()["default_source"] == third
    account.delete(f"/v1/customers/{cus['id']}/sources/{third}")
    assert account.get(f"/v1/customers/{cus['id']}").get_json()["default_source"] is None
    deleted = account.get("/v1/events?type=customer.source.deleted").get_json()["data"]
    assert [e["data"]["object"]["id"] for e in deleted] == [third, first, second]


# --- charges --------------------------------------------------------------------------------


def test_a_charge_of_a_customer_pays_with_its_default_source(account):
    cus = customer_with(account)
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "customer": cus["id"]})
    assert r.status_code == 200, r.get_json()
    charge = r.get_json()
    assert (charge["status"], charge["customer"]) == ("succeeded", cus["id"])
    assert charge["source"]["id"] == cus["default_source"]
    assert (charge["source"]["object"], charge["source"]["customer"]) == ("card", cus["id"])
    assert charge["payment_method"] == cus["default_source"]
    again = account.post("/v1/charges", {"amount": 900, "currency": "usd",
                                         "customer": cus["id"]})
    assert again.get_json()["source"]["id"] == cus["default_source"]  # used again and again


def test_a_charge_of_a_named_card_of_the_customer(account):
    cus = customer_with(account)
    second = add_card(account, cus["id"], "tok_amex")
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "customer": cus["id"],
                                     "source": second["id"]})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["source"]["id"], r.get_json()["source"]["last4"]) == (second["id"],
                                                                               "0005")


def test_a_charge_of_a_card_not_the_customers_is_refused(account):
    cus, other = customer_with(account), customer_with(account)
    for card in (other["default_source"], "card_nope"):
        assert_error(account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                                  "customer": cus["id"], "source": card}),
                     404, code="missing", param="source",
                     message=messages.NO_LINKED_SOURCE.format(customer=cus["id"], id=card))
    assert account.get("/v1/charges").get_json()["data"] == []


def test_a_saved_card_without_its_customer_is_no_such_source(account):
    cus = customer_with(account)
    card = cus["default_source"]
    assert_error(account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                              "source": card}), 404,
                 code="resource_missing", param="source",
                 message=messages.NO_SUCH.format(noun="source", id=card))


def test_a_customer_without_a_card_cannot_be_charged(account):
    cus = account.post("/v1/customers", {"email": "a@example.com"}).get_json()
    assert_error(account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                              "customer": cus["id"]}), 402,
                 type="card_error", code="missing", param="card",
                 message=messages.CUSTOMER_HAS_NO_CARD)


def test_a_deleted_customers_cards_go_with_it(account):
    cus = customer_with(account)
    assert account.delete(f"/v1/customers/{cus['id']}").status_code == 200
    assert_error(account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                              "customer": cus["id"]}), 404,
                 code="resource_missing", param="customer",
                 message=f"No such customer: '{cus['id']}'")


# --- modes, accounts, permissions, idempotency ------------------------------------------------


def test_live_mode_saves_a_live_card_and_refuses_test_ones(account):
    live = account.activate()
    tok = token(account, LIVE_NUMBER, key=account.live_publishable_key)
    cus = customer_with(account, tok["id"], key=live)
    assert cus["livemode"] is True and cus["default_source"] == tok["card"]["id"]
    charge = account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                          "customer": cus["id"]}, key=live)
    assert charge.status_code == 200, charge.get_json()
    assert_error(account.post("/v1/customers", {"source": "tok_visa"}, key=live), 402,
                 type="card_error", code="card_declined", param="source",
                 decline_code="live_mode_test_card", message=messages.LIVE_MODE_TEST_CARD)
    test_token = token(account)
    assert_error(account.post(f"/v1/customers/{cus['id']}/sources",
                              {"source": test_token["id"]}, key=live), 404,
                 code="resource_missing", param="source",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="token", id=test_token["id"], other="test", mode="live"))
    assert_error(account.get(f"/v1/customers/{cus['id']}/sources"), 404,
                 code="resource_missing", param="id",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="customer", id=cus["id"], other="live", mode="test"))


def test_another_accounts_customer_and_card_are_unknown(account, make_account):
    cus = customer_with(account)
    other = make_account()
    path = f"/v1/customers/{cus['id']}/sources/{cus['default_source']}"
    assert_error(other.get(path), 404, code="resource_missing", param="id",
                 message=f"No such customer: '{cus['id']}'")
    mine = customer_with(other)
    assert_error(other.post(f"/v1/customers/{mine['id']}",
                            {"default_source": cus["default_source"]}), 404,
                 code="resource_missing", param="default_source",
                 message=messages.NO_SUCH.format(noun="source", id=cus["default_source"]))


def test_restricted_keys_need_customer_permissions(account):
    cus = customer_with(account)
    reader = account.create_key(permissions=["customer_read"])
    path = f"/v1/customers/{cus['id']}/sources"
    assert account.get(path, key=reader).status_code == 200
    assert account.get(f"{path}/{cus['default_source']}", key=reader).status_code == 200
    assert_error(account.post(path, {"source": "tok_visa"}, key=reader), 403,
                 type="invalid_request_error", code=None, param=None)
    charge_only = account.create_key(permissions=["charge_read"])
    assert_error(account.get(f"/v1/customers/{cus['id']}?expand[]=default_source",
                             key=charge_only), 403, code=None, param=None)


def test_idempotent_create_saves_one_card(account):
    cus = customer_with(account)
    headers = {"Idempotency-Key": "save-1"}
    first = account.post(f"/v1/customers/{cus['id']}/sources", {"source": "tok_visa"},
                         headers=headers)
    again = account.post(f"/v1/customers/{cus['id']}/sources", {"source": "tok_visa"},
                         headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == again.get_json()
    assert len(account.get(f"/v1/customers/{cus['id']}/sources").get_json()["data"]) == 2


def test_webhook_endpoints_take_the_source_event_types(account):
    r = account.post("/v1/webhook_endpoints", {
        "url": "https://example.com/hook", "enabled_events[0]": "customer.source.created",
        "enabled_events[1]": "customer.source.deleted",
        "enabled_events[2]": "customer.source.updated"})
    assert r.status_code == 200, r.get_json()


# --- races (PostgreSQL's row locks; SQLite serialises writers) -------------------------------


def _race(app, account, calls) -> list[tuple[int, dict]]:
    """Run ``calls`` (``(method, path, data)``) at once, each on its own client."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, method, path, data):
        client = app.test_client()
        barrier.wait()
        r = client.open(path, method=method, data=data, headers=account.auth())
        results[i] = (r.status_code, r.get_json())

    pool = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results


def test_concurrent_deletes_of_every_card_leave_no_default(app, account):
    """Each delete reads the customer's default after taking its lock: the last one left
    never keeps a deleted card as the default."""
    cus = customer_with(account)
    cards = [cus["default_source"]] + [add_card(account, cus["id"])["id"] for _ in range(3)]
    results = _race(app, account, [("DELETE", f"/v1/customers/{cus['id']}/sources/{card}", {})
                                   for card in cards])
    assert [status for status, _ in results] == [200] * 4, results
    assert account.get(f"/v1/customers/{cus['id']}").get_json()["default_source"] is None
    assert account.get(f"/v1/customers/{cus['id']}/sources").get_json()["data"] == []
    assert_error(account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                              "customer": cus["id"]}), 402,
                 type="card_error", code="missing", param="card",
                 message=messages.CUSTOMER_HAS_NO_CARD)


def test_concurrent_updates_with_a_source_each_replace_the_default_once(app, account):
    """Two updates with ``source`` at once: one replaces the first default, the other the
    card the first saved; one card is left, the default, and each card is deleted once."""
    cus = customer_with(account)
    results = _race(app, account, [("POST", f"/v1/customers/{cus['id']}", {"source": "tok_visa"}),
                                   ("POST", f"/v1/customers/{cus['id']}", {"source": "tok_amex"})])
    assert [status for status, _ in results] == [200, 200], results
    listed = account.get(f"/v1/customers/{cus['id']}/sources").get_json()["data"]
    default = account.get(f"/v1/customers/{cus['id']}").get_json()["default_source"]
    assert [c["id"] for c in listed] == [default]
    deleted = [e["data"]["object"]["id"] for e in account.get(
        "/v1/events?type=customer.source.deleted").get_json()["data"]]
    assert sorted(deleted) == sorted(set(deleted)) and len(deleted) == 2
    assert cus["default_source"] in deleted and default not in deleted


def test_a_default_chosen_while_its_card_is_deleted(app, account):
    """Choosing a card as the default while it is deleted: either the delete comes first
    (the choice is "No such source") or the choice does (the delete then moves the default
    on); never a dangling default, never a lock error."""
    cus = customer_with(account)
    second = add_card(account, cus["id"])["id"]
    results = _race(app, account, [
        ("POST", f"/v1/customers/{cus['id']}", {"default_source": second}),
        ("DELETE", f"/v1/customers/{cus['id']}/sources/{second}", {})])
    assert results[1][0] == 200, results
    if results[0][0] != 200:
        assert results[0][0] == 404 and results[0][1]["error"]["param"] == "default_source"
    assert account.get(f"/v1/customers/{cus['id']}").get_json()["default_source"] == \
        cus["default_source"]


def test_a_customer_deleted_while_a_card_is_deleted_or_added(app, account):
    """Deleting the customer while one of its cards is deleted and another added: no error
    but "No such customer" for the one that comes after, and no card outlives it."""
    cus = customer_with(account)
    second = add_card(account, cus["id"])["id"]
    results = _race(app, account, [
        ("DELETE", f"/v1/customers/{cus['id']}", {}),
        ("DELETE", f"/v1/customers/{cus['id']}/sources/{second}", {}),
        ("POST", f"/v1/customers/{cus['id']}/sources", {"source": "tok_visa"})])
    assert results[0][0] == 200, results
    for status, body in results[1:]:
        if status != 200:
            assert (status, body["error"]["param"], body["error"]["message"]) == (
                404, "id", f"No such customer: '{cus['id']}'"), results
    from payground.models import CardSource
    from payground.models.base import db
    with app.app_context():
        assert db.session.query(CardSource).filter_by(customer_id=cus["id"]).count() == 0


def test_a_token_saves_a_card_or_pays_once(account):
    """A token is single use either way: saved, it cannot be charged; charged, not saved."""
    saved = token(account)
    cus = customer_with(account, saved["id"])
    assert_error(account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                              "source": saved["id"]}), 400,
                 code="token_already_used", param="source",
                 message=messages.TOKEN_ALREADY_USED.format(id=saved["id"]))
    paid = token(account)
    assert account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                        "source": paid["id"]}).status_code == 200
    assert_error(account.post(f"/v1/customers/{cus['id']}/sources", {"source": paid["id"]}),
                 400, code="token_already_used", param="source",
                 message=messages.TOKEN_ALREADY_USED.format(id=paid["id"]))
    assert [c["id"] for c in account.get(
        f"/v1/customers/{cus['id']}/sources").get_json()["data"]] == [saved["card"]["id"]]


def test_idempotent_customer_create_with_a_source_saves_one_card(account):
    headers = {"Idempotency-Key": "cus-with-card"}
    first = account.post("/v1/customers", {"source": "tok_visa"}, headers=headers)
    again = account.post("/v1/customers", {"source": "tok_visa"}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == again.get_json()
    assert len(account.get("/v1/customers").get_json()["data"]) == 1
    cards = account.get(f"/v1/customers/{first.get_json()['id']}/sources").get_json()["data"]
    assert [c["id"] for c in cards] == [first.get_json()["default_source"]]


def test_no_card_number_is_stored(app, account):
    cus = customer_with(account, token(account, "4000056655665556")["id"])
    from payground.models import CardSource

    assert not {"number", "card_number", "pan"} & set(CardSource.__table__.columns.keys())
    from payground.models.base import db
    with app.app_context():
        row = db.session.query(CardSource).filter_by(customer_id=cus["id"]).one()
        assert "4000056655665556" not in repr({c: getattr(row, c.replace("metadata", "metadata_"))
                                                for c in CardSource.__table__.columns.keys()})
        assert row.last4 == "5556"
