#!/usr/bin/env bash
# Builds bulwark-upgrade-check with try-runtime (the runtime's migrations' pre/post checks and
# every pallet's try_state, polkadot-sdk's too) and, given a snapshot, runs it:
#
#   scripts/upgrade-check.sh [SNAPSHOT.json]
#
# Network test 05 takes the snapshot of its running chain (zombienet/js/checks/upgrade-check.mjs)
# and runs the binary on it before the chain applies the upgrade. The build is native only
# (SKIP_WASM_BUILD: the check executes the runtime's Rust, the chain's own Wasm is not needed)
# and shares the target dir; its try-runtime artifacts sit beside the normal ones.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
SKIP_WASM_BUILD=1 cargo build --profile "$BULWARK_PROFILE" --locked -p bulwark-upgrade-check \
	--features try-runtime
if [ $# -gt 0 ]; then
	exec "$CARGO_TARGET_DIR/$BULWARK_PROFILE/bulwark-upgrade-check" "$@"
fi
