#!/usr/bin/env python3
"""Authentication cost with a small and a large key store (issue #3): 10 vs 100,000 keys.

For each store size a fresh PAYGROUND_HOME is built in-process: ``create_app``, a signup (its
``sk_test_`` key is the one measured), then accounts and ``api_keys`` rows inserted in bulk
with Core (digests from ``core.keys.digest`` and the app's pepper, ten keys per account) until
the table holds the wanted number of keys. Then:

1. the query plan of the key lookup, captured from a real ``services.keys.authenticate`` call
   (it must be an index search by digest, never a scan);
2. in-process: microseconds per ``authenticate`` + commit (what ``http/auth.py`` does), median
   of ``--batches`` batches - no HTTP, so the lookup's own cost is visible;
3. over HTTP: ``payground serve`` on that home (rate limits off) and ``wrk`` on an
   authenticated cheap GET (``--path``, default ``/v1/balance``), the sizes alternating
   A B A B on fresh server processes; req/s, p50 and p99.

The summary gives each figure's median per size, the ratio large/small and a verdict: "within
noise" when the large store's repeats fall inside the spread of the small store's (or the
difference is under ``--tolerance``).

Usage (from the repo root; needs wrk, see bench/run.sh):
    .venv/bin/python bench/auth_cost.py                        # 10 and 100000 keys, -d 5, 5 repeats
    .venv/bin/python bench/auth_cost.py --keys 10,1000000 -d 10 --repeats 3
    .venv/bin/python bench/auth_cost.py --no-http              # plan + in-process figures only
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _common import PAYGROUND, SHARED, out_factory, verdict  # noqa: E402 (bench/)
KEYS_PER_ACCOUNT = 10


# --- building a store ----------------------------------------------------------------------


def build_store(total_keys: int, out) -> dict:
    """A fresh home whose api_keys table holds ``total_keys`` rows; returns home, key, app."""
    from sqlalchemy import func, insert, select

    import payground
    from payground.core import keys as keyfmt
    from payground.extensions import db
    from payground.models.account import Account
    from payground.models.api_key import ApiKey

    home = tempfile.mkdtemp(prefix=f"pg-authcost-{total_keys}-")
    app = payground.create_app({"HOME": home, "RATE_LIMITS": "off"})
    client = app.test_client()
    r = client.post("/sandbox/signup", json={"email": "auth-cost@example.com",
                                             "password": "bench password 123"})
    assert r.status_code in (200, 201), (r.status_code, r.get_data(as_text=True)[:300])
    key = re.search(r'"(sk_test_[0-9A-Za-z]+)"', r.get_data(as_text=True)).group(1)
    pepper = app.extensions["payground"].pepper
    t0 = time.perf_counter()
    with app.app_context():
        # The session would hold SQLite's write lock (BEGIN IMMEDIATE outside a request):
        # everything here goes through one Core connection instead.
        with db.engine.connect() as conn:
            existing = conn.execute(select(func.count()).select_from(ApiKey)).scalar()
            conn.rollback()
        missing = max(total_keys - existing, 0)
        n_accounts = -(-missing // KEYS_PER_ACCOUNT)
        now = int(time.time())
        # Not a real password hash: these accounts never sign in.
        accounts = [dict(id=f"acct_seed{i:010d}", email=f"seed-{i}@example.com",
                         password_hash="!", created=now, clock_offset=0, live_enabled=False)
                    for i in range(n_accounts)]
        rows = []
        for i in range(missing):
            secret = keyfmt.with_checksum("sk_test_", secrets.token_hex(16))  # 32 hex chars
            rows.append(dict(id=f"key_seed{i:012d}", account_id=accounts[i // KEYS_PER_ACCOUNT]["id"],
                             livemode=False, type="secret", name=None, note=None,
                             digest=keyfmt.digest(pepper, secret), prefix="sk_test_",
                             last4=secret[-4:], created=now, last_used=None, expires_at=None,
                             revoked_at=None, permissions=None, ip_allowlist=None,
                             rolled_from=None))
        with db.engine.begin() as conn:
            for start in range(0, len(accounts), 5000):
                conn.execute(insert(Account.__table__), accounts[start:start + 5000])
            for start in range(0, len(rows), 5000):
                conn.execute(insert(ApiKey.__table__), rows[start:start + 5000])
            count = conn.execute(select(func.count()).select_from(ApiKey)).scalar()
    out(f"  store {total_keys}: {count} api_keys rows ({missing} inserted, {n_accounts} "
        f"accounts) in {(time.perf_counter() - t0) * 1000:.0f} ms; home {home}")
    return {"home": home, "key": key, "app": app, "count": count}


def lookup_plan(store: dict) -> list[str]:
    """The database's plan for the SELECT that ``authenticate`` really issues."""
    from sqlalchemy import event

    from payground.core import keys as keyfmt
    from payground.extensions import db
    from payground.services import keys as key_service

    app = store["app"]
    state = app.extensions["payground"]
    digest = keyfmt.digest(state.pepper, store["key"])
    with app.test_request_context("/v1/balance"):
        engine = db.engine
        if hasattr(key_service, "compile_lookup"):  # the lookup runs on a raw DBAPI cursor
            statement, positional = key_service.compile_lookup(engine.dialect)
            parameters = (digest,) if positional else {"digest": digest}
        else:  # an older app: capture what the ORM sends
            seen: list[tuple] = []

            def capture(_conn, _cursor, sql, params, _context, _many):
                if sql.lstrip().upper().startswith("SELECT") and "api_keys" in sql:
                    seen.append((sql, params))

            event.listen(engine, "before_cursor_execute", capture)
            try:
                key_service.authenticate(store["key"], state.pepper, state.clock)
            finally:
                event.remove(engine, "before_cursor_execute", capture)
                db.session.rollback()
            statement, parameters = seen[0]
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(prefix + statement, parameters)
            plan = [" ".join(str(c) for c in row) for row in cur.fetchall()]
        finally:
            raw.close()
    return [" ".join(statement.split())] + plan


