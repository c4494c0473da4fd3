#!/usr/bin/env bash
# make run: a local name server with the embedded default configuration,
# listening on 127.0.0.1:9876, keeping its KV config under ./data.  Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
mkdir -p data/namesrv
conf=data/namesrv/namesrv.conf
cat >"$conf" <<CONF
listenPort=9876
bindAddress=127.0.0.1
kvConfigPath=$PWD/data/namesrv/kvConfig.json
configStorePath=$PWD/data/namesrv/namesrv.properties
CONF
echo "starting rmq-namesrv on 127.0.0.1:9876 (config $conf); Ctrl-C to stop"
exec "$BUILD/rmq-namesrv" -c "$conf"
