"""Search: a query (``core.search_query``) turned into SQL on one resource, a page at a time.

Each resource lists the fields Stripe documents for it (docs.stripe.com/search, "Supported
query fields for each resource"), as Payground stores them. A field has Stripe's type, which
decides its operators (Stripe's table: token "exact match (case insensitive)", string "exact
match, substring (case insensitive)", numeric "exact match, greater than and less than"):

- ``token``: ``:`` the whole value, case-insensitively (metadata values, ids, a charge's
  ``status`` ...); ``:null`` for absence.
- ``string`` (a customer's ``email``, ``name`` and ``phone``): ``:`` finds the query's words
  in that order among the field's (Stripe's ``name:"one two three"`` finds "one two three
  four"; words are split at spaces here), ``~`` a substring of at least 3 characters; both
  case-insensitive.
- ``numeric``: ``:``, ``>``, ``<``, ``>=``, ``<=`` on integers (amounts, ``created``).

Results are newest first, as lists are; the next page starts after the last row shown, named
by a signed cursor (``core.search_page``). Rows are this account's and this mode's only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, String, and_, false, func, literal, not_, or_, select, true

from .. import messages
from ..core import search_page
from ..core.search_query import Clause, QueryError, parse
from ..errors import InvalidRequestError
from ..models.base import db
from ..models.charge import Charge
from ..models.customer import Customer
from ..models.payment_intent import PaymentIntent
from . import charge_expiry, ledger
from .common import Page, like_literal

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
    refunded: bool = False  # Stripe's three-way ``refunded`` (see _refunded)
    bits: int = 32  # a numeric column's size (PostgreSQL refuses a bound outside it)


def _metadata() -> Field:
    """``metadata["key"]``: the column is the key's value (``_metadata_value``)."""
    return Field("token", lambda m: m.metadata_)


def _string(attr: str) -> Field:
    return Field("string", lambda m: getattr(m, attr), EQUALITY + ("~",))


def _token(attr: str) -> Field:
    return Field("token", lambda m: getattr(m, attr))


def _absent() -> Field:
    """A field Stripe has that no Payground object fills (a Terminal card's ``last4``):
    ``null`` on every row, so ``:"x"`` finds nothing and ``:null`` everything."""
    return Field("token", lambda m: literal(None, String))


def _numeric(attr: str, bits: int = 32) -> Field:
    return Field("numeric", lambda m: getattr(m, attr), COMPARISONS, bits=bits)


def _card_number(attr: str) -> Field:
    """``exp_month``/``exp_year``: Stripe's strings, integer columns here (exact only)."""
    return Field("numeric", lambda m: getattr(m, attr))


_CARD = "payment_method_details.card."
# Stripe's payment_method_details.{card,card_present,interac_present}.*: Payground's charges
# are all online card charges, so the two Terminal sources are never filled.
_TERMINAL = {f"payment_method_details.{source}.{name}": _absent()
             for source in ("card_present", "interac_present")
             for name in ("brand", "exp_month", "exp_year", "fingerprint", "last4")}
FIELDS: dict[str, dict[str, Field]] = {
    "customers": {
        "created": _numeric("created"), "email": _string("email"),
        "metadata": _metadata(), "name": _string("name"), "phone": _string("phone"),
    },
    "charges": {
        "amount": _numeric("amount", 64),
        "billing_details.address.postal_code": Field(
            "token", lambda m: m.billing_address["postal_code"].as_string()),
        "created": _numeric("created"), "currency": _token("currency"),
        "customer": _token("customer_id"),
        # Payground has no disputes: no charge is disputed.
        "disputed": Field("token", lambda m: literal(False, Boolean), boolean=True),
        "metadata": _metadata(),
        _CARD + "brand": _token("brand"), _CARD + "exp_month": _card_number("exp_month"),
        _CARD + "exp_year": _card_number("exp_year"),
        _CARD + "fingerprint": _token("fingerprint"), _CARD + "last4": _token("last4"),
        **_TERMINAL,
        "refunded": Field("token", lambda m: m.refunded, refunded=True),
        "status": _token("status"),
    },
    "payment_intents": {
        "amount": _numeric("amount", 64), "created": _numeric("created"),
        "currency": _token("currency"), "customer": _token("customer_id"),
        "metadata": _metadata(), "status": _token("status"),
    },
}
MODELS = {"customers": Customer, "charges": Charge, "payment_intents": PaymentIntent}
# Stripe's anchors on docs.stripe.com/search ("Query fields for PaymentIntents").
_ANCHORS = {"customers": "customers", "charges": "charges", "payment_intents": "paymentintents"}


