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
[ "${#pallets[@]}" -gt 0 ] || pallets=(pallet_collateral_silos pallet_price_oracle pallet_circuit_breaker)
mkdir -p runtime/src/weights
for pallet in "${pallets[@]}"; do
	"$node" benchmark pallet --chain dev --pallet "$pallet" --extrinsic '*' \
		--steps "${BENCH_STEPS:-20}" --repeat "${BENCH_REPEAT:-10}" \
		--header scripts/weight-header.txt --output "runtime/src/weights/$pallet.rs"
done
cargo fmt --all
