//! bulwark-node: the Bulwark validator and full node.

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
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
