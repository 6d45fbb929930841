"""Hot-path writes: rows prepared first, then run back to back on the DBAPI cursor.

Why both halves matter (create-charge, measured in ``bench/RESULTS.md``):

- **Prepared first.** On SQLite a write transaction holds the database's single write lock
  from its first statement to COMMIT (``extensions.configure_sqlite``). A charge used to take
  it at its first INSERT and keep it while it built the charge, the ledger rows and the
  event's snapshot, so two workers mostly waited for each other. :class:`Writes` collects the
  rows; :meth:`Writes.run` opens the transaction only to execute them.
- **On the DBAPI cursor.** A Core statement is compiled once per dialect and column set; each
  run then binds the values with the column types' own bind processors (JSON, dates ...) and
  calls ``cursor.execute``/``executemany`` itself, in the session's transaction. That skips
  SQLAlchemy's per-execution bookkeeping (cache key, execution context, result), most of a
  statement's cost here. ``before_cursor_execute`` listeners are still called (with no
  execution context); ``echo`` logging and ``after_cursor_execute`` do not see these rows.

Only plain statements qualify: a statement whose compiled form needs a value the rows do not
carry (a Python-side column default) or that returns rows runs through SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.dml import Insert

from ..extensions import db

Row = Mapping[str, Any]

# (statement, dialect name, column keys) -> _Plan, or None when the statement must go
# through SQLAlchemy. Statements are module-level constants or cached, so this stays small.
_plans: dict[tuple[Any, str, tuple[str, ...]], _Plan | None] = {}
_inserts: dict[Any, Insert] = {}  # table -> its INSERT (one object, so plans are shared)


class _Plan:
    __slots__ = ("sql", "names", "processors", "positional")

    def __init__(self, sql: str, names: tuple[str, ...], processors: tuple, positional: bool):
        self.sql, self.names, self.processors = sql, names, processors
        self.positional = positional

    def bind(self, row: Row):
        values = [row[name] for name in self.names]
        for i, process in self.processors:
            if values[i] is not None:
                values[i] = process(values[i])
        return tuple(values) if self.positional else dict(zip(self.names, values))


def insert_statement(table) -> Insert:
    """``table.insert()``, one shared object per table."""
    statement = _inserts.get(table)
    if statement is None:
        statement = _inserts[table] = table.insert()
    return statement


def upsert_insert(dialect_name: str, table) -> Insert:
    """``table``'s INSERT with ``on_conflict_do_update``/``_do_nothing``: PostgreSQL's, else
    SQLite's (both dialects spell ON CONFLICT alike).

    The dialect is imported here, when first needed: importing PostgreSQL's at module level
    cost every start-up ~15 ms, SQLite deployments included.
    """
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def execute(connection, statement, rows: Sequence[Row]) -> None:
    """Run ``statement`` once per row of ``rows`` (same keys in every row) on ``connection``.

    :param connection: a SQLAlchemy ``Connection`` in a transaction (the session's).
    :raises sqlalchemy.exc.DBAPIError: as SQLAlchemy would (IntegrityError, OperationalError
        ...), so the error handlers treat both paths alike.
    """
    if rows:
        _run(connection, statement, *_bound(statement, rows, connection.dialect))


def _bound(statement, rows: Sequence[Row], dialect) -> tuple[_Plan | None, Sequence]:
    """``statement``'s plan and the rows bound for it (``(None, rows)``: through SQLAlchemy).

    Needs the dialect only, not a connection: :meth:`Writes.run` binds (JSON encoding
    included) before its transaction begins."""
    plan = _plan(statement, dialect, tuple(rows[0]))
    if plan is None:
        return None, rows
    return plan, [plan.bind(row) for row in rows]


def _run(connection, statement, plan: _Plan | None, params: Sequence) -> None:
    if plan is None:
        connection.execute(statement, list(params) if len(params) > 1 else params[0])
        return
    cursor = connection.connection.cursor()
    listeners = connection.dispatch.before_cursor_execute
    if listeners:  # statement listeners (tests, SQL tracing) still see what runs
        many = len(params) > 1
        for listener in listeners:
            listener(connection, cursor, plan.sql, params if many else params[0], None, many)
    try:
        if len(params) == 1:
            cursor.execute(plan.sql, params[0])
        else:
            cursor.executemany(plan.sql, params)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(plan.sql, params, exc, connection.dialect.loaded_dbapi.Error,
                                  dialect=connection.dialect) from exc
    finally:
        cursor.close()


def _plan(statement, dialect, keys: tuple[str, ...]) -> _Plan | None:
    cache_key = (statement, dialect.name, keys)
    try:
        return _plans[cache_key]
    except KeyError:
        pass
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    plan = None
    if set(names) <= set(keys) and not compiled.returning:
        table = statement.table
        processors = []
        for i, name in enumerate(names):
            processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((i, processor))
        plan = _Plan(compiled.string, names, tuple(processors), compiled.positional)
    _plans[cache_key] = plan
    return plan


class Writes:
    """Rows to write in one go, in the order they were added (foreign keys first).

    Build everything a request writes (objects, ledger rows, events) into one ``Writes``,
    then :meth:`run` it: the transaction (and on SQLite the write lock) starts there.
    """

    def __init__(self) -> None:
        self._steps: list[tuple[Any, list[Row]]] = []
        self._objects: list[Any] = []

    def add(self, statement, rows: Row | Sequence[Row]) -> None:
        """Queue ``statement`` for ``rows`` (one mapping or a list of them).

        ``statement`` may be a callable taking the dialect's name and returning the statement
        (for dialect-specific ones such as upserts), resolved when :meth:`run` runs.
        """
        rows = [rows] if isinstance(rows, Mapping) else list(rows)
        if rows:
            self._steps.append((statement, rows))

    def insert(self, obj) -> None:
        """Queue ``obj``'s INSERT; :meth:`run` puts it in the session, persistent.

        Unset columns are filled as :func:`models.base.insert_now` describes, now, so what
        the caller reads from ``obj`` (e.g. for an event's snapshot) is what is stored.
        """
        from .base import row_values  # base imports this module

        self.add(insert_statement(type(obj).__table__), row_values(obj))
        self._objects.append(obj)

    def run(self, connection=None) -> None:
        """Execute everything queued on ``connection`` (default: the session's).

        Only the statements run inside the transaction: the rows are bound (JSON encoded ...)
        and the objects put in the session first, so on SQLite the writer lock is not held
        for that work (about a quarter of the CPU a charge spent holding it).
        """
        session = db.session
        dialect = (connection if connection is not None else session.get_bind()).dialect
        bound = []
        for statement, rows in self._steps:
            if callable(statement) and not hasattr(statement, "compile"):
                statement = statement(dialect.name)
            bound.append((statement, *_bound(statement, rows, dialect)))
        # Attached before their rows exist, which is safe: they join the session persistent,
        # not pending (no flush would INSERT them), and nothing reads through the session
        # before the statements below have run. Should one fail, the caller's rollback
        # expires them like every object of the failed transaction.
        for obj in self._objects:
            make_transient_to_detached(obj)
            session.add(obj)
        if connection is None:
            connection = session.connection()  # BEGIN (on SQLite: the writer lock) here
        for statement, plan, params in bound:
            _run(connection, statement, plan, params)
        self._steps.clear()
        self._objects.clear()
