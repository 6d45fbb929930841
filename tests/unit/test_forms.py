"""Stripe form decoding at the edge."""

import pytest

from payground.errors import InvalidRequestError, ParameterInvalid
from payground.http.forms import decode_body, decode_query

FORM = "application/x-www-form-urlencoded"


def test_nested_hashes():
    assert decode_body(b"card[number]=4242&card[exp_month]=12&amount=100", FORM) == {
        "card": {"number": "4242", "exp_month": "12"}, "amount": "100"}


def test_arrays_with_empty_brackets_and_indexes():
    assert decode_query("expand[]=a&expand[]=b") == {"expand": ["a", "b"]}
    assert decode_query("expand[1]=b&expand[0]=a") == {"expand": ["a", "b"]}


def test_array_of_hashes():
    assert decode_body(b"items[0][price]=p1&items[1][price]=p2&items[1][quantity]=2", FORM) == {
        "items": [{"price": "p1"}, {"price": "p2", "quantity": "2"}]}


def test_metadata_numeric_keys_stay_a_hash():
    assert decode_body(b"metadata[0]=zero&metadata[1]=one", FORM) == {
        "metadata": {"0": "zero", "1": "one"}}


def test_percent_encoding_and_blank_values():
    assert decode_body(b"email=a%40b.com&description=", FORM) == {"email": "a@b.com",
                                                                 "description": ""}


def test_json_bodies_pass_through():
    assert decode_body(b'{"a": {"b": [1, 2]}}', "application/json") == {"a": {"b": [1, 2]}}


@pytest.mark.parametrize("body,content_type", [
    (b"\xff\xfe=1", FORM),
    (b"a=%ff", FORM),
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
])
def test_broken_encodings_are_refused(body, content_type):
    with pytest.raises(InvalidRequestError) as info:
        decode_body(body, content_type)
    assert info.value.message == "Invalid request: the request body could not be decoded."


def test_a_broken_query_string_is_named_as_such():
    with pytest.raises(InvalidRequestError) as info:
        decode_query("limit=%ff")
    assert info.value.message == "Invalid request: the query string could not be decoded."


def test_value_and_hash_for_one_name_conflict():
    with pytest.raises(ParameterInvalid) as info:
        decode_body(b"card=tok&card[number]=4242", FORM)
    assert info.value.param == "card"


def test_unreadable_brackets_are_kept_whole():
    assert decode_body(b"a[b=1", FORM) == {"a[b": "1"}


def test_sixteen_levels_of_nesting_are_accepted_and_seventeen_refused():
    deepest = "a" + "[b]" * 16
    assert decode_body(f"{deepest}=1".encode(), FORM)["a"]["b"]["b"]
    with pytest.raises(ParameterInvalid) as info:
        decode_body(f"{deepest}[b]=1".encode(), FORM)
    assert (info.value.param, info.value.message) == (
        "a", "Invalid a: parameters can be nested at most 16 levels deep.")


def test_json_is_held_to_the_same_depth():
    def nested(levels):  # {"a": {"b": ... "x"}} with `levels` levels under "a"
        return b'{"a": ' + b'{"b": ' * levels + b'"x"' + b"}" * (levels + 1)

    assert decode_body(nested(16), "application/json")["a"]["b"]["b"]
    with pytest.raises(ParameterInvalid) as info:
        decode_body(nested(17), "application/json")
    assert info.value.param == "a"


def test_an_array_sent_with_gaps_keeps_its_indexes_for_errors():
    from marshmallow import Schema, ValidationError, fields

    from payground.http.forms import SparseList
    from payground.http.validation import error_from_validation

    params = decode_body(b"items[5]=x&items[9]=7", "application/x-www-form-urlencoded")
    assert params == {"items": ["x", "7"]}
    assert isinstance(params["items"], SparseList) and params["items"].indexes == [5, 9]

    class Items(Schema):
        items = fields.List(fields.Integer())

    with pytest.raises(ValidationError) as raised:
        Items().load(params)
    assert error_from_validation(raised.value).param == "items[5]"
    dense = decode_body(b"items[1]=7&items[0]=x", "application/x-www-form-urlencoded")
    assert type(dense) is dict and type(dense["items"]) is list


def test_the_parameters_are_a_hash_even_when_named_like_indexes():
    # A body of digit-named or unnamed fields made a list, and /oauth/token answered 500.
    assert decode_body(b"&&&==&", FORM) == {"0": "="}
    assert decode_body(b"0=a&1=b", FORM) == {"0": "a", "1": "b"}
    assert decode_query("0=a") == {"0": "a"}
