"""Search: a query (``core.search_query``) turned into SQL on one resource, a page at a time.

Each resource lists the fields Stripe documents for it (docs.stripe.com/search, "Query fields
for ..."), as Payground stores them. A field has a kind, which decides its operators:

- ``string``: ``:`` exact and case-insensitive; ``~`` substring (at least 3 characters) only
  where Stripe shows it (a customer's ``email`` and ``name``); ``:null`` for absence.
- ``token``: ``:`` exact and case-sensitive (metadata values; ids, whose case is part of
  them); ``:null`` for absence.
- ``numeric``: ``:``, ``>``, ``<``, ``>=``, ``<=`` on integers (amounts, ``created``).

Results are newest first, as lists are; the next page starts after the last row shown, named
by a signed cursor (``core.search_page``). Rows are this account's and this mode's only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, and_, false, func, literal, not_, or_, select, true

from .. import messages
from ..core import search_page
from ..core.search_query import Clause, QueryError, parse
from ..errors import InvalidRequestError
from ..models.base import db
from ..models.charge import Charge
from ..models.customer import Customer
from ..models.payment_intent import PaymentIntent
from . import charge_expiry, ledger
from .common import Page

SUBSTRING_MIN = 3  # Stripe's minimum for ``~``
_INTEGER = re.compile(r"-?[0-9]+$")
EQUALITY = (":",)
COMPARISONS = (":", ">", "<", ">=", "<=")


@dataclass(frozen=True)
class Field:
    kind: str  # string | token | numeric
    column: Callable[[type], Any]  # model -> SQL expression (None where absent)
    operators: tuple[str, ...] = EQUALITY
    boolean: bool = False  # Stripe's "true"/"false" strings on a boolean column
    bits: int = 32  # a numeric column's size (PostgreSQL refuses a bound outside it)


def _metadata() -> Field:
    """``metadata["key"]``: the column is the key's value (``_metadata_value``)."""
    return Field("token", lambda m: m.metadata_)


def _string(attr: str, *operators: str) -> Field:
    return Field("string", lambda m: getattr(m, attr), EQUALITY + operators)


def _id(attr: str) -> Field:
    """An object's id: exact, as ids are (case-sensitive base62; and the column's index serves)."""
    return Field("token", lambda m: getattr(m, attr))


def _numeric(attr: str, bits: int = 32) -> Field:
    return Field("numeric", lambda m: getattr(m, attr), COMPARISONS, bits=bits)


def _card_number(attr: str) -> Field:
    """``exp_month``/``exp_year``: Stripe's strings, integer columns here (exact only)."""
    return Field("numeric", lambda m: getattr(m, attr))


_CARD = "payment_method_details.card."
FIELDS: dict[str, dict[str, Field]] = {
    "customers": {
        "created": _numeric("created"), "email": _string("email", "~"),
        "metadata": _metadata(), "name": _string("name", "~"),
        "phone": _string("phone"),
    },
    "charges": {
        "amount": _numeric("amount", 64),
        "billing_details.address.postal_code": Field(
            "string", lambda m: m.billing_address["postal_code"].as_string()),
        "created": _numeric("created"), "currency": _string("currency"),
        "customer": _id("customer_id"),
        # Payground has no disputes: no charge is disputed.
        "disputed": Field("string", lambda m: literal(False, Boolean), boolean=True),
        "metadata": _metadata(),
        _CARD + "brand": _string("brand"), _CARD + "exp_month": _card_number("exp_month"),
        _CARD + "exp_year": _card_number("exp_year"),
        _CARD + "fingerprint": _string("fingerprint"), _CARD + "last4": _string("last4"),
        "refunded": Field("string", lambda m: m.refunded, boolean=True),
        "status": _string("status"),
    },
    "payment_intents": {
        "amount": _numeric("amount", 64), "created": _numeric("created"),
        "currency": _string("currency"), "customer": _id("customer_id"),
        "metadata": _metadata(), "status": _string("status"),
    },
}
MODELS = {"customers": Customer, "charges": Charge, "payment_intents": PaymentIntent}
# Stripe's anchors on docs.stripe.com/search ("Query fields for PaymentIntents").
_ANCHORS = {"customers": "customers", "charges": "charges", "payment_intents": "paymentintents"}


@dataclass
class SearchPage(Page):
    """One page of a search: what ``search_result_schema`` dumps."""

    next_page: str | None = None


