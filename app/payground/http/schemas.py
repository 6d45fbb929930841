"""Schema building blocks: strict Stripe-flavoured fields, the base schema, list output.

Every input schema subclasses ``StripeSchema`` (unknown parameters raise ``parameter_unknown``).
Fields read the strings form decoding produces, and fail with Stripe's codes and messages.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validates_schema
from marshmallow.decorators import (POST_DUMP, POST_LOAD, PRE_DUMP, PRE_LOAD, VALIDATES,
                                    VALIDATES_SCHEMA)
from marshmallow.utils import ensure_text_type

from .. import messages
from ..core.keys import SESSION_TOKEN, secret_in, unveiled
from ..core.scanning import stripe_key_in
from ..core.webhooks import secret_in as webhook_secret_in
from ..core.webhooks import sendable_url
from .validation import coded
from .validation import shown as _shown

__all__ = [
    "Bool", "Currency", "Email", "Expand", "Int", "IsoCurrency", "ListParams", "Metadata", "OneOf",
    "SendableUrl", "StatementDescriptor", "StringArray", "StripeSchema", "Str", "dumper_for",
    "fast_dumper", "fast_loader", "list_schema", "search_result_schema", "string_array",
]


class StripeSchema(Schema):
    """Base for every input schema: unknown parameters are errors, never ignored."""

    class Meta:
        unknown = RAISE


# Raised as is, never through Field.make_error: marshmallow would fill in "{param}" from
# make_error's arguments (and fail); validation.error_from_validation names the parameter.
_EMPTY = coded("parameter_invalid_empty", messages.INVALID_EMPTY)
# A value that would store a secret or restricted key (a description, a note, metadata):
# refused, so that no key is ever in the database or echoed back.
_SECRET = coded("parameter_invalid_string", messages.SECRET_IN_VALUE)
_WEBHOOK_SECRET = coded("parameter_invalid_string", messages.WEBHOOK_SECRET_IN_VALUE)
_SESSION_TOKEN = coded("parameter_invalid_string", messages.SESSION_IN_VALUE)
# A session token, not the end of a word: ``reassess_customer_risk_score`` is text.
_SESSION_IN_TEXT = re.compile(r"(?<![0-9A-Za-z_])" + SESSION_TOKEN.pattern)


def refuse_secrets(value: str) -> None:
    """Refuse ``value`` (``ValidationError``, ``parameter_invalid_string``) if it holds a key, a
    signing secret or a session token: ``Str`` does it for every string it reads."""
    # A secret disguised (percent-encoded, ``sk%5Ftest%5F...``, or split by unreadable bytes)
    # is the secret still: what it decodes to is read too.
    plain = unveiled(value)
    for text in (value, plain) if plain != value else (value,):
        _refuse_secrets_in(text)


def _refuse_secrets_in(value: str) -> None:
    # Payground's keys (their checksum proves them), and Stripe-shaped secret and restricted
    # keys Payground did not issue: a real Stripe key pasted here is the worst leak of all.
    if secret_in(value) or stripe_key_in(value):
        raise ValidationError(_SECRET)
    if webhook_secret_in(value):
        raise ValidationError(_WEBHOOK_SECRET)
    if "sess_" in value and _SESSION_IN_TEXT.search(value):
        raise ValidationError(_SESSION_TOKEN)
_INTEGER = re.compile(r"^-?[0-9]+$")  # ASCII digits only: \d matches any script's


class Int(fields.Integer):
    """An integer sent as a form string (``"2000"``) or a JSON number; never a float or bool."""

    default_error_messages = {
        "invalid": coded("parameter_invalid_integer", "Invalid integer: {input}"),
        "too_large": coded("parameter_invalid_integer", "Invalid integer: {input}"),
    }

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kw: Any):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(strict=False, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            raise ValidationError(_EMPTY)
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and _INTEGER.match(value))
        ):
            raise self.make_error("invalid", input=_shown(value))
        number = int(value)
        if abs(number) >= 2**63:
            raise self.make_error("too_large", input=_shown(value))
        if self.minimum is not None and number < self.minimum:
            raise ValidationError(coded(
                "parameter_invalid_integer",
                f"This value must be greater than or equal to {self.minimum}."))
        if self.maximum is not None and number > self.maximum:
            raise ValidationError(coded(
                "parameter_invalid_integer",
                f"This value must be less than or equal to {self.maximum}."))
        return number


class Bool(fields.Field):
    """``true``/``false`` as form strings, or JSON booleans."""

    default_error_messages = {
        "invalid": coded("parameter_invalid_boolean", "Invalid boolean: {input}"),
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if value == "":
            raise ValidationError(_EMPTY)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.make_error("invalid", input=_shown(value))

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class NotEmpty(fields.Raw):
    """Any value but the empty string, which could only unset it (a charge's ``source``, an id
    or card details that the service checks): ``source=`` is Stripe's ``parameter_invalid_empty``,
    not an unknown source named ''."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            raise ValidationError(_EMPTY)
        return value


