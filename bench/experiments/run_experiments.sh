#!/usr/bin/env bash
# Serve configurations side by side (same harness as bench/run.sh): floor, then payground with
# each workers x threads pair in $VARIANTS (default "2x1 2x2 1x4 1x8").
#   bench/experiments/run_experiments.sh                  (DURATION=5 REPEATS=2 by default)
#   VARIANTS="2x1 2x2" SCENARIOS=create_customer bench/experiments/run_experiments.sh
# Extra arguments go to bench.py compare. An in-memory patch of the app can be measured the
# same way with experiments/serve_patched.py (see its docstring).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; REPO="$(cd "$HERE/../.." && pwd)"
SHARED="$(cd "$REPO/../shared/bench" && pwd)"
BASE="$(mktemp -d /tmp/pg-exp.XXXXXX)"; trap 'rm -rf "$BASE"' EXIT
pg() {  # $1 = workers, $2 = threads
  echo "sh -c 'h=\$(mktemp -d -p $BASE) && PAYGROUND_HOME=\$h PAYGROUND_RATE_LIMITS=off exec $REPO/.venv/bin/payground serve --port {port} --workers $1 --threads $2'"
}
servers=(--server floor="sh -c 'cd $SHARED && rm -f /tmp/floor.db /tmp/floor.db-wal /tmp/floor.db-shm && exec /tmp/peers/bin/gunicorn -w 2 -b 127.0.0.1:{port} floor_app:app'")
for v in ${VARIANTS:-2x1 2x2 1x4 1x8}; do
  servers+=(--server "pg-$v=$(pg "${v%x*}" "${v#*x}")" --signup "pg-$v")
done
mkdir -p "$REPO/bench/out"; out="$REPO/bench/out/experiments-$(date -u +%Y%m%dT%H%M%SZ).txt"
/tmp/peers/bin/python "$SHARED/bench.py" compare "${servers[@]}" \
  --startup-repeats 0 --no-smoke --scenarios "${SCENARIOS:-create_customer,create_charge}" \
  -d "${DURATION:-5}" --repeats "${REPEATS:-2}" --out "$out" "$@"
echo "raw output: $out"
