//! What Polkadot.js, keepers and risk monitors ask the margin engine.

use crate::{PositionHealth, Settlement, SiloStress};
use alloc::vec::Vec;
use bulwark_primitives::MarketId;
use codec::Codec;
use sp_runtime::FixedI128;

sp_api::decl_runtime_apis! {
	/// Version 2: `settlement`.
	#[api_version(2)]
	pub trait PerpetualMarginApi<AccountId> where AccountId: Codec {
		/// Every position of `who` at the last oracle prices: equity, requirements,
		/// liquidation price.
		fn account_health(who: AccountId) -> Vec<PositionHealth>;
		/// A page of liquidatable positions: `count` (at most 1_000) after the first `start`.
		fn liquidatable(start: u32, count: u32) -> Vec<(AccountId, MarketId)>;
		/// Per silo, what a price shock (-0.3 = 30% down) to `market`, or to all markets,
		/// would leave as bad debt against the insurance fund and the pool.
		fn stress_test(market: Option<MarketId>, shock: FixedI128) -> Vec<SiloStress>;
		/// The settlement of `market`, in progress or done (a settled market keeps its record
		/// until a market with its id is created again): its price (oracle terms: quote per base
		/// unit), why and when it started, where it stands, when it finished, and its totals.
		/// `None`: never settled.
		fn settlement(market: MarketId) -> Option<Settlement<u32>>;
	}
}
