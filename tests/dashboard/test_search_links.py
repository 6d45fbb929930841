"""Where the Customers, Charges and Payment intents pages' links lead: the Test/Live switch
keeps the search query and drops the cursors (bound to the mode); the search box, "Clear" and
the pagers carry only what their page means. A cursor of another mode or resource is refused
on the page, never a 500."""

from __future__ import annotations

import html
import re
from unittest.mock import ANY
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from payground import messages
from tests.dashboard.conftest import shown_secrets, v1
from tests.dashboard.test_payments import listed, post
from tests.dashboard.test_search import PAGES, alert, box, listed_rows, next_link, search

NOUNS = {"customers": "customer", "charges": "charge", "payment_intents": "payment_intent"}


def mode_form(response) -> dict[str, str]:
    """The Test/Live switch's hidden fields, as the browser sends them (CSRF token included)."""
    form = re.search(r'<form class="mode-switch".*?</form>', response.get_data(as_text=True),
                     re.S).group(0)
    return {name: html.unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)}


def switch(dash, response, mode: str):
    """Press the switch's ``mode`` button on the page ``response`` shows."""
    return dash.post("/dashboard/mode", {**mode_form(response), "mode": mode})


def href(response, label: str) -> str:
    found = re.search(rf'<a href="([^"]+)"[^>]*>{re.escape(label)}</a>',
                      response.get_data(as_text=True))
    return html.unescape(found.group(1))


def make(client, key: str, resource: str, n: int) -> str:
    """A new object of ``resource`` in the key's mode; its id."""
    if resource == "charges" and key.startswith("sk_live_"):
        # A test card in live mode: declined, and the failed charge is a live charge all the
        # same (a live card needs a token made with the publishable key: more than needed).
        r = v1(client, "/v1/charges", key, method="post",
               data={"amount": "500", "currency": "usd", "source": "tok_visa"})
        assert r.status_code == 402, r.get_json()
        return r.get_json()["error"]["charge"]
    data = {"customers": {"email": f"c{n}@example.com"},
            "charges": {"amount": "500", "currency": "usd", "source": "tok_visa"},
            "payment_intents": {"amount": "500", "currency": "usd"}}[resource]
    return post(client, key, f"/v1/{resource}", **data)["id"]


@pytest.fixture
def live_key(dash, signed_in) -> str:
    """Live mode activated (the dashboard then shows live mode); its secret key."""
    r = dash.post("/dashboard/activate", {})
    assert r.status_code == 200
    return next(k for k in shown_secrets(r) if k.startswith("sk_live_"))


def test_the_switch_keeps_the_query_in_the_other_mode(dash, signed_in, client, live_key):
    query = "email:'a@b.c'"
    test_ab = post(client, signed_in.secret_key, "/v1/customers", email="a@b.c")
    post(client, signed_in.secret_key, "/v1/customers", email="other@b.c")
    live_ab = post(client, live_key, "/v1/customers", email="a@b.c")
    post(client, live_key, "/v1/customers", email="other@b.c")
    assert dash.post("/dashboard/mode", {"mode": "test"}).status_code == 303

    page = search(dash, "customers", query)
    assert listed(page) == [test_ab["id"]]
    assert mode_form(page)["next"] == "/dashboard/customers?" + urlencode({"query": query})
    r = switch(dash, page, "live")
    assert r.status_code == 303
    assert r.headers["Location"] == "/dashboard/customers?" + urlencode({"query": query})
    live = dash.get(r.headers["Location"])
    assert listed(live) == [live_ab["id"]]
    assert box(live) == query
    # And back.
    r = switch(dash, live, "test")
    assert r.headers["Location"] == "/dashboard/customers?" + urlencode({"query": query})
    assert listed(dash.get(r.headers["Location"])) == [test_ab["id"]]