def search(resource: str, account, livemode: bool, clock, params: dict[str, Any], url: str,
           *, secret: str) -> SearchPage:
    """The page of ``resource`` (customers | charges | payment_intents) that ``params``
    (``query``, ``limit``, ``page``) asks for.

    :param secret: the app's secret, which signs the ``page`` cursors.
    :raises InvalidRequestError: the query cannot be read, names a field the resource lacks or
        an operator the field does not take (``param: query``), or ``page`` is not a cursor
        this search made (``param: page``).
    """
    model = MODELS[resource]
    query = params["query"]
    where = _where(resource, model, query)
    scope = search_page.Scope(account.id, livemode, resource, query)
    conditions = [model.account_id == account.id, model.livemode == livemode, where]
    if resource == "customers":
        conditions.append(model.deleted.is_(False))  # as in the list
    if params.get("page"):
        try:
            created, last_id = search_page.read(secret, scope, params["page"])
        except search_page.PageError:
            raise InvalidRequestError(messages.SEARCH_PAGE_INVALID, param="page") from None
        conditions.append(or_(model.created < created,
                              and_(model.created == created, model.id < last_id)))
    if resource != "customers":
        # Authorisations past their seven days expire first (a charge becomes refunded, its
        # intent canceled), so that a status or refunded clause sees them as they are.
        ledger.catch_up(account, livemode, clock)
    limit = params.get("limit", 10)
    rows = db.session.execute(
        select(model).where(*conditions).order_by(model.created.desc(), model.id.desc())
        .limit(limit + 1)).scalars().all()
    items, has_more = list(rows[:limit]), len(rows) > limit
    if resource == "charges":
        charge_expiry.catch_up_charges(account, livemode, clock, items)
    elif resource == "payment_intents":
        charge_expiry.catch_up_intents(account, livemode, clock, items)
    next_page = (search_page.make(secret, scope, items[-1].created, items[-1].id)
                 if has_more else None)
    return SearchPage(items=items, has_more=has_more, url=url, next_page=next_page)


def _where(resource: str, model, text: str):
    try:
        query = parse(text)
    except QueryError as error:
        raise InvalidRequestError(str(error), param="query") from None
    conditions = [_condition(resource, model, clause) for clause in query.clauses]
    return and_(*conditions) if query.conjunction == "AND" else or_(*conditions)


def _condition(resource: str, model, clause: Clause):
    spec = FIELDS[resource].get(clause.field)
    if spec is None or (clause.field == "metadata") != (clause.key is not None):
        raise InvalidRequestError(messages.SEARCH_FIELD_UNSUPPORTED.format(
            field=clause.name, resource=resource, anchor=_ANCHORS[resource]), param="query")
    if clause.operator not in spec.operators:
        raise _invalid(messages.SEARCH_OPERATOR_UNSUPPORTED.format(
            field=clause.name, operator=clause.operator, operators=" ".join(spec.operators)))
    column = (_metadata_value(model, clause.key) if clause.key is not None
              else spec.column(model))
    if clause.value is None:
        if clause.operator != ":":
            raise _invalid(messages.SEARCH_NULL_OPERATOR.format(field=clause.name))
        matched = column.is_(None)
    else:
        # Never NULL, so that a negation is exact: -email:"x" keeps customers without email.
        matched = and_(column.is_not(None), _match(spec, column, clause))
    return not_(matched) if clause.negated else matched


def _match(spec: Field, column, clause: Clause):
    value = clause.value
    if spec.boolean:
        if value.lower() not in ("true", "false"):
            return false()  # neither true nor false: nothing is
        return column == (true() if value.lower() == "true" else false())
    if spec.kind == "numeric":
        if not _INTEGER.match(value) or abs(int(value)) >= 2**63:
            raise _invalid(messages.SEARCH_NOT_AN_INTEGER.format(field=clause.name,
                                                                 value=_quoted(value)))
        return _compare(column, clause.operator, int(value), spec.bits)
    if spec.kind == "token":
        return column == value
    if clause.operator == "~":
        if len(value) < SUBSTRING_MIN:
            raise _invalid(messages.SEARCH_SUBSTRING_TOO_SHORT.format(field=clause.name,
                                                                      min=SUBSTRING_MIN))
        # The database's lower() on both sides (SQLite's folds ASCII only): consistent.
        pattern = "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return func.lower(column).like(func.lower(pattern), escape="\\")
    return func.lower(column) == func.lower(value)


def _compare(column, operator: str, number: int, bits: int):
    """``column <operator> number``. A number outside the column's range is not sent
    (PostgreSQL would fail on it): every value is then above it, or below it."""
    if -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        return {":": column == number, ">": column > number, "<": column < number,
                ">=": column >= number, "<=": column <= number}[operator]
    above = number < 0  # every value is greater than the number
    return true() if {":": False, ">": above, ">=": above, "<": not above,
                      "<=": not above}[operator] else false()


def _metadata_value(model, key: str):
    """The text of ``metadata[key]`` (NULL when absent), whatever characters ``key`` holds."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite's JSON paths cannot quote a key holding '"' (SQLAlchemy's `column[key]`
        # builds '$."a"b"', an error): read the pairs instead, the key a bound parameter.
        pairs = func.json_each(model.metadata_).table_valued("key", "value")
        return select(pairs.c.value).where(pairs.c.key == key).scalar_subquery()
    return model.metadata_[key].as_string()  # PostgreSQL: metadata ->> %(key)s


def _quoted(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "..."


def _invalid(message: str) -> InvalidRequestError:
    return InvalidRequestError(message, param="query")
