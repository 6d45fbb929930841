"""Several processes start at once on one old database: one upgrades, none fails, nothing twice.

    PYTHONPATH=app:. python bench/migration_race.py [sqlite|postgresql+psycopg://...] \
        [version] [processes] [serve]

A database filled as ``version`` could be (``tests/schema_history``) is taken back to that
version; then ``processes`` processes build the app on it at the same moment (with ``serve``:
run ``payground serve`` on ports of their own, and wait for each to answer). Afterwards
every row must be as it was before the downgrade (no journal, schedule row or count made
twice) and every process must have started.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from migration_check import PEPPER, database, make_app  # noqa: E402

from tests.schema_history import downgrade, lost_or_changed, populate, snapshot  # noqa: E402

CHILD = """
import sys, time
start = float(sys.argv[3])
from payground import create_app  # imported before the wait: all start the upgrade together
while time.time() < start:
    pass
t = time.perf_counter()
create_app({"HOME": sys.argv[1], "DATABASE_URL": sys.argv[2], "SECRET": %r,
            "RATE_LIMITS": "off"})
print(f"started in {time.perf_counter() - t:.2f}s")
""" % PEPPER


def main() -> int:
    from payground.app import dispose_app
    from payground.extensions import db

    target = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    version = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    serve = len(sys.argv) > 4 and sys.argv[4] == "serve"
    wall = [time.time()]
    with tempfile.TemporaryDirectory() as tmp, database(target, Path(tmp)) as url:
        home = Path(tmp) / "home"
        app = make_app(home, url, wall)
        populate(app.test_client(), version, wall)
        dispose_app(app)
        app = make_app(home, url, wall)
        with app.app_context():
            before = snapshot(db.engine)
            downgrade(db.engine, version, PEPPER)
        dispose_app(app)
        env = {**os.environ, "PAYGROUND_HOME": str(home), "PAYGROUND_DATABASE_URL": url,
               "PAYGROUND_SECRET": PEPPER, "PAYGROUND_RATE_LIMITS": "off"}
        start = time.time() + 3
        if serve:
            ports = [18700 + i for i in range(processes)]
            children = [subprocess.Popen(
                [sys.executable, "-m", "payground", "serve", "--port", str(port),
                 "--workers", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True) for port in ports]
            answers = [_wait_for(port) for port in ports]
            for child in children:
                child.terminate()
            outputs = [child.communicate(timeout=30)[0] for child in children]
            codes = answers
        else:
            children = [subprocess.Popen(
                [sys.executable, "-c", CHILD, str(home), url, str(start)], env=env,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for _ in range(processes)]
            outputs = [child.communicate(timeout=120)[0] for child in children]
            codes = [child.returncode for child in children]
        engine = sa.create_engine(url)
        after = snapshot(engine)
        engine.dispose()
    for rows in (before, after):
        rows.pop("payground_schema")
        if serve:  # the servers' warm-up requests are logged
            rows.pop("request_logs")
    problems = lost_or_changed(before, after)
    for code, output in zip(codes, outputs):
        print(code, output.strip()[-2000:])
    for p in problems:
        print("   ", p[:500])
    print(f"{target[:10]} v{version}, {processes} processes: {len(problems)} problems")
    return 1 if problems or any(c not in (0, 200) for c in codes) else 0


def _wait_for(port: int) -> int:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sandbox/version") as answer:
                return answer.status
        except OSError:
            time.sleep(0.2)
    return -1


if __name__ == "__main__":
    sys.exit(main())
