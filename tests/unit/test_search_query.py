"""The search query parser (``core.search_query``) and the page cursor (``core.search_page``),
without an app."""

from __future__ import annotations

import pytest

from payground import messages
from payground.core import search_page
from payground.core.search_query import MAX_CLAUSES, Clause, Query, QueryError, parse


def test_one_clause():
    assert parse('email:"jo@example.com"') == Query((Clause("email", ":", "jo@example.com"),))


@pytest.mark.parametrize("text, clause", [
    ("email:'jo'", Clause("email", ":", "jo")),
    ('name~"ami"', Clause("name", "~", "ami")),
    ("amount>=1000", Clause("amount", ">=", "1000", quoted=False)),
    ("amount<=10", Clause("amount", "<=", "10", quoted=False)),
    ("amount>-5", Clause("amount", ">", "-5", quoted=False)),
    ('created<"1700000000"', Clause("created", "<", "1700000000")),
    ("email:NULL", Clause("email", ":", None, quoted=False)),
    ('-currency:"usd"', Clause("currency", ":", "usd", negated=True)),
    ('metadata["plan"]:"pro"', Clause("metadata", ":", "pro", key="plan")),
    ("-metadata['k']:null", Clause("metadata", ":", None, True, "k", quoted=False)),
    ('payment_method_details.card.last4:"4242"',
     Clause("payment_method_details.card.last4", ":", "4242")),
    (r'description:"the \"Sky\" and a \\ too"', Clause("description", ":",
                                                       'the "Sky" and a \\ too')),
    (r"name:'it\'s'", Clause("name", ":", "it's")),
    ('name:"a b  c"', Clause("name", ":", "a b  c")),
    ('name:""', Clause("name", ":", "")),
])
def test_clauses(text, clause):
    assert parse(text).clauses == (clause,)


@pytest.mark.parametrize("text, conjunction", [
    ('a:"1" b:"2"', "AND"), ('a:"1" AND b:"2"', "AND"), ('a:"1" and b:"2" c:"3"', "AND"),
    ('a:"1" OR b:"2"', "OR"), ('a:"1"  or\tb:"2" OR c:"3"', "OR"),
])
def test_conjunctions(text, conjunction):
    query = parse(text)
    assert query.conjunction == conjunction
    assert [c.field for c in query.clauses] == ["a", "b", "c"][:len(query.clauses)]


def test_a_field_named_like_a_keyword_is_a_field():
    assert [c.field for c in parse('orders:"1" AND andy:"2"').clauses] == ["orders", "andy"]


def test_the_name_of_a_metadata_clause():
    assert parse('metadata["plan"]:"x"').clauses[0].name == 'metadata["plan"]'


def test_at_most_ten_clauses():
    assert len(parse(" ".join(['a:"1"'] * MAX_CLAUSES)).clauses) == MAX_CLAUSES
    with pytest.raises(QueryError) as raised:
        parse(" ".join(['a:"1"'] * (MAX_CLAUSES + 1)))
    assert str(raised.value) == messages.SEARCH_TOO_MANY_CLAUSES.format(max=MAX_CLAUSES)


def syntax(at, what):
    return messages.SEARCH_SYNTAX.format(at=at, what=what)


@pytest.mark.parametrize("text, message", [
    ("", messages.SEARCH_EMPTY),
    ("  \t", messages.SEARCH_EMPTY),
    ('a:"1" OR b:"2" AND c:"3"', messages.SEARCH_AND_OR),
    ('a:"1" AND b:"2" or c:"3"', messages.SEARCH_AND_OR),
    ("a:x", syntax(3, messages.SEARCH_UNQUOTED.format(field="a", operator=":", word="x"))),
    ("a:true", syntax(3, messages.SEARCH_UNQUOTED.format(field="a", operator=":",
                                                          word="true"))),
    ('a:"x', syntax(3, messages.SEARCH_UNTERMINATED)),
    ('a:"x\\"', syntax(3, messages.SEARCH_UNTERMINATED)),
    ("a", syntax(2, messages.SEARCH_EXPECTED_OPERATOR.format(field="a"))),
    ('a!="x"', syntax(2, messages.SEARCH_EXPECTED_OPERATOR.format(field="a"))),
    ("a:", syntax(3, messages.SEARCH_EXPECTED_VALUE.format(field="a", operator=":"))),
    ("a: 1", syntax(3, messages.SEARCH_EXPECTED_VALUE.format(field="a", operator=":"))),
    ('- a:"1"', syntax(2, messages.SEARCH_EXPECTED_FIELD)),
    ('(a:"1")', syntax(1, messages.SEARCH_EXPECTED_FIELD)),
    ('a:"1"b:"2"', syntax(6, messages.SEARCH_EXPECTED_SEPARATOR)),
    ('a:"1" AND', syntax(10, messages.SEARCH_EXPECTED_CLAUSE.format(word="AND"))),
    ('a:"1" OR ', syntax(10, messages.SEARCH_EXPECTED_CLAUSE.format(word="OR"))),
    ('metadata[k]:"1"', syntax(10, messages.SEARCH_EXPECTED_KEY)),
    ('metadata["k":"1"', syntax(13, messages.SEARCH_EXPECTED_BRACKET)),
])
def test_what_cannot_be_read_says_where(text, message):
    with pytest.raises(QueryError) as raised:
        parse(text)
    assert str(raised.value) == message


SCOPE = search_page.Scope("acct_1", False, "customers", 'email:"a"')


def test_a_cursor_reads_back_in_its_own_scope_only():
    cursor = search_page.make("secret", SCOPE, 1700000000, "cus_abc")

    assert search_page.read("secret", SCOPE, cursor) == (1700000000, "cus_abc")
    for secret, scope in [
        ("other secret", SCOPE),
        ("secret", search_page.Scope("acct_2", False, "customers", 'email:"a"')),
        ("secret", search_page.Scope("acct_1", True, "customers", 'email:"a"')),
        ("secret", search_page.Scope("acct_1", False, "charges", 'email:"a"')),
        ("secret", search_page.Scope("acct_1", False, "customers", 'email:"b"')),
    ]:
        with pytest.raises(search_page.PageError):
            search_page.read(secret, scope, cursor)


@pytest.mark.parametrize("cursor", [
    "", ".", "abc", "abc.def", "!!!.!!!", "é.é", "a.b.c",
])
def test_made_up_cursors_are_refused(cursor):
    with pytest.raises(search_page.PageError):
        search_page.read("secret", SCOPE, cursor)


def test_an_edited_position_is_refused():
    cursor = search_page.make("secret", SCOPE, 1700000000, "cus_abc")
    body, tag = cursor.split(".")
    other = search_page.make("secret", SCOPE, 1800000000, "cus_abc").split(".")[0]

    with pytest.raises(search_page.PageError):
        search_page.read("secret", SCOPE, f"{other}.{tag}")
