#!/usr/bin/env python3
"""Balance-read latency with 10 and with 1,000,000 ledger entries (issue #4).

``GET /v1/balance`` reads the ledger's running totals (``ledger_balances``) and first runs the
lazy catch-up, which finds what came due through the ``ledger_schedule`` index. Neither looks
at the entries, so a read must cost the same whatever their number; the catch-up's own work
depends only on what came due since the last read. This measures both.

One database (a fresh SQLite home, or a fresh schema on ``--database-url``) holds one account
per ``--entries`` size, each made by a real signup. Their history is bulk-inserted with Core
``INSERT ... SELECT`` from a generated sequence of numbers, exactly the rows the app writes for
a captured ``tok_visa`` charge: the charge, its balance transaction, the ``charge`` journal
(card_payments -amount, pending +net, stripe_fees +fee) and, once settled, the ``settlement``
journal (pending -net, available +net); the running totals are then recomputed from the
entries. The largest account also gets ``--tranches``: groups of charges still pending, each
group due one hour after the previous one (a ``settle`` row in ``ledger_schedule`` each), so
a clock advance can make exactly N of them due. ``GET /sandbox/ledger/verify`` must pass for
every account before and after the run.

Then:

1. the SQL of one ``GET /v1/balance`` per account, captured in-process, with its query plan;
2. in-process (Flask test client, no HTTP): microseconds per whole request, the accounts
   alternating batch by batch;
3. over HTTP (the headline): ``payground serve`` on that database (rate limits off), one
   keep-alive connection, ``--requests`` sequential GETs per account with the accounts
   alternating request by request; p50, p90, p99 and their ratio to the smallest account;
4. catch-up: for each tranche, the largest account's clock is moved just past its due time
   (by writing ``accounts.clock_offset``, which is what the wall clock passing looks like to
   the app; ``--advance sandbox`` uses ``POST /sandbox/clock/advance`` instead, which runs the
   catch-up inside that request) and the first read after it - the one that settles N
   transactions - is timed on its own, then ``--after-reads`` more. Every first read's
   ``available`` must have grown by exactly the tranche's net.

Usage (from the repo root):
    .venv/bin/python bench/balance_read.py                          # SQLite, 10 vs 1,000,000
    .venv/bin/python bench/balance_read.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/balance_read.py --entries 10,100000 --requests 500 --tranches 0,100
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager

from _common import PAYGROUND, SHARED, out_factory, verdict  # noqa: E402 (bench/)
DAY = 86400
TRANCHE_GAP = 3600  # seconds between two tranches' due times
SETTLED_ENTRIES, PENDING_ENTRIES = 5, 3  # entries per settled / still pending charge


def amount_of(n: int) -> int:
    """The amount of seeded charge ``n`` (mirrors ``seed_charges``' SQL)."""
    return 500 + (n * 7919) % 100000


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


# --- the database ---------------------------------------------------------------------------


@contextmanager
def fresh_database(url: str | None):
    """``(home, database url)``: a temp home, plus a new PostgreSQL schema if ``url`` is given."""
    home = tempfile.mkdtemp(prefix="pg-balance-")
    if not url:
        try:
            yield home, None
        finally:
            shutil.rmtree(home, ignore_errors=True)
        return
    import sqlalchemy as sa

    schema = f"bench_{secrets.token_hex(4)}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    try:
        yield home, f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()
        shutil.rmtree(home, ignore_errors=True)


def signup(client, email: str) -> dict:
    r = client.post("/sandbox/signup", json={"email": email, "password": "bench password 123"})
    assert r.status_code == 201, (r.status_code, r.get_data(as_text=True)[:300])
    body = r.get_json()
    return {"id": body["account"]["id"], "key": body["keys"]["secret"],
            "session": body["session"]}


# --- seeding --------------------------------------------------------------------------------


def seed_charges(conn, seq, account_id: str, tag: str, lo: int, hi: int, card: dict, *,
                 created, available_on, settled: bool) -> None:
    """Charges ``lo..hi`` of the numbers in ``seq``, with everything the app writes for them.

    ``created`` and ``available_on`` are SQL expressions of the number ``n``. A settled charge
    gets its settlement journal; a pending one gets its ``settle`` row in the schedule.
    """
    from sqlalchemy import String, cast, insert, literal, select

    from payground.models.balance_transaction import BalanceTransaction
    from payground.models.charge import Charge
    from payground.models.ledger import LedgerEntry, LedgerJournal, LedgerSchedule

    n = seq.c.n
    rows = select().select_from(seq).where(n.between(lo, hi))
    # Fixed-width ids (n + 10**9): string order is number order, as with the app's ids.
    num = cast(n + 1_000_000_000, String)
    amount = 500 + (n * 7919) % 100000
    fee = (amount * 29 + 500) // 1000 + 30  # money.fee: 2.9 % rounded half-up, + 30

    def ident(prefix: str):
        return literal(prefix + tag) + num

    def add(table, **columns):
        names = list(columns)
        exprs = [c if hasattr(c, "compile") else literal(c, table.c[k].type)
                 for k, c in columns.items()]
        conn.execute(insert(table).from_select(names, rows.add_columns(*exprs)))

    common = {"account_id": account_id, "livemode": False}
    add(BalanceTransaction.__table__, id=ident("txn_"), created=created, amount=amount, fee=fee,
        net=amount - fee, currency="usd", type="charge", reporting_category="charge",
        source=ident("ch_"), description=None, available_on=available_on, **common)
    add(Charge.__table__, id=ident("ch_"), created=created, amount=amount,
        amount_captured=amount, amount_refunded=0, currency="usd", captured=True,
        refunded=False, status="succeeded", result="success", failure_code=None,
        failure_message=None, description=None, receipt_email=None, statement_descriptor=None,
        metadata={}, customer_id=None, balance_transaction_id=ident("txn_"),
        payment_intent_id=None, payment_method_id=None, card_id=ident("card_"),
        **{k: v for k, v in card.items() if k != "card_id"}, **common)
    journals = [("c", "charge", created)] + ([("s", "settlement", available_on)] if settled
                                             else [])
    for letter, kind, when in journals:
        add(LedgerJournal.__table__, id=ident(f"jnl_{letter}"), created=when, kind=kind,
            source=ident("ch_"), balance_transaction_id=ident("txn_"), **common)
    moves = [("c", "card_payments", -amount), ("c", "pending", amount - fee),
             ("c", "stripe_fees", fee)]
    if settled:
        moves += [("s", "pending", -(amount - fee)), ("s", "available", amount - fee)]
    for letter, ledger_account, value in moves:
        add(LedgerEntry.__table__, journal_id=ident(f"jnl_{letter}"),
            ledger_account=ledger_account, currency="usd", amount=value, **common)
    if not settled:
        add(LedgerSchedule.__table__, due_at=available_on, kind="settle", ref=ident("txn_"),
            **common)


def recompute_totals(conn, account_id: str) -> None:
    """Running totals = the sums of the account's entries (what ``verify`` checks)."""
    from sqlalchemy import delete, func, insert, select

    from payground.models.ledger import LedgerBalance, LedgerEntry

    e = LedgerEntry.__table__.c
    conn.execute(delete(LedgerBalance.__table__).where(
        LedgerBalance.__table__.c.account_id == account_id))
    conn.execute(insert(LedgerBalance.__table__).from_select(
        ["account_id", "livemode", "currency", "ledger_account", "amount"],
        select(e.account_id, e.livemode, e.currency, e.ledger_account, func.sum(e.amount))
        .where(e.account_id == account_id)
        .group_by(e.account_id, e.livemode, e.currency, e.ledger_account)))


def seed(app, accounts: list[dict], tranches: list[int], repeats: int, out) -> list[dict]:
    """Bulk-insert every account's history; returns the tranches (largest account only)."""
    from sqlalchemy import (BigInteger, Column, Integer, MetaData, Table, cast, func, insert,
                            literal, select, text)

    from payground.core import cards, money
    from payground.extensions import db
    from payground.services import tokens

    state = app.extensions["payground"]
    now = state.clock.now()
    card = tokens.card_columns(cards.magic_card("tok_visa", now=now, key=state.pepper))
    card.update(cvc_check="pass", card_name=None)
    plan = []  # (account, lo, hi, settled, tranche index or None)
    next_n = 1
    schedule = []
    big = accounts[-1]
    pending_total = 0
    for r in range(repeats):
        for size in tranches:
            schedule.append({"size": size, "repeat": r + 1, "due_at": now + 2 * TRANCHE_GAP
                             + len(schedule) * TRANCHE_GAP})
            pending_total += size
    for acct in accounts:
        pending = pending_total if acct is big else 0
        acct["settled"] = max(0, (acct["entries"] - PENDING_ENTRIES * pending) // SETTLED_ENTRIES)
        acct["pending"] = pending
        plan.append((acct, next_n, next_n + acct["settled"] - 1, True, None))
        next_n += acct["settled"]
    for i, tranche in enumerate(schedule):
        tranche["lo"], tranche["hi"] = next_n, next_n + tranche["size"] - 1
        tranche["net"] = sum(money.net(amount_of(n))
                             for n in range(tranche["lo"], tranche["hi"] + 1))
        plan.append((big, tranche["lo"], tranche["hi"], False, i))
        next_n += tranche["size"]
    total = next_n - 1
    t0 = time.perf_counter()
    with app.app_context(), db.engine.begin() as conn:
        seq = Table("bench_seq", MetaData(), Column("n", Integer, primary_key=True),
                    prefixes=["TEMPORARY"])
        seq.create(conn)
        numbers = select(cast(literal(1), Integer).label("n")).cte("numbers", recursive=True)
        numbers = numbers.union_all(select(numbers.c.n + 1).where(numbers.c.n < total))
        if total:
            conn.execute(insert(seq).from_select(["n"], select(numbers.c.n)))
        for acct, lo, hi, settled, index in plan:
            if hi < lo:
                continue
            n = seq.c.n
            if settled:  # spread over the past month, all available since long ago
                created = literal(now - 30 * DAY) + n
                available_on = created + 2 * DAY
            else:  # created two days before the tranche's due time, like any charge
                available_on = literal(schedule[index]["due_at"], BigInteger)
                created = available_on - 2 * DAY
            seed_charges(conn, seq, acct["id"], acct["tag"], lo, hi, card, created=created,
                         available_on=available_on, settled=settled)
        for acct in accounts:
            recompute_totals(conn, acct["id"])
        seq.drop(conn)
        if conn.dialect.name == "postgresql":
            # Autovacuum would get there within a minute; do it now so plans are settled.
            conn.execute(text("ANALYZE"))
        from payground.models.ledger import LedgerEntry

        for acct in accounts:
            acct["entry_count"] = conn.execute(
                select(func.count()).select_from(LedgerEntry)
                .where(LedgerEntry.account_id == acct["id"])).scalar_one()
    out(f"  seeded {total:,} charges in {time.perf_counter() - t0:.1f} s: " + "; ".join(
        f"{a['name']}: {a['entry_count']:,} entries ({a['settled']:,} settled charges, "
        f"{a['pending']:,} pending)" for a in accounts))
    return schedule


def verify(client, acct: dict, out, label: str) -> dict:
    t0 = time.perf_counter()
    r = client.get("/sandbox/ledger/verify",
                   headers={"Authorization": f"Bearer {acct['session']}"})
    seconds = time.perf_counter() - t0
    body = r.get_json()
    out(f"  verify {acct['name']} ({label}): ok={body['ok']} checked={body['checked']} "
        f"in {seconds:.1f} s" + (f" problems: {body['problems'][:5]}" if not body["ok"] else ""))
    return body


# --- in-process -----------------------------------------------------------------------------


def balance_plans(app, acct: dict) -> list[tuple[str, list[str]]]:
    """Each SELECT that one ``GET /v1/balance`` sends about the ledger, with its plan."""
    from sqlalchemy import event

    from payground.extensions import db

    seen: list[tuple] = []

    def capture(_conn, _cursor, sql, params, _context, _many):
        if sql.lstrip().upper().startswith("SELECT") and "ledger_" in sql:
            seen.append((sql, params))

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", capture)
        try:
            r = app.test_client().get("/v1/balance",
                                      headers={"Authorization": f"Bearer {acct['key']}"})
            assert r.status_code == 200, r.get_data(as_text=True)[:300]
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        prefix = ("EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite"
                  else "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ")
        plans = []
        raw = engine.raw_connection()
        try:
            for sql, params in seen:
                cur = raw.cursor()
                cur.execute(prefix + sql, params)
                plans.append((" ".join(sql.split()),
                              [" ".join(str(c) for c in row) for row in cur.fetchall()]))
            raw.rollback()
        finally:
            raw.close()
    return plans


def in_process(app, accounts: list[dict], batches: int, per_batch: int) -> dict[str, list]:
    """Microseconds per whole ``GET /v1/balance`` (test client), accounts alternating."""
    client = app.test_client()
    figures: dict[str, list] = {a["name"]: [] for a in accounts}
    for i in range(batches + 1):
        for acct in accounts if i % 2 else accounts[::-1]:
            headers = {"Authorization": f"Bearer {acct['key']}"}
            t0 = time.perf_counter()
            for _ in range(per_batch):
                r = client.get("/v1/balance", headers=headers)
            assert r.status_code == 200, r.get_data(as_text=True)[:200]
            if i:  # the first round warms caches
                figures[acct["name"]].append((time.perf_counter() - t0) * 1e6 / per_batch)
    return figures


# --- over HTTP ------------------------------------------------------------------------------


class Client:
    """One keep-alive connection; ``get`` returns (status, body, milliseconds)."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=600)

    def request(self, method: str, path: str, token: str, body: str | None = None):
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        ms = (time.perf_counter() - t0) * 1000
        return resp.status, data, ms

    def close(self) -> None:
        self.conn.close()


def available(body: bytes) -> int:
    return sum(f["amount"] for f in json.loads(body)["available"])


def steady_reads(client: Client, accounts: list[dict], requests: int, warmup: int) -> dict:
    """Sequential reads, the accounts alternating request by request (order flipped each
    round so neither always goes first)."""
    times: dict[str, list[float]] = {a["name"]: [] for a in accounts}
    for i in range(warmup + requests):
        for acct in accounts if i % 2 else accounts[::-1]:
            status, data, ms = client.request("GET", "/v1/balance", acct["key"])
            assert status == 200, (status, data[:200])
            if i >= warmup:
                times[acct["name"]].append(ms)
    return times


def set_clock(app, acct: dict, account_now: int) -> None:
    """Move the account's clock so that its time is ``account_now``, as wall time would."""
    from sqlalchemy import update

    from payground.extensions import db
    from payground.models.account import Account

    with app.app_context(), db.engine.begin() as conn:
        offset = account_now - app.extensions["payground"].clock.now()
        conn.execute(update(Account.__table__).where(Account.__table__.c.id == acct["id"])
                     .values(clock_offset=offset))


def catch_up_reads(app, client: Client, big: dict, schedule: list[dict], args, out) -> list:
    """For each tranche: move the clock past it, time the first read, then a few more."""
    rows = []
    status, data, _ = client.request("GET", "/v1/balance", big["key"])
    before = available(data)
    for tranche in schedule:
        target = tranche["due_at"] + TRANCHE_GAP // 2
        advance_ms = None
        if args.advance == "sandbox":
            _, clock, _ = client.request("GET", "/sandbox/clock", big["session"])
            seconds = target - json.loads(clock)["now"]
            status, data, advance_ms = client.request(
                "POST", "/sandbox/clock/advance", big["session"], f"seconds={seconds}")
            assert status == 200, (status, data[:200])
        else:
            set_clock(app, big, target)
        status, data, first_ms = client.request("GET", "/v1/balance", big["key"])
        assert status == 200, (status, data[:300])
        now_available = available(data)
        ok = now_available - before == tranche["net"]
        before = now_available
        after = [client.request("GET", "/v1/balance", big["key"])[2]
                 for _ in range(args.after_reads)]
        row = {"size": tranche["size"], "repeat": tranche["repeat"], "first_ms": first_ms,
               "advance_ms": advance_ms, "after_p50_ms": statistics.median(after) if after
               else None, "settled_ok": ok}
        rows.append(row)
        out(f"  catch-up {tranche['size']:>6,} due (repeat {tranche['repeat']}): "
            + (f"advance {advance_ms:.2f} ms, " if advance_ms is not None else "")
            + f"first read {first_ms:.2f} ms, next {args.after_reads} reads p50 "
            f"{row['after_p50_ms']:.2f} ms; available +{tranche['net']:,} "
            + ("as expected" if ok else "WRONG"))
    return rows


# --- summary --------------------------------------------------------------------------------


def blocks(values: list[float], count: int, q: float) -> list[float]:
    """The ``q`` percentile of each of ``count`` consecutive blocks (the noise yardstick)."""
    size = max(1, len(values) // count)
    return [percentile(values[i:i + size], q) for i in range(0, size * count, size)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", default="10,1000000",
                    help="ledger entries per account, comma-separated; the first is the "
                         "reference, the last gets the pending tranches (default 10,1000000)")
    ap.add_argument("--database-url", help="a PostgreSQL URL: a fresh schema is created in it "
                    "and dropped at the end (default: SQLite in a fresh temp home)")
    ap.add_argument("--requests", type=int, default=2000, help="timed reads per account (2000)")
    ap.add_argument("--warmup", type=int, default=100, help="untimed reads per account first")
    ap.add_argument("--tranches", default="0,1,10,100,1000,10000",
                    help="pending charges made due by each clock advance (0 = a control "
                         "advance with nothing due)")
    ap.add_argument("--tranche-repeats", type=int, default=3)
    ap.add_argument("--after-reads", type=int, default=20,
                    help="reads timed after each catch-up's first read")
    ap.add_argument("--advance", choices=("offset", "sandbox"), default="offset",
                    help="offset: write accounts.clock_offset (time passing; the first read "
                         "catches up); sandbox: POST /sandbox/clock/advance (it catches up)")
    ap.add_argument("--workers", type=int, default=1, help="payground serve --workers (1)")
    ap.add_argument("--threads", type=int, default=1, help="payground serve --threads (1)")
    ap.add_argument("--batches", type=int, default=6, help="in-process batches per account")
    ap.add_argument("--per-batch", type=int, default=300, help="in-process requests per batch")
    ap.add_argument("--tolerance", type=float, default=0.05,
                    help="a difference under this fraction counts as noise (0.05; 0.25 for p99)")
    ap.add_argument("--no-http", action="store_true", help="plans and in-process figures only")
    ap.add_argument("--no-verify", action="store_true", help="skip /sandbox/ledger/verify")
    ap.add_argument("--out", help="also append everything printed to FILE")
    ap.add_argument("--json-out", help="write all figures as JSON to FILE")
    args = ap.parse_args()
    sizes = [int(s) for s in args.entries.split(",") if s.strip()]
    tranches = [int(s) for s in args.tranches.split(",") if s.strip()]
    out = out_factory(args.out)
    sys.path.insert(0, str(SHARED))
    import bench  # the shared harness: ServerProc (process-group handling)

    import payground

    out(f"# balance_read.py {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC  "
        f"load: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    out(f"# entries {sizes}; {args.requests} sequential GET /v1/balance per account "
        f"(+{args.warmup} warm-up); tranches {tranches} x {args.tranche_repeats}; "
        f"advance by {args.advance}; serve --workers {args.workers} --threads {args.threads}")
    result: dict = {"args": vars(args)}
    with fresh_database(args.database_url) as (home, url):
        config = {"HOME": home, "RATE_LIMITS": "off", "PASSWORD_COST": 2**14}
        if url:
            config["DATABASE_URL"] = url
        app = payground.create_app(config)
        out(f"# database: {app.config['DATABASE_URL'].split('?')[0]}"
            + (f" (schema {url.split('%3D')[1]})" if url else ""))
        client = app.test_client()
        accounts = []
        for i, size in enumerate(sizes):
            acct = signup(client, f"balance-read-{i}-{secrets.token_hex(3)}@example.com")
            acct.update(name=f"{size:,} entries", entries=size, tag=f"bench{i}x")
            accounts.append(acct)
        schedule = seed(app, accounts, tranches, args.tranche_repeats, out)
        result["accounts"] = [{k: a[k] for k in ("name", "entries", "entry_count", "settled",
                                                 "pending")} for a in accounts]
        if not args.no_verify:
            for acct in accounts:
                assert verify(client, acct, out, "after seeding")["ok"]
        for acct in accounts:
            plans = balance_plans(app, acct)
            result.setdefault("plans", {})[acct["name"]] = plans
            for sql, plan in plans:
                out(f"  {acct['name']}: {sql}")
                for row in plan:
                    out(f"      plan: {row}")
        figures = in_process(app, accounts, args.batches, args.per_batch)
        result["in_process_us"] = figures
        for acct in accounts:
            d = figures[acct["name"]]
            out(f"  in-process GET /v1/balance, {acct['name']}: median {statistics.median(d):.1f}"
                f" us (min {min(d):.1f}, max {max(d):.1f}, {len(d)} batches of {args.per_batch})")
        with app.app_context():
            from payground.extensions import db

            db.engine.dispose()  # nothing of ours holds a connection while the server runs
        if not args.no_http:
            work_dir = tempfile.mkdtemp(prefix="pg-balance-logs-")
            env = f"PAYGROUND_HOME={shlex.quote(home)} PAYGROUND_RATE_LIMITS=off"
            if url:
                env += f" PAYGROUND_DATABASE_URL={shlex.quote(url)}"
            server = bench.ServerProc(
                "payground", f"env {env} {PAYGROUND} serve --port {{port}} "
                f"--workers {args.workers} --threads {args.threads}", work_dir)
            server.start()
            try:
                ready = server.wait_ready("GET /v1/balance", accounts[0]["key"], timeout=120)
                assert ready.get("ok"), ready
                http_client = Client(server.url)
                times = steady_reads(http_client, accounts, args.requests, args.warmup)
                result["http_ms"] = times
                if tranches:
                    try:
                        result["catch_up"] = catch_up_reads(app, http_client, accounts[-1],
                                                            schedule, args, out)
                    except AssertionError:
                        out(f"  server log tail:\n{server.log_tail(4000)}")
                        raise
                http_client.close()
                if not args.no_verify:
                    # Over HTTP, on the running server: the app's own settlements included.
                    for acct in accounts:
                        c = Client(server.url)
                        t0 = time.perf_counter()
                        status, data, _ = c.request("GET", "/sandbox/ledger/verify",
                                                    acct["session"])
                        body = json.loads(data)
                        out(f"  verify {acct['name']} (after the run, over HTTP): "
                            f"ok={body['ok']} checked={body['checked']} in "
                            f"{time.perf_counter() - t0:.1f} s"
                            + ("" if body["ok"] else f" problems: {body['problems'][:5]}"))
                        result.setdefault("verify_after", {})[acct["name"]] = body["ok"]
                        c.close()
            finally:
                server.stop()
                shutil.rmtree(work_dir, ignore_errors=True)
        report(result, accounts, args, out)
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump(result, f, indent=1)
    return 0


def report(result: dict, accounts: list[dict], args, out) -> None:
    ref = accounts[0]["name"]
    out("")
    out(f"## GET /v1/balance: {', '.join(a['name'] for a in accounts)} "
        f"(ratio = largest / {ref})")
    names = [a["name"] for a in accounts]
    out("| metric | " + " | ".join(names) + " | ratio | verdict |")
    out("|---|" + "---:|" * len(names) + "---:|---|")
    d = result["in_process_us"]
    ratio, word = verdict(d[ref], d[names[-1]], args.tolerance)
    out("| in-process, whole request (test client), median us | "
        + " | ".join(f"{statistics.median(d[n]):.1f}" for n in names)
        + f" | {ratio:.2f}x | {word} |")
    if "http_ms" in result:
        times = result["http_ms"]
        for q in (50, 90, 99):
            # Noise yardstick: the percentile in each of 10 consecutive blocks of requests.
            tol = 0.25 if q == 99 else args.tolerance
            ratio, word = verdict(blocks(times[ref], 10, q), blocks(times[names[-1]], 10, q), tol)
            ratio = percentile(times[names[-1]], q) / percentile(times[ref], q)
            out(f"| HTTP p{q} ms ({args.requests} sequential) | "
                + " | ".join(f"{percentile(times[n], q):.2f}" for n in names)
                + f" | {ratio:.2f}x | {word} |")
    rows = result.get("catch_up")
    if rows:
        out("")
        out(f"## catch-up: the first GET /v1/balance after the clock passes N settlements "
            f"({names[-1]}; advance by {args.advance})")
        has_advance = rows[0]["advance_ms"] is not None
        out("| N due | first read ms (each repeat) | median | "
            + ("advance ms (median) | " if has_advance else "")
            + "ms per settlement | next reads p50 ms | settled right |")
        out("|---:|---|---:|" + ("---:|" if has_advance else "") + "---:|---:|---|")
        for size in dict.fromkeys(r["size"] for r in rows):
            mine = [r for r in rows if r["size"] == size]
            first = statistics.median(r["first_ms"] for r in mine)
            work = first if not has_advance else statistics.median(r["advance_ms"] for r in mine)
            # What a first read costs with nothing due (the N = 0 control advance), or else
            # an ordinary read of the same account.
            timed = "advance_ms" if has_advance else "first_ms"
            base = statistics.median([r[timed] for r in rows if r["size"] == 0]
                                     or result.get("http_ms", {}).get(names[-1], [float("nan")]))
            per = (work - base) / size if size else float("nan")
            out(f"| {size:,} | " + " / ".join(f"{r['first_ms']:.2f}" for r in mine)
                + f" | {first:.2f} | "
                + (f"{work:.2f} | " if has_advance else "")
                + (f"{per:.3f} | " if size else "- | ")
                + f"{statistics.median(r['after_p50_ms'] for r in mine):.2f} | "
                + ("yes" if all(r["settled_ok"] for r in mine) else "NO") + " |")


if __name__ == "__main__":
    sys.exit(main())
