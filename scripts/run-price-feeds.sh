#!/usr/bin/env bash
# Starts the three loopback price servers the dev and local chains' oracle feeds read
# (ports 8101, 8102, 8103; see zombienet/README.md), and a liar's server (8104, every price 10x,
# that network test 06 points one validator's sources at), in the background; prints their pids.
# Usage: scripts/run-price-feeds.sh [start|stop]   Prices: BTC 67000, ETH 3500, DOT 7.5.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
pids="${TMPDIR:-/tmp}/bulwark-price-feeds.pids"
case "${1:-start}" in
stop)
	[ -f "$pids" ] && xargs -r kill <"$pids" 2>/dev/null || true
	rm -f "$pids"
	;;
start)
	cargo build --profile "$BULWARK_PROFILE" --locked -p bulwark-price-feed
	feed="$CARGO_TARGET_DIR/$BULWARK_PROFILE/bulwark-price-feed"
	: >"$pids"
	for port in 8101 8102 8103; do
		"$feed" --listen "127.0.0.1:$port" --price BTC-USD=67000 --price ETH-USD=3500 \
			--price DOT-USD=7.5 >/dev/null 2>"${TMPDIR:-/tmp}/bulwark-price-feed-$port.log" &
		echo $! >>"$pids"
	done
	"$feed" --listen 127.0.0.1:8104 --price BTC-USD=670000 --price ETH-USD=35000 \
		--price DOT-USD=75 >/dev/null 2>"${TMPDIR:-/tmp}/bulwark-price-feed-8104.log" &
	echo $! >>"$pids"
	echo "price feeds on 127.0.0.1:8101-8103, the liar's (10x) on 8104, pids $(tr '\n' ' ' <"$pids")"
	echo "control: curl 'http://127.0.0.1:8101/control/set?market=BTC-USD&price=60000'"
	;;
*)
	echo "usage: $0 [start|stop]" >&2
	exit 2
	;;
esac
