//! A position's health and margin requirements: PnL, funding owed, equity, and the initial
//! and maintenance requirements (base fraction plus the volatility add-on, times the size
//! tier's factor), and the initial-margin check a trade that adds risk must pass.

use super::*;

impl<T: Config> Pallet<T> {
	/// A position's PnL, funding, equity and requirements at `price`, in a market accrued to now.
	pub fn health(
		state: &MarketOf<T>,
		position: &Position,
		price: FixedU128,
	) -> Result<Health, DispatchError> {
		let overflow = || DispatchError::from(Error::<T>::Overflow);
		let pnl =
			math::position_pnl(position.size_units, position.entry, price).ok_or_else(overflow)?;
		let index_delta = state
			.accrual
			.funding_index
			.checked_sub(&position.funding_index)
			.ok_or_else(overflow)?;
		let funding = math::funding_owed(position.size_units, index_delta).ok_or_else(overflow)?;
		let equity = math::equity(position.margin, pnl, funding).ok_or_else(overflow)?;
		let notional =
			math::value(position.size_units.unsigned_abs(), price, true).ok_or_else(overflow)?;
		let (initial_fraction, maintenance_fraction) =
			Self::fractions(state, position.size_units.unsigned_abs())?;
		Ok(Health {
			pnl,
			funding,
			equity,
			notional,
			initial_fraction,
			maintenance_fraction,
			initial: math::fraction_of(notional, initial_fraction, true).ok_or_else(overflow)?,
			maintenance: math::fraction_of(notional, maintenance_fraction, true)
				.ok_or_else(overflow)?,
		})
	}

	/// Initial and maintenance fractions for a position of `size` units.
	pub(crate) fn fractions(
		state: &MarketOf<T>,
		size: u128,
	) -> Result<(FixedU128, FixedU128), DispatchError> {
		let params = &state.params;
		let tiers = &params.size_tiers;
		let factor = math::tier_factor(tiers, math::tier_of(tiers, size));
		let add_on = state.accrual.volatility_margin;
		let initial = math::margin_fraction(params.initial_margin, add_on, factor);
		let maintenance = math::margin_fraction(params.maintenance_margin, add_on, factor);
		initial.zip(maintenance).ok_or_else(|| Error::<T>::Overflow.into())
	}

	/// `equity` meets the initial requirement within the leverage cap.
	pub(crate) fn ensure_initial(
		params: &MarketParamsOf<T>,
		health: &Health,
		equity: SignedBalance,
	) -> DispatchResult {
		let equity = u128::try_from(equity).map_err(|_| Error::<T>::InsufficientMargin)?;
		let most = params.max_leverage.saturating_mul_int(equity);
		ensure!(health.notional <= most, Error::<T>::LeverageTooHigh);
		ensure!(equity >= health.initial, Error::<T>::InsufficientMargin);
		Ok(())
	}
}
