//! The primitives traits the margin engine implements for the rest of the runtime: it hears
//! every new oracle aggregate (and watches the market if it made positions liquidatable), and it tells the silos
//! what their traders' open positions are worth against each pool ([`PositionMarks`]).

use super::*;
use bulwark_primitives::Aggregate;

impl<T: Config> OnPriceUpdate<BlockNumberFor<T>> for Pallet<T> {
	fn on_price_update(market: MarketId, aggregate: &Aggregate<BlockNumberFor<T>>) {
		Self::watch_if_due(market, aggregate);
	}

	fn max_weight() -> Weight {
		T::WeightInfo::on_price_update(crate::BENCHMARKED_POSITIONS)
	}
}

impl<T: Config> PositionMarks for Pallet<T> {
	fn marks(silo: SiloId, adverse_move: Permill) -> PoolMarks {
		Self::silo_marks(silo, adverse_move)
	}

	/// The benchmarked marks of a silo with every market (`MaxMarkets`) in it, each with a live
	/// price and both sides open.
	fn marks_weight() -> Weight {
		T::WeightInfo::silo_marks(T::MaxMarkets::get())
	}

	/// Reads every market (at most `MaxMarkets`).
	fn has_markets(silo: SiloId) -> bool {
		Markets::<T>::iter_values().any(|market| market.silo == silo)
	}
}
