#!/usr/bin/env bash
# Builds bulwark-node with `runtime-benchmarks` (in its own target dir, so the test cache stays
# warm) and regenerates the weights of Bulwark's pallets into runtime/src/weights/.
# Usage: scripts/bench.sh [pallet ...]   (default: every Bulwark pallet)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
: "${BENCH_TARGET_DIR:=$HOME/.cache/bulwark-bench-target}"
# frame-benchmarking-cli's storage-validation test runtime is an optional dependency our
# workspace metadata does not list, so the Wasm builder cannot place it; `benchmark pallet` does
# not need it (only `benchmark storage` in block-validation mode does).
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1
CARGO_TARGET_DIR="$BENCH_TARGET_DIR" cargo build --release --locked -p bulwark-node \
	--features runtime-benchmarks
node="$BENCH_TARGET_DIR/release/bulwark-node"

pallets=("$@")
[ "${#pallets[@]}" -gt 0 ] ||
	pallets=(pallet_collateral_silos pallet_price_oracle pallet_circuit_breaker pallet_perpetual_margin
		pallet_validator_set)
mkdir -p runtime/src/weights
for pallet in "${pallets[@]}"; do
	"$node" benchmark pallet --chain dev --pallet "$pallet" --extrinsic '*' \
		--steps "${BENCH_STEPS:-20}" --repeat "${BENCH_REPEAT:-10}" \
		--header scripts/weight-header.txt --output "runtime/src/weights/$pallet.rs"
done
cargo fmt --all

# The liquidation budget against a transfer measured in this same run: the weight of one
# protocol liquidation (the slope of `on_poll(k)`) over one `transfer_keep_alive`, and how many
# liquidations fit in the 25% of a block normal transactions cannot use.
if [[ " ${pallets[*]} " == *" pallet_perpetual_margin "* ]]; then
	"$node" benchmark pallet --chain dev --pallet pallet_balances --extrinsic transfer_keep_alive \
		--steps "${BENCH_STEPS:-20}" --repeat "${BENCH_REPEAT:-10}" \
		--output "$BENCH_TARGET_DIR/pallet_balances.rs" >/dev/null
	python3 scripts/liquidation-budget.py runtime/src/weights/pallet_perpetual_margin.rs \
		"$BENCH_TARGET_DIR/pallet_balances.rs" | tee "$BENCH_TARGET_DIR/liquidation-budget.txt"
fi
