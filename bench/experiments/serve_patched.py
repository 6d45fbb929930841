#!/usr/bin/env python3
"""Serve Payground exactly as `payground serve` does, with optional in-memory patches, to
measure a proposed optimisation with bench.py BEFORE anyone changes app code.

    .venv/bin/python bench/experiments/serve_patched.py --port 4242 --workers 2 \
        --patch NAME

Patches (monkeypatched at start-up; nothing on disk changes): none at the moment. Add a
function to PATCHES (run before the app is built) or APP_PATCHES (given the built app), then
name it with --patch. (The earlier `shortlock`, `fastids` and `writelock` experiments are now
part of the app: the writer lock is ``extensions.WriterLock``.)
Needs PAYGROUND_HOME (use a fresh one per start) and PAYGROUND_RATE_LIMITS=off as usual.
"""
import argparse
import os

PATCHES: dict = {}
APP_PATCHES: dict = {}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--patch", action="append", default=[], choices=sorted(PATCHES) + sorted(APP_PATCHES))
    args = ap.parse_args()
    from payground.cli import server as cli
    import payground.app  # noqa: F401  (so patched modules are loaded before patching)
    for name in args.patch:
        if name in PATCHES:
            PATCHES[name]()
    app = cli._build_app(os.environ.get("PAYGROUND_HOME"))
    cli._warm_up(app)
    for name in args.patch:
        if name in APP_PATCHES:
            APP_PATCHES[name](app)
    cli._serve_gunicorn(app, host="127.0.0.1", port=args.port, workers=args.workers,
                        threads=args.threads,
                        on_ready=lambda p: print(f"patched payground {args.patch} on {p}",
                                                 flush=True))


if __name__ == "__main__":
    main()
