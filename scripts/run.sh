#!/usr/bin/env bash
# make run: a local name server (127.0.0.1:9876) and broker (127.0.0.1:10911)
# with an embedded default configuration, data under ./data; then the
# SyncProducer example sends 100 messages through them (SEND_OK lines).  Both servers
# keep running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
mkdir -p data/namesrv data/broker
cat >data/namesrv/namesrv.conf <<CONF
listenPort=9876
bindAddress=127.0.0.1
kvConfigPath=$PWD/data/namesrv/kvConfig.json
configStorePath=$PWD/data/namesrv/namesrv.properties
CONF
# Segments of 64 MiB instead of 1 GiB keep a demo store small on disk.
cat >data/broker/broker.conf <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=10911
namesrvAddr=127.0.0.1:9876
storePathRootDir=$PWD/data/broker/store
mappedFileSizeCommitLog=67108864
flushDiskType=ASYNC_FLUSH
CONF

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

wait_for() { # wait_for FILE TEXT: bounded wait for a boot line
    for _ in $(seq 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "run: $1 did not show '$2'" >&2
    cat "$1" >&2
    return 1
}

"$BUILD/rmq-namesrv" -c data/namesrv/namesrv.conf >data/namesrv/stdout.log &
pids+=($!)
wait_for data/namesrv/stdout.log "boot success"
echo "rmq-namesrv on 127.0.0.1:9876 (config data/namesrv/namesrv.conf)"
"$BUILD/rmq-broker" -c data/broker/broker.conf >data/broker/stdout.log &
pids+=($!)
wait_for data/broker/stdout.log "boot success"
echo "rmq-broker  on 127.0.0.1:10911 (config data/broker/broker.conf, store data/broker/store)"
echo
NAMESRV_ADDR=127.0.0.1:9876 "$BUILD/examples/sync_producer" TopicTest
echo
echo "Both servers keep running: namesrvAddr=127.0.0.1:9876.  Ctrl-C stops them."
wait "${pids[@]}"
