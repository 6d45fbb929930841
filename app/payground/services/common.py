"""Helpers every resource service uses: scoped lookups, pagination, metadata updates."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select, text

from .. import messages
from ..core.ids import new_sortable_id
from ..errors import InvalidRequestError, ParameterMissing, ResourceMissing
from ..models.base import db


@dataclass
class Page:
    """One page of a list: what ``list_schema`` dumps."""

    items: list[Any]
    has_more: bool
    url: str
    extra: dict[str, Any] = field(default_factory=dict)


def new_object_id(model) -> str:
    return new_sortable_id(model.id_prefix)


def get_scoped(model, account, livemode: bool, object_id: str, *, param: str | None = "id",
               for_update: bool = False):
    """The object ``object_id`` of ``model`` in this account and mode, or Stripe's 404.

    An object of the other mode gets Stripe's "a similar object exists in live mode" message;
    another account's object is indistinguishable from one that does not exist. ``param``
    is ``id`` for an object named in the path (as Stripe says), else the parameter's name.
    """
    query = select(model).where(model.id == object_id, model.account_id == account.id)
    if for_update:
        query = locking(query)
    obj = db.session.execute(query).scalar_one_or_none()
    noun = model.noun_for_messages()
    if obj is None:
        raise ResourceMissing(messages.NO_SUCH.format(noun=noun, id=object_id), param=param)
    if obj.livemode != livemode:
        raise ResourceMissing(messages.NO_SUCH_OTHER_MODE.format(
            noun=noun, id=object_id, other="live" if obj.livemode else "test",
            mode="live" if livemode else "test"), param=param)
    return obj


def get_scoped_child(model, account, livemode: bool, object_id: str, *, parent: str,
                     parent_id: str):
    """``get_scoped`` for an object named under another in the path
    (``/v1/charges/{charge}/refunds/{id}``): one whose ``parent`` is not ``parent_id`` is as
    unknown as a made-up id (404 naming ``id``)."""
    obj = get_scoped(model, account, livemode, object_id)
    if getattr(obj, parent) != parent_id:
        raise ResourceMissing(messages.NO_SUCH.format(noun=model.noun_for_messages(),
                                                      id=object_id), param="id")
    return obj


def locking(query):
    """``query`` as ``SELECT ... FOR UPDATE`` (the rows it reads locked until the commit; on
    SQLite a write transaction holds the whole database anyway), read afresh, not from the
    session's identity map."""
    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL would wait for the row forever; the error handler turns a timeout into
        # Stripe's 429 lock_timeout.
        db.session.execute(text("SET LOCAL lock_timeout = '10s'"))
    return query.with_for_update().execution_options(populate_existing=True)


def paginate(model, account, livemode: bool, params: dict[str, Any], url: str,
             filters: tuple = ()) -> Page:
    """Newest first, ``limit`` items, after ``starting_after`` or before ``ending_before``,
    created when ``created`` says (every list takes it, as Stripe's do)."""
    limit = params.get("limit", 10)
    scope = [model.account_id == account.id, model.livemode == livemode, *filters,
             *time_filters(model.created, params.get("created"))]
    query = select(model).where(*scope)
    after, before = params.get("starting_after"), params.get("ending_before")
    cursor = None
    if after:
        cursor = get_scoped(model, account, livemode, after, param="starting_after")
    if before:
        cursor = get_scoped(model, account, livemode, before, param="ending_before")
    return keyset_page(query, model.created, model.id, cursor, before=bool(before),
                       limit=limit, url=url)


def keyset_page(query, created, id_, cursor, *, before: bool, limit: int, url: str) -> Page:
    """``query`` (its rows in the list's scope) as one page, newest first by ``created`` then
    ``id_``: after ``cursor`` (a row with ``.created`` and ``.id``), or before it when
    ``before``."""
    if cursor is not None and before:
        # Walk forwards (oldest first) from the cursor, then show the page newest first.
        query = query.where(or_(created > cursor.created,
                                and_(created == cursor.created, id_ > cursor.id)))
        rows = db.session.execute(
            query.order_by(created.asc(), id_.asc()).limit(limit + 1)).scalars().all()
        return Page(items=list(reversed(rows[:limit])), has_more=len(rows) > limit, url=url)
    if cursor is not None:
        query = query.where(or_(created < cursor.created,
                                and_(created == cursor.created, id_ < cursor.id)))
    rows = db.session.execute(
        query.order_by(created.desc(), id_.desc()).limit(limit + 1)).scalars().all()
    return Page(items=list(rows[:limit]), has_more=len(rows) > limit, url=url)


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern (with ``escape="\\"``), its ``%``, ``_`` and ``\\``
    taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def time_filters(column, value) -> tuple:
    """``created=<int>`` or ``created[gt|gte|lt|lte]=<int>`` as SQL conditions on ``column``."""
    if value is None:
        return ()
    if isinstance(value, int):
        return (column == value,)
    operators = {"gt": column.__gt__, "gte": column.__ge__, "lt": column.__lt__,
                 "lte": column.__le__}
    return tuple(operators[op](bound) for op, bound in value.items())


def merge_metadata(current: dict | None, update: dict | None | object) -> dict:
    """Stripe's metadata update rules: ``""`` clears everything, ``k=""`` removes ``k``."""
    if update is None:
        return {}
    merged = dict(current or {})
    for key, value in update.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def clean_metadata(metadata: dict | None) -> dict:
    """Metadata on create: empty values are simply left out."""
    return {k: v for k, v in (metadata or {}).items() if v is not None}


def check_client_secret(intent, given: str | None, publishable: bool, mismatch: str) -> None:
    """A PaymentIntent's or SetupIntent's ``client_secret``: required from a publishable key,
    checked (in constant time) whenever given; ``mismatch`` is the intent's own message."""
    if given is None:
        if publishable:
            raise ParameterMissing("client_secret")
        return
    if not hmac.compare_digest(given.encode(), intent.client_secret.encode()):
        raise InvalidRequestError(mismatch, param="client_secret")