MAX_STRING = 5000  # Stripe's longest string, where a parameter says no other length


class Str(fields.String):
    """A string of at most ``max_length`` characters (Stripe's default: 5000).

    With ``allow_empty``, ``field=`` unsets the field (``None``): Stripe sets a nullable
    string to ``null`` when sent an empty one (its changelog, 2013-08-12), which is how
    stripe-node sends a JavaScript ``null``.
    """

    default_error_messages = {
        "invalid": coded("parameter_invalid_string", "Invalid string: {input}"),
    }

    def __init__(self, *, max_length: int = MAX_STRING, allow_empty: bool = False, **kw: Any):
        self.max_length, self.allow_empty = max_length, allow_empty
        super().__init__(**kw)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid", input=_shown(value))
        if value == "":
            if not self.allow_empty:
                raise ValidationError(_EMPTY)
            return None
        if len(value) > self.max_length:
            raise ValidationError(coded(
                "parameter_invalid_string",
                f"Invalid string: {_shown(value)}; must be at most {self.max_length} characters"))
        refuse_secrets(value)
        return value


class OneOf(Str):
    """A string from a fixed set of choices."""

    def __init__(self, choices: tuple[str, ...] | list[str], **kw: Any):
        self.choices = tuple(choices)
        super().__init__(**kw)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value is None:
            return None  # `field=` unsets it, where the field allows that
        if value not in self.choices:
            raise ValidationError(coded(
                None, f"Invalid {{param}}: must be one of {', '.join(self.choices)}"))
        return value


class Currency(Str):
    """A three-letter ISO currency code, lower-cased."""

    SUPPORTED = ("usd", "eur", "gbp", "cad", "aud", "jpy", "chf", "sek", "nok", "dkk", "nzd",
                 "sgd", "hkd", "mxn", "brl", "inr", "pln", "czk")

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).lower()
        if value not in self.SUPPORTED:
            raise ValidationError(coded(
                None, f"Invalid currency: {_shown(value)}. Payground supports these currencies: "
                + ", ".join(self.SUPPORTED)))
        return value


