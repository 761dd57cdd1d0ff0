#!/usr/bin/env bash
# The whole-runtime fuzzer (`fuzz/`, libFuzzer through cargo-fuzz): installs what it needs (a
# nightly toolchain and cargo-fuzz, for the fuzzer alone), builds the fuzz target (instrumented
# for coverage, with every pallet's try_state), and runs it from the committed seed corpus.
#
#   scripts/fuzz.sh [SECONDS] [-- LIBFUZZER ARGS...]
#
# SECONDS: how long to run (default 120; 0: until stopped or a crash). New inputs go to
# $BULWARK_FUZZ_CORPUS (default ~/.cache/bulwark-fuzz-corpus), read back on the next run; the
# committed seeds stay as they are. A crash is written to fuzz/artifacts/runtime/: replay it
# with `cargo fuzz run runtime <file>` or, on stable, copy it into fuzz/regressions/ (then
# `cargo test -p bulwark-fuzz` replays it; BULWARK_FUZZ_TRACE=1 prints what it does).
# BULWARK_FUZZ_JOBS (default 1): parallel fuzzing processes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
shift || true
[ "${1:-}" = "--" ] && shift

toolchain="${BULWARK_FUZZ_TOOLCHAIN:-nightly}"
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
	rustup toolchain install "$toolchain" --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
	cargo install cargo-fuzz --locked --version 0.13.2
fi

export CARGO_TARGET_DIR="${BULWARK_FUZZ_TARGET:-$HOME/.cache/bulwark-fuzz-target}"
# The fuzzer runs the runtime natively: no Wasm is built.
export SKIP_WASM_BUILD=1
corpus="${BULWARK_FUZZ_CORPUS:-$HOME/.cache/bulwark-fuzz-corpus}"
mkdir -p "$corpus"
corpus=$(cd "$corpus" && pwd)
CARGO_TARGET_DIR=$(mkdir -p "$CARGO_TARGET_DIR" && cd "$CARGO_TARGET_DIR" && pwd)
jobs="${BULWARK_FUZZ_JOBS:-1}"
case "$jobs" in
'' | *[!0-9]* | 0) echo "fuzz.sh: BULWARK_FUZZ_JOBS must be a positive number, not '$jobs'" >&2; exit 2 ;;
esac
# `-s none`: no sanitizer (the runtime is safe Rust: `unsafe_code` is forbidden); debug
# assertions and overflow checks stay on. `--no-trace-compares`: comparisons are not traced;
# measured side by side for 240 s from the seeds (2026-12-05), it ran 5,661 executions against
# 3,662 and reached more coverage (10,543 edges, 53,957 features against 10,504 and 51,822):
# this harness's inputs are decoded into actions, so compared values rarely appear in its
# bytes and tracing them paid for little.
options=(runtime -s none --no-trace-compares --features libfuzzer,try-runtime)
# Coverage only for the code under test (see scripts/fuzz-rustc.sh). Cargo cannot see what a
# wrapper does, so the wrapper's hash goes into RUSTFLAGS: a changed wrapper rebuilds everything.
export RUSTC_WRAPPER="$PWD/scripts/fuzz-rustc.sh"
wrapper_hash=$(sha256sum scripts/fuzz-rustc.sh | cut -c1-16)
export RUSTFLAGS="${RUSTFLAGS:-} --cfg bulwark_fuzz_wrapper=\"$wrapper_hash\""
# libFuzzer without its interceptors. libfuzzer-sys builds all of libFuzzer, FuzzerInterceptors.cpp
# included, which replaces the process's memcmp (and strcmp, strstr...) with one that records
# every unequal comparison for the mutator. Every storage read here compares keys in sorted maps
# with memcmp: that recording was 43% of the fuzzer's time (perf, 2026-12-06), and what it
# records, storage keys, is nothing an input (decoded into actions) holds. So the same sources,
# minus that one file, are built here and linked instead (libfuzzer-sys's CUSTOM_LIBFUZZER_PATH).
start=$(date +%s)
libfuzzer_manifest=$(cargo "+$toolchain" metadata --format-version 1 --locked --features libfuzzer \
	--manifest-path fuzz/Cargo.toml | grep -o '"manifest_path":"[^"]*/libfuzzer-sys-[0-9][^"]*"' |
	head -1 | sed 's/^"manifest_path":"//; s/"$//') || true
