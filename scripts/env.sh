# Sourced by the other scripts: one cargo target dir and one profile for every build and test.
: "${CARGO_TARGET_DIR:=$HOME/.cache/bulwark-target}"
export CARGO_TARGET_DIR
# `release` is the one profile builds and tests share (see Cargo.toml); `production` adds LTO.
: "${BULWARK_PROFILE:=release}"
export BULWARK_PROFILE
BULWARK_NODE="$CARGO_TARGET_DIR/$BULWARK_PROFILE/bulwark-node"
export BULWARK_NODE
