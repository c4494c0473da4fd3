#!/usr/bin/env bash
# Transport benchmark of the name server: CONNS connections sending
# GET_ROUTEINFO_BY_TOPIC back to back against rmq-namesrv, next to the same
# load against a bare length-prefixed echo server (the floor of this machine),
# in one run so both numbers see the same machine state.
#
#   bench/namesrv.sh [BUILD_DIR]      (default: build)
#   env: CONNS (default 16), SECONDS (default 5), WARMUP (default 1)
#
# Prints a Markdown table.  A name server below 70 % of the echo rate gets a
# WARNING line, but the exit code stays 0: benchmarks report, they do not gate.
set -euo pipefail

BUILD=${1:-build}
CONNS=${CONNS:-16}
# Bash always defines SECONDS (time since start), so only an exported value
# is the caller's setting.
SECONDS_=$(printenv SECONDS || echo 5)
WARMUP=${WARMUP:-1}
TARGET_PCT=70
START_TIMEOUT_S=10

ECHO_BIN=$BUILD/bench/echo_server
LOAD_BIN=$BUILD/bench/rr_load
NAMESRV_BIN=$BUILD/rmq-namesrv
for bin in "$ECHO_BIN" "$LOAD_BIN" "$NAMESRV_BIN"; do
    if [[ ! -x $bin ]]; then
        echo "namesrv.sh: $bin not found; build first (cmake --build $BUILD)" >&2
        exit 1
    fi
done

TMP=$(mktemp -d)
PIDS=()

STOP_TIMEOUT_S=5
# shellcheck source-path=SCRIPTDIR source=procs.sh
source "$(dirname "$0")/procs.sh"

# shellcheck disable=SC2317 # reached through the EXIT trap
# Stops only what this script started, then removes its scratch directory.
cleanup() {
    stop_all
    rm -rf "$TMP"
}
trap cleanup EXIT

# wait_port NAME PID LOGFILE: prints the port once LOGFILE has the
# "listening on 127.0.0.1:<port>" line; fails if the process dies or is slow.
wait_port() {
    local name=$1 pid=$2 log=$3 polls port
    for ((polls = 0; polls < START_TIMEOUT_S * 20; polls++)); do
        port=$(grep -o 'listening on 127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null | head -n1 | sed 's/.*://')
        if [[ -n $port ]]; then
            echo "$port"
            return 0
        fi
        if ! is_running "$pid"; then
            echo "namesrv.sh: $name exited before listening; its output:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.05
    done
    echo "namesrv.sh: $name not listening after ${START_TIMEOUT_S}s" >&2
    return 1
}

# cpu_ticks PID: utime+stime in clock ticks (stat fields 14 and 15), counted
# after the ")" closing the command name, which may itself contain spaces.
cpu_ticks() {
    local stat
    stat=$(<"/proc/$1/stat")
    awk '{ print $12 + $13 }' <<<"${stat##*) }"
}

# json_field JSON KEY: the number stored under KEY in rr_load's one-line output.
json_field() {
    grep -o "\"$2\":[0-9.]*" <<<"$1" | head -n1 | cut -d: -f2
}

# exec, so that $! is the server itself and its /proc/PID/stat is what we read.
(exec "$ECHO_BIN" 0 >"$TMP/echo.log" 2>&1) &
ECHO_PID=$!
PIDS+=("$ECHO_PID")

cat >"$TMP/namesrv.conf" <<EOF
listenPort=0
bindAddress=127.0.0.1
kvConfigPath=$TMP/kvConfig.json
EOF
(exec "$NAMESRV_BIN" -c "$TMP/namesrv.conf" >"$TMP/namesrv.log" 2>&1) &
NAMESRV_PID=$!
PIDS+=("$NAMESRV_PID")

ECHO_PORT=$(wait_port echo_server "$ECHO_PID" "$TMP/echo.log")
NAMESRV_PORT=$(wait_port rmq-namesrv "$NAMESRV_PID" "$TMP/namesrv.log")
CLK_TCK=$(getconf CLK_TCK)

# run_target NAME PID PORT MODE: one rr_load run; sets RPS, P50, P99,
# CPU_US (server CPU per request, warm-up included on both sides) and ERRORS.
run_target() {
    local name=$1 pid=$2 port=$3 mode=$4 before after out total
    before=$(cpu_ticks "$pid")
    out=$("$LOAD_BIN" --addr "127.0.0.1:$port" --conns "$CONNS" --seconds "$SECONDS_" \
        --warmup "$WARMUP" --mode "$mode")
    after=$(cpu_ticks "$pid")
    RPS=$(json_field "$out" rps)
    P50=$(json_field "$out" p50_us)
    P99=$(json_field "$out" p99_us)
    ERRORS=$(json_field "$out" errors)
    total=$(json_field "$out" total_requests)
    CPU_US=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v n="$total" \
        'BEGIN { printf "%.2f", (n > 0 ? t / hz * 1e6 / n : 0) }')
    if ((ERRORS > 0)); then
        echo "WARNING: $name: $ERRORS bad responses" >&2
    fi
}

run_target echo_server "$ECHO_PID" "$ECHO_PORT" echo
ECHO_RPS=$RPS ECHO_P50=$P50 ECHO_P99=$P99 ECHO_CPU=$CPU_US
run_target rmq-namesrv "$NAMESRV_PID" "$NAMESRV_PORT" route
PCT=$(awk -v a="$RPS" -v b="$ECHO_RPS" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }')

echo "| server | conns | round trips/s | p50 µs | p99 µs | server CPU µs/request | ratio vs echo |"
echo "|---|---|---|---|---|---|---|"
echo "| echo_server (floor) | $CONNS | $ECHO_RPS | $ECHO_P50 | $ECHO_P99 | $ECHO_CPU | 100 % |"
echo "| rmq-namesrv GET_ROUTEINFO_BY_TOPIC | $CONNS | $RPS | $P50 | $P99 | $CPU_US | $PCT % |"
if ((PCT < TARGET_PCT)); then
    echo "WARNING: rmq-namesrv reached $PCT % of the echo rate (target >= $TARGET_PCT %)"
fi
exit 0