libfuzzer_dir=$(dirname "${libfuzzer_manifest:-.}")
if [ ! -d "$libfuzzer_dir/libfuzzer" ]; then
	echo "fuzz.sh: libfuzzer-sys's sources not found (cargo metadata: '$libfuzzer_manifest')" >&2
	exit 1
fi
cxx="${CXX:-c++}"
compile=("$cxx" -O2 -std=c++17 -fPIC -fno-omit-frame-pointer -w -c)
# The archive is rebuilt when libfuzzer-sys, the compiler or the command changes.
libfuzzer_key=$(printf '%s\n' "${compile[*]}" "$("$cxx" --version | head -1)" | sha256sum | cut -c1-12)
libfuzzer="$CARGO_TARGET_DIR/$(basename "$libfuzzer_dir")-no-interceptors-$libfuzzer_key/libfuzzer.a"
if [ ! -f "$libfuzzer" ]; then
	# Built beside its final place, so the last step is a rename on one file system, and two
	# runs building it at once each write their own directory (the second rename wins, same bytes).
	objects=$(mktemp -d "$CARGO_TARGET_DIR/libfuzzer-build.XXXXXX")
	trap 'rm -rf "$objects"' EXIT
	find "$libfuzzer_dir/libfuzzer" -maxdepth 1 -name '*.cpp' ! -name FuzzerInterceptors.cpp -print0 |
		xargs -0 -P "$(nproc)" -I{} sh -c \
			'source=$0 objects=$1; shift; exec "$@" "$source" -o "$objects/$(basename "$source" .cpp).o"' \
			{} "$objects" "${compile[@]}"
	mkdir -p "$(dirname "$libfuzzer")"
	ar rcs "$objects/libfuzzer.a" "$objects"/*.o
	mv "$objects/libfuzzer.a" "$libfuzzer"
	rm -rf "$objects"
	trap - EXIT
fi
export CUSTOM_LIBFUZZER_PATH="$libfuzzer"
cargo "+$toolchain" fuzz build "${options[@]}"
echo "fuzz.sh: built in $(( $(date +%s) - start )) s"
host=$(rustc "+$toolchain" -vV | sed -n 's/^host: //p')
binary="$CARGO_TARGET_DIR/$host/release/runtime"
artifacts="$PWD/fuzz/artifacts/runtime/"
mkdir -p "$artifacts"
run=("$binary" "$corpus" "$PWD/fuzz/corpus/runtime" -artifact_prefix="$artifacts"
	-max_total_time="$seconds" -max_len=4096 -timeout=60 -rss_limit_mb=8192 -print_final_stats=1)
status=0
if [ "$jobs" -gt 1 ]; then
	# Independent fuzzing processes sharing the corpus directory (each reads back what the others
	# add): measured here, two of them ran 6,118 executions in 90 s where libFuzzer's `-fork=2`,
	# which restarts a process every few seconds, ran about 3,800. The first to fail (a crash)
	# stops the others.
	logs=$(mktemp -d)
	echo "fuzz.sh: $jobs processes, logs in $logs/fuzz-<n>.log"
	pids=()
	for job in $(seq 1 "$jobs"); do
		"${run[@]}" "$@" >"$logs/fuzz-$job.log" 2>&1 &
		pids+=("$!")
	done
	for _ in "${pids[@]}"; do
		if ! wait -n; then
			[ "$status" -eq 0 ] && status=1 && kill "${pids[@]}" 2>/dev/null || true
		fi
	done
	total=0
	for job in $(seq 1 "$jobs"); do
		log="$logs/fuzz-$job.log"
		{ grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)|^==|ERROR|panicked' "$log" || true; } |
			sed "s|^|fuzz-$job: |"
		executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		total=$(( total + ${executions:-0} ))
	done
	echo "fuzz.sh: $total executions in all"
else
	"${run[@]}" "$@" || status=$?
fi
echo "fuzz.sh: done after $(( $(date +%s) - start )) s"
exit "$status"
