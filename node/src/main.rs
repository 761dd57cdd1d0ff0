//! bulwark-node: the Bulwark validator and full node.

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

fn main() {
	if let Err(error) = command::run() {
		// One line, no backtrace: an operator's typo is not a bug report.
		let message = error.to_string().replace('\n', " ");
		eprintln!("Error: {message}");
		std::process::exit(1);
	}
}
