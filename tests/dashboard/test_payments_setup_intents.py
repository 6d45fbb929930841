"""The Setup intents page: the mode's SetupIntents newest first, paged as the other lists,
each with its card (one query for the page's), and never a client secret nor a 3-D Secure
link."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import event

from payground import messages
from payground.dashboard.filters import time_tag
from tests.dashboard.conftest import Dashboard, shown_secrets, text, v1
from tests.dashboard.test_payments import listed, post
from tests.dashboard.test_search_links import href, mode_form, switch

PAGE = "/dashboard/setup_intents"


def made(client, key, **data) -> dict:
    return post(client, key, "/v1/setup_intents", **data)


def row(response, intent_id: str) -> str:
    """The table row of ``intent_id``, its markup as sent."""
    return re.search(rf'<tr>((?:(?!</tr>).)*<code>{intent_id}</code>.*?)</tr>',
                     response.get_data(as_text=True), re.S).group(1)


def cells(response, intent_id: str) -> list[str]:
    """The row's header and cells as text: a note (``<div>``) after a space, other markup
    dropped, spaces squeezed."""
    found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row(response, intent_id), re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", re.sub(r"<div[^>]*>", " ", c)).split())
            for c in found]


@pytest.fixture
def live_key(dash, signed_in) -> str:
    """Live mode activated (the dashboard then shows it); its secret key."""
    r = dash.post("/dashboard/activate", {})
    assert r.status_code == 200
    return next(k for k in shown_secrets(r) if k.startswith("sk_live_"))


def test_the_page_shows_each_intents_status_card_usage_customer_and_time(dash, signed_in,
                                                                         client):
    key = signed_in.secret_key
    # The account's clock ahead of the wall's: the page shows its time.
    assert dash.post("/dashboard/clock", {"advance": "custom", "custom": "3d"}).status_code == 303
    customer = post(client, key, "/v1/customers", email="ada@example.com")["id"]
    saved = made(client, key, customer=customer, payment_method="pm_card_visa", confirm="true")
    waiting = made(client, key, usage="on_session", customer=customer)
    asked = made(client, key, payment_method="pm_card_authenticationRequired", confirm="true",
                 return_url="https://shop.example/done")
    declined = v1(client, "/v1/setup_intents", key, method="post", data={
        "payment_method": "pm_card_chargeDeclinedInsufficientFunds", "confirm": "true"})
    assert declined.status_code == 402, declined.get_json()
    declined = declined.get_json()["error"]["setup_intent"]
    canceled = made(client, key)
    canceled = post(client, key, f"/v1/setup_intents/{canceled['id']}/cancel",
                    cancellation_reason="abandoned")
    assert saved["created"] > time.time() + 2 * 86400  # made on the account's clock
    assert [saved["status"], asked["status"], declined["status"]] == [
        "succeeded", "requires_action", "requires_payment_method"]

    page = dash.get(PAGE)
    assert listed(page) == [canceled["id"], declined["id"], asked["id"], waiting["id"],
                            saved["id"]]
    assert cells(page, saved["id"]) == [
        f"Visa ·· 4242 {saved['id']}", "succeeded", "off_session", saved["payment_method"],
        customer, time_tag(saved["created"]).striptags()]
    assert '<span class="badge badge-succeeded">succeeded</span>' in row(page, saved["id"])
    assert time_tag(saved["created"]) in row(page, saved["id"])
    assert cells(page, waiting["id"])[:5] == [
        f"No card yet {waiting['id']}", "requires_payment_method", "on_session", "", customer]
    assert cells(page, asked["id"])[:5] == [
        f"Visa ·· 3184 {asked['id']}", "requires_action", "off_session",
        asked["payment_method"], ""]
    assert '<span class="badge badge-requires_action">requires_action</span>' in row(
        page, asked["id"])
    assert cells(page, declined["id"])[:2] == [
        f"No card yet {declined['id']}", "requires_payment_method insufficient_funds: "
        + declined["last_setup_error"]["message"]]
    assert cells(page, canceled["id"])[:2] == [f"No card yet {canceled['id']}",
                                               "canceled abandoned"]
    # Nothing secret: no client secret, nor the 3-D Secure page's link (whoever holds it
    # answers for the customer; the Payment intents page offers none either).
    body = page.get_data(as_text=True)
    for intent in (saved, waiting, asked, declined, canceled):
        assert intent["client_secret"] not in body
    assert "_secret_" not in body and "/3d_secure/" not in body and "token=" not in body


def test_the_page_is_in_the_nav_and_reads_as_a_table(dash, signed_in, client):
    made(client, signed_in.secret_key)
    page = dash.get(PAGE)
    body = page.get_data(as_text=True)
    assert "<title>Setup intents · Payground</title>" in body
    assert '<a href="/dashboard/setup_intents" aria-current="page">Setup intents</a>' in body
    # Next to Payment intents in the nav.
    nav = re.findall(r'<li><a href="(/dashboard/\w+)"', body)
    assert nav[nav.index("/dashboard/payment_intents") + 1] == PAGE
    assert '<caption class="sr-only">Setup intents</caption>' in body
    assert re.findall(r'<th scope="col">([^<]+)</th>', body) == [
        "Card", "Status", "Usage", "Payment method", "Customer", "Created"]
    assert body.count('<th scope="row">') == 1
    # Another page's nav links to it, not as the current page.
    assert '<a href="/dashboard/setup_intents">Setup intents</a>' in text(
        dash.get("/dashboard/payment_intents"))


def test_an_empty_page_says_how_to_fill_it(dash, signed_in):
    page = dash.get(PAGE)
    assert page.status_code == 200 and listed(page) == []
    assert ("No setup intents in test mode yet. Create one with <code>POST /v1/setup_intents"
            "</code>") in text(page)
    assert "<table" not in text(page)


def test_the_page_pages_through_newest_first(dash, signed_in, client):
    ids = [made(client, signed_in.secret_key)["id"] for _ in range(27)]
    first = dash.get(PAGE)
    assert listed(first) == ids[::-1][:25]
    assert '<nav class="pager" aria-label="Setup intents pages">' in text(first)
    older = href(first, "Older →")
    assert older == f"{PAGE}?starting_after={ids[2]}"
    second = dash.get(older)
    assert listed(second) == ids[1::-1]
    assert "Older →" not in text(second)
    assert href(second, "← Newer") == f"{PAGE}?ending_before={ids[1]}"
    assert listed(dash.get(href(second, "← Newer"))) == ids[::-1][:25]


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_an_unknown_cursor_is_a_400_on_the_page(dash, signed_in, client, cursor):
    made(client, signed_in.secret_key)
    r = dash.get(PAGE, query_string={cursor: "seti_nope"})
    assert r.status_code == 400
    assert ('<div class="alert alert-error" role="alert">'
            + messages.NO_SUCH.format(noun="setupintent", id="seti_nope") + "</div>") in text(r)
    assert "<table" not in text(r)
    # Another list's row is no setup intent either.
    customer = post(client, signed_in.secret_key, "/v1/customers")["id"]
    r = dash.get(PAGE, query_string={cursor: customer})
    assert r.status_code == 400
    assert messages.NO_SUCH.format(noun="setupintent", id=customer) in text(r)


def test_each_mode_shows_its_own_and_the_switch_leaves_the_cursor(dash, signed_in, client,
                                                                 live_key):
    test_ids = [made(client, signed_in.secret_key)["id"] for _ in range(27)]
    live = made(client, live_key, usage="on_session")
    # Live mode shown since the activation.
    assert listed(dash.get(PAGE)) == [live["id"]]
    assert "live mode" in text(dash.get(PAGE))
    # A test intent as a live page's cursor: refused, saying where it is.
    r = dash.get(PAGE, query_string={"starting_after": test_ids[0]})
    assert r.status_code == 400
    assert messages.NO_SUCH_OTHER_MODE.format(noun="setupintent", id=test_ids[0],
                                              other="test", mode="live") in text(r)

    assert dash.post("/dashboard/mode", {"mode": "test"}).status_code == 303
    assert listed(dash.get(PAGE)) == test_ids[::-1][:25]
    older = dash.get(PAGE, query_string={"starting_after": test_ids[2]})
    assert listed(older) == test_ids[1::-1]
    # No filter to carry: the switch leads to the other mode's first page, never the cursor.
    assert mode_form(older)["next"] == PAGE
    r = switch(dash, older, "live")
    assert r.status_code == 303 and r.headers["Location"] == PAGE
    assert listed(dash.get(r.headers["Location"])) == [live["id"]]
    # Nor one written into the switch's form by hand.
    r = dash.post("/dashboard/mode", {"mode": "test", "next": f"{PAGE}?starting_after="
                                      f"{test_ids[2]}&customer=cus_x"})
    assert r.status_code == 303 and r.headers["Location"] == PAGE


def test_another_accounts_intents_are_never_shown(app, dash, signed_in, client):
    mine = made(client, signed_in.secret_key)["id"]
    other = Dashboard(app.test_client()).signup()
    customer = post(client, other.secret_key, "/v1/customers")["id"]
    theirs = made(client, other.secret_key, customer=customer, payment_method="pm_card_visa",
                  confirm="true")
    page = dash.get(PAGE)
    assert listed(page) == [mine]
    for value in (theirs["id"], theirs["payment_method"], customer):
        assert value not in text(page)
    # Their intent as a cursor: as unknown as a made-up one.
    r = dash.get(PAGE, query_string={"starting_after": theirs["id"]})
    assert r.status_code == 400
    assert messages.NO_SUCH.format(noun="setupintent", id=theirs["id"]) in text(r)


def test_the_cards_take_one_query_whatever_the_rows(app, dash, signed_in, client):
    """No query per row: the page's cards in one query, for one row as for five; no
    customer looked up (the page shows their ids only)."""
    def queries() -> int:
        from payground.models.base import db

        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert dash.get(PAGE).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return [len([s for s in seen if f"FROM {table}" in s])
                for table in ("payment_methods", "customers")]

    def saved():
        return made(client, signed_in.secret_key, payment_method="pm_card_mastercard",
                    confirm="true")

    first = saved()
    one = queries()
    rest = [saved() for _ in range(4)]
    assert queries() == one == [1, 0]
    page = dash.get(PAGE)
    for intent in (first, *rest):
        assert cells(page, intent["id"])[0] == f"Mastercard ·· 4444 {intent['id']}"
