//! The fuzz target: `cargo fuzz run runtime` (see `scripts/fuzz.sh`).
#![no_main]
// `fuzz_target!` exports the `#[no_mangle]` function libFuzzer calls: the only unsafe here.
#![allow(unsafe_code)]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bulwark_fuzz::run(data));
