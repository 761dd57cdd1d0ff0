//! The automatic triggers and their recovery: what each market and silo requires at the start
//! of a block (oracle Stale, then Halted; the band's cooldown; withdrawal surge; bad debt;
//! insurance below its floor), the withdrawal window, the immediate trips the silos' hooks
//! cause, the effective market level (automatic, manual, emergency), which markets and silos
//! are watched, and the bounds of the triggers' parameters.

use super::*;
use crate::math::step;
use bulwark_primitives::MAX_BLOCKS;

impl<T: Config> Pallet<T> {
	pub(crate) fn effective(
		state: &MarketBreaker<BlockNumberFor<T>, T::MaxBandSamples>,
	) -> MarketStatus {
		let emergency =
			if Emergency::<T>::get() { MarketStatus::ReduceOnly } else { MarketStatus::Normal };
		state.automatic.max(state.manual).max(emergency)
	}

	/// The start-of-block look at one market.
	pub(crate) fn evaluate_market(
		market: MarketId,
		now: BlockNumberFor<T>,
		params: &BreakerParams<BlockNumberFor<T>>,
	) {
		let Some(mut state) = Markets::<T>::get(market) else { return };
		let status = T::Prices::price(market).map(|price| price.status);
		// A Degraded price is recent: it ends a Stale period (so the halt clock stops) but
		// still allows no new risk.
		let degraded = status == Some(PriceStatus::Degraded);
		if status == Some(PriceStatus::Fresh) || degraded {
			state.stale_since = None;
		} else {
			state.stale_since.get_or_insert(now);
		}
		let (mut required, mut reason) = (MarketStatus::Normal, Reason::Recovered);
		if degraded {
			(required, reason) = (MarketStatus::ReduceOnly, Reason::OracleDegraded);
		}
		if let Some(since) = state.stale_since {
			(required, reason) = if now.saturating_sub(since) >= params.halt_after_stale {
				(MarketStatus::Halted, Reason::OracleStaleTooLong)
			} else {
				(MarketStatus::ReduceOnly, Reason::OracleStale)
			};
		}
		match state.band_until {
			Some(until) if now < until => {
				if required < MarketStatus::ReduceOnly {
					(required, reason) = (MarketStatus::ReduceOnly, Reason::PriceBand);
				}
			},
			_ => state.band_until = None,
		}
		let from = state.automatic;
		let is_oracle = |reason| matches!(reason, Reason::OracleStale | Reason::OracleDegraded);
		if let Some(to) = step(from, required, &mut state.clear_since, now, params.recovery_blocks)
		{
			let reason = if to < from { Reason::Recovered } else { reason };
			state.automatic = to;
			state.reason = Some(reason);
			Self::deposit_event(Event::MarketBreaker { market, from, to, reason });
		} else if from == required
			&& state.reason != Some(reason)
			&& is_oracle(reason)
			&& state.reason.is_some_and(is_oracle)
		{
			// The level holds, but the oracle's state behind it changed (Stale, then Degraded, or
			// back): the stored reason and an event say so.
			state.reason = Some(reason);
			Self::deposit_event(Event::MarketBreaker { market, from, to: from, reason });
		}
		Markets::<T>::insert(market, state);
	}

	/// The start-of-block look at one silo.
	pub(crate) fn evaluate_silo(
		silo: SiloId,
		now: BlockNumberFor<T>,
		params: &BreakerParams<BlockNumberFor<T>>,
	) {
		let Some(mut state) = Silos::<T>::get(silo) else { return };
		Self::roll_window(silo, &mut state, now, params);
		if state.bad_debt_until.is_some_and(|until| now >= until) {
			state.bad_debt_until = None;
		}
		let (required, reason) = Self::required_withdrawals(silo, &state, params);
		let from = state.withdrawals;
		if let Some(to) =
			step(from, required, &mut state.withdrawals_clear_since, now, params.recovery_blocks)
		{
			let reason = if to < from { Reason::Recovered } else { reason };
			state.withdrawals = to;
			state.withdrawals_reason = Some(reason);
			Self::deposit_event(Event::SiloWithdrawals { silo, from, to, reason });
		}

		let insurance_low = T::SiloHealth::insurance(silo).is_some_and(|(fund, target)| {
			!params.insurance_floor.is_zero()
				&& !target.is_zero()
				&& fund < params.insurance_floor.saturating_mul_int(target)
		});
		if let Some(blocked) = step(
			state.risk_blocked,
			insurance_low,
			&mut state.risk_clear_since,
			now,
			params.recovery_blocks,
		) {
			state.risk_blocked = blocked;
			let reason = if blocked { Reason::InsuranceLow } else { Reason::Recovered };
			Self::deposit_event(Event::SiloNewRisk { silo, accepted: !blocked, reason });
		}
		Silos::<T>::insert(silo, state);
	}

	/// Starts a new withdrawal window when the current one is over.
	pub(crate) fn roll_window(
		silo: SiloId,
		state: &mut SiloBreaker<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		params: &BreakerParams<BlockNumberFor<T>>,
	) {
		if Self::window_over(state, now, params) {
			state.window_start = now;
			state.window_pool = T::SiloHealth::pool(silo).unwrap_or_default();
			state.window_withdrawn = 0;
			ProfitPaid::<T>::remove(silo);
		}
	}

