# Sourced by the other scripts: one cargo target dir and one profile for every build and test.
: "${CARGO_TARGET_DIR:=$HOME/.cache/bulwark-target}"
export CARGO_TARGET_DIR
# `release` is the one profile builds and tests share (see Cargo.toml); `production` adds LTO.
: "${BULWARK_PROFILE:=release}"
export BULWARK_PROFILE
BULWARK_NODE="$CARGO_TARGET_DIR/$BULWARK_PROFILE/bulwark-node"
export BULWARK_NODE

# Waits up to a minute for a node's RPC on 127.0.0.1:$1 (default 9944) to answer.
wait_for_rpc() {
	for _ in $(seq 60); do
		curl -sf -H 'Content-Type: application/json' \
			-d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' \
			"http://127.0.0.1:${1:-9944}" >/dev/null && return 0
		sleep 1
	done
	return 1
}
