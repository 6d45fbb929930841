"""Extensions created unbound here and attached to an app in ``create_app``."""

from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Objects stay loaded after commit: a view dumps what it just wrote without a second SELECT.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def configure_sqlite(engine) -> None:
    """WAL, a busy timeout, and write transactions that take the write lock up front.

    pysqlite's own BEGIN is deferred: two requests that read a charge and then refund it
    would both read first and one would fail with SQLITE_BUSY at its first write. Starting
    every transaction of a write request with ``BEGIN IMMEDIATE`` serialises writers (readers
    carry on under WAL) - the SQLite counterpart of PostgreSQL's ``SELECT ... FOR UPDATE``.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing() else "BEGIN")


def _writing() -> bool:
    from flask import g, has_request_context, request

    if not has_request_context():
        return True
    return request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("read_phase")
