//! Funding and the volatility add-on, accrued per market into a cumulative index whenever
//! the market is touched: exactly the blocks since the last touch, no loop over positions.

use super::*;

impl<T: Config> Pallet<T> {
	/// Brings the market's funding index and volatility add-on to the current block, then
	/// records `price` for the blocks to come and the add-on's new target. Funding for the
	/// elapsed blocks is paid at the price recorded before them; the add-on moves toward the
	/// target known before them, so a volatility jump is felt one step per block.
	pub(crate) fn accrue(
		market: MarketId,
		state: &mut MarketOf<T>,
		price: Option<FixedU128>,
	) -> Result<(), DispatchError> {
		// A settling market's funding is frozen at its settlement's start.
		if Self::settling(market) {
			return Ok(());
		}
		let volatility = T::Prices::volatility(market).unwrap_or_default();
		Self::accrue_with(state, price, volatility)
	}

	/// [`Self::accrue`] at the last known unit price (see [`Self::unit_price_if_any`]).
	pub(crate) fn accrue_to_now(
		market: MarketId,
		state: &mut MarketOf<T>,
	) -> Result<(), DispatchError> {
		let price = Self::unit_price_if_any(market, &state.params);
		Self::accrue(market, state, price)
	}

	/// [`Self::accrue`] with the oracle's volatility estimate given, as a new aggregate hands
	/// it over.
	pub(crate) fn accrue_with(
		state: &mut MarketOf<T>,
		price: Option<FixedU128>,
		volatility: FixedU128,
	) -> Result<(), DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let params = &state.params;
		let accrual = &mut state.accrual;
		let blocks: u64 = now.saturating_sub(accrual.at).saturated_into();
		if blocks > 0 {
			let target = math::funding_target(
				state.open_interest.skew(),
				params.skew_scale,
				params.max_funding_rate,
			)
			.ok_or(Error::<T>::Overflow)?;
			let (rate, sum) = math::accrue_funding(
				accrual.funding_rate,
				target,
				params.max_funding_velocity,
				blocks,
			)
			.ok_or(Error::<T>::Overflow)?;
			let delta = math::index_delta(sum, accrual.unit_price).ok_or(Error::<T>::Overflow)?;
			accrual.funding_index =
				accrual.funding_index.checked_add(&delta).ok_or(Error::<T>::Overflow)?;
			accrual.funding_rate = rate;
			accrual.volatility_margin = math::next_volatility_margin(
				accrual.volatility_margin,
				accrual.volatility_target,
				params.max_margin_step,
				blocks,
			);
			accrual.at = now;
		}
		if let Some(price) = price {
			accrual.unit_price = price;
		}
		accrual.volatility_target = params.volatility_factor.saturating_mul(volatility);
		Ok(())
	}

	/// The market as it would be after `accrue` now, without writing it.
	pub(crate) fn with_accrual(market: MarketId, mut state: MarketOf<T>) -> MarketOf<T> {
		if Self::accrue_to_now(market, &mut state).is_err() {
			log::warn!(target: LOG_TARGET, "market {market}: funding accrual overflows");
		}
		state
	}
}
