"""A value of the wrong shape is answered in Stripe's words, never in marshmallow's.

Stripe answers a string or an array where a hash belongs (``metadata=x``,
``shipping[address]=x``) with "Invalid hash", and a string or a hash where an array belongs
(``expand=customer``, ``expand[a]=b``) with "Invalid array": ``invalid_request_error``, the
parameter's full name, no code (stripe-cli#47, stripe-js#202, stripe-dotnet#944 quote them).
Every /v1 route's input schema is walked, so a hash or array parameter added later is checked
too; marshmallow's own messages ("Invalid input type.", "Not a valid list." ...) are translated
in one place (``http.validation``), which the last tests pin down.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from marshmallow import Schema, ValidationError
from marshmallow import fields as mfields

from payground import messages
from payground.core import keys
from payground.http.decorators import INPUT_ATTR
from payground.http.schemas import (Bool, Currency, Int, Metadata, NotEmpty, OneOf, SendableUrl,
                                    Str, StringArray)
from payground.http.validation import STRIPE_WORDS, error_from_validation
from tests.helpers import assert_error

HASH_VALUES = ("x", ["x"])  # a string (form or JSON), an array (JSON only)
ARRAY_VALUES = ("x", {"a": "b"})  # a string, a hash (expand[a]=b)


def valid_value(field: mfields.Field):
    """A value a required sibling takes, so that the wrong one is the request's only error."""
    if isinstance(field, mfields.Nested):
        return {name: valid_value(f) for name, f in field.schema.fields.items() if f.required}
    if isinstance(field, StringArray):
        return ["*"] if field.name == "enabled_events" else ["card"]
    if isinstance(field, SendableUrl):
        return "https://example.com/hooks"
    if isinstance(field, Currency):
        return "usd"
    if isinstance(field, OneOf):
        return field.choices[0]
    if isinstance(field, Int):
        return "2000"
    if isinstance(field, Bool):
        return "true"
    if isinstance(field, Str):
        return "x"
    if isinstance(field, NotEmpty):  # a card to save (a customer's ``source``)
        return "tok_visa"
    raise AssertionError(f"no valid value known for a required {type(field).__name__}")


def shaped_params(schema: Schema, prefix: str = ""):
    """``(param, path, siblings, kind)`` for every hash or array parameter of ``schema``:
    ``siblings`` are the required parameters around it (each level down), valid."""
    required = {name: valid_value(f) for name, f in schema.fields.items() if f.required}
    for name, field in schema.fields.items():
        param = f"{prefix}[{name}]" if prefix else name
        if isinstance(field, mfields.Nested):
            yield param, [name], required, "hash"
            for inner, path, siblings, kind in shaped_params(field.schema, param):
                yield inner, [name, *path], {**required, name: siblings}, kind
        elif isinstance(field, Metadata):
            yield param, [name], required, "hash"
        elif isinstance(field, (StringArray, mfields.List)):
            yield param, [name], required, "array"


def with_value(siblings: dict, path: list[str], value) -> dict:
    body = dict(siblings)
    if len(path) == 1:
        body[path[0]] = value
    else:
        body[path[0]] = with_value(siblings.get(path[0], {}), path[1:], value)
    return body


