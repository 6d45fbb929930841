"""Requests exactly as the official Node.js library (``stripe`` 23.2.0 on Node 20) sends them.

Node is not part of the test suite: these were captured from ``new Stripe(key, {host, port,
protocol: 'http'})`` calls against ``payground serve`` through a logging proxy (REVIEW.md), and
are replayed here byte for byte with ``requests`` (``payground_account.request``). What
stripe-node does that stripe-python does not: it pins a newer ``Stripe-Version``, sends an
``Idempotency-Key`` (``stripe-node-retry-<uuid>``) with every POST, leaves brackets
unencoded, sends ``Content-Type`` on GET and DELETE too, and turns a JavaScript ``null`` into
an empty value.
"""

from __future__ import annotations

import uuid

NODE_HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded",
    "User-Agent": "Stripe/v1 NodeBindings/23.2.0",
    "X-Stripe-Client-User-Agent": (
        '{"bindings_version":"23.2.0","lang":"node","typescript":"false",'
        '"lang_version":"v20.20.2","platform":"linux%206.18.44-fc-v1272%20x64",'
        '"httplib":"node","telemetry_id":"4c02fc0f31e1e41d9095eeb40d71af54"}'),
    "Stripe-Version": "2026-11-18.endive",
    "Connection": "keep-alive",
}


def node(account, method: str, path: str, body: str = "", **headers: str):
    """One request as stripe-node sends it (a POST with its automatic Idempotency-Key)."""
    sent = {**NODE_HEADERS, **headers}
    if method == "POST":
        sent.setdefault("Idempotency-Key", f"stripe-node-retry-{uuid.uuid4()}")
    return account.request(method, path, headers=sent,
                           data=body.encode() if method == "POST" else None)


def test_the_answer_names_the_version_node_asked_for(payground_account):
    made = node(payground_account, "POST", "/v1/customers",
                "email=a%40example.com&name=A&metadata[order]=1&metadata[empty]=")

    assert made.status_code == 200, made.json()
    # stripe-node's lastResponse.apiVersion and its 'response' event read this header.
    assert made.headers["Stripe-Version"] == "2026-11-18.endive"
    assert made.headers["Idempotency-Key"].startswith("stripe-node-retry-")
    assert made.json()["metadata"] == {"order": "1"}


def test_null_unsets_a_customers_email_and_description(payground_account):
    # stripe.customers.update(id, {email: null, description: null})
    made = node(payground_account, "POST", "/v1/customers",
                "email=a%40example.com&description=VIP").json()

    updated = node(payground_account, "POST", f"/v1/customers/{made['id']}",
                   "email=&description=")

    assert updated.status_code == 200, updated.json()
    assert (updated.json()["email"], updated.json()["description"]) == (None, None)


def test_expand_and_search_as_node_sends_them(payground_account):
    made = node(payground_account, "POST", "/v1/customers", "email=a%40example.com").json()

    # stripe.customers.retrieve(id, {expand: ['invoice_settings.default_payment_method']})
    got = node(payground_account, "GET", f"/v1/customers/{made['id']}"
               "?expand[0]=invoice_settings.default_payment_method")
    assert got.status_code == 200, got.json()
    assert got.json()["invoice_settings"]["default_payment_method"] is None

    # stripe.customers.search({query: "email:'a@example.com'"})
    searched = node(payground_account, "GET",
                    "/v1/customers/search?query=email%3A%27a%40example.com%27")
    assert searched.status_code == 200, searched.json()
    assert searched.json()["object"] == "search_result"
    assert [c["id"] for c in searched.json()["data"]] == [made["id"]]


def test_a_delete_with_content_type_and_no_body(payground_account):
    made = node(payground_account, "POST", "/v1/customers", "email=a%40example.com").json()

    deleted = node(payground_account, "DELETE", f"/v1/customers/{made['id']}")

    assert deleted.status_code == 200, deleted.json()
    assert deleted.json() == {"id": made["id"], "object": "customer", "deleted": True}
