#!/usr/bin/env bash
# rmq-broker next to its peers: the same workload, persisted publishes with
# acknowledgements, 16 in flight, 128 B and 1 KiB bodies, against
#   - rmq-broker (+ rmq-namesrv; ASYNC_FLUSH, the default: acknowledged once
#     in the page cache, flushed every 500 ms), and again with
#     transientStorePoolEnable=true (acknowledged once in the staging ring,
#     written to the page cache by a commit thread within milliseconds),
#   - nats-server with JetStream, a stream with file storage (acknowledged
#     once pwrite put it in its block file; no fsync during a run),
#   - redis-server, XADD to one stream with appendonly yes, appendfsync
#     everysec (answered once written to the AOF, fsync every second),
# each started here on loopback in a fresh directory under DIR, one server
# run per row.  All three are driven by the same single-threaded C engine
# (bench/pub_load.h) speaking each one's wire protocol: bench/rmq_load
# (SEND_MESSAGE_V2), bench/nats_load (PUB with a reply inbox, JetStream's
# +ACK), bench/redis_load (RESP); CONNS connections, each with INFLIGHT
# publishes outstanding.  The default, one connection carrying 16, is what
# `rmq bench produce -w 16` does: its 16 threads share one producer, whose
# sends all go over one connection to the broker (RocketMQ's clients keep one
# per address); JetStream's asynchronous publish and Redis pipelining are the
# peers' ways of doing the same.  CONNS=16 INFLIGHT=1 gives each of the 16 its
# own connection instead.  When `rmq bench produce` exists, one more row per
# size drives the broker with it (-w CONNS x INFLIGHT threads, each a
# synchronous send).
#
#   bench/peers.sh [BUILD_DIR]        (default: build; builds nothing)
#   env: CONNS (1), INFLIGHT (16), SECONDS (10, measured after WARMUP), WARMUP (1),
#        SIZES ("128 1024"), DIR (/var/tmp: on the disk, not tmpfs),
#        RMQ_BENCH (auto|off: the `rmq bench produce` rows)
#
# Installs nats-server and redis-server from Debian when either is missing
# (apt-get, as root or via sudo; on a machine with systemd, Debian's
# redis-server package also starts a system instance on port 6379, which this
# script never touches).
#
# Server CPU is utime + stime from /proc/PID/stat (redis-server's AOF-rewrite
# children included: reaped ones through cutime + cstime, live ones read
# directly) over the whole generator run, warm-up and final drain included,
# divided by every message acknowledged in that run.  RSS is the server's
# VmHWM (peak; for the broker it counts the commit log's mapped pages) and
# RssAnon (anonymous memory) at the end of the run.  Client CPU is the load
# generator's (cutime + cstime of this script across the run), to show how
# the two cores were shared, and "rest" is the CPU time of every other
# process over the run, kernel threads included (the page-cache writeback of
# the servers' files among them): near zero on a quiet machine.
#
# Prints a Markdown table and the command.  A broker costing more CPU per
# message than a peer gets a WARNING line, but the exit code stays 0:
# benchmarks report, they do not gate.
set -euo pipefail

BUILD=${1:-build}
CONNS=${CONNS:-1}
INFLIGHT=${INFLIGHT:-16}
# Bash always defines SECONDS (time since start), so only an exported value
# is the caller's setting.
SECONDS_=$(printenv SECONDS || echo 10)
WARMUP=${WARMUP:-1}
SIZES=${SIZES:-128 1024}
DIR=${DIR:-/var/tmp}
RMQ_BENCH=${RMQ_BENCH:-auto}
START_TIMEOUT_S=10
STOP_TIMEOUT_S=10
TOPIC=bench

NAMESRV_BIN=$BUILD/rmq-namesrv
BROKER_BIN=$BUILD/rmq-broker
RMQ_BIN=$BUILD/rmq
RMQ_LOAD=$BUILD/bench/rmq_load
NATS_LOAD=$BUILD/bench/nats_load
REDIS_LOAD=$BUILD/bench/redis_load
for bin in "$NAMESRV_BIN" "$BROKER_BIN" "$RMQ_LOAD" "$NATS_LOAD" "$REDIS_LOAD"; do
    if [[ ! -x $bin ]]; then
        echo "peers.sh: $bin not found; build first (cmake --build $BUILD)" >&2
        exit 1
    fi
done

