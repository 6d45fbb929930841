#!/usr/bin/env python3
"""Where `payground serve`'s spawn -> first authenticated answer goes, phase by phase, in-process.

Times (wall and CPU, ms) in a fresh interpreter: importing click+the CLI, flask, sqlalchemy
(+flask_sqlalchemy), marshmallow, payground.app; create_app on an empty home (schema creation,
secret); POST /sandbox/signup (password hashing, account + keys); the first and second
GET /v1/balance and POST /v1/customers (first ones pay for SQL compilation; `payground serve`
configures the ORM mappers before it forks, and so does this script, which also builds with
the cyclic GC off and freezes the result, as serve does). The server's own start (granian's
master, the fork) is not included: compare the total with bench.py's startup figure to see it.

Usage (from the repo root):
    .venv/bin/python bench/startup_phases.py [--repeats 5]
Each repeat is a fresh subprocess (so imports are cold for the interpreter, warm for the OS
page cache); the table shows the median and min of each phase.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

CHILD = r'''
import gc, json, os, shutil, sys, tempfile, time
gc.disable()  # as `payground serve` builds the app (cli.server._objects_for_the_whole_run)
out = []
t_w, t_c = time.perf_counter(), time.process_time()
def mark(name):
    global t_w, t_c
    w, c = time.perf_counter(), time.process_time()
    out.append((name, (w - t_w) * 1000, (c - t_c) * 1000))
    t_w, t_c = w, c
import click; import payground.cli; mark("import click + payground.cli")
import flask; mark("import flask (werkzeug, jinja2)")
import sqlalchemy, sqlalchemy.orm; mark("import sqlalchemy + orm")
import flask_sqlalchemy; mark("import flask_sqlalchemy")
import marshmallow; mark("import marshmallow")
import payground.app; mark("import payground.app")
import payground.models, payground.v1, payground.sandbox; mark("import payground models/v1/sandbox")
home = tempfile.mkdtemp(prefix="pg-startup-")
os.environ["PAYGROUND_RATE_LIMITS"] = "off"
from payground.app import create_app
app = create_app({"HOME": home}); mark("create_app (empty home: schema, secret)")
from payground.cli import server as cli_server
if hasattr(cli_server, "_warm_up"):
    cli_server._warm_up(app); mark("serve's warm-up before fork (mappers, key lookup)")
gc.freeze(); gc.enable()
c = app.test_client()
r = c.post("/sandbox/signup", json={"email": "s@example.com", "password": "bench password 123"})
assert r.status_code < 300, r.status_code
import re
key = re.search(r'"(sk_test_[0-9A-Za-z_]+)"', r.get_data(as_text=True)).group(1)
mark("POST /sandbox/signup (1st request)")
h = {"Authorization": "Bearer " + key}
r = c.get("/v1/balance", headers=h); assert r.status_code == 200, r.status_code; mark("GET /v1/balance (1st)")
r = c.get("/v1/balance", headers=h); mark("GET /v1/balance (2nd)")
r = c.post("/v1/customers", data={"email": "a@example.com"}, headers=h); assert r.status_code == 200; mark("POST /v1/customers (1st)")
r = c.post("/v1/customers", data={"email": "b@example.com"}, headers=h); mark("POST /v1/customers (2nd)")
from payground.core import passwords
cost = app.config["PASSWORD_COST"]
passwords.hash_password("bench password 123", n=cost)
mark(f"  (of which: scrypt hash_password alone, n={cost})")
shutil.rmtree(home, ignore_errors=True)
print("PHASES " + json.dumps(out))
'''


def main():
    import argparse

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    # Bytecode as a wheel install leaves it (see bench/run.sh): never time compiling source.
    import compileall
    import payground

    compileall.compile_dir(os.path.dirname(payground.__file__), quiet=1)
    runs = []
    for _ in range(args.repeats):
        p = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                           env=dict(os.environ))
        line = [ln for ln in p.stdout.splitlines() if ln.startswith("PHASES ")]
        if not line:
            print(p.stdout[-2000:], p.stderr[-2000:])
            return 1
        runs.append(json.loads(line[0][7:]))
    names = [n for n, _, _ in runs[0]]
    print(f"{'phase':58s} {'wall med':>9s} {'wall min':>9s} {'CPU med':>8s} {'CPU min':>8s}")
    tot_w = tot_c = 0.0
    for i, name in enumerate(names):
        w = [r[i][1] for r in runs]
        c = [r[i][2] for r in runs]
        if not name.startswith("  "):
            tot_w += statistics.median(w)
            tot_c += statistics.median(c)
        print(f"{name:58s} {statistics.median(w):9.1f} {min(w):9.1f} "
              f"{statistics.median(c):8.1f} {min(c):8.1f}")
    print(f"{'sum of medians (excluding the indented check)':58s} {tot_w:9.1f} {'':9s} {tot_c:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
