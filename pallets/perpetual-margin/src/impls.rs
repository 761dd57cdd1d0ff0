//! The primitives traits the margin engine implements for the rest of the runtime: it hears
//! every new oracle aggregate (and watches the market if it made positions liquidatable), it
//! tells the silos what their traders' open positions are worth against each pool
//! ([`PositionMarks`]), and the upgrade guard whether liquidations wait
//! ([`LiquidationBacklog`]).

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

impl<T: Config> LiquidationBacklog for Pallet<T> {
	/// The head of the protocol's frontier over every market, at the prices liquidations may
	/// use: one position read per book, never a walk of the books.
	fn waiting() -> bool {
		Frontier::<T>::new(Markets::<T>::iter_keys(), true, 0).next().is_some()
	}

	fn waiting_weight() -> Weight {
		T::DbWeight::get().reads(1).saturating_add(
			Self::market_heads_weight().saturating_mul(u64::from(T::MaxMarkets::get())),
		)
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
