#!/usr/bin/env bash
# Installs what building Bulwark needs and is missing: Debian packages (clang, protobuf-compiler,
# ...), the Rust toolchain pinned by rust-toolchain.toml with its wasm32v1-none target and rust-src.
# Idempotent: a second run installs nothing and takes a second. `--test` adds the test suite's.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

packages=(clang libclang-dev protobuf-compiler pkg-config make git curl jq)
# `--test`: what scripts/test.sh needs besides: Prometheus's promtool for the alert rules, and
# Chromium for the web app's browser test (Debian's; nothing downloads a browser).
if [ "${1:-}" = --test ]; then
	packages+=(prometheus)
	[ "${BULWARK_SKIP_BROWSER:-0}" = 1 ] || packages+=(chromium)
fi
# The network tests and Polkadot.js tools run on Node.js (20 or later) with npm.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for package in "${packages[@]}"; do
	dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v rustup >/dev/null 2>&1; then
	echo "setup: rustup is required (https://rustup.rs); it is the one thing this script expects" >&2
	exit 1
fi
# rust-toolchain.toml names the channel, components and target; this installs what it lacks.
installed_targets=$(rustup target list --installed)
grep -qx wasm32v1-none <<<"$installed_targets" || rustup target add wasm32v1-none
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
echo "setup: toolchain $(rustc --version)"