	/// RateLimited while bad debt gates the silo, its pool is below its claims and reserve, its
	/// pool paid out this window's whole allowance of realized profit, or this window's
	/// withdrawals (profit paid counted as withdrawn) exceed their share of the pool at its start. A silo without a pool has nothing to drain: no surge trigger.
	fn required_withdrawals(
		silo: SiloId,
		state: &SiloBreaker<BlockNumberFor<T>>,
		params: &BreakerParams<BlockNumberFor<T>>,
	) -> (WithdrawalStatus, Reason) {
		if state.bad_debt_until.is_some() {
			return (WithdrawalStatus::RateLimited, Reason::BadDebt);
		}
		if ReserveShort::<T>::contains_key(silo) {
			return (WithdrawalStatus::RateLimited, Reason::ReserveShortfall);
		}
		let profit_cap = Self::profit_cap(silo, state.window_pool, params);
		if !profit_cap.is_zero() && ProfitPaid::<T>::get(silo) >= profit_cap {
			return (WithdrawalStatus::RateLimited, Reason::ProfitDrain);
		}
		let allowed = params.withdrawal_max_share.saturating_mul_int(state.window_pool);
		if !state.window_pool.is_zero() && state.window_withdrawn > allowed {
			return (WithdrawalStatus::RateLimited, Reason::WithdrawalSurge);
		}
		(WithdrawalStatus::Normal, Reason::Recovered)
	}

	/// Whether the silo's withdrawal window is over at `now` (the next event starts a new one).
	pub(crate) fn window_over(
		state: &SiloBreaker<BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
		params: &BreakerParams<BlockNumberFor<T>>,
	) -> bool {
		now >= state.window_start.saturating_add(params.withdrawal_window)
	}

	/// The realized profit the silo's pool may pay out in a window that started with
	/// `window_pool`: `profit_max_share` of that pool, or of the pool now if liquidity came in
	/// since (a silo whose window began empty still pays its winners).
	pub(crate) fn profit_cap(
		silo: SiloId,
		window_pool: Balance,
		params: &BreakerParams<BlockNumberFor<T>>,
	) -> Balance {
		let pool = window_pool.max(T::SiloHealth::pool(silo).unwrap_or_default());
		params.profit_max_share.saturating_mul_int(pool)
	}

	/// Trips a silo's withdrawals at once if a hook made it necessary.
	pub(crate) fn trip_withdrawals_now(
		silo: SiloId,
		state: &mut SiloBreaker<BlockNumberFor<T>>,
		params: &BreakerParams<BlockNumberFor<T>>,
	) {
		let (required, reason) = Self::required_withdrawals(silo, state, params);
		if required > state.withdrawals {
			let from = state.withdrawals;
			state.withdrawals = required;
			state.withdrawals_reason = Some(reason);
			state.withdrawals_clear_since = None;
			Self::deposit_event(Event::SiloWithdrawals { silo, from, to: required, reason });
		}
	}

	pub(crate) fn fresh_silo(
		silo: SiloId,
		now: BlockNumberFor<T>,
	) -> SiloBreaker<BlockNumberFor<T>> {
		SiloBreaker {
			window_start: now,
			window_pool: T::SiloHealth::pool(silo).unwrap_or_default(),
			..Default::default()
		}
	}

	pub(crate) fn do_track_market(market: MarketId) -> DispatchResult {
		ensure!(!Markets::<T>::contains_key(market), Error::<T>::AlreadyTracked);
		ensure!(Markets::<T>::count() < T::MaxMarkets::get(), Error::<T>::TooManyMarkets);
		Markets::<T>::insert(market, MarketBreaker::default());
		Self::deposit_event(Event::MarketTracked { market });
		Ok(())
	}

	pub(crate) fn do_track_silo(silo: SiloId) -> DispatchResult {
		ensure!(!Silos::<T>::contains_key(silo), Error::<T>::AlreadyTracked);
		ensure!(Silos::<T>::count() < T::MaxSilos::get(), Error::<T>::TooManySilos);
		let now = frame_system::Pallet::<T>::block_number();
		Silos::<T>::insert(silo, Self::fresh_silo(silo, now));
		Self::deposit_event(Event::SiloTracked { silo });
		Ok(())
	}

	pub(crate) fn ensure_valid_params(
		params: &BreakerParams<BlockNumberFor<T>>,
	) -> Result<(), Error<T>> {
		let max: BlockNumberFor<T> = MAX_BLOCKS.into();
		for window in [
			params.halt_after_stale,
			params.band_window,
			params.band_cooldown,
			params.withdrawal_window,
			params.bad_debt_window,
			params.recovery_blocks,
			params.liquidation_max_price_age,
		] {
			ensure!(!window.is_zero() && window <= max, Error::<T>::BadWindow);
		}
		ensure!(params.band_window <= T::MaxBandSamples::get().into(), Error::<T>::BadWindow);
		let one = FixedU128::one();
		ensure!(
			!params.band_max_move.is_zero()
				&& params.band_max_move <= one
				&& params.insurance_floor <= one
				&& !params.withdrawal_max_share.is_zero()
				&& params.withdrawal_max_share <= one
				&& !params.profit_max_share.is_zero()
				&& params.profit_max_share <= one,
			Error::<T>::BadFraction
		);
		Ok(())
	}
}