@pytest.mark.parametrize("resource", PAGES)
def test_the_switch_drops_the_searchs_page_cursor(dash, signed_in, client, live_key,
                                                  resource):
    """The next page's cursor is signed for this mode (another mode's is refused): the other
    mode's search starts at its first page."""
    assert dash.post("/dashboard/mode", {"mode": "test"}).status_code == 303
    for n in range(26):
        make(client, signed_in.secret_key, resource, n)
    live_id = make(client, live_key, resource, 0)
    second = dash.get(next_link(search(dash, resource, "created>0")))
    assert second.status_code == 200 and len(listed(second)) == 1
    assert mode_form(second)["next"] == f"/dashboard/{resource}?query=created%3E0"
    r = switch(dash, second, "live")
    assert r.headers["Location"] == f"/dashboard/{resource}?query=created%3E0"
    live = dash.get(r.headers["Location"])
    assert listed(live) == [live_id]
    assert "← First" not in html.unescape(live.get_data(as_text=True))


@pytest.mark.parametrize("resource", PAGES)
def test_the_switch_drops_a_lists_cursor(dash, signed_in, client, live_key, resource):
    assert dash.post("/dashboard/mode", {"mode": "test"}).status_code == 303
    ids = [make(client, signed_in.secret_key, resource, n) for n in range(27)]
    older = dash.get(f"/dashboard/{resource}", query_string={"starting_after": ids[2]})
    assert listed(older) == ids[1::-1]
    assert mode_form(older) == {"csrf_token": ANY, "next": f"/dashboard/{resource}"}
    r = switch(dash, older, "live")
    assert r.status_code == 303 and r.headers["Location"] == f"/dashboard/{resource}"
    assert listed(dash.get(r.headers["Location"])) == []


def test_a_refused_query_comes_along_to_be_corrected(dash, signed_in, live_key):
    page = search(dash, "customers", "email:jo")
    assert page.status_code == 400
    r = switch(dash, page, "test")
    assert r.headers["Location"] == "/dashboard/customers?query=email%3Ajo"
    again = dash.get(r.headers["Location"])
    assert again.status_code == 400 and alert(again) == alert(page)
    assert box(again) == "email:jo"


def test_a_query_shown_masked_is_not_carried(dash, signed_in, client, live_key):
    """Refused on its page (it holds a secret's shape): the switch's address would hold it."""
    query = 'name:"rt_abcdefghijklmnopqrstuvwxyz"'
    page = search(dash, "customers", query)
    assert page.status_code == 400
    assert alert(page) == messages.SEARCH_QUERY_MASKED.format(path="/v1/customers")
    assert mode_form(page) == {"csrf_token": ANY, "next": "/dashboard/customers"}
    # Nor one sent by hand.
    r = dash.post("/dashboard/mode", {"mode": "test", "next": "/dashboard/customers?"
                                      + urlencode({"query": query})})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/customers"


@pytest.mark.parametrize("next_path, location", [
    ("/dashboard/charges", "/dashboard/charges?query=amount%3E1"),
    ("/dashboard/refunds", "/dashboard/refunds"),  # no search box there
    ("/dashboard/keys", "/dashboard/keys"),
    ("/dashboard/../v1/charges", "/dashboard/keys"),
])
def test_only_a_search_page_gets_the_query(dash, signed_in, next_path, location):
    r = dash.post("/dashboard/mode", {"mode": "test", "next": next_path + "?query=+amount>1+"})
    assert r.status_code == 303 and r.headers["Location"] == location


@pytest.mark.parametrize("query", ["starting_after=ch_x", "ending_before=ch_x&limit=5",
                                   "page=abc&query=", "query=&query=amount>1"])
def test_a_hand_made_next_keeps_no_cursor(dash, signed_in, query):
    """Only what the page's own switch would carry (the first ``query``, as the page reads
    it): a cursor or a limit sent by hand is left behind too."""
    r = dash.post("/dashboard/mode", {"mode": "test", "next": "/dashboard/charges?" + query})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/charges"


def test_live_before_activation_still_leads_to_activating_it(dash, signed_in):
    page = search(dash, "customers", "created>0")
    r = switch(dash, page, "live")
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/activate"


