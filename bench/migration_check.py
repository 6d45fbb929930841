"""Upgrade a database from every earlier schema version and check that nothing is lost.

    PYTHONPATH=app:. python bench/migration_check.py [sqlite|postgresql+psycopg://...] [versions]

For each version: a fresh database filled through the API with what that version could hold
(``tests/schema_history.populate``), every row read, the schema taken back to that version,
read again, upgraded by ``create_app``, read a third time. Every row and value read before
the downgrade and after it must still be there after the upgrade; then the old keys, the old
session, the balances, the lists and the ledger's verification must answer as before.
"""

from __future__ import annotations

import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import fresh_pg_schema
from tests.schema_history import (downgrade, forget_not_kept, lost_or_changed, populate,
                                  seen_by_api, snapshot)

PEPPER = "migration-check-pepper"


@contextmanager
def database(target: str, home: Path):
    if target == "sqlite":
        yield f"sqlite:///{home / 'payground.db'}"
        return
    with fresh_pg_schema("mig", target) as url:
        yield url


def make_app(home, url, wall):
    from payground import create_app
    from payground.core.clock import Clock

    return create_app({"HOME": str(home), "DATABASE_URL": url, "TESTING": True,
                       "RATE_LIMITS": "off", "SECRET": PEPPER, "PASSWORD_COST": 2**8,
                       "CLOCK": Clock(wall=lambda: wall[0]), "REQUEST_LOG_FLUSH_MS": 0})


def check(target: str, version: int) -> list[str]:
    from payground.app import dispose_app
    from payground.extensions import db

    wall = [1_700_000_000.0]
    with tempfile.TemporaryDirectory() as tmp, database(target, Path(tmp)) as url:
        home = Path(tmp) / "home"
        app = make_app(home, url, wall)
        made = populate(app.test_client(), version, wall)
        dispose_app(app)
        app = make_app(home, url, wall)  # a fresh app: nothing in flight
        before_api = seen_by_api(app.test_client(), made)
        with app.app_context():
            engine = db.engine
            before = snapshot(engine)
            downgrade(engine, version, PEPPER)
            old = snapshot(engine)
        dispose_app(app)
        started = time.perf_counter()
        app = make_app(home, url, wall)
        took = time.perf_counter() - started
        with app.app_context():
            after = snapshot(db.engine)
            version_now = db.session.execute(sa.text(
                "SELECT version FROM payground_schema")).scalar()
            db.session.remove()
        client = app.test_client()
        after_api = seen_by_api(client, made)
        verify = client.get("/sandbox/ledger/verify", headers={
            "Authorization": f"Bearer {made['old@example.com']['session']}"}).get_json()
        dispose_app(app)
    for rows in (before, old, after):
        rows.pop("payground_schema")
    forget_not_kept(before, version)
    # Version 7 withholds the webhook secrets older ones saved with Idempotency-Key answers.
    problems = [f"kept from v{version}: {p}" for p in lost_or_changed(old, after, exact=False)
                if not (version < 7 and p.startswith("idempotency_records") and "whsec_" in p)]
    problems += [f"as before the downgrade: {p}" for p in lost_or_changed(before, after)]
    problems += [f"API {k}: {before_api[k]!r:.300} -> {after_api.get(k)!r:.300}"
                 for k in before_api if before_api[k] != after_api.get(k)]
    if (verify["ok"], verify["problems"]) != (True, []):
        problems.append(f"ledger verify: {verify}")
    from payground.migrations import SCHEMA_VERSION
    if version_now != SCHEMA_VERSION:
        problems.append(f"version {version_now}")
    print(f"{target[:10]} v{version}: upgrade took {took:.2f}s, "
          f"{len(problems)} problems", flush=True)
    return problems


def main() -> int:
    from payground.migrations import SCHEMA_VERSION

    target = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    versions = ([int(v) for v in sys.argv[2].split(",")] if len(sys.argv) > 2
                else range(1, SCHEMA_VERSION))
    failed = 0
    for version in versions:
        problems = check(target, version)
        for p in problems:
            print("   ", p)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
