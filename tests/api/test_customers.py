"""/v1/customers through the Flask test client."""

import pytest

from payground import messages
from tests.helpers import assert_error


def test_create_returns_customer_with_metadata(account):
    r = account.post("/v1/customers", {"email": "jo@example.com", "name": "Jo",
                                       "metadata[plan]": "pro"})
    assert r.status_code == 200
    body = r.get_json()
    assert body["id"].startswith("cus_")
    assert body["object"] == "customer"
    assert body["livemode"] is False
    assert (body["email"], body["name"], body["metadata"]) == ("jo@example.com", "Jo",
                                                               {"plan": "pro"})
    assert r.headers["Request-Id"].startswith("req_")


def test_retrieve_update_delete(account):
    cid = account.post("/v1/customers", {"email": "a@example.com",
                                         "metadata[a]": "1", "metadata[b]": "2"}).get_json()["id"]
    r = account.post(f"/v1/customers/{cid}", {"name": "New", "metadata[a]": ""})
    assert r.status_code == 200
    assert r.get_json()["name"] == "New"
    assert r.get_json()["metadata"] == {"b": "2"}
    assert account.get(f"/v1/customers/{cid}").get_json()["name"] == "New"
    r = account.delete(f"/v1/customers/{cid}")
    assert r.get_json() == {"id": cid, "object": "customer", "deleted": True}
    assert account.get(f"/v1/customers/{cid}").get_json() == {"id": cid, "object": "customer",
                                                              "deleted": True}
    r = account.post(f"/v1/customers/{cid}", {"name": "Ghost"})
    assert_error(r, 404, code="resource_missing", param="id", message=f"No such customer: '{cid}'")


def test_deleting_a_customer_detaches_its_payment_methods(account):
    # Stripe: a deleted customer's payment methods are detached (customer null) and, like any
    # detached method, cannot be used again; each sends payment_method.detached.
    cid = account.post("/v1/customers", {}).get_json()["id"]
    kept = []
    for _ in range(2):
        method = account.post("/v1/payment_methods", {"type": "card",
                                                      "card[token]": "tok_visa"}).get_json()
        account.post(f"/v1/payment_methods/{method['id']}/attach", {"customer": cid})
        kept.append(method["id"])
    loose = account.post("/v1/payment_methods", {"type": "card",
                                                 "card[token]": "tok_visa"}).get_json()["id"]
    assert account.delete(f"/v1/customers/{cid}").status_code == 200
    for method_id in kept:
        assert account.get(f"/v1/payment_methods/{method_id}").get_json()["customer"] is None
        r = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                                 "payment_method": method_id, "confirm": "true"})
        assert_error(r, 400, param="payment_method", message=messages.PAYMENT_METHOD_SPENT)
    events = account.get("/v1/events?type=payment_method.detached").get_json()["data"]
    assert sorted((e["data"]["object"]["id"], e["data"]["object"]["customer"],
                   e["data"]["previous_attributes"]["customer"]) for e in events) == sorted(
        (method_id, None, cid) for method_id in kept)
    # A method that was never the customer's is untouched, and still usable once.
    r = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                             "payment_method": loose, "confirm": "true"})
    assert r.get_json()["status"] == "succeeded", r.get_json()


def test_list_pagination_newest_first(account):
    ids = [account.post("/v1/customers", {"email": f"c{i}@example.com"}).get_json()["id"]
           for i in range(5)]
    page = account.get("/v1/customers?limit=2").get_json()
    assert page["object"] == "list" and page["url"] == "/v1/customers"
    assert page["has_more"] is True
    seen = [c["id"] for c in page["data"]]
    while page["has_more"]:
        page = account.get(f"/v1/customers?limit=2&starting_after={seen[-1]}").get_json()
        seen += [c["id"] for c in page["data"]]
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    back = account.get(f"/v1/customers?limit=2&ending_before={seen[-1]}").get_json()
    assert [c["id"] for c in back["data"]] == seen[-3:-1]
    assert back["has_more"] is True


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/charges", "/v1/events",
                                  "/sandbox/requests", "/sandbox/audit"])
def test_both_cursors_at_once_is_refused(account, path):
    # Every list takes one direction: a page after one object or before another, not both.
    r = account.client.get(f"{path}?starting_after=x_1&ending_before=x_2",
                           headers=account.session_auth if path.startswith("/sandbox")
                           else account.auth())
    assert_error(r, 400, message=messages.ONE_OF_PARAMS.format(
        params="ending_before, starting_after"))


def test_unknown_parameter(account):
    r = account.post("/v1/customers", {"emale": "x@example.com"})
    assert_error(r, 400, code="parameter_unknown", param="emale",
                 message="Received unknown parameter: emale")


