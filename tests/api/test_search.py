"""``GET /v1/{customers,charges,payment_intents}/search``: Stripe's search query language on
this account's and mode's rows, newest first, paged by a signed ``next_page`` cursor."""

from __future__ import annotations

import pytest

from payground import messages
from tests.helpers import assert_error
from tests.oauth_flow import Browser, business, platform, register_application  # noqa: F401

CUSTOMERS, CHARGES, INTENTS = ("/v1/customers/search", "/v1/charges/search",
                               "/v1/payment_intents/search")


def found(account, path, query, **params):
    r = account.get(path, query_string={"query": query, **params})
    assert r.status_code == 200, r.get_json()
    return [item["id"] for item in r.get_json()["data"]]


def query_error(response, message):
    assert_error(response, 400, param="query", message=message)


def unsupported(field, resource, anchor=None):
    return messages.SEARCH_FIELD_UNSUPPORTED.format(field=field, resource=resource,
                                                    anchor=anchor or resource)


@pytest.fixture
def people(account):
    """Three customers, oldest first: Jo (pro), Amy (free), and one with no email."""
    jo = account.post("/v1/customers", {"email": "Jo@Example.com", "name": "Jo Smith",
                                        "phone": "+15550100", "metadata[plan]": "pro",
                                        'metadata[odd "key"]': "x"}).get_json()
    amy = account.post("/v1/customers", {"email": "amy@example.com", "name": "Amy",
                                         "metadata[plan]": "free"}).get_json()
    anon = account.post("/v1/customers", {"name": "Nobody"}).get_json()
    return jo["id"], amy["id"], anon["id"]


def test_the_answer_is_a_search_result(account, people):
    jo, _, _ = people
    r = account.get(CUSTOMERS, query_string={"query": 'email:"jo@example.com"'})

    body = r.get_json()
    assert r.status_code == 200
    assert {k: v for k, v in body.items() if k != "data"} == {
        "object": "search_result", "url": "/v1/customers/search", "has_more": False,
        "next_page": None}
    assert [c["id"] for c in body["data"]] == [jo]
    assert body["data"][0]["object"] == "customer"


@pytest.mark.parametrize("query, expected", [
    ('email:"JO@example.COM"', "jo"),  # strings: case-insensitive
    ('name:"jo"', "jo"),  # ... and their words, in order: "Jo Smith" holds "jo"
    ('name:"JO  SMITH"', "jo"),
    ('name:"smith jo"', ""),
    ('name:"Smi"', ""),  # whole words (a part of one is ~)
    ('phone~"5550"', "jo"),  # every string field takes ~ (Stripe's "string" type)
    ("email:'jo@example.com'", "jo"),  # single quotes too
    ('name~"smi"', "jo"),  # substring
    ('email~"EXAMPLE.com"', "jo amy"),
    ('phone:"+15550100"', "jo"),
    ('metadata["plan"]:"pro"', "jo"),
    ("metadata['plan']:'pro'", "jo"),
    ('metadata["plan"]:"PRO"', "jo"),  # tokens too: Stripe's "exact match (case insensitive)"
    ('metadata["plan"]:"pr"', ""),  # ... of the whole value
    ('metadata["odd \\"key\\""]:"x"', "jo"),  # escaped quotes, in a key too
    ('metadata["plan"]:null', "anon"),  # absence
    ('-metadata["plan"]:null', "jo amy"),  # presence
    ("email:null", "anon"),
    ('-email:"jo@example.com"', "amy anon"),  # negation keeps the rows without an email
    ('email:"amy@example.com" OR name:"Nobody"', "amy anon"),
    ('email~"example" name:"Amy"', "amy"),  # a space is AND
    ('email~"example" and name:"Amy"', "amy"),
    ('email:"nobody@example.com"', ""),
])
def test_customer_queries(account, people, query, expected):
    ids = dict(zip(("jo", "amy", "anon"), people))
    # Newest first: the customers were made in the fixture's order.
    want = [ids[name] for name in ("anon", "amy", "jo") if name in expected.split()]
    assert found(account, CUSTOMERS, query) == want


