#!/usr/bin/env python3
"""Profile Payground's request path in-process (no HTTP server, no wrk).

Builds the app with ``payground.create_app({"HOME": tmpdir, "RATE_LIMITS": "off"})``, signs up
through Flask's test client, then runs N requests of each scenario under cProfile and prints:

  1. wall and CPU time per request (mean over N, no profiler) - the in-process ceiling on req/s
     for one core;
  2. a breakdown by *stage* of the request path (auth, body decode, schema load, service
     + DB, dump, commit, idempotency, hooks, Flask/Werkzeug), computed from cProfile's
     cumulative times of the functions that implement each stage;
  3. the top functions by own time and by cumulative time.

Usage (from the repo root):
    .venv/bin/python bench/profile_requests.py                       # both scenarios, N=2000
    .venv/bin/python bench/profile_requests.py -n 500 -s create_charge --top 40
    .venv/bin/python bench/profile_requests.py --idempotency         # add Idempotency-Key
    .venv/bin/python bench/profile_requests.py --dump out/prof       # .pstats for snakeviz
    .venv/bin/python bench/profile_requests.py --no-profile -s balance   # un-profiled ms only

Numbers are CPU-bound single-thread figures; cProfile inflates call-heavy code (marshmallow,
SQLAlchemy) by ~1.5-2x, so read the breakdown as shares, and the un-profiled ms/request as
the real cost.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time

SCENARIOS = {
    "create_customer": ("POST", "/v1/customers", lambda i: {"email": f"p-{i}@example.com"}),
    "create_charge": ("POST", "/v1/charges",
                      lambda i: {"amount": "2000", "currency": "usd", "source": "tok_visa"}),
    "list_customers": ("GET", "/v1/customers?limit=10", None),
    "balance": ("GET", "/v1/balance", None),
}

# Stage -> (file suffix, function name) pairs whose *cumulative* time is the stage's cost.
# Nested stages (e.g. commit inside the service) are listed separately and reported as-is:
# the table says which stage contains which.
STAGES = [
    ("whole WSGI call (Flask.wsgi_app)", [("flask/app.py", "wsgi_app")]),
    ("  before_request hook (start_request)", [("payground/app.py", "start_request")]),
    ("    auth: authenticate_v1", [("http/auth.py", "authenticate_v1")]),
    ("      key_service.authenticate (SELECT key+account)", [("services/keys.py", "authenticate")]),
    ("    idempotency.claim", [("http/idempotency.py", "claim")]),
    ("    new_id (request id)", [("core/ids.py", "new_id")]),
    ("  view: @accepts wrapper (decode+load+view+dump)", [("http/decorators.py", "wrapper")]),
    ("    v1 view create_customer (service+dump)", [("v1/customers.py", "create_customer")]),
    ("    v1 view create_charge (service+dump)", [("v1/charges.py", "create_charge")]),
    ("    body decode (request_params)", [("http/decorators.py", "request_params")]),
    ("    marshmallow Schema.load", [("marshmallow/schema.py", "load")]),
    ("    marshmallow Schema.dump", [("marshmallow/schema.py", "dump")]),
    ("    output dump (http.schemas.fast_dumper)", [("http/schemas.py", "dump")]),
    ("    service: create_customer", [("services/customers.py", "create_customer")]),
    ("    service: create_charge", [("services/charges.py", "create_charge")]),
    ("    service: list_customers", [("services/customers.py", "list_customers")]),
    ("      events.emit (snapshot + INSERT)", [("services/events.py", "emit")]),
    ("      models.base.insert_now (Core INSERT, attach)", [("models/base.py", "insert_now")]),
    ("      ledger.record_charge", [("services/ledger.py", "record_charge")]),
    ("    new_object_id / new_sortable_id", [("core/ids.py", "new_sortable_id")]),
    ("  after_request hook (finish_request)", [("payground/app.py", "finish_request")]),
    ("    idempotency.store", [("http/idempotency.py", "store")]),
    ("  response JSON (flask json.response)", [("flask/json/provider.py", "response")]),
    ("  teardown (session remove / app ctx pop)", [("flask/ctx.py", "pop")]),
    ("DB: Session.commit (all)", [("sqlalchemy/orm/session.py", "commit")]),
    ("DB: Session.execute (all SELECT/UPDATE)", [("sqlalchemy/orm/session.py", "execute")]),
    ("DB: Session.flush", [("sqlalchemy/orm/session.py", "flush")]),
    ("DB: sqlite3 cursor.execute (driver)", [("~", "<method 'execute' of 'sqlite3.Cursor' objects>")]),
    ("DB: sqlite3 commit (fsync/WAL)", [("~", "<method 'commit' of 'sqlite3.Connection' objects>")]),
    ("DB: pool checkout (connect/begin)", [("sqlalchemy/pool/base.py", "_checkout")]),
    ("DB: engine 'begin' event (BEGIN IMMEDIATE)", [("payground/extensions.py", "_on_begin")]),
    ("SQL compile (compiler.process/compile)", [("sqlalchemy/sql/elements.py", "_compile_w_cache")]),
]


def build_app(home: str):
    import payground

    app = payground.create_app({"HOME": home, "RATE_LIMITS": "off"})
    return app


def signup(client) -> str:
    r = client.post("/sandbox/signup", json={"email": "prof@example.com",
                                             "password": "profile password 123"})
    assert r.status_code in (200, 201), (r.status_code, r.get_data(as_text=True)[:300])
    import re

    m = re.search(r'"(sk_test_[0-9A-Za-z_]+)"', r.get_data(as_text=True))
    assert m, r.get_data(as_text=True)[:300]
    return m.group(1)


def run(client, key, scenario, n, start, idem=False):
    method, path, body = SCENARIOS[scenario]
    headers = {"Authorization": f"Bearer {key}"}
    bad = 0
    for i in range(start, start + n):
        h = headers
        if idem:
            h = dict(headers, **{"Idempotency-Key": f"idem-{scenario}-{i}"})
        if method == "POST":
            r = client.post(path, data=body(i), headers=h)
        else:
            r = client.get(path, headers=h)
        if r.status_code >= 300:
            bad += 1
            if bad == 1:
                print(f"  ! {scenario}: HTTP {r.status_code} {r.get_data(as_text=True)[:200]}")
    return bad


def stage_table(stats: pstats.Stats, n: int, total_wall_ms: float):
    rows = []
    st = stats.stats  # {(file, line, func): (cc, nc, tt, ct, callers)}
    for label, keys in STAGES:
        # Same-named functions in one file (the @accepts and @returns `wrapper`s nest):
        # take the outermost (largest cumulative) rather than summing.
        ct = 0.0
        calls = 0
        for suffix, func in keys:
            for (fname, _line, fn), (cc, nc, tt, cum, _callers) in st.items():
                if fn == func and (fname.endswith(suffix) or (suffix == "~" and fname == "~")):
                    if cum > ct:
                        ct, calls = cum, nc
        rows.append((label, ct, calls))
    whole = rows[0][1] or 1.0
    print(f"  {'stage':58s} {'ms/req':>8s} {'share':>7s} {'calls/req':>9s}")
    for label, ct, calls in rows:
        print(f"  {label:58s} {ct * 1000 / n:8.3f} {100 * ct / whole:6.1f}% {calls / n:9.2f}")
    print(f"  (profiled CPU {total_wall_ms / n:.3f} ms/req incl. test client; "
          "shares are of Flask.wsgi_app; nested rows are contained in the row above)")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=2000, help="requests per scenario (default 2000)")
    ap.add_argument("-s", "--scenario", action="append", choices=sorted(SCENARIOS),
                    help="repeatable; default create_customer and create_charge")
    ap.add_argument("--top", type=int, default=25, help="rows of the function tables")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--idempotency", action="store_true",
                    help="send a unique Idempotency-Key with every POST")
    ap.add_argument("--dump", metavar="PREFIX", help="write PREFIX-<scenario>.pstats")
    ap.add_argument("--no-profile", action="store_true",
                    help="only the un-profiled ms/request (quick A/B of a change)")
    args = ap.parse_args()
    scenarios = args.scenario or ["create_customer", "create_charge"]

    home = tempfile.mkdtemp(prefix="pg-prof-")
    try:
        t0 = time.perf_counter()
        app = build_app(home)
        print(f"create_app: {(time.perf_counter() - t0) * 1000:.0f} ms (imports included)")
        client = app.test_client()
        t0 = time.perf_counter()
        key = signup(client)
        print(f"signup: {(time.perf_counter() - t0) * 1000:.0f} ms")
        counter = 0
        for sc in scenarios:
            print("\n" + "=" * 100)
            print(f"{sc}  ({SCENARIOS[sc][0]} {SCENARIOS[sc][1]})  n={args.n}"
                  f"{'  with Idempotency-Key' if args.idempotency else ''}")
            run(client, key, sc, args.warmup, counter, args.idempotency)
            counter += args.warmup
            # un-profiled timing
            t0, c0 = time.perf_counter(), time.process_time()
            bad = run(client, key, sc, args.n, counter, args.idempotency)
            counter += args.n
            plain = (time.perf_counter() - t0) * 1000
            cpu = (time.process_time() - c0) * 1000
            print(f"  un-profiled: wall {plain / args.n:.3f} ms/req, CPU {cpu / args.n:.3f} ms/req"
                  f"  (=> {1000 * args.n / cpu:.0f} req/s per core by CPU, test client, "
                  f"no HTTP){'  non-2xx: ' + str(bad) if bad else ''}")
            if args.no_profile:
                continue
            # profiled
            # CPU time, not wall time: the machine is shared, and a descheduled process
            # would otherwise charge its wait to whatever function was running.
            prof = cProfile.Profile(time.process_time)
            t0 = time.process_time()
            prof.enable()
            run(client, key, sc, args.n, counter, args.idempotency)
            prof.disable()
            counter += args.n
            profiled = (time.process_time() - t0) * 1000
            stats = pstats.Stats(prof)
            if args.dump:
                os.makedirs(os.path.dirname(args.dump) or ".", exist_ok=True)
                stats.dump_stats(f"{args.dump}-{sc}.pstats")
            print("\n  -- stages (cumulative time of the functions implementing each) --")
            stage_table(stats, args.n, profiled)
            for order in ("tottime", "cumulative"):
                buf = io.StringIO()
                pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(order) \
                    .print_stats(args.top)
                text = buf.getvalue()
                body = text[text.find("ncalls"):] if "ncalls" in text else text
                print(f"\n  -- top {args.top} by {order} --")
                print("\n".join("  " + ln for ln in body.rstrip().splitlines()))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