@dataclass
class SearchPage(Page):
    """One page of a search: what ``search_result_schema`` dumps."""

    next_page: str | None = None
    total_count: int | None = None  # None: not asked for (Stripe's expand[]=total_count)


def search(resource: str, account, livemode: bool, clock, params: dict[str, Any], url: str,
           *, secret: str, count: bool = False) -> SearchPage:
    """The page of ``resource`` (customers | charges | payment_intents) that ``params``
    (``query``, ``limit``, ``page``) asks for.

    :param secret: the app's secret, which signs the ``page`` cursors.
    :param count: also count every row the query finds (``total_count``, which Stripe
        gives only when asked with ``expand[]=total_count``).
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
    after = []
    if params.get("page"):
        try:
            created, last_id = search_page.read(secret, scope, params["page"])
        except search_page.PageError:
            raise InvalidRequestError(messages.SEARCH_PAGE_INVALID, param="page") from None
        after.append(or_(model.created < created,
                         and_(model.created == created, model.id < last_id)))
    if resource != "customers":
        # Authorisations past their seven days expire first (a charge becomes refunded, its
        # intent canceled), so that a status or refunded clause sees them as they are.
        ledger.catch_up(account, livemode, clock)
    limit = params.get("limit", 10)
    rows = db.session.execute(
        select(model).where(*conditions, *after)
        .order_by(model.created.desc(), model.id.desc()).limit(limit + 1)).scalars().all()
    items, has_more = list(rows[:limit]), len(rows) > limit
    if resource == "charges":
        charge_expiry.catch_up_charges(account, livemode, clock, items)
    elif resource == "payment_intents":
        charge_expiry.catch_up_intents(account, livemode, clock, items)
    next_page = (search_page.make(secret, scope, items[-1].created, items[-1].id)
                 if has_more else None)
    total = (db.session.execute(select(func.count()).select_from(model).where(*conditions))
             .scalar_one() if count else None)  # the whole query's, whatever the page
    return SearchPage(items=items, has_more=has_more, url=url, next_page=next_page,
                      total_count=total)


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
    if spec.refunded:
        matched = _refunded(model, clause.value)
    elif clause.value is None:
        if clause.operator != ":":
            raise _invalid(messages.SEARCH_NULL_OPERATOR.format(field=clause.name))
        matched = column.is_(None)
    else:
        # Never NULL, so that a negation is exact: -email:"x" keeps customers without email.
        matched = and_(column.is_not(None), _match(spec, column, clause))
    return not_(matched) if clause.negated else matched


def _refunded(model, value: str | None):
    """Stripe's ``refunded``: ``"true"`` fully refunded, ``"false"`` partly refunded,
    ``null`` not refunded at all (docs.stripe.com/search, "Query fields for charges")."""
    if value is None:
        return and_(model.refunded.is_(False), model.amount_refunded == 0)
    if value.lower() == "true":
        return model.refunded.is_(True)
    if value.lower() == "false":
        return and_(model.refunded.is_(False), model.amount_refunded > 0)
    return false()  # neither true nor false: nothing is


def _match(spec: Field, column, clause: Clause):
    value = clause.value
    if spec.boolean:
        if value.lower() not in ("true", "false"):
            return false()  # neither true nor false: nothing is
        return column == (true() if value.lower() == "true" else false())
    if spec.kind == "numeric":
        # Length first: int() of a string past 4,300 digits raises (CPython's guard), and
        # nothing past 19 digits fits 64 bits anyway.
        if (not _INTEGER.match(value) or len(value.lstrip("-").lstrip("0")) > 19
                or abs(int(value)) >= 2**63):
            raise _invalid(messages.SEARCH_NOT_AN_INTEGER.format(field=clause.name,
                                                                 value=_quoted(value)))
        return _compare(column, clause.operator, int(value), spec.bits)
    # The database's lower() on both sides (SQLite's folds ASCII only): consistent.
    if spec.kind == "token":
        return func.lower(column) == func.lower(value)
    if clause.operator == "~":
        if len(value) < SUBSTRING_MIN:
            raise _invalid(messages.SEARCH_SUBSTRING_TOO_SHORT.format(field=clause.name,
                                                                      min=SUBSTRING_MIN))
        return func.lower(column).like(func.lower(f"%{like_literal(value)}%"), escape="\\")
    words = " ".join(value.split())
    if not words:  # name:"" (or spaces): no word to look for, so the whole (empty) value
        return func.lower(column) == func.lower(value)
    # The words, in order, among the field's: " one two three four " holds "% one two three %".
    return func.lower(" " + column + " ").like(func.lower(f"% {like_literal(words)} %"),
                                               escape="\\")


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
