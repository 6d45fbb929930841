"""How long an upgrade takes with a big request log (and, optionally, many charges).

    PYTHONPATH=app:. python bench/migration_bigdata.py [sqlite|postgresql+psycopg://...] \
        [version] [request_logs] [charges]

A database filled as ``version`` could be (``tests/schema_history``) gets ``request_logs``
more request-log rows and ``charges`` more captured charges (each with its balance
transaction), is taken back to ``version`` and upgraded; each step is timed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from migration_check import PEPPER, database, make_app  # noqa: E402

from tests.schema_history import downgrade, populate  # noqa: E402


def bulk(conn, account: str, request_logs: int, charges: int) -> None:
    n = sa.bindparam("n")
    series = ("generate_series(1, :n) AS s(i)" if conn.dialect.name == "postgresql" else
              "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
              "SELECT i FROM s) AS s")
    conn.execute(sa.text(
        "INSERT INTO request_logs (id, account_id, livemode, key_id, key_redacted, method, "
        "path, status, client_ip, idempotency_key, created, duration_ms) "
        f"SELECT 'req_bulk' || i, :a, false, 'key_x', 'sk_test_...abcd', 'POST', "
        f"'/v1/charges', 200, '127.0.0.1', NULL, 1700000000 + i, 3.5 FROM {series}"
    ).bindparams(n), {"a": account, "n": request_logs})
    if not charges:
        return
    cols = {c["name"]: c for c in sa.inspect(conn).get_columns("charges")}
    one = conn.execute(sa.text("SELECT * FROM charges WHERE captured = :t LIMIT 1"),
                       {"t": True}).mappings().one()
    names = [c for c in cols if c != "id"]
    values = ["'ch_bulk' || i" if c == "id" else c for c in ["id", *names]]
    conn.execute(sa.text(
        f"INSERT INTO charges (id, {', '.join(names)}) SELECT {', '.join(values)} "
        f"FROM charges, {series} WHERE charges.id = :one").bindparams(n),
        {"one": one["id"], "n": charges})
    txn = conn.execute(sa.text("SELECT * FROM balance_transactions WHERE source = :c"),
                       {"c": one["id"]}).mappings().first()
    names = [c for c in txn.keys() if c not in ("id", "source")]
    conn.execute(sa.text(
        f"INSERT INTO balance_transactions (id, source, {', '.join(names)}) "
        f"SELECT 'txn_bulk' || i, 'ch_bulk' || i, {', '.join(names)} "
        f"FROM balance_transactions, {series} WHERE balance_transactions.id = :t"
    ).bindparams(n), {"t": txn["id"], "n": charges})


def main() -> int:
    from payground import migrations
    from payground.app import dispose_app
    from payground.extensions import db

    target = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    version = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    request_logs = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
    charges = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    timings = {}
    for step, function in list(migrations.UPGRADES.items()):
        def timed(conn, function=function, step=step):
            started = time.perf_counter()
            function(conn)
            timings[step] = time.perf_counter() - started
        migrations.UPGRADES[step] = timed
    wall = [1_700_000_000.0]
    with tempfile.TemporaryDirectory() as tmp, database(target, Path(tmp)) as url:
        home = Path(tmp) / "home"
        app = make_app(home, url, wall)
        made = populate(app.test_client(), version, wall)
        dispose_app(app)
        app = make_app(home, url, wall)
        with app.app_context():
            started = time.perf_counter()
            with db.engine.begin() as conn:
                account = conn.execute(sa.text("SELECT id FROM accounts WHERE email = :e"),
                                       {"e": "old@example.com"}).scalar()
                bulk(conn, account, request_logs, charges)
            print(f"filled in {time.perf_counter() - started:.1f}s")
            downgrade(db.engine, version, PEPPER)
        dispose_app(app)
        started = time.perf_counter()
        app = make_app(home, url, wall)
        took = time.perf_counter() - started
        client = app.test_client()
        auth = {"Authorization": f"Bearer {made['old@example.com']['rolled']}"}
        balance = client.get("/v1/balance", headers=auth).get_json()
        dispose_app(app)
    steps = ", ".join(f"{k}: {v:.2f}s" for k, v in sorted(timings.items()))
    print(f"{target[:10]} from v{version}, {request_logs} request-log rows, {charges} more "
          f"charges: start-up with upgrade {took:.2f}s ({steps}); "
          f"available {balance['available'][0]['amount']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
