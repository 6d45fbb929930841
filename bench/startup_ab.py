#!/usr/bin/env python3
"""Start-up of two checkouts of Payground, A/B: spawn -> first authenticated answer.

Started the way the benchmark starts it (``payground serve --workers 2 --threads 1``, a fresh
``PAYGROUND_HOME``, rate limits off), then sign-up polled until it answers 201 and
``GET /v1/balance`` with the new key until it answers 200. The two checkouts alternate, so a
machine that slows down or speeds up moves both alike: compare their medians, not figures
from different runs.

Usage (from the repo root; the other checkout's ``app`` folder, e.g. a ``git worktree``):
    .venv/bin/python bench/startup_ab.py /tmp/old-checkout/app app [-n 6]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAYGROUND = str(Path(sys.executable).with_name("payground"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def once(app_dir: str) -> float:
    """Milliseconds from spawn to the first authenticated 200, with ``app_dir`` imported."""
    port = _free_port()
    env = dict(os.environ, PAYGROUND_HOME=tempfile.mkdtemp(), PAYGROUND_RATE_LIMITS="off",
               PYTHONPATH=str(Path(app_dir).resolve()))
    started = time.perf_counter()
    server = subprocess.Popen([PAYGROUND, "serve", "--port", str(port), "--workers", "2",
                               "--threads", "1"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    key = None
    try:
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                if key is None:
                    conn.request("POST", "/sandbox/signup", headers={
                        "Content-Type": "application/json"}, body=json.dumps(
                        {"email": "ab@example.com", "password": "start-up a/b 123"}))
                    answer = conn.getresponse()
                    body = answer.read()
                    if answer.status == 201:
                        key = json.loads(body)["keys"]["secret"]
                else:
                    conn.request("GET", "/v1/balance", headers={"Authorization": f"Bearer {key}"})
                    answer = conn.getresponse()
                    answer.read()
                    if answer.status == 200:
                        return (time.perf_counter() - started) * 1000
            except OSError:  # not listening yet
                time.sleep(0.005)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="the first checkout's app folder")
    parser.add_argument("b", help="the second checkout's app folder")
    parser.add_argument("-n", type=int, default=6, help="starts of each (default 6)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {args.a: [], args.b: []}
    for _ in range(args.n):
        for app_dir in times:
            times[app_dir].append(once(app_dir))
    for app_dir, values in times.items():
        print(f"{app_dir}: median {statistics.median(values):.0f} ms "
              f"({', '.join(f'{v:.0f}' for v in sorted(values))})")


if __name__ == "__main__":
    main()