def test_invalid_integer(account):
    r = account.post("/v1/customers", {"balance": "12.5"})
    assert_error(r, 400, code="parameter_invalid_integer", param="balance",
                 message="Invalid integer: 12.5")


@pytest.mark.parametrize("balance, message", [
    (2**31, "This value must be less than or equal to 99999999."),
    (100_000_000, "This value must be less than or equal to 99999999."),
    (-(2**31) - 1, "This value must be greater than or equal to -99999999."),
])
def test_balance_past_stripes_eight_digits(account, balance, message):
    # Beyond 32 bits PostgreSQL's INTEGER column overflowed: a 500, on create and on update.
    assert_error(account.post("/v1/customers", {"balance": balance}), 400,
                 code="parameter_invalid_integer", param="balance", message=message)
    assert account.get("/v1/customers").get_json()["data"] == []
    customer = account.post("/v1/customers", {"balance": -99_999_999}).get_json()
    assert customer["balance"] == -99_999_999
    r = account.post(f"/v1/customers/{customer['id']}", {"balance": balance})
    assert_error(r, 400, code="parameter_invalid_integer", param="balance", message=message)
    updated = account.post(f"/v1/customers/{customer['id']}", {"balance": 99_999_999})
    assert updated.get_json()["balance"] == 99_999_999


def test_limit_out_of_range(account):
    r = account.get("/v1/customers?limit=101")
    assert_error(r, 400, code="parameter_invalid_integer", param="limit",
                 message="This value must be less than or equal to 100.")


def test_metadata_key_too_long(account):
    r = account.post("/v1/customers", {f"metadata[{'k' * 41}]": "v"})
    assert_error(r, 400, param="metadata",
                 message=f"Invalid metadata: keys can be at most 40 characters long; "
                         f"{'k' * 41} is 41.")


def test_other_accounts_customers_are_invisible(account, make_account):
    cid = account.post("/v1/customers", {}).get_json()["id"]
    other = make_account()
    r = other.get(f"/v1/customers/{cid}")
    assert_error(r, 404, code="resource_missing", param="id",
                 message=messages.NO_SUCH.format(noun="customer", id=cid))
    assert other.get("/v1/customers").get_json()["data"] == []


def test_test_mode_customer_is_invisible_to_live_key(account):
    cid = account.post("/v1/customers", {}).get_json()["id"]
    live = account.activate()
    r = account.get(f"/v1/customers/{cid}", key=live)
    assert_error(r, 404, code="resource_missing", param="id",
                 message=f"No such customer: '{cid}'; a similar object exists in test mode, "
                         "but a live mode key was used to make this request.")
    created = account.post("/v1/customers", {}, key=live).get_json()
    assert created["livemode"] is True


def test_list_is_newest_first_even_within_one_second(account):
    ids = [account.post("/v1/customers", {}).get_json()["id"] for _ in range(6)]
    listed = [c["id"] for c in account.get("/v1/customers?limit=6").get_json()["data"]]
    assert listed == list(reversed(ids))


# Stripe can expand these; Payground shows them null here (no saved sources; no default payment
# method set: tests/api/test_charge_descriptive_fields.py sets one). Integrations expand them
# on every retrieve (stripe-node's
# `customers.retrieve(id, {expand: ['invoice_settings.default_payment_method']})` sends
# `expand[0]=invoice_settings.default_payment_method`): the answer is the customer, with null.
NULL_PATHS = ["default_source", "invoice_settings.default_payment_method"]


@pytest.mark.parametrize("path", NULL_PATHS)
def test_expanding_an_always_null_field_shows_null(account, path):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()

    r = account.get(f"/v1/customers/{customer['id']}?expand[0]={path}")

    assert r.status_code == 200, r.get_json()
    assert r.get_json() == customer


def test_through_a_list_an_update_and_a_charge_too(account):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()
    updated = account.post(f"/v1/customers/{customer['id']}",
                           {"name": "Jo", "expand[0]": NULL_PATHS[1], "expand[1]": NULL_PATHS[0]})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["invoice_settings"]["default_payment_method"] is None

    listed = account.get("/v1/customers?expand[]=data.default_source")
    assert listed.status_code == 200, listed.get_json()
    assert listed.get_json()["data"][0]["default_source"] is None

    charge = account.post("/v1/charges", {
        "amount": "2000", "currency": "usd", "source": "tok_visa", "customer": customer["id"],
        "expand[]": "customer.default_source"})
    assert charge.status_code == 200, charge.get_json()
    assert charge.get_json()["customer"]["id"] == customer["id"]
    assert charge.get_json()["customer"]["default_source"] is None


def test_a_field_that_is_not_expandable_is_still_refused(account):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()

    r = account.get(f"/v1/customers/{customer['id']}?expand[]=invoice_settings")

    assert_error(r, 400, param="expand",
                 message="This property cannot be expanded (invoice_settings).")
