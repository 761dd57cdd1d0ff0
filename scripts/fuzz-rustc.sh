#!/usr/bin/env bash
# The fuzz build's RUSTC_WRAPPER (set by scripts/fuzz.sh): coverage instrumentation only for the
# code under test. cargo-fuzz gives every crate the same RUSTFLAGS, so without this the trie, the
# hashers, the state machine, the signature code and every other dependency's own functions also
# count edges: none of that is what the fuzzer must learn to reach.
#
# Covered: Bulwark's crates (the runtime and the fuzz harness, whose generic calls instantiate
# much of the runtime), every pallet (Bulwark's and polkadot-sdk's), FRAME, and the fuzz target
# (the bin `runtime`). Rust compiles generic code in the crate that uses it, so SCALE codecs,
# storage types and arithmetic used by those crates are covered there too. Every other crate is
# built with the same flags minus the coverage ones, and so is `bulwark-fuzz-host`: the host side
# (the state and the externalities) is kept there so that the `Ext`, overlay and trie code it
# instantiates for each block is not covered either.
#
# Called as `fuzz-rustc.sh RUSTC ARGS...`. Fails if an uncovered crate would still get a coverage
# flag in a form this does not know (another cargo-fuzz's spelling, an @argfile), rather than
# silently covering it.
set -euo pipefail
rustc="$1"
shift
crate=""
previous=""
for arg in "$@"; do
	[ "$previous" = "--crate-name" ] && crate="$arg"
	previous="$arg"
done
case "$crate" in
bulwark_fuzz_host) ;;
bulwark_* | pallet_* | frame_* | runtime) exec "$rustc" "$@" ;;
esac
# Everything else, queries such as `-vV` and cargo's target-info probe (`___`) included.
args=()
for arg in "$@"; do
	case "$arg" in
	-Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-* | \
		-Cllvm-args=-simplifycfg-branch-fold-threshold=0) ;;
	@* | *sancov* | *sanitizer-coverage*)
		echo "fuzz-rustc.sh: cannot drop coverage from '$arg' (crate '$crate')" >&2
		exit 1
		;;
	*) args+=("$arg") ;;
	esac
done
exec "$rustc" "${args[@]}"
