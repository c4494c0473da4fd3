#!/usr/bin/env bash
# Interop test with the ali-ons Node.js client: starts rmq-namesrv and
# rmq-broker from the build dir given as $1 on free loopback ports in a temp
# dir, runs the node tests in this directory against them (node --test), then
# stops both with SIGTERM and expects clean exits.
#
#   tests/interop/run.sh BUILD_DIR [C_SEND [C_CONSUME]]
#
# C_SEND: the interop_c_send program (tests/interop/c_send.c; default
# BUILD_DIR/tests/interop_c_send), whose messages an ali-ons consumer reads.
# C_CONSUME: the interop_c_consume program (tests/interop/c_consume.c;
# default BUILD_DIR/tests/interop_c_consume), librocketmq's push consumer
# reading what an ali-ons producer sent.
#
# Needs node and tests/interop/node_modules (npm ci in tests/interop).  Every
# wait is bounded; only the processes started here are ever signalled.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ] || [ $# -gt 3 ] || [ ! -x "$1/rmq-namesrv" ] || [ ! -x "$1/rmq-broker" ]; then
    echo "usage: $0 BUILD_DIR [C_SEND [C_CONSUME]] (with rmq-namesrv and rmq-broker built)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
c_send=${2:-$build/tests/interop_c_send}
c_consume=${3:-$build/tests/interop_c_consume}
for prog in "$c_send" "$c_consume"; do
    if [ ! -x "$prog" ]; then
        echo "$0: $prog not built" >&2
        exit 2
    fi
done
if ! command -v node >/dev/null || [ ! -d "$here/node_modules/ali-ons" ]; then
    echo "$0: needs node and $here/node_modules (run npm ci in $here)" >&2
    exit 2
fi

tmp=$(mktemp -d /tmp/rmq-interop-XXXXXX)
ns_pid=""
broker_pid=""
export RMQ_LOG_LEVEL=${RMQ_LOG_LEVEL:-warn}

# stop PID NAME: SIGTERM, up to 10 s, then SIGKILL; the exit status goes to
# $status (not a subshell: wait only knows this shell's children).
status=0
stop() {
    local pid=$1 i
    status=0
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$0: $2 ($pid) ignored SIGTERM, killing it" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    status=$?
}

cleanup() {
    [ -n "$broker_pid" ] && stop "$broker_pid" broker
    [ -n "$ns_pid" ] && stop "$ns_pid" "name server"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# boot_port FILE PATTERN: waits up to 10 s for the boot line, prints the port.
boot_port() {
    local file=$1 pattern=$2 port i
    for i in $(seq 100); do
        port=$(sed -n "$pattern" "$file" 2>/dev/null | head -n1)
        [ -n "$port" ] && { echo "$port"; return 0; }
        sleep 0.1
    done
    return 1
}

cat >"$tmp/namesrv.conf" <<CONF
listenPort=0
bindAddress=127.0.0.1
kvConfigPath=$tmp/kvConfig.json
configStorePath=$tmp/namesrv.properties
CONF
"$build/rmq-namesrv" -c "$tmp/namesrv.conf" >"$tmp/namesrv.out" 2>"$tmp/namesrv.log" </dev/null &
ns_pid=$!
if ! ns_port=$(boot_port "$tmp/namesrv.out" 's/^The Name Server boot success.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p'); then
    echo "$0: the name server did not boot" >&2
    cat "$tmp/namesrv.log" >&2
    exit 1
fi

cat >"$tmp/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=0
namesrvAddr=127.0.0.1:$ns_port
storePathRootDir=$tmp/store
mappedFileSizeCommitLog=16777216
mappedFileSizeConsumeQueue=60000
maxHashSlotNum=10000
maxIndexNum=40000
flushDiskType=ASYNC_FLUSH
CONF
"$build/rmq-broker" -c "$tmp/broker.conf" >"$tmp/broker.out" 2>"$tmp/broker.log" </dev/null &
broker_pid=$!
if ! broker_port=$(boot_port "$tmp/broker.out" 's/^The broker\[[^,]*, 127\.0\.0\.1:\([0-9]*\)\] boot success.*$/\1/p'); then
    echo "$0: the broker did not boot" >&2
    cat "$tmp/broker.log" >&2
    exit 1
fi

export RMQ_NAMESRV_ADDR="127.0.0.1:$ns_port" RMQ_BROKER_ADDR="127.0.0.1:$broker_port"
export RMQ_C_SEND="$c_send" RMQ_C_CONSUME="$c_consume"
echo "name server $RMQ_NAMESRV_ADDR, broker $RMQ_BROKER_ADDR"
cd "$here"
timeout -k 5 240 node --test --test-concurrency=1 ./*.test.js
rc=$?
[ $rc -eq 124 ] && echo "$0: the node tests timed out" >&2

stop "$broker_pid" broker
broker_status=$status
broker_pid=""
stop "$ns_pid" "name server"
ns_status=$status
ns_pid=""
if [ $rc -ne 0 ] || [ "$broker_status" != 0 ] || [ "$ns_status" != 0 ]; then
    echo "$0: node tests $rc, broker exit $broker_status, name server exit $ns_status" >&2
    echo "--- broker log (last 50 lines)" >&2
    tail -n 50 "$tmp/broker.log" >&2
    [ $rc -ne 0 ] || rc=1
fi
exit $rc
