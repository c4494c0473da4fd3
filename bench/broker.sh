#!/usr/bin/env bash
# Broker benchmark: rmq-namesrv and rmq-broker (ASYNC_FLUSH) on loopback in a
# scratch directory, driven by the rmq bench client, next to the floor of this
# machine measured in the same run: the same sizes and concurrency as plain
# request/response echoes over loopback TCP (bench/echo_server + bench/rr_load).
#
#   bench/broker.sh [BUILD_DIR]          (default: build; builds nothing)
#   env: DURATION (seconds per produce run, default 10), FLOOR_SECONDS (5),
#        THREADS ("1 16 64"), SIZES ("128 1024"), SEGMENT_MIB (128),
#        STARTUP_RUNS (5), ASYNC_INFLIGHT (64; empty: no ASYNC row),
#        DIR (scratch parent, default /var/tmp),
#        BROKER_EXTRA (more broker configuration lines, e.g.
#        "transientStorePoolEnable=true"; default none)
#
# For every size and thread count: `rmq bench produce` for DURATION seconds
# (SYNC sends, one producer shared by the threads), the broker's CPU (utime +
# stime from /proc/PID/stat, sampled before and after) per million messages,
# its peak RSS (VmHWM) and its peak anonymous memory (RssAnon from
# /proc/PID/status, sampled every 200 ms during the run), and the echo floor
# at the same size with as many connections as threads.  Then one ASYNC run
# (one thread, ASYNC_INFLIGHT sends outstanding, 128 B): the same broker work
# without the two thread wake-ups per message of a SYNC client.  Then a
# consume run:
# `rmq bench consume` on a fresh topic while 16 threads produce 128 B
# messages into it, reporting receive TPS and end-to-end latency (born
# timestamp to receipt).  Before all that, the broker's start-up time on an
# empty store: from spawning it to its first accepted TCP connection
# (bench/startup_probe), STARTUP_RUNS times.
#
# Prints one Markdown table, the start-up times, the targets of issue 7 as
# met / not met, and the command.  Benchmarks report, they do not gate: the
# exit code is 0 unless something failed to run.  About 2 minutes with the
# defaults, and up to ~3 GiB in DIR while it runs (removed at the end).
set -euo pipefail

BUILD=${1:-build}
DURATION=${DURATION:-10}
FLOOR_SECONDS=${FLOOR_SECONDS:-5}
THREADS=${THREADS:-"1 16 64"}
SIZES=${SIZES:-"128 1024"}
SEGMENT_MIB=${SEGMENT_MIB:-128}
STARTUP_RUNS=${STARTUP_RUNS:-5}
ASYNC_INFLIGHT=${ASYNC_INFLIGHT-64}
DIR=${DIR:-/var/tmp}
START_TIMEOUT_S=10
TARGET_TPS=90000
TARGET_P99_MS=1
TARGET_ANON_MIB=50
TARGET_STARTUP_MS=50

NAMESRV_BIN=$BUILD/rmq-namesrv
BROKER_BIN=$BUILD/rmq-broker
RMQ=$BUILD/rmq
ECHO_BIN=$BUILD/bench/echo_server
LOAD_BIN=$BUILD/bench/rr_load
PROBE_BIN=$BUILD/bench/startup_probe
for bin in "$NAMESRV_BIN" "$BROKER_BIN" "$RMQ" "$ECHO_BIN" "$LOAD_BIN" "$PROBE_BIN"; do
    if [[ ! -x $bin ]]; then
        echo "broker.sh: $bin not found; build first (cmake --build $BUILD)" >&2
        exit 1
    fi
done

TMP=$(mktemp -d "$DIR/rmq-broker-sh-XXXXXX")
PIDS=()
export RMQ_LOG_LEVEL=${RMQ_LOG_LEVEL:-warn}

# shellcheck source-path=SCRIPTDIR source=procs.sh
source "$(dirname "$0")/procs.sh"

