#!/usr/bin/env bash
# On a fresh dev node: opens N BTC positions through real signed trades from N accounts, then
# crashes the served BTC price by a fraction and reports how the protocol liquidates what that
# made liquidatable, block by block (see zombienet/js/load-positions.mjs).
#
# Usage: scripts/load-positions.sh [positions] [crash]   (defaults: 20000 0.30)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
positions="${1:-20000}"
crash="${2:-0.30}"
work="$(mktemp -d)"
node_pid=""
cleanup() {
	[ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null || true
	scripts/run-price-feeds.sh stop
}
trap cleanup EXIT
# The whole workspace, as scripts/test.sh builds it (a subset would rebuild the runtime).
cargo build --profile "$BULWARK_PROFILE" --locked --workspace
zombienet/install.sh
scripts/run-price-feeds.sh start >/dev/null
"$BULWARK_NODE" --chain dev --alice --validator --force-authoring --base-path "$work/node" \
	--rpc-port 9944 --port 30444 --no-prometheus --rpc-max-connections 1000 \
	--pool-limit 16384 --pool-kbytes 65536 \
	--node-key 0000000000000000000000000000000000000000000000000000000000000001 \
	>"$work/node.log" 2>&1 &
node_pid=$!
wait_for_rpc
node zombienet/js/load-positions.mjs --positions "$positions" --crash "$crash" |
	tee "$work/result.txt"
echo "node log and report in $work"
