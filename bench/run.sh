#!/usr/bin/env bash
# bench/run.sh - Payground vs the Flask "floor" vs localstripe, side by side.
#
# Runs the shared harness (../shared/bench/bench.py, relative to the repo root)
# in `compare` mode with three servers, alternating them on fresh processes:
#
#   floor        gunicorn -w 2 floor_app:app on a wiped $FLOOR_DB (default /tmp/floor.db)
#   localstripe  /tmp/peers/bin/localstripe --port {port} --from-scratch
#   payground    <repo>/.venv/bin/payground serve --port {port} --workers $PG_WORKERS,
#                with PAYGROUND_RATE_LIMITS=off and a FRESH PAYGROUND_HOME per start
#                (the harness restarts servers; each start must begin from scratch).
#                `--signup payground`: the harness signs up and uses the sk_test_ key.
#
# Sets up what is missing first: wrk (apt-get), the /tmp/peers venv (localstripe
# 1.15.10, stripe, flask, gunicorn). Waits (up to $WAIT_CLI s) until
# `payground serve` exists, since the CLI may still be being written.
#
# Usage (from anywhere):
#   bench/run.sh                 # full run: -d 10, 3 repeats, 5 startup repeats
#   QUICK=1 bench/run.sh         # short smoke run: -d 3, 1 repeat, 2 startup repeats
#   DURATION=20 REPEATS=5 bench/run.sh
#   SCENARIOS=create_customer bench/run.sh -- --keep-logs   # extra args after -- go to bench.py
#
# Environment knobs (defaults in brackets):
#   DURATION [10]        seconds per wrk run          REPEATS [3]   throughput repeats
#   STARTUP_REPEATS [5]  startup measurements/server  CONNECTIONS [8]  THREADS [2] (wrk)
#   SCENARIOS [create_customer,create_charge,list_customers]
#   PG_WORKERS [2]       payground serve --workers    PG_THREADS [1] payground serve --threads
#   PG_SERVER [auto]     payground serve --server (auto = granian; gunicorn, waitress)
#   FLOOR_DB [/tmp/floor.db]   SERVERS [floor,localstripe,payground] (subset, floor first)
#   WAIT_CLI [600]       seconds to wait for `payground serve` to appear
#   QUICK [0]            1 = DURATION=3 REPEATS=1 STARTUP_REPEATS=2 (unless set explicitly)
#   AUTH_COST [1]        0 = skip bench/auth_cost.py (10 vs 100,000 keys; needs payground)
#   AUTH_KEYS [10,100000]  store sizes for auth_cost.py
#
# Output: everything printed, plus raw wrk output, is appended to
# bench/out/compare-<UTC timestamp>.txt; all numbers go to the matching .json (the
# authentication-cost figures to compare-<UTC timestamp>-auth.json).
# bench/out/latest.txt / latest.json point at the newest run. bench/out/ is gitignored.
# Numbers are noisy on a shared 2-core machine: compare ratios within ONE run.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/.." && pwd)"
SHARED="$(cd "$REPO/../shared/bench" 2>/dev/null && pwd)" || {
    echo "run.sh: shared harness not found at $REPO/../shared/bench" >&2; exit 1; }
PEERS=/tmp/peers
PAYGROUND="$REPO/.venv/bin/payground"

if [[ "${QUICK:-0}" == 1 ]]; then
    DURATION="${DURATION:-3}"; REPEATS="${REPEATS:-1}"; STARTUP_REPEATS="${STARTUP_REPEATS:-2}"
fi
DURATION="${DURATION:-10}"
REPEATS="${REPEATS:-3}"
STARTUP_REPEATS="${STARTUP_REPEATS:-5}"
CONNECTIONS="${CONNECTIONS:-8}"
THREADS="${THREADS:-2}"
SCENARIOS="${SCENARIOS:-create_customer,create_charge,list_customers}"
PG_WORKERS="${PG_WORKERS:-2}"
PG_THREADS="${PG_THREADS:-1}"  # 2 processes x 1 thread: no GIL contention; see RESULTS.md
PG_SERVER="${PG_SERVER:-auto}"  # the default server, as a user gets it
FLOOR_DB="${FLOOR_DB:-/tmp/floor.db}"
SERVERS="${SERVERS:-floor,localstripe,payground}"
WAIT_CLI="${WAIT_CLI:-600}"