def test_created_comparisons_and_newest_first(account, wall):
    first = account.post("/v1/customers", {"name": "A"}).get_json()
    account.advance_clock(100)
    second = account.post("/v1/customers", {"name": "B"}).get_json()
    t1, t2 = first["created"], second["created"]

    assert found(account, CUSTOMERS, f"created>={t1}") == [second["id"], first["id"]]
    assert found(account, CUSTOMERS, f"created>{t1}") == [second["id"]]
    assert found(account, CUSTOMERS, f'created<"{t2}"') == [first["id"]]  # quotes optional
    assert found(account, CUSTOMERS, f"created<={t1}") == [first["id"]]
    assert found(account, CUSTOMERS, f"created:{t2}") == [second["id"]]
    # Past a 32-bit timestamp column's range (PostgreSQL's INTEGER): compared, not an error.
    assert found(account, CUSTOMERS, "created>99999999999") == []
    assert found(account, CUSTOMERS, "created>-99999999999") == [second["id"], first["id"]]


def test_substring_wildcards_are_plain_characters(account):
    sale = account.post("/v1/customers", {"name": "100%_off"}).get_json()["id"]
    account.post("/v1/customers", {"name": "xAyBz"})

    assert found(account, CUSTOMERS, 'name~"0%_"') == [sale]
    assert found(account, CUSTOMERS, 'name~"x%z"') == []
    assert found(account, CUSTOMERS, 'name~"A_B"') == []
    assert found(account, CUSTOMERS, 'name:"100%_off"') == [sale]  # a whole word, as written
    assert found(account, CUSTOMERS, 'name:"1%"') == []
    assert found(account, CUSTOMERS, 'name:"xa_bz"') == []


def test_deleted_customers_are_not_found(account, people):
    jo, _, _ = people
    account.delete(f"/v1/customers/{jo}")

    assert found(account, CUSTOMERS, 'name:"Jo Smith"') == []


def test_pages_follow_next_page_to_the_end(account):
    made = [account.post("/v1/customers", {"name": f"P{i}"}).get_json()["id"] for i in range(5)]
    seen, page = [], None
    while True:
        params = {"query": "created>0", "limit": 2}
        if page:
            params["page"] = page
        body = account.get(CUSTOMERS, query_string=params).get_json()
        seen += [c["id"] for c in body["data"]]
        assert body["has_more"] is (body["next_page"] is not None)
        page = body["next_page"]
        if page is None:
            break

    assert seen == list(reversed(made))


def page_of(account, query="created>0", path=CUSTOMERS, **headers):
    account.post(path.rsplit("/", 1)[0], {"name": "one"}, headers=headers)
    account.post(path.rsplit("/", 1)[0], {"name": "two"}, headers=headers)
    body = account.get(path, query_string={"query": query, "limit": 1},
                       headers=headers).get_json()
    assert body["has_more"] is True
    return body["next_page"]


@pytest.mark.parametrize("tamper", [
    lambda page: page[:-2] + ("AA" if not page.endswith("AA") else "BB"),  # its signature
    lambda page: "WzEsImN1c194Il0" + page[page.index("."):],  # another position
    lambda page: page.replace(".", ""),
    lambda page: "not a cursor",
    lambda page: page + "é",
])
def test_a_made_up_or_edited_page_is_refused(account, tamper):
    page = page_of(account)
    r = account.get(CUSTOMERS, query_string={"query": "created>0", "page": tamper(page)})

    assert_error(r, 400, param="page", message=messages.SEARCH_PAGE_INVALID)


def test_a_page_holds_only_for_its_account_mode_resource_and_query(account, make_account):
    page = page_of(account)
    other = make_account()
    other.post("/v1/customers", {"name": "theirs"})
    account.activate()
    live = account.create_key("secret", livemode=True)

    for who, path, query, key in [
        (other, CUSTOMERS, "created>0", None),  # another account
        (account, CUSTOMERS, "created>1", None),  # another query
        (account, CHARGES, "created>0", None),  # another resource
        (account, CUSTOMERS, "created>0", live),  # live mode
    ]:
        r = who.get(path, query_string={"query": query, "page": page}, key=key)
        assert_error(r, 400, param="page", message=messages.SEARCH_PAGE_INVALID)


def test_rows_of_other_accounts_and_the_other_mode_are_never_found(account, make_account):
    mine = account.post("/v1/customers", {"email": "same@example.com"}).get_json()["id"]
    other = make_account()
    other.post("/v1/customers", {"email": "same@example.com"})
    account.activate()
    live = account.create_key("secret", livemode=True)
    account.post("/v1/customers", {"email": "same@example.com"}, key=live)

    assert found(account, CUSTOMERS, 'email:"same@example.com"') == [mine]
    r = account.get(CUSTOMERS, query_string={"query": 'email:"same@example.com"'}, key=live)
    assert len(r.get_json()["data"]) == 1 and r.get_json()["data"][0]["livemode"] is True