# The peers, from Debian, only when missing (as scripts/deps.sh installs the
# build's packages; `make test` needs neither, so they are not there).
install_peers() {
    local missing=() sudo=""
    command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    ((${#missing[@]} == 0)) && return 0
    echo "peers.sh: installing ${missing[*]}" >&2
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >&2
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
install_peers
NATS_BIN=$(command -v nats-server)
REDIS_BIN=$(command -v redis-server)

# `rmq bench produce` rows: only if the tool has the subcommand.
HAVE_RMQ_BENCH=false
if [[ $RMQ_BENCH != off && -x $RMQ_BIN ]] && "$RMQ_BIN" bench produce -h >/dev/null 2>&1; then
    HAVE_RMQ_BENCH=true
fi

TMP=$(mktemp -d "$DIR/rmq-peers-sh-XXXXXX")
PIDS=()

# shellcheck source-path=SCRIPTDIR source=procs.sh
source "$(dirname "$0")/procs.sh"

# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
    stop_all
    rm -rf "$TMP"
}
trap cleanup EXIT

# wait_log NAME PID LOG REGEX: prints the first match of REGEX (grep -o) in
# LOG once it appears; fails if the process dies first or takes too long.
wait_log() {
    local name=$1 pid=$2 log=$3 re=$4 polls hit
    for ((polls = 0; polls < START_TIMEOUT_S * 50; polls++)); do
        hit=$(grep -o -m1 -E "$re" "$log" 2>/dev/null || true)
        if [[ -n $hit ]]; then
            echo "$hit"
            return 0
        fi
        if ! is_running "$pid"; then
            echo "peers.sh: $name exited before it was ready; its output:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.02
    done
    echo "peers.sh: $name not ready after ${START_TIMEOUT_S}s; its output:" >&2
    cat "$log" >&2
    return 1
}

# ---- the servers (each sets PORT and SERVER_PIDS, the PIDs whose CPU counts) --

# start_broker DIR [EXTRA_CONFIG_LINE]
start_broker() {
    local d=$1 extra=${2:-} ns_pid ns_port broker_pid
    mkdir -p "$d"
    cat >"$d/namesrv.conf" <<EOF
listenPort=0
bindAddress=127.0.0.1
kvConfigPath=$d/kvConfig.json
EOF
    # exec, so that $! is the server itself and its /proc/PID/stat is what we read.
    (exec "$NAMESRV_BIN" -c "$d/namesrv.conf" >"$d/namesrv.log" 2>&1) &
    ns_pid=$!
    PIDS+=("$ns_pid")
    ns_port=$(wait_log rmq-namesrv "$ns_pid" "$d/namesrv.log" 'listening on 127\.0\.0\.1:[0-9]+')
    NAMESRV_ADDR=127.0.0.1:${ns_port##*:}
    cat >"$d/broker.conf" <<EOF
brokerClusterName=BenchCluster
brokerName=bench-broker
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=0
namesrvAddr=$NAMESRV_ADDR
storePathRootDir=$d/store
$extra
EOF
    (exec "$BROKER_BIN" -c "$d/broker.conf" >"$d/broker.log" 2>&1) &
    broker_pid=$!
    PIDS+=("$broker_pid")
    PORT=$(wait_log rmq-broker "$broker_pid" "$d/broker.log" '127\.0\.0\.1:[0-9]+\]')
    PORT=${PORT##*:}
    PORT=${PORT%]}
    SERVER_PIDS=("$broker_pid" "$ns_pid")
}

start_nats() {
    local d=$1 pid
    mkdir -p "$d"
    # -p -1: a free port, chosen by the server and logged.
    (exec "$NATS_BIN" -a 127.0.0.1 -p -1 -js -sd "$d/js" >"$d/nats.log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    PORT=$(wait_log nats-server "$pid" "$d/nats.log" 'client connections on 127\.0\.0\.1:[0-9]+')
    PORT=${PORT##*:}
    wait_log nats-server "$pid" "$d/nats.log" 'Server is ready' >/dev/null
    SERVER_PIDS=("$pid")
}

# redis-server cannot pick its own port: try free-looking ones below the
# ephemeral range until one binds.
start_redis() {
    local d=$1 pid attempt port
    mkdir -p "$d"
    for ((attempt = 0; attempt < 10; attempt++)); do
        port=$((20000 + RANDOM % 12000))
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            continue # something listens there
        fi
        (exec "$REDIS_BIN" --bind 127.0.0.1 --port "$port" --appendonly yes \
            --appendfsync everysec --dir "$d" --save "" --daemonize no \
            >"$d/redis.log" 2>&1) &
        pid=$!
        PIDS+=("$pid")
        if wait_log redis-server "$pid" "$d/redis.log" 'Ready to accept connections' \
            >/dev/null 2>"$d/wait.err"; then
            PORT=$port
            SERVER_PIDS=("$pid")
            return 0
        fi
        if ! grep -q 'Address already in use' "$d/redis.log"; then
            cat "$d/wait.err" >&2
            return 1
        fi
        stop_pid "$pid"
    done
    echo "peers.sh: redis-server found no free port" >&2
    return 1
}

# ---- measurements -------------------------------------------------------------

# cpu_ticks PID...: utime + stime + cutime + cstime (stat fields 14-17) of
# each PID and utime + stime of its live children, in clock ticks; fields are
# counted after the ")" closing the command name, which may contain spaces.
cpu_ticks() {
    local pid child stat total=0 t children
    for pid in "$@"; do
        stat=$(<"/proc/$pid/stat")
        t=$(awk '{ print $12 + $13 + $14 + $15 }' <<<"${stat##*) }")
        total=$((total + t))
        read -ra children <<<"$(cat /proc/"$pid"/task/*/children 2>/dev/null | tr '\n' ' ')"
        for child in "${children[@]}"; do
            stat=$(cat "/proc/$child/stat" 2>/dev/null) || continue
            t=$(awk '{ print $12 + $13 }' <<<"${stat##*) }")
            total=$((total + t))
        done
    done
    echo "$total"
}

# status_kib PID FIELD: a "FIELD: N kB" line of /proc/PID/status.
status_kib() {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# client_ticks: CPU of this script's reaped children (cutime + cstime), which
# is the load generator's once it has exited.
client_ticks() {
    local stat
    stat=$(<"/proc/$$/stat")
    awk '{ print $14 + $15 }' <<<"${stat##*) }"
}

# others_ticks: CPU time of every process on the machine but this script and
# the servers measured (utime + stime + cutime + cstime of each, so what a
# process reaped since counts with its parent), kernel threads included.
others_ticks() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v skip=" $$ ${SERVER_PIDS[*]} " '{
        pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ");
        if (index(skip, " " pid " ") == 0) t += f[12] + f[13] + f[14] + f[15] }
        END { print t + 0 }'
}

# json_field JSON KEY: the number stored under KEY in a one-line JSON object.
json_field() {
    grep -o "\"$2\":[0-9.]*" <<<"$1" | head -n1 | cut -d: -f2
}

now_ns() {
    date +%s%N
}

# Number formatting: thousands separators, fixed decimals.
int() {
    awk -v x="$1" 'BEGIN {
        s = sprintf("%.0f", x); out = "";
        while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
        print s out }'
}
fix() {
    awk -v x="$1" -v d="$2" 'BEGIN { printf "%.*f\n", d, x }'
}
# fix_div A B D: A / B with D decimals (0 when B is 0).
fix_div() {
    awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { printf "%.*f\n", d, (b > 0 ? a / b : 0) }'
}

CLK_TCK=$(getconf CLK_TCK)
ROWS=()
WARNINGS=()
declare -A CPU_US

# measure LABEL SIZE KEY CMD...: runs CMD (a generator printing one JSON
# line) against the server started last; appends a table row and records the
# CPU per message under KEY.
measure() {
    local label=$1 size=$2 key=$3 before after c0 c1 t0 t1 out msgs tps p50 p99 failed cpu_us
    local cores client m0 m1 rest
    shift 3
    before=$(cpu_ticks "${SERVER_PIDS[@]}")
    c0=$(client_ticks)
    m0=$(others_ticks)
    t0=$(now_ns)
    if ! out=$("$@" | tail -n1); then
        echo "peers.sh: $label $size B: the load generator failed ($*)" >&2
        exit 1
    fi
    t1=$(now_ns)
    m1=$(others_ticks)
    c1=$(client_ticks)
    after=$(cpu_ticks "${SERVER_PIDS[@]}")
    if [[ $(json_field "$out" total_acked) != "" ]]; then
        msgs=$(json_field "$out" total_acked)
        tps=$(json_field "$out" tps)
        p50=$(fix_div "$(json_field "$out" p50_us)" 1000 2)
        p99=$(fix_div "$(json_field "$out" p99_us)" 1000 2)
        failed=$(json_field "$out" total_failed)
    else # rmq bench produce
        msgs=$(json_field "$out" sent)
        tps=$(json_field "$out" tps)
        p50=$(fix "$(json_field "$out" rt_p50_ms)" 2)
        p99=$(fix "$(json_field "$out" rt_p99_ms)" 2)
        failed=$(json_field "$out" failed)
    fi
    cpu_us=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v n="$msgs" \
        'BEGIN { printf "%.2f", (n > 0 ? t / hz * 1e6 / n : 0) }')
    cores=$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v ns="$((t1 - t0))" \
        'BEGIN { printf "%.2f", t / hz / (ns / 1e9) }')
    client=$(awk -v t="$((c1 - c0))" -v hz="$CLK_TCK" -v ns="$((t1 - t0))" \
        'BEGIN { printf "%.2f", t / hz / (ns / 1e9) }')
    # Processes that exit during the run can make the difference slightly
    # negative (what they had used is no longer in the sum): shown as 0.
    rest=$(awk -v t="$((m1 - m0))" -v hz="$CLK_TCK" -v ns="$((t1 - t0))" \
        'BEGIN { r = t / hz / (ns / 1e9); printf "%.2f", (r < 0 ? 0 : r) }')
    CPU_US[$key]=$cpu_us
    local hwm anon
    hwm=$(status_kib "${SERVER_PIDS[0]}" VmHWM)
    anon=$(status_kib "${SERVER_PIDS[0]}" RssAnon)
    ROWS+=("| $label | $size B | $(int "$tps") | $p50 | $p99 | $cpu_us | $cores | $client | $rest | $(fix_div "$hwm" 1024 0) | $(fix_div "$anon" 1024 1) |")
    if ((${failed%.*} > 0)); then
        WARNINGS+=("$label $size B: $failed publishes refused")
    fi
}

GEN_ARGS=(--conns "$CONNS" --inflight "$INFLIGHT" --seconds "$SECONDS_" --warmup "$WARMUP" --name "$TOPIC")
run=0
for size in $SIZES; do
    run=$((run + 1))
    start_broker "$TMP/rmq-$size"
    measure "rmq-broker (rmq_load)" "$size" "rmq_$size" \
        "$RMQ_LOAD" --addr "127.0.0.1:$PORT" --size "$size" "${GEN_ARGS[@]}"
    stop_all
    # The same with appends staged and written by a commit thread (off by default, as in Java).
    start_broker "$TMP/rmqs-$size" "transientStorePoolEnable=true"
    measure "rmq-broker, transientStorePoolEnable (rmq_load)" "$size" "rmqs_$size" \
        "$RMQ_LOAD" --addr "127.0.0.1:$PORT" --size "$size" "${GEN_ARGS[@]}"
    stop_all
    if $HAVE_RMQ_BENCH; then
        start_broker "$TMP/rmqb-$size"
        # The topic exists before the clients look up its route.
        "$RMQ_LOAD" --addr "127.0.0.1:$PORT" --seconds 0 --name "$TOPIC"
        measure "rmq-broker (rmq bench produce -w $((CONNS * INFLIGHT)))" "$size" "rmqb_$size" \
            "$RMQ_BIN" bench produce -n "$NAMESRV_ADDR" -t "$TOPIC" -w "$((CONNS * INFLIGHT))" -s "$size" \
            --duration "$((SECONDS_ + WARMUP))" --json
        stop_all
    fi
    start_nats "$TMP/nats-$size"
    measure "nats-server JetStream, file (nats_load)" "$size" "nats_$size" \
        "$NATS_LOAD" --addr "127.0.0.1:$PORT" --size "$size" "${GEN_ARGS[@]}"
    stop_all
    start_redis "$TMP/redis-$size"
    measure "redis-server XADD, AOF everysec (redis_load)" "$size" "redis_$size" \
        "$REDIS_LOAD" --addr "127.0.0.1:$PORT" --size "$size" "${GEN_ARGS[@]}"
    stop_all
    rm -rf "${TMP:?}"/*
done

echo "Servers: rmq-broker + rmq-namesrv ($BUILD), $("$NATS_BIN" --version 2>&1 | head -n1)," \
    "$("$REDIS_BIN" --version | awk '{ print $1, $2, $3 }'); generators: $CONNS connection(s) x" \
    "$INFLIGHT publishes in flight; ${SECONDS_} s measured after ${WARMUP} s of warm-up; data under $DIR" \
    "($(df -T "$DIR" | awk 'NR == 2 { print $2 }'))."
echo
echo "| server (client) | body | msgs/s | p50 ms | p99 ms | server CPU µs/msg | server CPU, cores | client CPU, cores | rest, cores | server peak RSS MiB | server RssAnon MiB at end |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
for size in $SIZES; do
    for variant in rmq rmqs; do
        name="rmq-broker"
        [[ $variant == rmqs ]] && name="rmq-broker (transientStorePoolEnable)"
        r=${CPU_US[${variant}_$size]} n=${CPU_US[nats_$size]} d=${CPU_US[redis_$size]}
        verdict="met"
        if awk -v r="$r" -v n="$n" -v d="$d" 'BEGIN { exit !(r > n || r > d) }'; then
            verdict="NOT met"
            WARNINGS+=("$size B: $name $r µs/msg against nats-server $n and redis-server $d (target: at or below both)")
        fi
        echo "$size B: $name $r µs/msg = $(fix_div "$r" "$n" 2)x nats-server's, $(fix_div "$r" "$d" 2)x" \
            "redis-server's (target: at or below both: $verdict)."
    done
done
echo
echo "Command: CONNS=$CONNS INFLIGHT=$INFLIGHT SECONDS=$SECONDS_ WARMUP=$WARMUP SIZES=\"$SIZES\" DIR=$DIR bench/peers.sh $BUILD"
for w in "${WARNINGS[@]}"; do
    echo "WARNING: $w"
done
exit 0
