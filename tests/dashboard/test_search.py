"""The search box of the Customers, Charges and Payment intents pages: the query language of
``GET /v1/.../search``, in a page (same service, same messages, same cursors)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from payground import messages
from payground.http.validation import shown
from tests.dashboard.conftest import shown_secrets, text, v1
from tests.dashboard.test_payments import listed, post

PAGES = ("customers", "charges", "payment_intents")


def search(dash, resource: str, query: str, **more):
    return dash.get(f"/dashboard/{resource}", query_string={"query": query, **more})


def box(response) -> str:
    """What the search box holds, as the browser reads it."""
    found = re.search(r'<input id="f-query" name="query" type="search" value="([^"]*)"',
                      response.get_data(as_text=True))
    return html.unescape(found.group(1))


def alert(response) -> str:
    """The page's error area (what ``alert()`` shows), entities decoded."""
    found = re.search(r'<div class="alert alert-error" role="alert">(.*?)</div>',
                      response.get_data(as_text=True), re.S)
    return html.unescape(found.group(1)) if found else ""


def listed_rows(response) -> list[str]:
    """The ids of the rows shown, whatever the status (``listed`` wants a 200)."""
    return re.findall(r'<div class="note"><code>(\w+)</code></div>',
                      response.get_data(as_text=True))


def next_link(response) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">Next →</a>', response.get_data(as_text=True))
    return html.unescape(found.group(1)) if found else None


