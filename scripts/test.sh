#!/usr/bin/env bash
# Installs what is missing and runs the whole test suite: formatting, the lint of the network
# tests' and the web app's JavaScript and the app's unit tests, every crate's unit and
# integration tests (runtime, pallets, the node binary's CLI tests, the fuzzer's committed
# inputs), the runtime's sudo test again on a runtime built without sudo, the alert rules'
# promtool tests (scripts/test-ops.sh), a bounded run of the whole-runtime fuzzer
# (scripts/fuzz.sh, BULWARK_FUZZ_SECONDS, default 120), the web app's browser test
# (app/test/run.sh: headless Chromium against a dev node), then the network tests
# (zombienet/run.sh: real multi-validator networks on loopback; test 05 first runs the upgrade
# check, scripts/upgrade-check.sh, on its chain's state). BULWARK_SKIP_FUZZ=1 skips the
# fuzzer run, BULWARK_SKIP_BROWSER=1 the browser test; BULWARK_SKIP_NETWORK_TESTS=1 stops before
# the browser and network tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh --test

start=$(date +%s)
cargo fmt --all -- --check
zombienet/install.sh
(cd zombienet && npx eslint .)
(cd app && npm ci --no-audit --no-fund >/dev/null && npm run --silent lint && npm run --silent unit)
# Build first, with the same profile and features the tests use, so nothing compiles twice.
cargo build --profile "$BULWARK_PROFILE" --locked --workspace
cargo test --profile "$BULWARK_PROFILE" --locked --workspace
echo "test.sh: cargo tests passed after $(( $(date +%s) - start )) s"
# The runtime as staging and production build it, without the `sudo` feature (native only: the
# test reads the runtime's pallets, calls, metadata and presets, not its Wasm).
sudo_free=$(SKIP_WASM_BUILD=1 cargo test --profile "$BULWARK_PROFILE" --locked -p bulwark-runtime \
	--no-default-features --features std --lib -- --exact tests::sudo_is_pallet_7_only_in_a_runtime_built_with_it)
echo "$sudo_free"
grep -q '^test result: ok. 1 passed' <<<"$sudo_free" # a renamed test must not pass as "0 tests"
echo "test.sh: the sudo-free runtime's test passed after $(( $(date +%s) - start )) s"
scripts/test-ops.sh
if [ -z "${BULWARK_SKIP_FUZZ:-}" ]; then
	# From the committed corpus alone: what it finds here is thrown away with the temp dir.
	BULWARK_FUZZ_CORPUS="$(mktemp -d)" scripts/fuzz.sh "${BULWARK_FUZZ_SECONDS:-120}"
	echo "test.sh: fuzzer passed after $(( $(date +%s) - start )) s"
fi
if [ -z "${BULWARK_SKIP_NETWORK_TESTS:-}" ]; then
	# The upgrade check network test 05 runs on its chain's state (the runtime with try-runtime).
	scripts/upgrade-check.sh
	echo "test.sh: upgrade check built after $(( $(date +%s) - start )) s"
	app/test/run.sh
	echo "test.sh: browser test passed after $(( $(date +%s) - start )) s"
	zombienet/run.sh
fi
echo "test.sh: all tests passed in $(( $(date +%s) - start )) s"