extra=()
if [[ "${1:-}" == "--" ]]; then shift; extra=("$@"); elif [[ $# -gt 0 ]]; then extra=("$@"); fi

log() { echo "run.sh: $*" >&2; }

# --- set-up ------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    log "wrk missing: installing with apt-get"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk
fi

if [[ ! -x "$PEERS/bin/localstripe" || ! -x "$PEERS/bin/gunicorn" ]] \
        || ! "$PEERS/bin/python" -c 'import stripe, flask' 2>/dev/null; then
    log "creating/repairing the peers venv at $PEERS"
    python3 -m venv "$PEERS"
    "$PEERS/bin/pip" install -q localstripe==1.15.10 stripe flask gunicorn
fi

if [[ ! -x "$PAYGROUND" ]]; then
    log "$PAYGROUND not found: create the venv first (python3 -m venv .venv && .venv/bin/pip install -e .)"
    exit 1
fi
waited=0
until "$PAYGROUND" serve --help >/dev/null 2>&1; do
    if (( waited >= WAIT_CLI )); then log "\`payground serve\` still missing after ${WAIT_CLI}s"; exit 1; fi
    (( waited == 0 )) && log "waiting for \`payground serve\` to exist (up to ${WAIT_CLI}s)..."
    sleep 10; waited=$((waited + 10))
done
# Compile Payground's modules to bytecode, as pip does when it installs a wheel. An editable
# install leaves that to the first import, and where PYTHONDONTWRITEBYTECODE is set (it is on
# the machines these figures come from) every start would compile ~70 modules from source
# again: ~120 ms of start-up no user of `pip install payground` pays.
"$(dirname "$PAYGROUND")/python" -m compileall -q "$REPO/app/payground" >/dev/null
serve_help="$("$PAYGROUND" serve --help)"
pg_opts="--port {port}"
if grep -q -- '--workers' <<<"$serve_help"; then pg_opts+=" --workers $PG_WORKERS"
else log "payground serve has no --workers option; using its default"; fi
if [[ -n "$PG_THREADS" ]]; then pg_opts+=" --threads $PG_THREADS"; fi
if [[ "$PG_SERVER" != auto ]]; then pg_opts+=" --server $PG_SERVER"; fi

# Fresh homes live under one per-run directory, removed on exit.
PG_BASE="$(mktemp -d /tmp/pg-bench.XXXXXX)"
trap 'rm -rf "$PG_BASE"' EXIT

# --- servers -----------------------------------------------------------------------------
floor_cmd="sh -c 'cd $SHARED && rm -f $FLOOR_DB $FLOOR_DB-wal $FLOOR_DB-shm && FLOOR_DB=$FLOOR_DB exec $PEERS/bin/gunicorn -w 2 -b 127.0.0.1:{port} floor_app:app'"
ls_cmd="$PEERS/bin/localstripe --port {port} --from-scratch"
pg_cmd="sh -c 'h=\$(mktemp -d -p $PG_BASE) && PAYGROUND_HOME=\$h PAYGROUND_RATE_LIMITS=off exec $PAYGROUND serve $pg_opts'"

server_args=()
signup_args=()
IFS=, read -r -a wanted <<<"$SERVERS"
for s in "${wanted[@]}"; do
    case "$s" in
        floor)       server_args+=(--server "floor=$floor_cmd") ;;
        localstripe) server_args+=(--server "localstripe=$ls_cmd") ;;
        payground)   server_args+=(--server "payground=$pg_cmd"); signup_args=(--signup payground) ;;
        *) log "unknown server $s (floor, localstripe, payground)"; exit 1 ;;
    esac
done

# --- run ---------------------------------------------------------------------------------
mkdir -p "$SCRIPT_DIR/out"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
out="$SCRIPT_DIR/out/compare-$stamp.txt"
json="$SCRIPT_DIR/out/compare-$stamp.json"
cmd=("$PEERS/bin/python" "$SHARED/bench.py" compare "${signup_args[@]}" "${server_args[@]}"
     -d "$DURATION" --repeats "$REPEATS" --startup-repeats "$STARTUP_REPEATS"
     -c "$CONNECTIONS" -t "$THREADS" --scenarios "$SCENARIOS"
     --out "$out" --json-out "$json" "${extra[@]}")
{
    echo "# bench/run.sh $(date -u '+%Y-%m-%d %H:%M:%S UTC')  nproc=$(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# git: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?') (+ uncommitted changes: $(git -C "$REPO" status --porcelain 2>/dev/null | wc -l) files)"
    printf '# command:'; printf ' %q' "${cmd[@]}"; echo
} | tee "$out"
"${cmd[@]}"
if [[ "${AUTH_COST:-1}" == 1 && ",$SERVERS," == *",payground,"* ]]; then
    # Issue #3: authentication must cost the same with 10 and with 100,000 keys stored.
    echo | tee -a "$out"
    # One worker process (auth_cost.py's default): see its --workers help.
    "$REPO/.venv/bin/python" "$SCRIPT_DIR/auth_cost.py" --keys "${AUTH_KEYS:-10,100000}" \
        -d "$DURATION" --repeats "$(( REPEATS > 5 ? REPEATS : 5 ))" -c "$CONNECTIONS" -t "$THREADS" \
        --out "$out" --json-out "${json%.json}-auth.json"
fi
ln -sf "$(basename "$out")" "$SCRIPT_DIR/out/latest.txt"
ln -sf "$(basename "$json")" "$SCRIPT_DIR/out/latest.json"
log "raw output: $out"
