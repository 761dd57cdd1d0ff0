#!/usr/bin/env bash
# The app's browser test (acceptance). Starts loopback price servers and a fresh dev node, builds
# and serves the app (vite preview), drives it in Debian's headless Chromium with playwright-core
# (test/e2e.mjs: Bob deposits, is refused with a typed error, opens a long whose health and
# liquidation price must equal `accountHealth`, is liquidated by a price drop, and an ETH-USD feed
# goes stale), then checks the node's bulwark_* Prometheus series against the runtime at the
# block they name (zombienet/js/checks/metrics.mjs), and stops everything it started.
# Screenshots and logs: app/test-output/.
#
#   app/test/run.sh          # or: cd app && npm test
#   BULWARK_SKIP_BROWSER=1   # skips it (exit 0)
#   BULWARK_NODE, BULWARK_PRICE_FEED, CHROMIUM   # other binaries than the defaults
set -euo pipefail

if [ "${BULWARK_SKIP_BROWSER:-0}" = 1 ]; then
	echo "app/test/run.sh: BULWARK_SKIP_BROWSER=1, browser test skipped"
	exit 0
fi

APP="$(cd "$(dirname "$0")/.." && pwd)"
: "${CARGO_TARGET_DIR:=$HOME/.cache/bulwark-target}"
: "${BULWARK_PROFILE:=release}"
NODE_BIN="${BULWARK_NODE:-$CARGO_TARGET_DIR/$BULWARK_PROFILE/bulwark-node}"
FEED_BIN="${BULWARK_PRICE_FEED:-$(dirname "$NODE_BIN")/bulwark-price-feed}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
OUT="$APP/test-output"
LOGS="$OUT/logs"

for bin in "$NODE_BIN" "$FEED_BIN"; do
	if [ ! -x "$bin" ]; then
		echo "app/test/run.sh: $bin not found: build it (cargo build --profile release --locked --workspace, as scripts/run-dev.sh does) or set BULWARK_NODE / BULWARK_PRICE_FEED" >&2
		exit 1
	fi
done
if [ -z "$CHROMIUM" ] || [ ! -x "$CHROMIUM" ]; then
	echo "app/test/run.sh: no Chromium: apt-get install -y chromium (Debian's; no browser download), or set CHROMIUM=/path/to/chrome" >&2
	exit 1
fi

start=$(date +%s)
cd "$APP"
[ -d node_modules ] || npm ci --no-audit --no-fund
rm -rf "$OUT"
mkdir -p "$LOGS"

pids=()
cleanup() {
	local status=$?
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Price servers. The dev chain's feeds read 127.0.0.1:8101-8103 (runtime/src/
# genesis_config_presets.rs, as scripts/run-price-feeds.sh serves them); when those ports are
# taken here, three free ones and `--oracle-source` overrides instead. ETH-USD gets three
# servers of its own (overrides), so that its feed can fail alone.
if node test/ports.mjs check 8101 8102 8103; then
	main_ports=(8101 8102 8103)
else
	mapfile -t main_ports < <(node test/ports.mjs free 3)
fi
mapfile -t other_ports < <(node test/ports.mjs free 7)
eth_ports=("${other_ports[@]:0:3}")
rpc_port=${other_ports[3]}
p2p_port=${other_ports[4]}
app_port=${other_ports[5]}
prometheus_port=${other_ports[6]}

for port in "${main_ports[@]}" "${eth_ports[@]}"; do
	"$FEED_BIN" --listen "127.0.0.1:$port" --price BTC-USD=67000 --price ETH-USD=3500 --price DOT-USD=7.5 \
		>/dev/null 2>"$LOGS/price-feed-$port.log" &
	pids+=($!)
done

# `--oracle-source MARKET/INDEX=URL` for one market's three sources (Binance, Coinbase and
# Kraken shapes, as the genesis feeds ask them).
sources() {
	local market=$1 binance=$2 pair=$3 kraken=$4 p0=$5 p1=$6 p2=$7
	echo "--oracle-source $market/0=http://127.0.0.1:$p0/api/v3/ticker/price?symbol=$binance"
	echo "--oracle-source $market/1=http://127.0.0.1:$p1/v2/prices/$pair/spot"
	echo "--oracle-source $market/2=http://127.0.0.1:$p2/0/public/Ticker?pair=$kraken"
}
overrides=$(sources 1 ETHUSDT ETH-USD ETHUSD "${eth_ports[@]}")
if [ "${main_ports[0]}" != 8101 ]; then
	overrides+=" $(sources 0 BTCUSDT BTC-USD XBTUSD "${main_ports[@]}") $(sources 2 DOTUSDT DOT-USD DOTUSD "${main_ports[@]}")"
fi
# shellcheck disable=SC2086 # the overrides are words
"$NODE_BIN" --dev --tmp --rpc-port "$rpc_port" --rpc-cors all --port "$p2p_port" --prometheus-port "$prometheus_port" \
	--no-telemetry $overrides >"$LOGS/node.log" 2>&1 &
node_pid=$!
pids+=("$node_pid")

echo "app/test/run.sh: dev node ws://127.0.0.1:$rpc_port, price servers ${main_ports[*]} (ETH-USD: ${eth_ports[*]})"
npm run build >"$LOGS/build.log" 2>&1 || { cat "$LOGS/build.log"; exit 1; }
node node_modules/vite/bin/vite.js preview --host 127.0.0.1 --port "$app_port" --strictPort >"$LOGS/preview.log" 2>&1 &
pids+=($!)

ready=
for _ in $(seq 60); do
	if ! kill -0 "$node_pid" 2>/dev/null; then
		echo "app/test/run.sh: the node exited:" >&2
		tail -20 "$LOGS/node.log" >&2
		exit 1
	fi
	if curl -sf -H 'Content-Type: application/json' -d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' \
		"http://127.0.0.1:$rpc_port" >/dev/null && curl -sf "http://127.0.0.1:$app_port/" >/dev/null; then
		ready=1
		break
	fi
	sleep 1
done
if [ -z "$ready" ]; then
	echo "app/test/run.sh: the node's RPC or the app did not answer within a minute (logs in $LOGS)" >&2
	exit 1
fi

BULWARK_RPC="ws://127.0.0.1:$rpc_port" BULWARK_APP_URL="http://127.0.0.1:$app_port" \
	BULWARK_FEEDS="$(IFS=,; echo "${main_ports[*]}")" BULWARK_ETH_FEEDS="$(IFS=,; echo "${eth_ports[*]}")" \
	BULWARK_TEST_OUTPUT="$OUT" CHROMIUM="$CHROMIUM" node test/e2e.mjs

# The same dev chain's bulwark_* Prometheus series, after Bob's liquidation: each must equal what
# the runtime gives at the block the scrape names (the check network test 03 also runs).
"$APP/../zombienet/install.sh"
node --input-type=module -e "
import check from '$APP/../zombienet/js/checks/metrics.mjs';
process.exit(await check({ node: 'dev', wsUri: 'ws://127.0.0.1:$rpc_port',
  prometheus: { dev: 'http://127.0.0.1:$prometheus_port/metrics' }, args: ['liquidated'] }));
"
echo "app/test/run.sh: passed in $(($(date +%s) - start)) s (screenshots in $OUT)"