def form_pairs(body: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding of ``body`` (``a[b]=x``, ``a[0]=x``)."""
    pairs = []
    for key, value in body.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            pairs += form_pairs(value, name)
        elif isinstance(value, list):
            pairs += form_pairs(dict(enumerate(value)), name)
        else:
            pairs.append((name, value))
    return pairs


def v1_cases(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions[rule.endpoint]
        if not rule.rule.startswith("/v1") or not hasattr(view, INPUT_ATTR):
            continue
        path = re.sub(r"<[^>]+>", "x_123", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for param, names, siblings, kind in shaped_params(getattr(view, INPUT_ATTR)()):
                for value in HASH_VALUES if kind == "hash" else ARRAY_VALUES:
                    yield method, path, param, with_value(siblings, names, value), kind


def send(account, method: str, path: str, body: dict, as_json: bool):
    if method in ("GET", "DELETE"):  # parameters in the query string
        query = urlencode(form_pairs(body))
        return account.client.open(f"{path}?{query}", method=method, headers=account.auth())
    if as_json:
        return account.client.open(path, method=method, json=body, headers=account.auth())
    return account.client.open(path, method=method, data=urlencode(form_pairs(body)),
                               content_type="application/x-www-form-urlencoded",
                               headers=account.auth())


def test_every_hash_and_array_parameter_of_every_route_answers_in_stripes_words(app, account):
    answered = {"hash": set(), "array": set()}
    for method, path, param, body, kind in v1_cases(app):
        forms = [False, True] if method == "POST" else [False]
        for as_json in forms:
            if not as_json and any(isinstance(v, list) and v == ["x"] for v in _leaves(body)):
                continue  # an array where a hash belongs: only JSON can send one
            r = send(account, method, path, body, as_json)
            where = f"{method} {path} {param}={body} ({'JSON' if as_json else 'form'})"
            assert r.status_code == 400, (where, r.get_json())
            error = r.get_json()["error"]
            expected = messages.INVALID_HASH if kind == "hash" else messages.INVALID_ARRAY
            assert (error["type"], error.get("code"), error["param"], error["message"]) == (
                "invalid_request_error", None, param, expected), where
            answered[kind].add(param)
    # What the walk reached: a schema change that hides these from it fails here.
    assert {"metadata", "shipping", "shipping[address]", "payment_method_options",
            "payment_method_options[card]", "automatic_payment_methods", "card",
            "billing_details"} <= answered["hash"]
    assert {"expand", "payment_method_types", "enabled_events", "types"} <= answered["array"]


def _leaves(body):
    for value in body.values():
        if isinstance(value, dict):
            yield from _leaves(value)
        else:
            yield value


@pytest.mark.parametrize("method, path, params, param, expected", [
    # The examples of the brief, form-encoded as Stripe's SDKs send them.
    ("POST", "/v1/customers", {"metadata": "x"}, "metadata", messages.INVALID_HASH),
    ("POST", "/v1/payment_intents", {"amount": "2000", "currency": "usd",
                                     "shipping[name]": "Ada", "shipping[address]": "x"},
     "shipping[address]", messages.INVALID_HASH),
    ("POST", "/v1/tokens", {"card": "4242424242424242"}, "card", messages.INVALID_HASH),
    ("GET", "/v1/customers?expand=data.customer", None, "expand", messages.INVALID_ARRAY),
    ("GET", "/v1/charges?expand[a]=customer", None, "expand", messages.INVALID_ARRAY),
    ("GET", "/v1/events?types=charge.succeeded", None, "types", messages.INVALID_ARRAY),
    ("POST", "/v1/webhook_endpoints", {"url": "https://example.com/h",
                                       "enabled_events": "charge.succeeded"},
     "enabled_events", messages.INVALID_ARRAY),
])
def test_the_wrong_shape_is_stripes_invalid_hash_or_array(account, method, path, params,
                                                          param, expected):
    r = account.post(path, params) if method == "POST" else account.get(path)
    assert_error(r, 400, code=None, param=param, message=expected)


@pytest.mark.parametrize("body, code, param, message", [
    # A hash or an array where a scalar belongs: Stripe's "Invalid <type>: <value>".
    ({"name": {"a": "b"}}, "parameter_invalid_string", "name", "Invalid string: {'a': 'b'}"),
    ({"description": ["a"]}, "parameter_invalid_string", "description", "Invalid string: ['a']"),
    ({"balance": ["1"]}, "parameter_invalid_integer", "balance", "Invalid integer: ['1']"),
    ({"expand": ["customer", 7]}, "parameter_invalid_string", "expand[1]", "Invalid string: 7"),
    ({"expand": [""]}, "parameter_invalid_empty", "expand[0]",
     messages.INVALID_EMPTY.format(param="expand[0]")),
    ({"expand": ""}, "parameter_invalid_empty", "expand",
     messages.INVALID_EMPTY.format(param="expand")),
])
def test_a_scalar_of_the_wrong_type_names_its_type(account, body, code, param, message):
    r = account.client.post("/v1/customers", json=body, headers=account.auth())
    assert_error(r, 400, code=code, param=param, message=message)


def test_a_boolean_sent_a_hash(account):
    r = account.post("/v1/charges", {"amount": "2000", "currency": "usd", "source": "tok_visa",
                                     "capture[a]": "b"})
    assert_error(r, 400, code="parameter_invalid_boolean", param="capture",
                 message="Invalid boolean: {'a': 'b'}")


def test_an_empty_array_where_one_is_needed(account):
    r = account.client.post("/v1/payment_intents", headers=account.auth(), json={
        "amount": 2000, "currency": "usd", "payment_method_types": []})
    assert_error(r, 400, param="payment_method_types", message=messages.INVALID_ARRAY)


@pytest.mark.parametrize("body, param, expected", [
    ({"type": "restricted", "permissions": "charge_read"}, "permissions",
     messages.INVALID_ARRAY),
    ({"type": "secret", "ip_allowlist": {"a": "127.0.0.1"}}, "ip_allowlist",
     messages.INVALID_ARRAY),
])
def test_the_sandbox_api_answers_in_the_same_words(account, body, param, expected):
    r = account.client.post("/sandbox/keys", json=body, headers=account.session_auth)
    assert_error(r, 400, code=None, param=param, message=expected)


def test_the_sandbox_api_hashes_and_lists_too(account, client):
    r = client.post("/sandbox/keys/identify", json={"keys": "sk_test_x"},
                    headers=account.session_auth)
    assert_error(r, 400, code=None, param="keys", message=messages.INVALID_ARRAY)
    r = client.post("/sandbox/account/activate", data={"bank_account": "110000000"},
                    headers=account.session_auth)
    assert_error(r, 400, code=None, param="bank_account", message=messages.INVALID_HASH)
    r = client.post("/sandbox/signup", json={"email": ["a@example.com"], "password": "x" * 10})
    assert_error(r, 400, code="parameter_invalid_string", param="email",
                 message="Invalid string: ['a@example.com']")


def _marshmallow_defaults() -> set[str]:
    """Every default error message of marshmallow's fields and schemas that needs no
    formatting (the formatted ones, and validators', fall to the generic line)."""
    found = set(Schema.error_messages.values())
    for kind in vars(mfields).values():
        if isinstance(kind, type) and issubclass(kind, mfields.Field):
            for klass in kind.__mro__:
                found.update(getattr(klass, "default_error_messages", {}).values())
    return {text for text in found if "{" not in text}


@pytest.mark.parametrize("default", sorted(_marshmallow_defaults()))
def test_no_marshmallow_message_reaches_a_client(default):
    error = error_from_validation(ValidationError({"shipping": {"address": [default]}},
                                                  data={"shipping": {"address": "x"}}))
    assert default not in error.message
    assert error.param == "shipping[address]"
    if default in STRIPE_WORDS:
        code, words = STRIPE_WORDS[default]
        assert (error.code, error.message) == (code, words.replace("{value}", "x"))


def test_the_type_words_stripe_uses():
    """The translations themselves, one by one (what a client of each field kind sees)."""
    def answer(default, sent):
        error = error_from_validation(ValidationError({"p": [default]}, data={"p": sent}))
        return error.code, error.message

    assert answer("Invalid input type.", "x") == (None, "Invalid hash")
    assert answer("Not a valid mapping type.", ["x"]) == (None, "Invalid hash")
    assert answer("Not a valid list.", {"a": "b"}) == (None, "Invalid array")
    assert answer("Invalid type.", "x") == (None, "Invalid array")
    assert answer("Not a valid string.", 5) == ("parameter_invalid_string", "Invalid string: 5")
    assert answer("Not a valid integer.", "x1") == ("parameter_invalid_integer",
                                                    "Invalid integer: x1")
    assert answer("Not a valid boolean.", "maybe") == ("parameter_invalid_boolean",
                                                       "Invalid boolean: maybe")
    assert answer("Longer than maximum length 5.", "x" * 9) == (None, "Invalid value for p.")


@pytest.mark.parametrize("split_by", ["\u200b", "\x01", "\u00ad", "\ufeff"],
                         ids=["zero-width space", "control", "soft hyphen", "BOM"])
@pytest.mark.parametrize("wrap, code, param, shape", [
    (lambda key: {"name": [key]}, "parameter_invalid_string", "name",
     "Invalid string: ['{masked}']"),
    (lambda key: {"balance": {"k": key}}, "parameter_invalid_integer", "balance",
     "Invalid integer: {{'k': '{masked}'}}"),
    (lambda key: {"expand": [{key: "x"}]}, "parameter_invalid_string", "expand[0]",
     "Invalid string: {{'{masked}': 'x'}}"),
], ids=["array", "hash value", "hash key"])
def test_a_key_split_by_an_invisible_character_is_masked_in_the_echo(account, split_by, wrap,
                                                                    code, param, shape):
    """The value is echoed as Python shows it, which writes an invisible character as an
    escape (``\\u200b``): the key it splits is masked before that, as it would be in a
    string, not shown around the escape."""
    key = account.secret_key
    disguised = key[:20] + split_by + key[20:]
    r = account.client.post("/v1/customers", json=wrap(disguised), headers=account.auth())
    assert_error(r, 400, code=code, param=param, message=shape.format(masked=keys.mask(key)))
    assert key[8:-4] not in r.get_data(as_text=True).replace(repr(split_by)[1:-1], "")
    assert account.get("/v1/customers").get_json()["data"] == []