def api_search(client, key: str, resource: str, **params) -> dict:
    r = v1(client, f"/v1/{resource}/search", key, query_string=params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_search_shows_what_it_finds_newest_first_and_keeps_the_query(dash, signed_in, client):
    key = signed_in.secret_key
    ada = post(client, key, "/v1/customers", name="Ada", email="ada@example.com")
    post(client, key, "/v1/customers", name="Bob", email="bob@elsewhere.org")
    cy = post(client, key, "/v1/customers", name="Cy", email="cy@example.com",
              **{"metadata[plan]": "pro"})

    page = search(dash, "customers", 'email~"example.com"')
    assert listed(page) == [cy["id"], ada["id"]]
    assert box(page) == 'email~"example.com"'
    assert listed(search(dash, "customers", 'metadata["plan"]:"pro"')) == [cy["id"]]
    # What the API's search finds, in the same order.
    found = api_search(client, key, "customers", query='email~"example.com"')
    assert [c["id"] for c in found["data"]] == listed(page)

    none = search(dash, "customers", 'email:"nobody@example.com"')
    assert listed(none) == []
    assert "No customers in test mode match this search." in text(none)


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_is_the_list(dash, signed_in, client, query):
    ids = [post(client, signed_in.secret_key, "/v1/customers")["id"] for _ in range(2)]
    page = search(dash, "customers", query)
    assert listed(page) == ids[::-1]
    assert box(page) == ""
    assert "Clear</a>" not in text(page)


def test_charges_and_payment_intents_search(dash, signed_in, client):
    key = signed_in.secret_key
    big = post(client, key, "/v1/charges", amount="5000", currency="usd", source="tok_visa")
    post(client, key, "/v1/charges", amount="500", currency="usd", source="tok_visa")
    failed = v1(client, "/v1/charges", key, method="post", data={
        "amount": "2000", "currency": "usd", "source": "tok_chargeDeclined"})
    assert failed.status_code == 402
    failed_id = failed.get_json()["error"]["charge"]
    assert listed(search(dash, "charges", 'status:"failed" AND amount>1000')) == [failed_id]
    assert listed(search(dash, "charges", 'status:"succeeded" AND amount>1000')) == [big["id"]]

    intent = post(client, key, "/v1/payment_intents", amount="6000", currency="usd")
    post(client, key, "/v1/payment_intents", amount="100", currency="usd")
    assert listed(search(dash, "payment_intents", "amount>=5000")) == [intent["id"]]


@pytest.mark.parametrize("resource", PAGES)
def test_the_hints_examples_are_queries_the_page_takes(dash, signed_in, resource):
    page = dash.get(f"/dashboard/{resource}")
    hint = re.search(r'<p class="hint" id="f-query-hint">(.*?)</p>', page.get_data(as_text=True),
                     re.S).group(1)
    examples = [html.unescape(e) for e in re.findall(r"<code>([^<]+)</code>", hint)][1:]
    assert len(examples) == 2
    for example in examples:
        r = search(dash, resource, example)
        assert r.status_code == 200, (example, alert(r))
        assert box(r) == example


def test_the_other_list_pages_have_no_search_box(dash, signed_in):
    for path in ("/dashboard/refunds", "/dashboard/payouts"):
        r = dash.get(path, query_string={"query": "nope"})
        assert r.status_code == 200 and 'name="query"' not in r.get_data(as_text=True)


def test_results_page_with_the_searchs_cursor(dash, signed_in, client):
    key = signed_in.secret_key
    ids = [post(client, key, "/v1/customers", email=f"c{n}@example.com")["id"] for n in range(27)]
    post(client, key, "/v1/customers", email="other@elsewhere.org")

    first = search(dash, "customers", 'email~"example.com"')
    assert listed(first) == ids[::-1][:25]
    assert "← First" not in text(first)
    link = next_link(first)
    args = parse_qs(urlsplit(link).query)
    assert urlsplit(link).path == "/dashboard/customers"
    assert args["query"] == ['email~"example.com"'] and len(args["page"]) == 1

    second = dash.get(link)
    assert listed(second) == ids[::-1][25:]
    assert box(second) == 'email~"example.com"'
    assert next_link(second) is None
    first_link = re.search(r'<a href="([^"]+)">← First</a>', second.get_data(as_text=True))
    assert listed(dash.get(html.unescape(first_link.group(1)))) == ids[::-1][:25]

    # The API's next_page pages here too (the same signature), and the page's the API.
    api_page = api_search(client, key, "customers", query='email~"example.com"', limit=25)
    assert listed(search(dash, "customers", 'email~"example.com"',
                         page=api_page["next_page"])) == ids[::-1][25:]
    found = api_search(client, key, "customers", query='email~"example.com"',
                       page=args["page"][0])
    assert [c["id"] for c in found["data"]] == ids[::-1][25:]


@pytest.mark.parametrize("resource, query, message", [
    ("customers", "email:jo", messages.SEARCH_SYNTAX.format(
        at=7, what=messages.SEARCH_UNQUOTED.format(field="email", operator=":", word="jo"))),
    ("customers", 'foo:"x"', messages.SEARCH_FIELD_UNSUPPORTED.format(
        field="foo", resource="customers", anchor="customers")),
    ("charges", 'amount>"lots"', messages.SEARCH_NOT_AN_INTEGER.format(
        field="amount", value="lots")),
    ("payment_intents", 'status:"canceled" AND currency:"usd" OR amount>1',
     messages.SEARCH_AND_OR),
    ("customers", "x" * 5001,
     f"Invalid string: {shown('x' * 5001)}; must be at most 5000 characters"),
])
def test_a_refused_query_is_a_400_saying_why(dash, signed_in, client, resource, query, message):
    r = search(dash, resource, query)
    assert r.status_code == 400
    assert alert(r) == message
    # The API's own message, word for word.
    api = v1(client, f"/v1/{resource}/search", signed_in.secret_key,
             query_string={"query": query})
    assert api.status_code == 400 and api.get_json()["error"]["message"] == alert(r)
    assert box(r) == query  # kept, to be corrected
    assert listed_rows(r) == []


def test_the_query_and_its_message_are_escaped(dash, signed_in):
    query = 'email:<script>alert(1)</script>'
    r = search(dash, "customers", query)
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "<script>alert" not in body
    assert 'value="email:&lt;script&gt;alert(1)&lt;/script&gt;"' in body
    assert alert(r) == messages.SEARCH_SYNTAX.format(
        at=7, what=messages.SEARCH_UNQUOTED.format(field="email", operator=":",
                                                    word="<script>alert(1)</script>"))
    ok = search(dash, "customers", 'name:"\\"><b>hi</b>"')
    assert ok.status_code == 200
    assert "<b>hi</b>" not in ok.get_data(as_text=True)
    assert box(ok) == 'name:"\\"><b>hi</b>"'


def test_a_cursor_of_another_query_account_or_mode_is_refused(dash, signed_in, client,
                                                               make_account):
    key = signed_in.secret_key
    for n in range(3):
        post(client, key, "/v1/customers", email=f"c{n}@example.com")
    mine = api_search(client, key, "customers", query='email~"example.com"', limit=1)
    other = make_account()
    for n in range(3):
        post(client, other.secret_key, "/v1/customers", email=f"o{n}@example.com")
    theirs = api_search(client, other.secret_key, "customers", query='email~"example.com"',
                        limit=1)
    assert mine["next_page"] and theirs["next_page"]

    for query, cursor in (('email~"example"', mine["next_page"]),  # another query
                          ('email~"example.com"', theirs["next_page"]),  # another account
                          ('email~"example.com"', "not-a-cursor")):
        r = search(dash, "customers", query, page=cursor)
        assert r.status_code == 400
        assert alert(r) == messages.SEARCH_PAGE_INVALID
        assert listed_rows(r) == []
    # ... another resource, with the same query
    by_date = api_search(client, key, "customers", query="created>0", limit=1)["next_page"]
    assert listed(search(dash, "customers", "created>0", page=by_date)) != []
    r = search(dash, "charges", "created>0", page=by_date)
    assert r.status_code == 400 and alert(r) == messages.SEARCH_PAGE_INVALID

    # ... another mode: the test cursor in live mode.
    assert dash.post("/dashboard/activate", {}).status_code == 200
    r = search(dash, "customers", 'email~"example.com"', page=mine["next_page"])
    assert r.status_code == 400 and alert(r) == messages.SEARCH_PAGE_INVALID


def test_a_search_shows_this_accounts_rows_of_the_mode_shown(dash, signed_in, client,
                                                             make_account):
    other = make_account()
    theirs = post(client, other.secret_key, "/v1/customers", email="jo@example.com")
    test_jo = post(client, signed_in.secret_key, "/v1/customers", email="jo@example.com")
    r = dash.post("/dashboard/activate", {})
    assert r.status_code == 200
    live_key = next(k for k in shown_secrets(r) if k.startswith("sk_live_"))
    live_jo = post(client, live_key, "/v1/customers", email="jo@example.com")

    query = 'email:"jo@example.com"'
    assert listed(search(dash, "customers", query)) == [live_jo["id"]]  # live, after activation
    assert dash.post("/dashboard/mode", {"mode": "test"}).status_code == 303
    assert listed(search(dash, "customers", query)) == [test_jo["id"]]
    assert dash.post("/dashboard/mode", {"mode": "live"}).status_code == 303
    page = search(dash, "customers", query)
    assert listed(page) == [live_jo["id"]]
    assert theirs["id"] not in page.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    'name:"rt_abcdefghijklmnopqrstuvwxyz"',  # a refresh token's shape
    'email~"example.com" OR name:"ac_abcdefghijklmnopqrstuvwx"',  # an authorization code's
    'metadata["cart_abcdefghijklmnopqrstuvwx"]:"1"',  # the same inside a word
])
def test_a_query_the_page_would_mask_is_refused_saying_so(dash, signed_in, client, query):
    """The box and the pages' links show the query masked: one that masking changes would be
    searched, then its Next link would page the masked query with the real one's cursor (a
    400 "Invalid page"). Refused at once, saying why and where it can be searched."""
    for n in range(26):
        post(client, signed_in.secret_key, "/v1/customers", email=f"c{n}@example.com")
    r = search(dash, "customers", query)
    assert r.status_code == 400
    assert alert(r) == messages.SEARCH_QUERY_MASKED.format(path="/v1/customers")
    assert listed_rows(r) == [] and next_link(r) is None
    secret = re.search(r"(?:ac|rt)_\w+", query).group(0)
    assert secret not in r.get_data(as_text=True)
    assert box(r) != query and "..." in box(r)  # shown masked, as every echoed value
    # The API searches it (it does not show it back).
    api = v1(client, "/v1/customers/search", signed_in.secret_key,
             query_string={"query": query})
    assert api.status_code == 200


