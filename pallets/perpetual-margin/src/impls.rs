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

	/// Every market read with its price, and the arithmetic of its two sides at three prices.
	/// Not benchmarked yet: the reads are counted, the arithmetic taken at 25 µs a market,
	/// about ten times what `market_pnl` costs natively.
	fn marks_weight() -> Weight {
		let markets = u64::from(T::MaxMarkets::get());
		T::DbWeight::get()
			.reads(markets.saturating_mul(2).saturating_add(1))
			.saturating_add(Weight::from_parts(25_000_000u64.saturating_mul(markets), 0))
	}
}
