#!/usr/bin/env bash
# Installs what is missing, builds bulwark-node and starts a one-validator dev chain (Alice) that
# produces and finalizes blocks. RPC on ws://127.0.0.1:9944, Prometheus on 9615.
# Extra arguments go to the node, e.g. `scripts/run-dev.sh --base-path /tmp/bulwark-dev`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup.sh
# The whole workspace, as scripts/test.sh builds it (a subset would resolve features differently).
cargo build --profile "$BULWARK_PROFILE" --locked --workspace
# --dev: Alice authors and finalizes, state in a temporary directory unless --base-path is given.
exec "$BULWARK_NODE" --dev --rpc-cors all --prometheus-port 9615 "$@"