def direct_cost(store: dict, batches: int, per_batch: int) -> list[float]:
    """Microseconds per authenticate + commit, one figure per batch (after a warm-up)."""
    from payground.extensions import db
    from payground.services import keys as key_service

    app = store["app"]
    state = app.extensions["payground"]
    figures = []
    with app.test_request_context("/v1/balance"):
        for i in range(batches + 1):
            t0 = time.perf_counter()
            for _ in range(per_batch):
                key_service.authenticate(store["key"], state.pepper, state.clock)
                db.session.commit()
            if i:  # the first batch warms caches (statement compilation, pages)
                figures.append((time.perf_counter() - t0) * 1e6 / per_batch)
        db.session.remove()
    return figures


def request_cost(store: dict, path: str, batches: int, per_batch: int) -> list[float]:
    """Microseconds per whole authenticated request through Flask's test client (hooks, auth,
    view, request log; no HTTP server, no wrk), one figure per batch after a warm-up."""
    client = store["app"].test_client()
    headers = {"Authorization": f"Bearer {store['key']}"}
    figures = []
    for i in range(batches + 1):
        t0 = time.perf_counter()
        for _ in range(per_batch):
            r = client.get(path, headers=headers)
        assert r.status_code == 200, (r.status_code, r.get_data(as_text=True)[:200])
        if i:
            figures.append((time.perf_counter() - t0) * 1e6 / per_batch)
    return figures


# --- over HTTP -----------------------------------------------------------------------------


