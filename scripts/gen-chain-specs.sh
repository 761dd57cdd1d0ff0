#!/usr/bin/env bash
# Regenerates chain-specs/local.json (plain), chain-specs/local-raw.json and chain-specs/staging.json
# (plain) from the current build.
# They embed the runtime Wasm: regenerate when a network is (re)launched, not on every commit.
# `cargo test` fails when their genesis, ignoring the Wasm, differs from what this build generates.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# The whole workspace, as scripts/test.sh builds it (a subset would resolve features differently).
cargo build --profile "$BULWARK_PROFILE" --locked --workspace
"$BULWARK_NODE" build-spec --chain local --disable-default-bootnode > chain-specs/local.json
"$BULWARK_NODE" build-spec --chain local --raw --disable-default-bootnode > chain-specs/local-raw.json
"$BULWARK_NODE" build-spec --chain staging --disable-default-bootnode > chain-specs/staging.json
ls -l chain-specs/
