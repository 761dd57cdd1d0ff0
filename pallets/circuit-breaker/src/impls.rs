//! The primitives traits the breakers implement for the rest of the runtime: they tell the
//! margin engine and the silos what each market and silo allows ([`TradingStatus`], including
//! whether a price is recent enough to liquidate at), hear every new oracle aggregate and trip
//! the band at once ([`OnPriceUpdate`]), and hear the silos' withdrawals, bad debt, reserve
//! and books and trip withdrawals at once ([`OnSiloEvent`]).

use super::*;
use crate::math::GuardStep;
use bulwark_primitives::{relative_deviation, Aggregate};

impl<T: Config> TradingStatus for Pallet<T> {
	fn market_status(market: MarketId) -> MarketStatus {
		match Markets::<T>::get(market) {
			Some(state) => Self::effective(&state),
			// Not watched: no breaker of its own, but the emergency still applies.
			None if Emergency::<T>::get() => MarketStatus::ReduceOnly,
			None => MarketStatus::Normal,
		}
	}

	fn withdrawal_status(silo: SiloId) -> WithdrawalStatus {
		Silos::<T>::get(silo).map_or(WithdrawalStatus::Normal, |state| {
			state.withdrawals.max(state.manual_withdrawals)
		})
	}

	fn silo_accepts_new_risk(silo: SiloId) -> bool {
		Silos::<T>::get(silo).is_none_or(|state| !(state.risk_blocked || state.manual_risk_blocked))
	}

	fn price_usable(market: MarketId) -> bool {
		let max_age = Params::<T>::get().liquidation_max_price_age;
		T::Prices::price(market).is_some_and(|price| price.age <= max_age)
	}

	fn liquidation_price(market: MarketId, long: bool) -> Option<FixedU128> {
		PriceGuards::<T>::get(market).map(|guard| if long { guard.long } else { guard.short })
	}

	fn profit_allowance(silo: SiloId) -> Option<Balance> {
		let state = Silos::<T>::get(silo)?;
		let params = Params::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		// The window as `roll_window` would leave it now, without writing it.
		let (window_pool, paid) = if Self::window_over(&state, now, &params) {
			(T::SiloHealth::pool(silo).unwrap_or_default(), 0)
		} else {
			(state.window_pool, ProfitPaid::<T>::get(silo))
		};
		Some(Self::profit_cap(silo, window_pool, &params).saturating_sub(paid))
	}

	fn fill_bounds(market: MarketId) -> Option<(FixedU128, FixedU128)> {
		if !Self::price_flagged(market) {
			return None;
		}
		let twap = T::Prices::twap(market)?;
		let anchor = PriceGuards::<T>::get(market).and_then(|guard| guard.anchor).unwrap_or(twap);
		Some((twap.min(anchor), twap.max(anchor)))
	}
}

impl<T: Config> Pallet<T> {
	/// Whether the market's price is flagged: an aggregate held back, or a band trip in force.
	pub fn price_flagged(market: MarketId) -> bool {
		let now = frame_system::Pallet::<T>::block_number();
		Markets::<T>::get(market)
			.is_some_and(|state| Self::flagged(PriceGuards::<T>::get(market).as_ref(), &state, now))
	}

	/// [`Self::price_flagged`] of a market's guard and breaker as read.
	fn flagged(
		guard: Option<&PriceGuard>,
		state: &MarketBreaker<BlockNumberFor<T>, T::MaxBandSamples>,
		now: BlockNumberFor<T>,
	) -> bool {
		guard.is_some_and(|guard| guard.pending.is_some())
			|| state.band_until.is_some_and(|until| now < until)
	}
}

impl<T: Config> OnPriceUpdate<BlockNumberFor<T>> for Pallet<T> {
	/// The band: a new aggregate further than `band_max_move` from any aggregate of the last
	/// `band_window` blocks puts the market in ReduceOnly at once, for `band_cooldown` blocks.
	fn on_price_update(market: MarketId, aggregate: &Aggregate<BlockNumberFor<T>>) {
		let Some(mut state) = Markets::<T>::get(market) else { return };
		let guard = PriceGuards::<T>::get(market);
		let params = Params::<T>::get();
		let now = frame_system::Pallet::<T>::block_number();
		let was_flagged = Self::flagged(guard.as_ref(), &state, now);
		let oldest = now.saturating_sub(params.band_window);
		state.samples.retain(|(block, _)| *block >= oldest);
		// Where the move started: the aggregate of the window farthest from this one.
		let pre_move = state
			.samples
			.iter()
			.map(|(_, sample)| *sample)
			.max_by_key(|sample| relative_deviation(*sample, aggregate.price));
		let moved = state
			.samples
			.iter()
			.any(|(_, reference)| beyond_band(*reference, aggregate.price, params.band_max_move));
		if state.samples.is_full() {
			state.samples.remove(0);
		}
		// Cannot fail: a slot was just made if there was none.
		let _ = state.samples.try_push((now, aggregate.price));
		if moved {
			state.band_until = Some(now.saturating_add(params.band_cooldown));
			state.clear_since = None;
			if state.automatic < MarketStatus::ReduceOnly {
				let from = state.automatic;
				state.automatic = MarketStatus::ReduceOnly;
				state.reason = Some(Reason::PriceBand);
				Self::deposit_event(Event::MarketBreaker {
					market,
					from,
					to: MarketStatus::ReduceOnly,
					reason: Reason::PriceBand,
				});
			}
		}
		Self::guard_prices(market, guard, &state, aggregate, &params, was_flagged, pre_move);
		Markets::<T>::insert(market, state);
	}