@pytest.fixture
def charged(account):
    customer = account.post("/v1/customers", {"email": "c@example.com"}).get_json()["id"]
    paid = account.post("/v1/charges", {
        "amount": 2000, "currency": "usd", "source": "tok_visa", "customer": customer,
        "metadata[order]": "42"}).get_json()
    other = account.post("/v1/charges", {"amount": 500, "currency": "eur",
                                         "source": "tok_mastercard"}).get_json()
    declined = account.post("/v1/charges", {"amount": 700, "currency": "usd",
                                            "source": "tok_chargeDeclined"}).get_json()
    return customer, paid, other, declined["error"]["charge"]


def test_charge_queries(account, charged):
    customer, paid, other, declined = charged
    card = "payment_method_details.card."

    assert found(account, CHARGES, "amount>=2000") == [paid["id"]]
    assert found(account, CHARGES, 'currency:"EUR"') == [other["id"]]
    assert found(account, CHARGES, f'customer:"{customer}"') == [paid["id"]]
    assert found(account, CHARGES, 'metadata["order"]:"42"') == [paid["id"]]
    assert found(account, CHARGES, 'status:"failed"') == [declined]
    assert found(account, CHARGES, f'{card}brand:"mastercard"') == [other["id"]]
    assert found(account, CHARGES, f'{card}last4:"4242" -status:"failed"') == [paid["id"]]
    assert found(account, CHARGES, f'{card}exp_year:{paid["source"]["exp_year"]}'
                 f' {card}exp_month:"{paid["source"]["exp_month"]}" amount:2000') == [paid["id"]]
    assert found(account, CHARGES, f'{card}fingerprint:"{paid["source"]["fingerprint"]}"'
                 ) == [paid["id"]]
    assert found(account, CHARGES, 'billing_details.address.postal_code:null amount<600'
                 ) == [other["id"]]
    assert found(account, CHARGES, 'disputed:"true"') == []
    assert len(found(account, CHARGES, 'disputed:"false"')) == 3
    assert found(account, CHARGES, f'customer:"{customer}" currency:"USD" status:"SUCCEEDED"'
                 ) == [paid["id"]]  # tokens: case-insensitive
    # Charges are never Terminal ones: their card_present fields are null.
    assert found(account, CHARGES, 'payment_method_details.card_present.last4:"4242"') == []
    assert len(found(account, CHARGES, 'payment_method_details.interac_present.brand:null')) == 3
    # Stripe's refunded: "true" fully, "false" partly, null not at all.
    assert found(account, CHARGES, 'refunded:"true"') == []
    assert len(found(account, CHARGES, "refunded:null")) == 3
    account.post("/v1/refunds", {"charge": paid["id"], "amount": 500})
    assert found(account, CHARGES, 'refunded:"false"') == [paid["id"]]
    assert found(account, CHARGES, "-refunded:null") == [paid["id"]]
    account.post("/v1/refunds", {"charge": paid["id"]})
    assert found(account, CHARGES, 'refunded:"true"') == [paid["id"]]
    assert found(account, CHARGES, 'refunded:"false"') == []


def test_an_authorisation_past_seven_days_is_found_expired(account):
    held = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "source": "tok_visa",
                                        "capture": "false"}).get_json()
    account.advance_clock(8 * 86400)

    assert found(account, CHARGES, 'refunded:"true"') == [held["id"]]


def test_expand_reaches_each_result(account, charged):
    customer, paid, _, _ = charged
    r = account.get(CHARGES, query_string={"query": "amount:2000", "expand[]": "data.customer"})

    assert r.get_json()["data"][0]["customer"]["id"] == customer
    assert "total_count" not in r.get_json()  # only when asked, as on Stripe
    assert_error(account.get(CHARGES, query_string={"query": "amount:2000",
                                                    "expand[]": "total_counts"}),
                 400, param="expand", message="This property cannot be expanded (total_counts).")


def test_total_count_when_expanded_counts_the_whole_query(account, charged):
    params = {"query": "amount>0", "limit": 1, "expand[]": ["total_count", "data.customer"]}
    first = account.get(CHARGES, query_string=params).get_json()
    second = account.get(CHARGES, query_string={**params, "page": first["next_page"]}).get_json()

    assert first["total_count"] == second["total_count"] == 3  # every page: the query's count
    assert len(first["data"]) == 1 and first["has_more"] is True
    assert account.get(CHARGES, query_string={"query": 'currency:"jpy"',
                                              "expand[]": "total_count"}).get_json()[
        "total_count"] == 0