def test_list_cursors_are_ignored_by_a_search_and_dropped_from_its_links(dash, signed_in,
                                                                           client):
    ids = [post(client, signed_in.secret_key, "/v1/customers",
                email=f"c{n}@example.com")["id"] for n in range(27)]
    query = 'email~"example.com"'
    # starting_after and ending_before are the list's: a search pages with its own ``page``
    # (both together, which the list refuses, are ignored as well).
    r = search(dash, "customers", query, starting_after=ids[5], ending_before=ids[20])
    assert listed(r) == ids[::-1][:25]
    link = next_link(r)
    args = parse_qs(urlsplit(link).query)
    assert sorted(args) == ["page", "query"]
    assert listed(dash.get(link)) == ids[::-1][25:]
    # A blank page cursor is the first page: no "← First" link to itself.
    first = search(dash, "customers", query, page="   ")
    assert listed(first) == ids[::-1][:25]
    assert "← First" not in text(first) and next_link(first) == link
    # And a search's ``page`` without a query is no cursor of the list: its first page,
    # whose Older link does not carry it.
    cursor = args["page"][0]
    listing = dash.get("/dashboard/customers", query_string={"page": cursor})
    assert listed(listing) == ids[::-1][:25]
    older = re.search(r'<a href="([^"]+)" rel="next">Older →</a>',
                      listing.get_data(as_text=True))
    assert parse_qs(urlsplit(html.unescape(older.group(1))).query) == {
        "starting_after": [ids[2]]}
