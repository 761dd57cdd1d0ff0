//! What the runtime API reports: every watched market's and silo's status, with the levels
//! behind it and the reason of the last move; for markets, also the price guard, the last
//! round's spread and whether the market is flagged.

use super::*;

impl<T: Config> Pallet<T> {
	/// Every watched market's status.
	pub fn market_reports() -> Vec<MarketReport> {
		let emergency = Emergency::<T>::get();
		Markets::<T>::iter()
			.map(|(market, state)| MarketReport {
				market,
				status: Self::effective(&state),
				automatic: state.automatic,
				manual: state.manual,
				emergency,
				reason: state.reason,
				guard: PriceGuards::<T>::get(market),
				spread: T::Prices::price(market).map(|price| price.spread),
				flagged: Self::price_flagged(market),
			})
			.collect()
	}

	/// Every watched silo's status.
	pub fn silo_reports() -> Vec<SiloReport> {
		Silos::<T>::iter()
			.map(|(silo, state)| SiloReport {
				silo,
				withdrawals: state.withdrawals.max(state.manual_withdrawals),
				accepts_new_risk: !(state.risk_blocked || state.manual_risk_blocked),
				reason: state.withdrawals_reason,
			})
			.collect()
	}
}
