#!/usr/bin/env bash
# The fuzz build's RUSTC_WRAPPER (set by scripts/fuzz.sh): coverage instrumentation only for the
# code under test. cargo-fuzz gives every crate the same RUSTFLAGS, so without this the trie,
# the hashers, SCALE, the state machine and the signature code also count edges and track stack
# depth, and they are most of each block's work: the runtime's own code is what the fuzzer must
# learn to reach; how blake2 hashes a key is not.
#
# Covered: the runtime, Bulwark's crates (the fuzz harness, whose generic calls instantiate
# much of the runtime), every pallet (Bulwark's and polkadot-sdk's) and FRAME. Every other crate
# is built with the same flags minus the coverage passes. The harness keeps its host side (the
# state and the externalities) in `bulwark-fuzz-host`, which is not covered, so the generic
# trie and overlay code it instantiates is not either.
#
# Called as `fuzz-rustc.sh RUSTC ARGS...`.
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
bulwark_* | pallet_* | frame_* | runtime | "") exec "$rustc" "$@" ;; # "": queries such as -vV
esac
args=()
for arg in "$@"; do
	case "$arg" in
	-Cpasses=sancov-module | -Cllvm-args=-sanitizer-coverage-* | \
		-Cllvm-args=-simplifycfg-branch-fold-threshold=0) ;;
	*) args+=("$arg") ;;
	esac
done
exec "$rustc" "${args[@]}"