# shellcheck disable=SC2317 # reached through the EXIT trap
# Stops what this script started, newest first, and removes its scratch dir.
cleanup() {
    stop_all
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() {
    echo "broker.sh: $*" >&2
}

# wait_line NAME PID FILE SED_EXPR: prints what SED_EXPR extracts from the
# first matching line of FILE (a port); fails if the process dies or is slow.
wait_line() {
    local name=$1 pid=$2 file=$3 expr=$4 polls v
    for ((polls = 0; polls < START_TIMEOUT_S * 20; polls++)); do
        v=$(sed -n "$expr" "$file" 2>/dev/null | head -n1)
        if [[ -n $v ]]; then
            echo "$v"
            return 0
        fi
        if ! is_running "$pid"; then
            echo "broker.sh: $name exited before it was ready; its output:" >&2
            cat "$file" "$file.err" >&2 2>/dev/null || true
            return 1
        fi
        sleep 0.05
    done
    echo "broker.sh: $name not ready after ${START_TIMEOUT_S}s" >&2
    return 1
}

# cpu_ticks PID: utime+stime in clock ticks (stat fields 14 and 15), counted
# after the ")" closing the command name.
cpu_ticks() {
    local stat
    stat=$(<"/proc/$1/stat")
    awk '{ print $12 + $13 }' <<<"${stat##*) }"
}

# status_kib PID FIELD: a "FIELD: N kB" line of /proc/PID/status.
status_kib() {
    local k v _
    while read -r k v _; do
        if [[ $k == "$2:" ]]; then
            echo "$v"
            return 0
        fi
    done <"/proc/$1/status"
    echo 0
}

# shellcheck disable=SC2317 # runs in the background
# sample_anon PID OUT: every 200 ms, the largest RssAnon seen so far into OUT.
sample_anon() {
    local pid=$1 out=$2 max=0 v
    while [[ -r /proc/$pid/status ]]; do
        v=$(status_kib "$pid" RssAnon)
        if ((v > max)); then
            max=$v
            echo "$max" >"$out"
        fi
        sleep 0.2
    done
}

# jnum JSON KEY: the number stored under KEY in a flat one-line JSON object.
jnum() {
    grep -o "\"$2\":[-0-9.eE+]*" <<<"$1" | head -n1 | cut -d: -f2
}

# Number formatting.
int() {
    awk -v x="$1" 'BEGIN {
        s = sprintf("%.0f", x); out = "";
        while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
        print s out }'
}
mib() {
    awk -v k="$1" 'BEGIN { printf "%.1f\n", k / 1024 }'
}

CLK_TCK=$(getconf CLK_TCK)

# ---- the floor: the echo server ----
(exec "$ECHO_BIN" 0 >"$TMP/echo.out" 2>&1) &
ECHO_PID=$!
PIDS+=("$ECHO_PID")
ECHO_PORT=$(wait_line echo_server "$ECHO_PID" "$TMP/echo.out" \
    's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p')

# ---- the name server ----
cat >"$TMP/namesrv.conf" <<EOF
listenPort=0
bindAddress=127.0.0.1
kvConfigPath=$TMP/kvConfig.json
configStorePath=$TMP/namesrv.properties
EOF
(exec "$NAMESRV_BIN" -c "$TMP/namesrv.conf" >"$TMP/namesrv.out" 2>"$TMP/namesrv.out.err") &
NAMESRV_PID=$!
PIDS+=("$NAMESRV_PID")
NS_PORT=$(wait_line rmq-namesrv "$NAMESRV_PID" "$TMP/namesrv.out" \
    's/^The Name Server boot success.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p')
NS="127.0.0.1:$NS_PORT"

# broker_conf NAME PORT STORE: a broker configuration on stdout.
broker_conf() {
    cat <<EOF
brokerClusterName=BenchCluster
brokerName=$1
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=$2
namesrvAddr=$NS
storePathRootDir=$3
mappedFileSizeCommitLog=$((SEGMENT_MIB * 1024 * 1024))
flushDiskType=ASYNC_FLUSH
${BROKER_EXTRA:-}
EOF
}

# ---- start-up time on an empty store (a broker of its own name each time) ----
STARTUP_MS=()
for ((i = 1; i <= STARTUP_RUNS; i++)); do
    port=$("$PROBE_BIN" --free-port)
    broker_conf "startup-probe-$i" "$port" "$TMP/startup-$i" >"$TMP/startup-$i.conf"
    out=$("$PROBE_BIN" "$port" "$BROKER_BIN" -c "$TMP/startup-$i.conf" 2>"$TMP/startup-$i.err" \
        | grep '^startup_ms=' || true)
    if [[ -z $out ]]; then
        log "start-up probe $i failed:"
        cat "$TMP/startup-$i.err" >&2
        exit 1
    fi
    STARTUP_MS+=("${out#startup_ms=}")
    rm -rf "$TMP/startup-$i"