class IsoCurrency(Str):
    """A currency that is only checked for its shape (three letters, lower-cased): a token's
    ``card[currency]``, which Stripe ignores on any card but a Connect account's debit card
    (so a real currency Payground does not charge in, ``thb``, is fine there)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=3, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value and not (len(value) == 3 and value.isascii()
                                                     and value.isalpha()):
            raise ValidationError(coded(None, messages.CARD_CURRENCY_INVALID.format(
                value=_shown(value))))
        return super()._deserialize(value, attr, data, **kwargs).lower()


class SendableUrl(Str):
    """An http(s) URL a webhook delivery can be sent to (``core.webhooks.sendable_url``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            sendable_url(value)
        except ValueError:  # UnicodeError and idna's errors too
            raise ValidationError(coded(
                "url_invalid", messages.WEBHOOK_URL_INVALID.format(url=_shown(value)))) from None
        return value


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Email(Str):
    def __init__(self, **kw: Any):
        super().__init__(max_length=320, **kw)  # the longest address there is (64 + 1 + 255)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value is None:
            return None  # unset, where the field allows that
        if not _EMAIL.match(value):
            raise ValidationError(coded("email_invalid", f"Invalid email address: {_shown(value)}"))
        return value


class StatementDescriptor(Str):
    """What a customer's card statement shows, by Stripe's rules (its "Statement descriptors"
    page): at most 22 characters and at least ``minimum`` (5 for a whole descriptor; a
    suffix follows the account's prefix, so 1 will do), a Latin letter, and none of
    ``< > \\ ' " *``. Read in NFKC form, so that a fullwidth look-alike (``＊``, ``＜``) is
    the character it looks like, not a way around the rule."""

    FORBIDDEN = frozenset("<>\\'\"*")

    def __init__(self, *, minimum: int = 5, **kw: Any):
        self.minimum = minimum
        super().__init__(max_length=22, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value is None:
            return None  # unset, where the field allows that
        plain = unicodedata.normalize("NFKC", value)
        if self.FORBIDDEN.intersection(plain):
            raise ValidationError(coded(None, messages.STATEMENT_DESCRIPTOR_CHARACTERS))
        if not re.search("[A-Za-z]", plain):
            raise ValidationError(coded(None, messages.STATEMENT_DESCRIPTOR_LETTER))
        if len(value) < self.minimum:
            raise ValidationError(coded(None, messages.STATEMENT_DESCRIPTOR_TOO_SHORT.format(
                minimum=self.minimum)))
        return value


class Metadata(fields.Field):
    """Stripe metadata: up to 50 keys of at most 40 characters, values of at most 500.

    An empty string value (``metadata[k]=``) means "remove k" on update; ``metadata=""``
    means "remove every key". Both are returned as ``None`` markers for the service.
    """

    MAX_KEYS, MAX_KEY, MAX_VALUE = 50, 40, 500

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None  # unset all
        if not isinstance(value, dict):  # metadata=x, or a JSON array
            raise ValidationError(coded(None, messages.INVALID_HASH))
        if len(value) > self.MAX_KEYS:
            raise ValidationError(coded(
                None, f"Invalid metadata: metadata can have at most {self.MAX_KEYS} keys."))
        result: dict[str, str | None] = {}
        for key, item in value.items():
            # A key pasted as a metadata key is stored too (and told as such, though longer
            # than a metadata key); past a string's length, only the length is read.
            if len(key) <= MAX_STRING:
                refuse_secrets(key)
            if len(key) > self.MAX_KEY:
                raise ValidationError(coded(
                    None, f"Invalid metadata: keys can be at most {self.MAX_KEY} characters "
                    f"long; {_shown(key)} is {len(key)}."))
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                raise ValidationError(coded(
                    None, f"Invalid metadata: the value of {_shown(key)} must be a string."))
            if len(item) > self.MAX_VALUE:
                raise ValidationError(coded(
                    None, f"Invalid metadata: values can be at most {self.MAX_VALUE} characters "
                    f"long; the value of {_shown(key)} is {len(item)}."))
            refuse_secrets(item)
            result[key] = item if item != "" else None
        return result

    def _serialize(self, value, attr, obj, **kwargs):
        return dict(value or {})


def string_array(value: Any) -> list[str]:
    """An array of strings as sent (``a[]=x&a[]=y``, ``a[0]=x``, a JSON array), or Stripe's
    error: ``a=x`` or ``a[k]=x`` where the array belongs is Stripe's "Invalid array" (Stripe
    reads no lone string as a one-item array), ``a=`` cannot unset it, and an item that is
    no string (or an empty one) is named by its index."""
    if value == "":
        raise ValidationError(_EMPTY)
    if not isinstance(value, list):
        raise ValidationError(coded(None, messages.INVALID_ARRAY))
    for index, item in enumerate(value):
        if item == "":
            raise ValidationError({index: [_EMPTY]})
        if not isinstance(item, str):
            raise ValidationError({index: [coded("parameter_invalid_string",
                                                 messages.INVALID_STRING.format(
                                                     value=_shown(item)))]})
    return value


class StringArray(fields.Field):
    """An array parameter of strings (``string_array``); subclasses check the items."""

    def _deserialize(self, value, attr, data, **kwargs):
        return string_array(value)


class Expand(StringArray):
    """``expand[]=customer`` / ``expand[0]=customer`` (a list of dotted paths)."""


# Timestamps are 32-bit columns: a bound outside them is refused, not sent to the database.
_TIME = {"minimum": -(2**31), "maximum": 2**31 - 1}


class TimeRange(StripeSchema):
    gt = Int(**_TIME)
    gte = Int(**_TIME)
    lt = Int(**_TIME)
    lte = Int(**_TIME)


class IntOrRange(fields.Field):
    """Stripe's ``created=<int>`` or ``created[gte]=<int>&created[lt]=<int>`` (timestamps)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            return TimeRange().load(value)  # errors name `created[gte]`
        return Int(**_TIME)._deserialize(value, attr, data, **kwargs)


class ListParams(StripeSchema):
    """What every list endpoint accepts (``created`` is applied by ``services.paginate``)."""

    limit = Int(minimum=1, maximum=100, load_default=10)
    starting_after = Str(max_length=255)
    ending_before = Str(max_length=255)
    created = IntOrRange()
    expand = Expand(load_default=list)

    @validates_schema
    def one_cursor(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Stripe's words for parameters that exclude each other (names in alphabetical order).
        if data.get("starting_after") and data.get("ending_before"):
            raise ValidationError(coded(None, messages.ONE_OF_PARAMS.format(
                params="ending_before, starting_after")))


class _ListOut(Schema):
    object = fields.Constant("list")
    url = fields.String()
    has_more = fields.Boolean()


@lru_cache(maxsize=None)
def list_schema(item_schema: type[Schema]) -> type[Schema]:
    """Stripe's ``{object: "list", url, has_more, data}`` around ``item_schema`` (cached).

    It dumps a ``services.common.Page``.
    """
    return type(f"{item_schema.__name__}List", (_ListOut,), {
        "data": fields.List(fields.Nested(item_schema), attribute="items"),
        "ITEM_SCHEMA": item_schema,
        # An expandable list (a charge's refunds) needs what reading its items needs.
        "READ_PERMISSIONS": getattr(item_schema, "READ_PERMISSIONS", ()),
    })


class SearchParams(StripeSchema):
    """What every ``/search`` endpoint (and the dashboard's search box) accepts."""

    query = Str(required=True)  # Stripe's 5000 characters at most
    limit = Int(minimum=1, maximum=100, load_default=10)
    page = Str()
    expand = Expand(load_default=list)


class _SearchResultOut(Schema):
    object = fields.Constant("search_result")
    url = fields.String()
    has_more = fields.Boolean()
    next_page = fields.String()
    # Stripe shows the count only when asked (expand[]=total_count): absent, not null, else.
    total_count = fields.Function(
        lambda page: missing if page.total_count is None else page.total_count)
    EXPANDED_BY_VIEW = ("total_count",)


@lru_cache(maxsize=None)
def search_result_schema(item_schema: type[Schema]) -> type[Schema]:
    """Stripe's ``{object: "search_result", url, has_more, next_page, data}`` (and
    ``total_count`` when expanded) around ``item_schema`` (cached). It dumps a
    ``services.search.SearchPage``."""
    return type(f"{item_schema.__name__}SearchResult", (_SearchResultOut,), {
        "data": fields.List(fields.Nested(item_schema), attribute="items"),
        "ITEM_SCHEMA": item_schema,
        "READ_PERMISSIONS": getattr(item_schema, "READ_PERMISSIONS", ()),
    })


class CardText(fields.Field):
    """Card data as a string (numbers in JSON bodies too); a bad value is never echoed back."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError(coded("parameter_invalid_string",
                                        "Invalid {param}: must be a string."))
        return str(value).strip()


# --- fast output ------------------------------------------------------------------------------
# marshmallow's dump walks every field through several generic calls (~2-4 µs a field), which
# made dumping a charge (50 fields) a tenth of a create-charge request. `fast_dumper` compiles
# an output schema into one small getter per field with exactly marshmallow's semantics for the
# field types output schemas use; any other field falls back to that field's own `serialize`,
# and a schema with dump hooks or its own attribute access falls back to `schema.dump` whole.
# The schema stays the only description of the output; tests check both give identical output.


def fast_dumper(schema: Schema):
    """A function ``obj -> dict`` that returns exactly ``schema.dump(obj)``, faster."""
    if (not isinstance(schema, Schema) or schema.many or schema._hooks[PRE_DUMP]
            or schema._hooks[POST_DUMP]
            or type(schema).get_attribute is not Schema.get_attribute):
        return schema.dump  # not a marshmallow schema (e.g. v1.balance.SourceOut), or hooks
    plan = [(field.data_key if field.data_key is not None else name,
             _field_getter(schema, name, field))
            for name, field in schema.dump_fields.items()]
    slow = schema.dump

    def dump(obj: Any) -> dict:
        if obj is None or hasattr(type(obj), "__getitem__"):
            return slow(obj)  # mappings are read by key; keep marshmallow's rules for them
        out = {}
        for key, get in plan:
            value = get(obj)
            if value is not _MISSING:
                out[key] = value
        return out

    return dump


@lru_cache(maxsize=None)
def dumper_for(schema_class: type[Schema]):
    """``fast_dumper`` of one shared instance of ``schema_class`` (built once per class)."""
    return fast_dumper(schema_class())


_MISSING = missing


def _field_getter(schema: Schema, name: str, field: fields.Field):
    kind = type(field)
    if kind is fields.Constant:
        constant = field.constant
        return lambda obj: constant
    if kind is fields.Function:
        return field.serialize_func
    attr = field.attribute or name

    def fallback(obj):
        return field.serialize(name, obj, accessor=schema.get_attribute)

    if "." in attr:
        return fallback
    convert = _converter(field)
    if convert is _NO_CONVERTER:
        return fallback

    def get(obj):
        value = getattr(obj, attr, _MISSING)
        if value is _MISSING:
            return fallback(obj)  # dump_default and friends: marshmallow's own rules
        return value if value is None or convert is None else convert(value)

    return get


_NO_CONVERTER = object()


def _converter(field: fields.Field):
    """What marshmallow's ``_serialize`` does to a non-None value; None for nothing."""
    serialize = type(field)._serialize
    if serialize is fields.Field._serialize:
        return None
    if serialize is fields.String._serialize:
        return lambda value: value if type(value) is str else ensure_text_type(value)
    if serialize is fields.Number._serialize and type(field).num_type is int \
            and not field.as_string and type(field)._format_num is fields.Number._format_num:
        return lambda value: value if type(value) is int else int(value)
    if (serialize is fields.Mapping._serialize and not field.key_field
            and not field.value_field):
        return field.mapping_type
    if (serialize is fields.List._serialize and type(field.inner) is fields.Nested
            and not field.inner.only and not field.inner.exclude and not field.inner.many):
        item = fast_dumper(field.inner.schema)
        return lambda value: [None if each is None else item(each) for each in value]
    return _NO_CONVERTER


# --- fast input -------------------------------------------------------------------------------
# Likewise for `Schema.load`: its generic machinery (error store, partial and hook checks, one
# closure per field) cost as much as the fields' own checks: 2 % of a create-charge request.
# `fast_loader` calls each sent field's `deserialize`, as marshmallow does, and hands anything
# else - an unknown parameter, any field's error, a schema with hooks - to `schema.load`, so an
# error is always marshmallow's own, reported in full.


def fast_loader(schema: Schema):
    """A function ``data -> dict`` that returns exactly ``schema.load(data)`` (and raises
    exactly what it raises), faster for valid data."""
    kind = type(schema)
    if (schema.many or schema.partial or schema.unknown != RAISE
            or any(schema._hooks[hook] for hook in (PRE_LOAD, POST_LOAD, VALIDATES,
                                                    VALIDATES_SCHEMA))
            or kind.load is not Schema.load or kind._do_load is not Schema._do_load
            or kind._deserialize is not Schema._deserialize or schema.dict_class is not dict):
        return schema.load
    plan = []
    for name, field in schema.load_fields.items():
        key = field.data_key if field.data_key is not None else name
        attribute = field.attribute or name
        if "." in attribute:
            return schema.load  # marshmallow nests the value: keep its rules
        # Unsent, a field that is neither required nor defaulted gives nothing: skipped.
        plan.append((key, attribute, field, field.required or field.load_default is not missing))
    known = frozenset(key for key, _, _, _ in plan)
    slow = schema.load

    def load(data: Any) -> Any:
        if type(data) is not dict or not known.issuperset(data):
            return slow(data)  # not a hash, or an unknown parameter: marshmallow's error
        out = {}
        try:
            for key, attribute, field, needed in plan:
                value = data.get(key, missing)
                if value is missing and not needed:
                    continue
                value = field.deserialize(value, key, data)
                if value is not missing:
                    out[attribute] = value
        except ValidationError:
            return slow(data)  # raises it again, with every other field's errors too
        return out

    return load
