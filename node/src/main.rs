//! bulwark-node: the Bulwark validator and full node.

// sc-cli's runner API returns `sc_cli::Result`, whose error type is large; that is sc-cli's
// signature, not ours to shrink.
#![allow(clippy::result_large_err)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod metrics;
mod rpc;
mod service;

fn main() {
	if let Err(error) = command::run() {
		// One line, no backtrace: an operator's typo is not a bug report.
		let message = error.to_string().replace('\n', " ");
		eprintln!("Error: {message}");
		std::process::exit(1);
	}
}