@pytest.mark.parametrize("resource", PAGES)
def test_the_search_box_and_clear_start_afresh(dash, signed_in, client, resource):
    """Sent from a list's later page the box (a GET form: its fields replace the address's
    query) searches from the first result; "Clear" is the list's first page."""
    ids = [make(client, signed_in.secret_key, resource, n) for n in range(27)]
    older = dash.get(f"/dashboard/{resource}", query_string={"starting_after": ids[2]})
    form = re.search(r'<form method="get" class="filters search" role="search" '
                     r'action="([^"]+)">(.*?)</form>', older.get_data(as_text=True), re.S)
    assert form.group(1) == f"/dashboard/{resource}"
    assert re.findall(r'<input[^>]* name="(\w+)"', form.group(2)) == ["query"]
    assert "Clear</a>" not in older.get_data(as_text=True)  # nothing to clear

    first = search(dash, resource, "created>0")
    second = dash.get(next_link(first))
    assert href(second, "Clear") == f"/dashboard/{resource}"
    assert href(second, "← First") == f"/dashboard/{resource}?query=created%3E0"
    assert listed(dash.get(href(second, "Clear"))) == ids[::-1][:25]


def test_a_limit_is_not_carried_into_the_pages_links(dash, signed_in, client):
    """Every page is 25 rows whatever ``limit`` says: the links don't suggest otherwise."""
    ids = [make(client, signed_in.secret_key, "customers", n) for n in range(27)]
    listing = dash.get("/dashboard/customers", query_string={"limit": "5"})
    assert listed(listing) == ids[::-1][:25]
    assert href(listing, "Older →") == f"/dashboard/customers?starting_after={ids[2]}"
    found = search(dash, "customers", 'email~"example.com"', limit="5")
    assert listed(found) == ids[::-1][:25]
    link = urlsplit(next_link(found))
    assert link.path == "/dashboard/customers"
    assert sorted(parse_qs(link.query)) == ["page", "query"]


@pytest.mark.parametrize("resource", PAGES)
@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_a_list_cursor_of_the_other_mode_is_refused_on_the_page(dash, signed_in, client,
                                                                live_key, resource, cursor):
    test_id = make(client, signed_in.secret_key, resource, 0)
    make(client, live_key, resource, 1)
    r = dash.get(f"/dashboard/{resource}", query_string={cursor: test_id})
    assert r.status_code == 400
    assert alert(r) == messages.NO_SUCH_OTHER_MODE.format(
        noun=NOUNS[resource], id=test_id, other="test", mode="live")
    assert listed_rows(r) == [] and box(r) == ""
    # A search pages with its own cursor: the list's is ignored there, whatever its mode.
    assert len(listed(search(dash, resource, "created>0", **{cursor: test_id}))) == 1


@pytest.mark.parametrize("resource", PAGES)
def test_a_cursor_of_another_resource_is_refused_on_the_page(dash, signed_in, client,
                                                             resource):
    others = {other: make(client, signed_in.secret_key, other, 0) for other in PAGES}
    for other, other_id in others.items():
        if other == resource:
            continue
        r = dash.get(f"/dashboard/{resource}", query_string={"starting_after": other_id})
        assert r.status_code == 400
        assert alert(r) == messages.NO_SUCH.format(noun=NOUNS[resource], id=other_id)
        assert listed_rows(r) == []


@pytest.mark.parametrize("resource", PAGES)
def test_a_search_page_of_the_other_mode_is_refused_on_the_page(dash, signed_in, client,
                                                                live_key, resource):
    for n in range(2):
        make(client, signed_in.secret_key, resource, n)
    make(client, live_key, resource, 0)
    api = client.get(f"/v1/{resource}/search", query_string={"query": "created>0", "limit": 1},
                     headers={"Authorization": f"Bearer {signed_in.secret_key}"}).get_json()
    r = search(dash, resource, "created>0", page=api["next_page"])
    assert r.status_code == 400 and alert(r) == messages.SEARCH_PAGE_INVALID
    assert listed_rows(r) == [] and box(r) == "created>0"
    # The switch to the cursor's own mode leaves it behind too: that mode's first page.
    r = switch(dash, r, "test")
    assert r.headers["Location"] == f"/dashboard/{resource}?query=created%3E0"
    assert len(listed(dash.get(r.headers["Location"]))) == 2