	fn max_weight() -> Weight {
		T::WeightInfo::on_price_update()
	}
}

impl<T: Config> Pallet<T> {
	/// Moves the market's [`PriceGuard`] (`previous`) by the aggregate (the oracle's TWAP is the
	/// one before it: the oracle moves it by the time the previous price was held), after the
	/// band has seen it (`state`). The anchor is where the move that flagged the market started
	/// (`pre_move`: the aggregate of the band window farthest from this one; else the last one),
	/// kept while the market stays flagged.
	fn guard_prices(
		market: MarketId,
		previous: Option<PriceGuard>,
		state: &MarketBreaker<BlockNumberFor<T>, T::MaxBandSamples>,
		aggregate: &Aggregate<BlockNumberFor<T>>,
		params: &BreakerParams<BlockNumberFor<T>>,
		was_flagged: bool,
		pre_move: Option<FixedU128>,
	) {
		let (mut guard, step) = crate::math::next_guard(
			previous,
			aggregate.price,
			T::Prices::twap(market),
			aggregate.wide,
			params.band_max_move,
			crate::math::MAX_HELD_AGGREGATES,
		);
		let now = frame_system::Pallet::<T>::block_number();
		guard.anchor = match (Self::flagged(Some(&guard), state, now), was_flagged) {
			(false, _) => None,
			(true, true) => previous.and_then(|previous| previous.anchor),
			(true, false) => pre_move.or(previous.map(|previous| previous.last)),
		};
		PriceGuards::<T>::insert(market, guard);
		let held = |reason| Event::PriceHeld { market, price: aggregate.price, reason };
		match step {
			GuardStep::Trusted => {},
			GuardStep::Released => {
				Self::deposit_event(Event::HoldReleased { market, price: aggregate.price })
			},
			GuardStep::Unconfirmed => Self::deposit_event(held(Reason::UnconfirmedMove)),
			GuardStep::Wide => Self::deposit_event(held(Reason::WideRound)),
			GuardStep::Confirmed => Self::deposit_event(Event::MoveConfirmed {
				market,
				long: guard.long,
				short: guard.short,
			}),
		}
	}
}

impl<T: Config> OnSiloEvent for Pallet<T> {
	fn on_withdrawal(silo: SiloId, amount: Balance) {
		let Some(mut state) = Silos::<T>::get(silo) else { return };
		let now = frame_system::Pallet::<T>::block_number();
		let params = Params::<T>::get();
		Self::roll_window(silo, &mut state, now, &params);
		state.window_withdrawn = state.window_withdrawn.saturating_add(amount);
		Self::trip_withdrawals_now(silo, &mut state, &params);
		Silos::<T>::insert(silo, state);
	}

	/// Profit paid out of the pool: against the window's allowance, and as a drain.
	fn on_profit_paid(silo: SiloId, amount: Balance) {
		let Some(mut state) = Silos::<T>::get(silo) else { return };
		let now = frame_system::Pallet::<T>::block_number();
		let params = Params::<T>::get();
		Self::roll_window(silo, &mut state, now, &params);
		ProfitPaid::<T>::mutate(silo, |paid| *paid = paid.saturating_add(amount));
		state.window_withdrawn = state.window_withdrawn.saturating_add(amount);
		Self::trip_withdrawals_now(silo, &mut state, &params);
		Silos::<T>::insert(silo, state);
	}

	fn on_bad_debt(silo: SiloId, _amount: Balance) {
		let Some(mut state) = Silos::<T>::get(silo) else { return };
		let now = frame_system::Pallet::<T>::block_number();
		let params = Params::<T>::get();
		state.bad_debt_until = Some(now.saturating_add(params.bad_debt_window));
		Self::trip_withdrawals_now(silo, &mut state, &params);
		Silos::<T>::insert(silo, state);
	}

	/// The tripwire's verdict on the silo's pool: rate-limits withdrawals at once while it is
	/// short; recovery (after `recovery_blocks` clear) is the per-block pass's.
	fn on_reserve(silo: SiloId, short: bool) {
		if ReserveShort::<T>::contains_key(silo) == short {
			return;
		}
		let Some(mut state) = Silos::<T>::get(silo) else { return };
		if short {
			ReserveShort::<T>::insert(silo, ());
			let params = Params::<T>::get();
			Self::trip_withdrawals_now(silo, &mut state, &params);
			Silos::<T>::insert(silo, state);
		} else {
			ReserveShort::<T>::remove(silo);
		}
	}

	/// An accounting bug stops at its silo: withdrawals Frozen and new risk stopped, as a
	/// guardian would, until governance lifts them.
	fn on_books_mismatch(silo: SiloId) {
		let Some(mut state) = Silos::<T>::get(silo) else { return };
		if state.manual_withdrawals < WithdrawalStatus::Frozen {
			Self::deposit_event(Event::SiloWithdrawals {
				silo,
				from: state.manual_withdrawals,
				to: WithdrawalStatus::Frozen,
				reason: Reason::BooksMismatch,
			});
			state.manual_withdrawals = WithdrawalStatus::Frozen;
		}
		if !state.manual_risk_blocked {
			state.manual_risk_blocked = true;
			Self::deposit_event(Event::SiloNewRisk {
				silo,
				accepted: false,
				reason: Reason::BooksMismatch,
			});
		}
		Silos::<T>::insert(silo, state);
	}

	fn max_weight() -> Weight {
		T::WeightInfo::on_silo_event()
	}
}
