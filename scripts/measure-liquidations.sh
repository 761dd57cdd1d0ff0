#!/usr/bin/env bash
# Side by side, on fresh dev nodes in one run: how many blocks a position made liquidatable by
# the oracle aggregate of block N waits for its liquidation while transfers flood the pool at
# about 3x block capacity, with the liquidation priority layers on (the dev chain) and off (the
# same chain with `perpetualMargin.liquidationMode = Unprioritized` in its genesis).
#
# Usage: scripts/measure-liquidations.sh [groups] [per-group] [rate]   (defaults: 10 10 1200)
# Each mode opens groups x per-group BTC longs, steps the served price down a group at a time
# under the flood, and prints a RESULT line (see zombienet/js/liquidation-latency.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
groups="${1:-10}"
per_group="${2:-10}"
rate="${3:-1200}"
work="$(mktemp -d)"
node_pid=""
cleanup() {
	[ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null || true
	scripts/run-price-feeds.sh stop
}
trap cleanup EXIT
# The whole workspace, as scripts/test.sh builds it: building a subset resolves features
# differently and would rebuild the runtime and the node.
cargo build --profile "$BULWARK_PROFILE" --locked --workspace
zombienet/install.sh

"$BULWARK_NODE" build-spec --chain dev >"$work/on.json" 2>/dev/null
# Python, not jq: jq rounds the spec's 128-bit balances to doubles.
python3 - "$work/on.json" "$work/off.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec["genesis"]["runtimeGenesis"]["patch"]["perpetualMargin"]["liquidationMode"] = "Unprioritized"
json.dump(spec, open(sys.argv[2], "w"), indent=1)
PY

for mode in on off; do
	scripts/run-price-feeds.sh start >/dev/null
	"$BULWARK_NODE" --chain "$work/$mode.json" --alice --validator --force-authoring \
		--base-path "$work/$mode" --rpc-port 9944 --port 30444 --no-prometheus \
		--node-key 0000000000000000000000000000000000000000000000000000000000000001 \
		>"$work/node-$mode.log" 2>&1 &
	node_pid=$!
	wait_for_rpc
	echo "== priority layers $mode"
	node zombienet/js/liquidation-latency.mjs --groups "$groups" --per-group "$per_group" \
		--rate "$rate" | tee "$work/result-$mode.txt" | grep -E '^(liquidation mode|flood|oracle|positions|blocks from|liquidated|RESULT)'
	kill "$node_pid"
	wait "$node_pid" 2>/dev/null || true
	node_pid=""
	scripts/run-price-feeds.sh stop
done
echo "logs and full reports in $work"
