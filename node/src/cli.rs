//! Command-line interface: the standard Substrate node flags and subcommands.

#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// Point source INDEX of MARKET's oracle feed at URL on this node only (repeatable), e.g.
	/// `--oracle-source 0/2=http://127.0.0.1:9000/ticker`. Written into the node's offchain
	/// storage, where it stays until replaced or cleared (an empty URL restores the feed's own).
	#[arg(long = "oracle-source", value_name = "MARKET/INDEX=URL", value_parser = parse_oracle_source)]
	pub oracle_sources: Vec<OracleSource>,

	/// Export no `bulwark_*` risk metrics on the Prometheus endpoint. Reading them costs a
	/// core some work per block (the stress test walks every position): a validator can leave
	/// them to an RPC node that follows the same chain.
	#[arg(long)]
	pub no_risk_metrics: bool,

	/// Read the risk metrics' stress test every BLOCKS best blocks (at least 1; it walks every
	/// position, the other series are read every block).
	#[arg(
		long,
		value_name = "BLOCKS",
		default_value_t = 10,
		value_parser = clap::value_parser!(u32).range(1..)
	)]
	pub risk_stress_every: u32,
}

impl Cli {
	/// How the node reads its risk metrics.
	pub fn risk_metrics(&self) -> crate::metrics::Options {
		crate::metrics::Options {
			enabled: !self.no_risk_metrics,
			stress_every: self.risk_stress_every,
		}
	}
}

/// One `--oracle-source` override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleSource {
	pub market: u32,
	pub index: u32,
	pub url: String,
}

fn parse_oracle_source(text: &str) -> Result<OracleSource, String> {
	let usage = || format!("`{text}`: expected MARKET/INDEX=URL, e.g. 0/2=http://127.0.0.1:9000/x");
	let (target, url) = text.split_once('=').ok_or_else(usage)?;
	let (market, index) = target.split_once('/').ok_or_else(usage)?;
	let market = market.trim().parse().map_err(|_| usage())?;
	let index = index.trim().parse().map_err(|_| usage())?;
	if !url.is_empty() && !url.starts_with("http://") && !url.starts_with("https://") {
		return Err(format!("`{url}`: an oracle source URL must start with http:// or https://"));
	}
	Ok(OracleSource { market, index, url: url.to_string() })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn oracle_source_overrides_parse_and_bad_ones_are_refused() {
		assert_eq!(
			parse_oracle_source("1/2=http://127.0.0.1:9000/p?x=1"),
			Ok(OracleSource { market: 1, index: 2, url: "http://127.0.0.1:9000/p?x=1".into() })
		);
		assert_eq!(
			parse_oracle_source("0/0="),
			Ok(OracleSource { market: 0, index: 0, url: String::new() })
		);
		for bad in ["", "0/1", "x/1=http://a", "0/y=http://a", "01=http://a", "0/1=ftp://a"] {
			assert!(parse_oracle_source(bad).is_err(), "{bad}");
		}
	}
}

#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect, and `insert` keys into the node's keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (`--raw` for the storage form validators share).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a built-in chain, without starting a node.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks to a file.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks from a file.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain database.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Runtime, storage, block and machine benchmarks (needs `--features runtime-benchmarks`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database metadata of the chain.
	ChainInfo(sc_cli::ChainInfoCmd),
}
