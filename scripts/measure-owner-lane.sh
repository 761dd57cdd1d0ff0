#!/usr/bin/env bash
# On a fresh dev node with the price servers: an owner's addMargin and closePosition under a flood
# of tipped transfers beyond block capacity (zombienet/js/owner-lane.mjs): how many blocks each
# waits, and whether oracle reports still land every block. Prints the report and a RESULT line.
#
# Usage: scripts/measure-owner-lane.sh [owners] [rate] [tip-bwk]   (defaults: 20 1200 1)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
owners="${1:-20}"
rate="${2:-1200}"
tip="${3:-1}"
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
"$BULWARK_NODE" --dev --base-path "$work/node" --rpc-port 9944 --port 30444 --no-prometheus >"$work/node.log" 2>&1 &
node_pid=$!
wait_for_rpc
node zombienet/js/owner-lane.mjs --owners "$owners" --rate "$rate" --tip-bwk "$tip" --expect-within 2 |
	tee "$work/result.txt"
echo "node log and report in $work"