def run_http(store: dict, args, work_dir: str, bench) -> dict:
    cmd = (f"env PAYGROUND_HOME={store['home']} PAYGROUND_RATE_LIMITS=off {PAYGROUND} serve "
           f"--port {{port}} --workers {args.workers} --threads {args.threads} "
           f"--server {args.server}")
    server = bench.ServerProc("payground", cmd, work_dir)
    server.start()
    try:
        ready = server.wait_ready(f"GET {args.path}", store["key"], timeout=60)
        if not ready.get("ok"):
            return {"ok": False, "error": ready.get("error")}
        script = os.path.join(work_dir, "auth_cost.lua")
        with open(script, "w") as f:
            f.write("\n".join([
                'wrk.method = "GET"',
                f"wrk.headers[\"Authorization\"] = {bench.lua_string('Bearer ' + store['key'])}",
                'wrk.headers["Accept"] = "application/json"', bench.LUA_DONE]))
        wrk = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections),
               "-d", f"{args.duration}s", "--timeout", "10s", "--latency", "-s", script,
               server.url + args.path]
        p = subprocess.run(wrk, capture_output=True, text=True, timeout=args.duration + 60)
        line = next((ln for ln in p.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
        if line is None:
            return {"ok": False, "error": f"wrk rc={p.returncode}: {p.stderr[-300:]}"}
        res = json.loads(line[len("BENCH_JSON "):])
        seconds = res["duration_us"] / 1e6
        bad = sum(res[k] for k in ("err_status", "err_timeout", "err_connect", "err_read",
                                   "err_write"))
        return {"ok": bad <= 0.01 * max(res["requests"], 1), "rps": res["requests"] / seconds,
                "p50_ms": res["p50_us"] / 1000, "p99_ms": res["p99_us"] / 1000,
                "requests": res["requests"], "bad": bad}
    finally:
        server.stop()


# --- summary -------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", default="10,100000", help="store sizes, comma-separated; the "
                    "first is the reference (default 10,100000)")
    ap.add_argument("--path", default="/v1/balance", help="authenticated GET to load")
    ap.add_argument("-d", "--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--repeats", type=int, default=5, help="wrk runs per size, alternating (5)")
    ap.add_argument("-c", "--connections", type=int, default=8)
    ap.add_argument("-t", "--wrk-threads", type=int, default=2)
    # One process by default: with several, gunicorn hands wrk's keep-alive connections to
    # whichever worker wakes first, and a run where one worker got all of them does half the
    # requests - noise far larger than what this compares.
    ap.add_argument("--workers", type=int, default=1, help="payground serve --workers (1)")
    # One thread, as bench/run.sh serves: under granian (the default server) a second Python
    # thread in the worker cost ~30 % of the requests and added tail latency (GIL hand-offs)
    # that moved from run to run - noise larger than what this compares.
    ap.add_argument("--threads", type=int, default=1, help="payground serve --threads (1)")
    ap.add_argument("--server", default="auto", help="payground serve --server (auto)")
    ap.add_argument("--batches", type=int, default=7, help="in-process batches per size")
    ap.add_argument("--per-batch", type=int, default=1000, help="lookups per batch")
    ap.add_argument("--tolerance", type=float, default=0.05,
                    help="a difference under this fraction counts as noise (default 0.05)")
    ap.add_argument("--no-http", action="store_true", help="skip the wrk part")
    ap.add_argument("--out", help="also append everything printed to FILE")
    ap.add_argument("--json-out", help="write all figures as JSON to FILE")
    args = ap.parse_args()
    sizes = [int(s) for s in args.keys.split(",") if s.strip()]
    out = out_factory(args.out)
    sys.path.insert(0, str(SHARED))
    import bench  # the shared harness: ServerProc (process-group handling), wrk's Lua report

    out(f"# auth_cost.py {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC  "
        f"load: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    out(f"# keys {sizes}; GET {args.path}; wrk -d {args.duration} -c {args.connections} "
        f"-t {args.wrk_threads}; serve --workers {args.workers} --threads {args.threads}; "
        f"repeats {args.repeats}")
    stores = {}
    work_dir = tempfile.mkdtemp(prefix="pg-authcost-logs-")
    figures: dict = {n: {"direct_us": [], "request_us": [], "rps": [], "p50_ms": [],
                         "p99_ms": []} for n in sizes}
    try:
        for n in sizes:
            stores[n] = build_store(n, out)
            plan = lookup_plan(stores[n])
            figures[n]["plan"] = plan
            out(f"  key lookup SQL: {plan[0]}")
            for row in plan[1:]:
                out(f"    plan ({n} keys): {row}")
            if not any("INDEX" in row.upper() for row in plan[1:]):
                out(f"    WARNING: the key lookup with {n} keys is not an index search")
        # In-process: alternate sizes batch by batch so drift in machine load hits both.
        for _ in range(2):
            for n in sizes:
                figures[n]["direct_us"] += direct_cost(stores[n], args.batches // 2 or 1,
                                                       args.per_batch)
                figures[n]["request_us"] += request_cost(stores[n], args.path,
                                                         args.batches // 2 or 1,
                                                         args.per_batch // 2 or 1)
        for n in sizes:
            d = figures[n]["direct_us"]
            out(f"  in-process authenticate+commit, {n} keys: median {statistics.median(d):.1f} us"
                f" (min {min(d):.1f}, max {max(d):.1f}, {len(d)} batches of {args.per_batch})")
            d = figures[n]["request_us"]
            out(f"  in-process GET {args.path} (test client), {n} keys: median "
                f"{statistics.median(d):.1f} us (min {min(d):.1f}, max {max(d):.1f})")
        for store in stores.values():
            with store["app"].app_context():
                from payground.extensions import db

                db.engine.dispose()  # nothing of ours holds the file while servers run
        if not args.no_http:
            for rep in range(args.repeats):
                for n in sizes:
                    res = run_http(stores[n], args, work_dir, bench)
                    if not res.get("ok"):
                        out(f"  HTTP {n} keys, repeat {rep + 1}: FAILED {res.get('error') or res}")
                        continue
                    for k in ("rps", "p50_ms", "p99_ms"):
                        figures[n][k].append(res[k])
                    out(f"  HTTP {n} keys, repeat {rep + 1}: {res['rps']:.1f} req/s  "
                        f"p50 {res['p50_ms']:.2f} ms  p99 {res['p99_ms']:.2f} ms  "
                        f"requests {res['requests']}  errors {res['bad']}")
        # Summary
        ref = sizes[0]
        out("")
        out(f"## authentication cost: {', '.join(f'{n:,}' for n in sizes)} keys "
            f"(medians; ratio = n keys / {ref:,} keys)")
        out("| metric | " + " | ".join(f"{n:,} keys" for n in sizes) + " | ratio | verdict |")
        out("|---|" + "---:|" * len(sizes) + "---:|---|")
        metrics = [("in-process authenticate+commit, us", "direct_us", "{:.1f}"),
                   (f"in-process GET {args.path} (whole request, test client), us",
                    "request_us", "{:.1f}")]
        if not args.no_http:
            metrics += [(f"GET {args.path} req/s", "rps", "{:.1f}"),
                        (f"GET {args.path} p50 ms", "p50_ms", "{:.2f}"),
                        (f"GET {args.path} p99 ms", "p99_ms", "{:.2f}")]
        summary = {}
        for label, k, fmt in metrics:
            if not all(figures[n][k] for n in sizes):
                continue
            cells = [fmt.format(statistics.median(figures[n][k])) for n in sizes]
            for n in sizes[1:]:
                # p99 is a tail figure: judge it only by the tolerance-or-overlap rule too, but
                # with a looser 25 % tolerance (a single stall moves it).
                tol = 0.25 if k == "p99_ms" else args.tolerance
                ratio, word = verdict(figures[ref][k], figures[n][k], tol)
                summary[f"{k}_{n}"] = {"ratio": ratio, "verdict": word}
            last = summary[f"{k}_{sizes[-1]}"]
            out(f"| {label} | " + " | ".join(cells) + f" | {last['ratio']:.2f}x | {last['verdict']} |")
        if args.json_out:
            with open(args.json_out, "w") as f:
                json.dump({"sizes": sizes, "figures": {str(n): figures[n] for n in sizes},
                           "summary": summary, "args": vars(args)}, f, indent=1)
    finally:
        for store in stores.values():
            shutil.rmtree(store["home"], ignore_errors=True)
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
