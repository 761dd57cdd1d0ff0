#!/usr/bin/env bash
# Bulwark's network tests: each test spawns its own network of bulwark-node processes on
# loopback with zombienet's native provider (four validators, a full node where a test needs
# one), with the three loopback price servers the local chain's oracle reads.
#
# Usage: zombienet/run.sh [tests/NN-name.zndsl ...]   (default: every tests/*.zndsl, in order)
# Needs the node and price-feed binaries built (scripts/test.sh builds them first) and Node.js.
set -euo pipefail
cd "$(dirname "$0")"
source ../scripts/env.sh
export BULWARK_NODE
[ -x "$BULWARK_NODE" ] || { echo "run.sh: build bulwark-node first ($BULWARK_NODE)" >&2; exit 1; }
./install.sh

work="$(mktemp -d "${TMPDIR:-/tmp}/bulwark-zombienet.XXXXXX")"
# The local chain as this binary builds it (raw: zombienet uses it as it is).
"$BULWARK_NODE" build-spec --chain local --raw --disable-default-bootnode >"$work/local-raw.json" 2>/dev/null
export BULWARK_SPEC="$work/local-raw.json"
# The runtime that test 5 upgrades to: this one with spec_version + 1 (runtime/build.rs).
export BULWARK_NEXT_RUNTIME_WASM="$CARGO_TARGET_DIR/$BULWARK_PROFILE/wbuild/bulwark-runtime/bulwark_runtime_next.compact.compressed.wasm"
# What test 5 runs on its chain's state before the upgrade (scripts/upgrade-check.sh builds it).
export BULWARK_UPGRADE_CHECK="$CARGO_TARGET_DIR/$BULWARK_PROFILE/bulwark-upgrade-check"

tests=("$@")
[ "${#tests[@]}" -gt 0 ] || tests=(tests/*.zndsl)
trap '../scripts/run-price-feeds.sh stop' EXIT
suite_start=$(date +%s)
for test in "${tests[@]}"; do
	# Fresh price servers for every network: the tests steer them.
	../scripts/run-price-feeds.sh stop
	../scripts/run-price-feeds.sh start >/dev/null
	start=$(date +%s)
	echo "== $test"
	if ! npx zombienet --provider native --logType text --dir "$work/$(basename "$test" .zndsl)" \
		test "$test" >"$work/$(basename "$test" .zndsl).log" 2>&1; then
		tail -n 60 "$work/$(basename "$test" .zndsl).log"
		echo "FAILED: $test after $(($(date +%s) - start)) s (logs in $work)" >&2
		exit 1
	fi
	grep -E '✅|PASS|\[[0-9:]{8}\]' "$work/$(basename "$test" .zndsl).log" | sed 's/^/   /' || true
	# A passed network's node databases go (about 280 MB a run, which a CI machine would keep
	# collecting); its logs, configs and what the test wrote stay. A failed one keeps everything.
	rm -rf "$work/$(basename "$test" .zndsl)"/*/data "$work/$(basename "$test" .zndsl)"/*/relay-data
	echo "passed in $(($(date +%s) - start)) s"
done
echo "zombienet: ${#tests[@]} tests passed in $(($(date +%s) - suite_start)) s (logs in $work)"
