#!/usr/bin/env python3
"""Serve Payground exactly as `payground serve` does, with optional in-memory patches, to
measure a proposed optimisation with bench.py BEFORE anyone changes app code.

    .venv/bin/python bench/experiments/serve_patched.py --port 4242 --workers 2 \
        --patch writelock

Patches (monkeypatched at start-up; nothing on disk changes):
  writelock  a per-process threading.Lock taken before BEGIN IMMEDIATE, released at
             COMMIT/ROLLBACK, so threads of one worker do not busy-sleep in SQLite.
(The earlier `shortlock` and `fastids` experiments are now part of the app.)
Needs PAYGROUND_HOME (use a fresh one per start) and PAYGROUND_RATE_LIMITS=off as usual.
"""
import argparse
import os


def patch_writelock(app):
    """One process-wide lock around write transactions: a worker's threads queue on a Python
    lock (woken at once) instead of sleeping in SQLite's busy handler (1..100 ms steps)."""
    import threading

    from sqlalchemy import event

    from payground.extensions import _writing, db

    lock = threading.Lock()
    with app.app_context():
        engine = db.engine

    def acquire(conn):
        if _writing():
            lock.acquire()
            conn.info["pg_writelock"] = True

    def release(conn):
        if conn.info.pop("pg_writelock", False):
            lock.release()

    event.listen(engine, "begin", acquire, insert=True)  # before BEGIN IMMEDIATE
    event.listen(engine, "commit", release)
    event.listen(engine, "rollback", release)


PATCHES: dict = {}
APP_PATCHES = {"writelock": patch_writelock}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--patch", action="append", default=[], choices=sorted(PATCHES) + sorted(APP_PATCHES))
    args = ap.parse_args()
    from payground.cli import server as cli
    import payground.app  # noqa: F401  (so patched modules are loaded before patching)
    for name in args.patch:
        if name in PATCHES:
            PATCHES[name]()
    app = cli._build_app(os.environ.get("PAYGROUND_HOME"))
    for name in args.patch:
        if name in APP_PATCHES:
            APP_PATCHES[name](app)
    cli._serve_gunicorn(app, host="127.0.0.1", port=args.port, workers=args.workers,
                        threads=args.threads,
                        on_ready=lambda p: print(f"patched payground {args.patch} on {p}",
                                                 flush=True))


if __name__ == "__main__":
    main()