@pytest.mark.parametrize("path, expand", [
    (CUSTOMERS, "data.total_count"),  # an item's: a customer has none
    (CUSTOMERS, "total_count.count"),  # a number: nothing under it
    (CUSTOMERS, "total_counts"),
    ("/v1/customers", "total_count"),  # a list's: Stripe counts only searches
    ("/v1/charges", "data.refunds.total_count"),  # nor a list inside an item
])
def test_total_count_is_expandable_on_a_search_result_only(account, charged, path, expand):
    params = {"query": "created>0"} if path.endswith("/search") else {}
    assert_error(account.get(path, query_string={**params, "expand[]": expand}), 400,
                 param="expand", message=f"This property cannot be expanded ({expand}).")


def test_total_count_cannot_be_expanded_on_a_retrieve(account, charged):
    customer = charged[0]
    assert_error(account.get(f"/v1/customers/{customer}",
                             query_string={"expand[]": "total_count"}),
                 400, param="expand", message="This property cannot be expanded (total_count).")


def test_payment_intent_queries(account):
    customer = account.post("/v1/customers", {"name": "C"}).get_json()["id"]
    paid = account.post("/v1/payment_intents", {
        "amount": 3000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true",
        "customer": customer, "metadata[cart]": "c1"}).get_json()
    waiting = account.post("/v1/payment_intents", {"amount": 900, "currency": "gbp"}).get_json()

    assert found(account, INTENTS, 'status:"succeeded"') == [paid["id"]]
    assert found(account, INTENTS, f'customer:"{customer}"') == [paid["id"]]
    assert found(account, INTENTS, 'metadata["cart"]:"c1" amount>2999') == [paid["id"]]
    assert found(account, INTENTS, 'currency:"gbp" OR amount<1000') == [waiting["id"]]
    assert found(account, INTENTS, '-status:"succeeded"') == [waiting["id"]]


@pytest.mark.parametrize("path, query, message", [
    (CUSTOMERS, "   ", messages.SEARCH_EMPTY),
    (CUSTOMERS, 'email:"a" AND name:"b" OR phone:"c"', messages.SEARCH_AND_OR),
    (CUSTOMERS, " ".join(["created>0"] * 11),
     messages.SEARCH_TOO_MANY_CLAUSES.format(max=10)),
    (CUSTOMERS, "email:jo", messages.SEARCH_SYNTAX.format(at=7, what=messages.SEARCH_UNQUOTED
                                                          .format(field="email", operator=":",
                                                                  word="jo"))),
    (CUSTOMERS, 'email:"jo', messages.SEARCH_SYNTAX.format(
        at=7, what=messages.SEARCH_UNTERMINATED)),
    (CUSTOMERS, 'email="jo"', messages.SEARCH_SYNTAX.format(
        at=6, what=messages.SEARCH_EXPECTED_OPERATOR.format(field="email"))),
    (CUSTOMERS, 'email:"a"name:"b"', messages.SEARCH_SYNTAX.format(
        at=10, what=messages.SEARCH_EXPECTED_SEPARATOR)),
    (CUSTOMERS, 'email:"a" AND ', messages.SEARCH_SYNTAX.format(
        at=15, what=messages.SEARCH_EXPECTED_CLAUSE.format(word="AND"))),
    (CUSTOMERS, '(email:"a")', messages.SEARCH_SYNTAX.format(
        at=1, what=messages.SEARCH_EXPECTED_FIELD)),
    (CUSTOMERS, 'metadata[plan]:"x"', messages.SEARCH_SYNTAX.format(
        at=10, what=messages.SEARCH_EXPECTED_KEY)),
    (CUSTOMERS, 'metadata["plan":"x"', messages.SEARCH_SYNTAX.format(
        at=16, what=messages.SEARCH_EXPECTED_BRACKET)),
    (CUSTOMERS, "email:", messages.SEARCH_SYNTAX.format(
        at=7, what=messages.SEARCH_EXPECTED_VALUE.format(field="email", operator=":"))),
    (CUSTOMERS, 'description:"x"', unsupported("description", "customers")),
    (CUSTOMERS, 'metadata:"x"', unsupported("metadata", "customers")),
    (CUSTOMERS, "amount>10", unsupported("amount", "customers")),
    (CHARGES, 'payment_method_details.sepa_debit.last4:"4242"',
     unsupported("payment_method_details.sepa_debit.last4", "charges")),
    (INTENTS, 'description:"x"', unsupported("description", "payment_intents",
                                              "paymentintents")),
    (CUSTOMERS, 'email>"a"', messages.SEARCH_OPERATOR_UNSUPPORTED.format(
        field="email", operator=">", operators=": ~")),
    (CHARGES, 'status~"succ"', messages.SEARCH_OPERATOR_UNSUPPORTED.format(
        field="status", operator="~", operators=":")),
    (CUSTOMERS, 'metadata["plan"]~"pro"', messages.SEARCH_OPERATOR_UNSUPPORTED.format(
        field='metadata["plan"]', operator="~", operators=":")),
    (CUSTOMERS, 'name~"ab"', messages.SEARCH_SUBSTRING_TOO_SHORT.format(field="name", min=3)),
    (CHARGES, "amount>null", messages.SEARCH_NULL_OPERATOR.format(field="amount")),
    (CHARGES, 'amount>"ten"', messages.SEARCH_NOT_AN_INTEGER.format(field="amount",
                                                                    value="ten")),
    (CHARGES, "amount:10.5", messages.SEARCH_NOT_AN_INTEGER.format(field="amount",
                                                                   value="10.5")),
    (CHARGES, "created>99999999999999999999", messages.SEARCH_NOT_AN_INTEGER.format(
        field="created", value="99999999999999999999")),
    # Past CPython's 4,300-digit int() guard: a 400 as well, not a 500.
    (CHARGES, "amount>" + "9" * 4400, messages.SEARCH_NOT_AN_INTEGER.format(
        field="amount", value="9" * 40 + "...")),
    (CHARGES, 'amount>"-' + "0" * 30 + '1"', None),  # leading zeros: -1, an integer
])
def test_a_query_that_cannot_be_searched_is_a_400_naming_query(account, path, query, message):
    r = account.get(path, query_string={"query": query})
    if message is None:
        assert r.status_code == 200, r.get_json()
    else:
        query_error(r, message)


