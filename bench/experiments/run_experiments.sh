#!/usr/bin/env bash
# Measure proposed optimisations (bench/experiments/serve_patched.py patches) side by side
# with plain `payground serve` and the floor, same harness as bench/run.sh.
#   bench/experiments/run_experiments.sh            (DURATION=10 REPEATS=2 by default)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; REPO="$(cd "$HERE/../.." && pwd)"
SHARED="$(cd "$REPO/../shared/bench" && pwd)"
BASE="$(mktemp -d /tmp/pg-exp.XXXXXX)"; trap 'rm -rf "$BASE"' EXIT
PY="$REPO/.venv/bin/python"
pg() {  # $1 = extra args
  echo "sh -c 'h=\$(mktemp -d -p $BASE) && PAYGROUND_HOME=\$h PAYGROUND_RATE_LIMITS=off exec $1'"
}
mkdir -p "$REPO/bench/out"; out="$REPO/bench/out/experiments-$(date -u +%Y%m%dT%H%M%SZ).txt"
/tmp/peers/bin/python "$SHARED/bench.py" compare \
  --server floor="sh -c 'cd $SHARED && rm -f /tmp/floor.db /tmp/floor.db-wal /tmp/floor.db-shm && exec /tmp/peers/bin/gunicorn -w 2 -b 127.0.0.1:{port} floor_app:app'" \
  --server payground="$(pg "$REPO/.venv/bin/payground serve --port {port} --workers 2")" \
  --server pg-writelock="$(pg "$PY $HERE/serve_patched.py --port {port} --workers 2 --patch writelock")" \
  --signup payground --signup pg-writelock \
  --startup-repeats 0 --no-smoke --scenarios "${SCENARIOS:-create_customer,create_charge}" \
  -d "${DURATION:-10}" --repeats "${REPEATS:-2}" --out "$out" "$@"
echo "raw output: $out"
