//! What Polkadot.js, keepers and monitors ask the breakers.

use crate::{MarketReport, SiloReport};
use alloc::vec::Vec;

sp_api::decl_runtime_apis! {
	/// The status of every tracked market and silo. Version 2: a market's report carries its
	/// price guard, its last round's spread and whether it is flagged.
	#[api_version(2)]
	pub trait CircuitBreakerApi {
		fn market_statuses() -> Vec<MarketReport>;
		fn silo_statuses() -> Vec<SiloReport>;
		/// Whether the chain-wide emergency (every market ReduceOnly) is on.
		fn emergency() -> bool;
	}
}