@pytest.mark.parametrize("params, code, param, message", [
    ({}, "parameter_missing", "query", "Missing required param: query."),
    ({"query": ""}, "parameter_invalid_empty", "query", None),
    ({"query": "created>0", "limit": "0"}, "parameter_invalid_integer", "limit",
     "This value must be greater than or equal to 1."),
    ({"query": "created>0", "limit": "101"}, "parameter_invalid_integer", "limit",
     "This value must be less than or equal to 100."),
    ({"query": "created>0", "starting_after": "cus_x"}, "parameter_unknown", "starting_after",
     "Received unknown parameter: starting_after"),
])
def test_parameters_are_checked_as_everywhere(account, params, code, param, message):
    assert_error(account.get(CUSTOMERS, query_string=params), 400, code=code, param=param,
                 message=message)


def test_a_restricted_key_needs_the_read_permission(account, charged):
    charges_only = account.create_key(permissions=["charge_read"])

    assert account.get(CUSTOMERS, query_string={"query": "created>0"},
                       key=charges_only).status_code == 403
    assert account.get(CHARGES, query_string={"query": "amount:2000"},
                       key=charges_only).status_code == 200
    # Expanding each result's customer reads customers too.
    assert account.get(CHARGES, query_string={"query": "amount:2000",
                                              "expand[]": "data.customer"},
                       key=charges_only).status_code == 403
    assert account.get(INTENTS, query_string={"query": "created>0"},
                       key=charges_only).status_code == 403


def test_stripe_account_searches_the_connected_account(platform, business, app):  # noqa: F811
    application = register_application(platform, "https://acme.example/cb")
    browser = Browser(app, business.email)
    code = browser.code(f"response_type=code&client_id={application['client_id']}"
                        "&scope=read_write")
    assert platform.client.post("/oauth/token", headers=platform.auth(), data={
        "grant_type": "authorization_code", "code": code}).status_code == 200
    theirs = business.post("/v1/customers", {"email": "b@example.com"}).get_json()["id"]
    platform.post("/v1/customers", {"email": "b@example.com"})
    acting = {"Stripe-Account": business.account_id}

    r = platform.get(CUSTOMERS, query_string={"query": 'email:"b@example.com"'},
                     headers=acting)
    assert [c["id"] for c in r.get_json()["data"]] == [theirs]
    # The platform's own cursor does not page through the connected account.
    platform.post("/v1/customers", {"email": "b@example.com"})
    own = platform.get(CUSTOMERS, query_string={"query": 'email:"b@example.com"', "limit": 1})
    r = platform.get(CUSTOMERS, headers=acting, query_string={
        "query": 'email:"b@example.com"', "page": own.get_json()["next_page"]})
    assert_error(r, 400, param="page", message=messages.SEARCH_PAGE_INVALID)
