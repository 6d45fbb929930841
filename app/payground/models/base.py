"""The declarative base and the mixin that scopes every row to an account and a mode."""

from __future__ import annotations

import functools
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String, inspect
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.attributes import instance_state

from ..extensions import Base, db
from .direct import Writes

__all__ = ["AccountScoped", "Base", "Writes", "build", "db", "insert_now", "row_values"]


def build(model: type, **values):
    """A new, transient ``model`` holding ``values``, made without attribute events.

    The declarative constructor fires an instrumented set per attribute (~37 us for a charge's
    forty, a twentieth of the create-charge request's Python time); this puts the values in
    the instance's dict (~2 us). Only for objects that :class:`Writes` inserts: nothing here
    tracks changes, so a flush would not know what to write. Unlike the constructor it runs
    no ``@validates`` hooks and sets no backrefs (the models it is used for have neither).
    """
    obj = _manager(model).new_instance()
    obj.__dict__.update(values)
    return obj


@functools.cache
def _manager(model: type):
    from sqlalchemy.orm import configure_mappers
    from sqlalchemy.orm.base import manager_of_class

    # The constructor would configure the mappers on first use; `new_instance` does not, and
    # an unconfigured model's attributes have no implementation yet: the first assignment
    # after `build` failed in a fresh process (`gunicorn payground.wsgi:app`, whose workers
    # skip `payground serve`'s warm-up).
    configure_mappers()
    return manager_of_class(model)


def insert_now(obj) -> None:
    """INSERT ``obj``'s row now (one statement) and put ``obj`` in the session, persistent.

    For hot paths that create a row and read it back only from the object: it skips the
    unit of work's flush of ``obj`` (about a fifth of a create-charge request). Unset columns
    without a default are set to None and scalar defaults applied, on the object too, so
    nothing is loaded back later. Foreign keys must be set as columns (a relationship alone
    is not synced), and the rows they point at must already be in the database. To write
    several rows with the transaction opened only for the statements, use
    :class:`models.direct.Writes`.
    """
    writes = Writes()
    writes.insert(obj)
    writes.run()


def row_values(obj) -> dict:
    """``obj``'s row as ``{column key: value}``, unset columns filled (see ``insert_now``)."""
    columns = _insert_columns(type(obj))
    loaded = instance_state(obj).dict
    for attr, _, default in columns:
        if attr not in loaded and default is not _CORE_DEFAULT:
            setattr(obj, attr, default)
    return {column_key: loaded[attr] for attr, column_key, _ in columns if attr in loaded}


_CORE_DEFAULT = object()  # a callable default: left to the INSERT (the object loads it back)


@functools.cache
def _insert_columns(model: type) -> tuple[tuple[str, str, object], ...]:
    """(attribute, column key, value when unset) of each of ``model``'s columns."""
    columns = []
    for prop in inspect(model).column_attrs:
        column = prop.columns[0]
        if column.server_default is not None or (column.default is not None
                                                  and not column.default.is_scalar):
            default = _CORE_DEFAULT
        else:
            default = column.default.arg if column.default is not None else None
        columns.append((prop.key, column.key, default))
    return tuple(columns)


class AccountScoped:
    """``id``, ``account_id``, ``livemode`` and ``created`` for every Stripe object.

    Subclasses declare their Stripe identity: ``object`` ("charge"), ``id_prefix`` ("ch_")
    and ``noun`` (used in "No such charge: ..."; defaults to ``object``).
    """

    object: ClassVar[str]
    id_prefix: ClassVar[str]
    noun: ClassVar[str | None] = None

    # Byte-order collation on PostgreSQL: ids are time-ordered base62 and break `created` ties.
    id: Mapped[str] = mapped_column(
        String(64).with_variant(String(64, collation="C"), "postgresql"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(default=False)
    created: Mapped[int] = mapped_column(index=False)

    @declared_attr
    def account_id(cls) -> Mapped[str]:
        return mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)

    @declared_attr.directive
    def __table_args__(cls):
        # Every list is "this account, this mode, newest first": one index serves them all.
        return (Index(f"ix_{cls.__tablename__}_scope", "account_id", "livemode", "created", "id"),)

    @classmethod
    def noun_for_messages(cls) -> str:
        return cls.noun or cls.object
