//! The primitives traits the margin engine implements for the rest of the runtime: it hears
//! every new oracle aggregate (and queues what it made liquidatable), and it tells the silos
//! their traders' net unrealized PnL.

use super::*;
use bulwark_primitives::Aggregate;

impl<T: Config> OnPriceUpdate<BlockNumberFor<T>> for Pallet<T> {
	fn on_price_update(market: MarketId, aggregate: &Aggregate<BlockNumberFor<T>>) {
		Self::queue_liquidatable(market, aggregate);
	}

	fn max_weight() -> Weight {
		T::WeightInfo::on_price_update(T::MaxPositionsPerMarket::get())
	}
}

impl<T: Config> UnrealizedPnl for Pallet<T> {
	fn net_trader_pnl(silo: SiloId) -> SignedBalance {
		Self::net_trader_pnl_in(silo, None)
	}
}