done
read -r STARTUP_MIN STARTUP_MED STARTUP_MAX < <(printf '%s\n' "${STARTUP_MS[@]}" | sort -g | awk '
    { v[NR] = $1 } END { printf "%.1f %.1f %.1f\n", v[1], v[int((NR + 1) / 2)], v[NR] }')
log "start-up: ${STARTUP_MS[*]} ms"

# ---- the broker under test ----
broker_conf broker-a 0 "$TMP/store" >"$TMP/broker.conf"
(exec "$BROKER_BIN" -c "$TMP/broker.conf" >"$TMP/broker.out" 2>"$TMP/broker.out.err") &
BROKER_PID=$!
PIDS+=("$BROKER_PID")
BROKER_PORT=$(wait_line rmq-broker "$BROKER_PID" "$TMP/broker.out" \
    's/^The broker\[[^,]*, 127\.0\.0\.1:\([0-9]*\)\] boot success.*$/\1/p')
BROKER="127.0.0.1:$BROKER_PORT"

# create_topic TOPIC: 8 queues with `rmq updateTopic` when this rmq has it,
# else auto-created (the producer's 4 queues) by a first send.
create_topic() {
    if "$RMQ" help updateTopic >/dev/null 2>&1 &&
        "$RMQ" updateTopic -n "$NS" -b "$BROKER" -t "$1" -r 8 -w 8 >"$TMP/topic.out" 2>&1; then
        TOPIC_HOW="rmq updateTopic, 8 queues"
    else
        TOPIC_HOW="auto-created by the first send, 4 queues"
    fi
    "$RMQ" send -n "$NS" -t "$1" -m 1 >/dev/null 2>"$TMP/send.err" || {
        log "the first send to $1 failed:"
        cat "$TMP/send.err" >&2
        exit 1
    }
}
create_topic BenchmarkTest
create_topic BenchmarkConsume
# warm-up: routes, connections, the first commit-log segment
"$RMQ" bench produce -n "$NS" -t BenchmarkTest -w 4 -q 20000 >/dev/null 2>&1

ROWS=()
TPS_16_128="" P99_16_128="" ANON_MAX=0

# measure_begin / measure_end: broker CPU and memory around one run; sets
# CPU_TICKS, HWM_KIB, ANON_KIB.
measure_begin() {
    CPU0=$(cpu_ticks "$BROKER_PID")
    echo 0 >"$TMP/anon"
    sample_anon "$BROKER_PID" "$TMP/anon" &
    SAMPLER_PID=$!
    PIDS+=("$SAMPLER_PID")
}
measure_end() {
    CPU_TICKS=$(($(cpu_ticks "$BROKER_PID") - CPU0))
    stop_pid "$SAMPLER_PID"
    ANON_KIB=$(<"$TMP/anon")
    local now
    now=$(status_kib "$BROKER_PID" RssAnon)
    ((now > ANON_KIB)) && ANON_KIB=$now
    HWM_KIB=$(status_kib "$BROKER_PID" VmHWM)
    ((ANON_KIB > ANON_MAX)) && ANON_MAX=$ANON_KIB
    return 0
}

# The machine is shared: other_begin / other_end measure, around one row (its
# run and its floor), the CPU the machine spent on processes other than this
# benchmark's (busy time from /proc/stat minus the servers' and this shell's
# children's), in cores; sets OTHER_CORES.
busy_ticks() {
    local _cpu u n sy _idle _iow irq sirq st _rest
    read -r _cpu u n sy _idle _iow irq sirq st _rest </proc/stat
    echo $((u + n + sy + irq + sirq + st))
}
ours_ticks() {
    times >"$TMP/times" # no subshell: a subshell's children are not ours
    local kids
    kids=$(awk -v hz="$CLK_TCK" 'NR == 2 {
        split($1, u, /[ms]/); split($2, s, /[ms]/);
        printf "%.0f\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * hz }' "$TMP/times")
    echo $(($(cpu_ticks "$BROKER_PID") + $(cpu_ticks "$NAMESRV_PID") + $(cpu_ticks "$ECHO_PID") + kids))
}
other_begin() {
    OTHER_NS0=$(date +%s%N)
    OTHER_BUSY0=$(busy_ticks)
    ours_ticks >"$TMP/ours"
    OTHER_OURS0=$(<"$TMP/ours")
}
other_end() {
    local busy ours now
    busy=$(busy_ticks)
    ours_ticks >"$TMP/ours"
    ours=$(<"$TMP/ours")
    now=$(date +%s%N)
    OTHER_CORES=$(awk -v b=$((busy - OTHER_BUSY0)) -v o=$((ours - OTHER_OURS0)) -v hz="$CLK_TCK" \
        -v ns=$((now - OTHER_NS0)) 'BEGIN { x = (b - o) / hz / (ns / 1e9); printf "%.2f\n", (x > 0 ? x : 0) }')
}

# cpu_per_m MSGS: broker CPU seconds per million messages of the last run.
cpu_per_m() {
    awk -v t="$CPU_TICKS" -v hz="$CLK_TCK" -v n="$1" \
        'BEGIN { printf "%.2f\n", (n > 0 ? t / hz / n * 1e6 : 0) }'
}

# floor SIZE CONNS: echo round trips per second at that size and concurrency.
floor() {
    local out
    out=$("$LOAD_BIN" --addr "127.0.0.1:$ECHO_PORT" --conns "$2" --seconds "$FLOOR_SECONDS" \
        --warmup 1 --mode echo --size "$1")
    jnum "$out" rps
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f %%\n", (b > 0 ? 100 * a / b : 0) }'
}

for size in $SIZES; do
    for threads in $THREADS; do
        log "produce: $threads threads, $size B, ${DURATION}s"
        other_begin
        measure_begin
        out=$("$RMQ" bench produce -n "$NS" -t BenchmarkTest -w "$threads" -s "$size" \
            --duration "$DURATION" --json 2>"$TMP/produce.err" | tail -n1)
        measure_end
        sent=$(jnum "$out" sent)
        if [[ -z $sent ]]; then
            log "rmq bench produce failed:"
            cat "$TMP/produce.err" >&2
            exit 1
        fi
        tps=$(jnum "$out" tps) p50=$(jnum "$out" rt_p50_ms) p99=$(jnum "$out" rt_p99_ms)
        failed=$(jnum "$out" failed)
        log "floor: $threads conns, $size B, ${FLOOR_SECONDS}s"
        ftps=$(floor "$size" "$threads")
        other_end
        ROWS+=("| produce $size B | $threads | $(int "$tps") | $p50 | $p99 | $failed | $(mib "$HWM_KIB") | $(mib "$ANON_KIB") | $(cpu_per_m "$sent") | $(int "$ftps") | $(ratio "$tps" "$ftps") | $OTHER_CORES |")
        if [[ $threads == 16 && $size == 128 ]]; then
            TPS_16_128=$tps P99_16_128=$p99
        fi
    done
done

# ---- ASYNC: one thread, ASYNC_INFLIGHT sends outstanding ----
if [[ -n $ASYNC_INFLIGHT ]]; then
    log "produce: ASYNC, $ASYNC_INFLIGHT in flight, 128 B, ${DURATION}s"
    other_begin
    measure_begin
    out=$("$RMQ" bench produce -n "$NS" -t BenchmarkTest --async --inflight "$ASYNC_INFLIGHT" \
        -s 128 --duration "$DURATION" --json 2>"$TMP/produce.err" | tail -n1)
    measure_end
    sent=$(jnum "$out" sent)
    if [[ -z $sent ]]; then
        log "rmq bench produce --async failed:"
        cat "$TMP/produce.err" >&2
        exit 1
    fi
    tps=$(jnum "$out" tps)
    log "floor: $ASYNC_INFLIGHT conns, 128 B, ${FLOOR_SECONDS}s"
    ftps=$(floor 128 "$ASYNC_INFLIGHT")
    other_end
    ROWS+=("| produce 128 B, ASYNC, $ASYNC_INFLIGHT in flight | 1 | $(int "$tps") | $(jnum "$out" rt_p50_ms) | $(jnum "$out" rt_p99_ms) | $(jnum "$out" failed) | $(mib "$HWM_KIB") | $(mib "$ANON_KIB") | $(cpu_per_m "$sent") | $(int "$ftps") | $(ratio "$tps" "$ftps") | $OTHER_CORES |")
fi

# ---- consume: a fresh topic, 16 threads producing 128 B into it meanwhile ----
log "consume: bench consume while 16 threads produce 128 B, ${DURATION}s"
CONSUME_SECONDS=$((DURATION + 4))
other_begin
measure_begin
(exec "$RMQ" bench consume -n "$NS" -t BenchmarkConsume --duration "$CONSUME_SECONDS" --json \
    >"$TMP/consume.out" 2>"$TMP/consume.err") &
CONSUMER_PID=$!
PIDS+=("$CONSUMER_PID")
wait_line "rmq bench consume" "$CONSUMER_PID" "$TMP/consume.out" 's/^\(Consumer Started\)\.$/\1/p' \
    >/dev/null
sleep 2 # the first rebalance and pulls
pout=$("$RMQ" bench produce -n "$NS" -t BenchmarkConsume -w 16 -s 128 --duration "$DURATION" \
    --json 2>"$TMP/produce.err" | tail -n1)
wait "$CONSUMER_PID" || true
measure_end
cout=$(tail -n1 "$TMP/consume.out")
received=$(jnum "$cout" received)
if [[ -z $received ]]; then
    log "rmq bench consume failed:"
    cat "$TMP/consume.err" >&2
    exit 1
fi
psent=$(jnum "$pout" sent)
ctps=$(awk -v n="$received" -v s="$(jnum "$pout" seconds)" 'BEGIN { printf "%.0f\n", (s > 0 ? n / s : 0) }')
log "floor: 16 conns, 128 B, ${FLOOR_SECONDS}s"
ftps=$(floor 128 16)
other_end
ROWS+=("| consume 128 B (e2e, while 16 threads produce) | 20 | $(int "$ctps") | $(jnum "$cout" e2e_p50_ms) | $(jnum "$cout" e2e_p99_ms) | $(jnum "$pout" failed) | $(mib "$HWM_KIB") | $(mib "$ANON_KIB") | $(cpu_per_m "$received") | $(int "$ftps") | $(ratio "$ctps" "$ftps") | $OTHER_CORES |")

# ---- report ----
echo "| workload | threads | msg/s | p50 ms | p99 ms | failed | broker peak RSS (VmHWM) MiB | broker RssAnon peak MiB | broker CPU s / 1M msgs | echo floor round trips/s | broker / floor | other processes' CPU, cores |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Produce rows: rmq bench produce (SYNC, one producer shared by the threads; the ASYNC row: one thread, callbacks)"
echo "for ${DURATION} s; p50/p99: send RT (to the callback for ASYNC).  VmHWM is the broker's peak so far (its runs"
echo "add up: it counts the mapped commit-log pages); RssAnon: the largest sample during the run."
echo "Consume row: rmq bench consume (20 consume threads) on a fresh topic while rmq bench produce -w 16 -s 128"
echo "sends into it for ${DURATION} s; msg/s: messages received / producing time; p50/p99: end-to-end latency"
echo "(born timestamp, ms resolution, to receipt); failed: failed sends; $(int "$psent") sent, $(int "$received")"
echo "received (+1 sent before, when the topic was made) in the consumer's ${CONSUME_SECONDS} s; CPU per 1M messages"
echo "received (each one also stored)."
echo "Echo floor: bench/rr_load against bench/echo_server, as many connections as threads, each with one"
echo "request of a ~200 B header + the message size in flight, ${FLOOR_SECONDS} s after 1 s of warm-up."
echo "Other processes' CPU: what the machine spent on processes not of this benchmark during the row (run and"
echo "floor), in cores of the $(nproc); above ~0.1 the row's numbers are disturbed."
echo "Topics: $TOPIC_HOW; commit-log segments ${SEGMENT_MIB} MiB, ASYNC_FLUSH, store in $DIR."
echo
echo "Broker start-up to the first accepted TCP connection, empty store, ${STARTUP_RUNS} runs: min ${STARTUP_MIN} ms, median ${STARTUP_MED} ms, max ${STARTUP_MAX} ms (${STARTUP_MS[*]})"
echo

# verdict MET_CONDITION TEXT
verdict() {
    if [[ $1 == 1 ]]; then echo "- met: $2"; else echo "- NOT met: $2"; fi
}
echo "Targets (issue 7):"
verdict "$(awk -v t="$TPS_16_128" -v p="$P99_16_128" -v tt=$TARGET_TPS -v tp=$TARGET_P99_MS \
    'BEGIN { print (t != "" && t > tt && p < tp) ? 1 : 0 }')" \
    "16 threads, 128 B above $(int $TARGET_TPS) msg/s with p99 under ${TARGET_P99_MS} ms (measured $(int "${TPS_16_128:-0}") msg/s, p99 ${P99_16_128:-?} ms)"
verdict "$(awk -v a="$ANON_MAX" -v t=$TARGET_ANON_MIB 'BEGIN { print (a / 1024 < t) ? 1 : 0 }')" \
    "broker RssAnon below ${TARGET_ANON_MIB} MiB under load (peak $(mib "$ANON_MAX") MiB over all runs)"
verdict "$(awk -v m="$STARTUP_MED" -v t=$TARGET_STARTUP_MS 'BEGIN { print (m < t) ? 1 : 0 }')" \
    "broker start-up under ${TARGET_STARTUP_MS} ms on an empty store (median ${STARTUP_MED} ms)"
echo
echo "Command: DURATION=$DURATION FLOOR_SECONDS=$FLOOR_SECONDS THREADS=\"$THREADS\" SIZES=\"$SIZES\" SEGMENT_MIB=$SEGMENT_MIB${BROKER_EXTRA:+ BROKER_EXTRA=\"$BROKER_EXTRA\"} bench/broker.sh $BUILD"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs; $(uname -sr)"
exit 0
