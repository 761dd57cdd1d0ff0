//! Trading: the fill of a trade (price impact, acceptable price, reduce-only), settling the
//! closed part's PnL and funding against the silo, fees, margin release, open-interest caps,
//! and writing the position.

use super::*;
use crate::liquidation::ClosedBy;

impl<T: Config> Pallet<T> {
	/// `position` after a fill of `delta` at `fill`, with funding settled to `index`.
	pub(crate) fn fill(
		position: &Position,
		delta: SignedBalance,
		fill: FixedU128,
		index: FixedI128,
	) -> Result<Fill, DispatchError> {
		let overflow = || DispatchError::from(Error::<T>::Overflow);
		let index_delta = index.checked_sub(&position.funding_index).ok_or_else(overflow)?;
		let funding = math::funding_owed(position.size_units, index_delta).ok_or_else(overflow)?;
		let old = position.size_units.unsigned_abs();
		let long = position.size_units > 0;
		let amount = delta.unsigned_abs();
		let closing =
			if position.size_units != 0 && (delta > 0) != long { amount.min(old) } else { 0 };
		let opening = amount.saturating_sub(closing);
		let (entry_part, price_pnl) = if closing.is_zero() {
			(0, 0)
		} else {
			let part =
				math::entry_share(position.entry, closing, old, long).ok_or_else(overflow)?;
			(part, math::price_pnl(closing, fill, part, long).ok_or_else(overflow)?)
		};
		let opened = math::value(opening, fill, delta > 0).ok_or_else(overflow)?;
		Ok(Fill {
			size_units: position.size_units.checked_add(delta).ok_or_else(overflow)?,
			entry: position
				.entry
				.saturating_sub(entry_part)
				.checked_add(opened)
				.ok_or_else(overflow)?,
			closing,
			realized: price_pnl.checked_sub(funding).ok_or_else(overflow)?,
			funding,
		})
	}

	/// `trade`: `who`'s position in `market` (none yet: an empty one) changed by `delta`.
	pub(crate) fn do_trade(
		who: &T::AccountId,
		market: MarketId,
		delta: SignedBalance,
		margin_in: Balance,
		acceptable_price: FixedU128,
		reduce_only: bool,
	) -> DispatchResult {
		let old = Positions::<T>::get(who, market).unwrap_or_default();
		Self::trade_position(who, market, old, delta, margin_in, acceptable_price, reduce_only)
	}

	/// A trade of `delta` on `old`, the position as stored (read once by the caller).
	fn trade_position(
		who: &T::AccountId,
		market: MarketId,
		old: Position,
		delta: SignedBalance,
		margin_in: Balance,
		acceptable_price: FixedU128,
		reduce_only: bool,
	) -> DispatchResult {
		ensure!(delta != 0, Error::<T>::Zero);
		ensure!(delta != SignedBalance::MIN, Error::<T>::Overflow);
		let mut state = Self::market(market)?;
		Self::ensure_not_settling(market)?;
		let params = state.params.clone();
		let amount = delta.unsigned_abs();
		ensure!(amount <= MAX_SIZE, Error::<T>::PositionTooLarge);
		let new_size = old.size_units.checked_add(delta).ok_or(Error::<T>::Overflow)?;
		let flips = old.size_units != 0 && new_size != 0 && (old.size_units > 0) != (new_size > 0);
		let adds_risk = new_size.unsigned_abs() > old.size_units.unsigned_abs() || flips;
		ensure!(!(reduce_only && adds_risk), Error::<T>::NotReducing);
		// A close may be of any size; anything else is at least the minimum and leaves at least
		// the minimum.
		ensure!(
			new_size == 0
				|| (amount >= params.min_size && new_size.unsigned_abs() >= params.min_size),
			Error::<T>::DustSize
		);
		ensure!(new_size.unsigned_abs() <= params.max_position_size, Error::<T>::PositionTooLarge);
		let action = if adds_risk { TradeAction::IncreaseRisk } else { TradeAction::ReduceRisk };
		if !T::Status::allows(market, state.silo, action) {
			return Err(if T::Status::market_status(market) == MarketStatus::Halted {
				Error::<T>::MarketHalted
			} else if adds_risk {
				Error::<T>::NewRiskNotAccepted
			} else {
				Error::<T>::PriceUnusable
			}
			.into());
		}
		// New risk at a Fresh price only; a reduction at any price a liquidation could use (the
		// breakers said it is recent enough), so an owner can always do what a keeper can.
		let price = if adds_risk {
			Self::fresh_unit_price(market, &params)?
		} else {
			let oracle = T::Prices::price(market).ok_or(Error::<T>::NoPrice)?;
			Self::to_unit_price(oracle.price, &params)?
		};
		Self::accrue(market, &mut state, Some(price))?;

		let mut position = old;
		position.margin = position.margin.checked_add(margin_in).ok_or(Error::<T>::Overflow)?;
		if old.size_units != 0 {
			// A reduction is judged as a keeper would judge the position: at the price its
			// side's liquidations act on (the breakers may hold a move back); new risk at the
			// trade's price.
			let judged = if adds_risk {
				price
			} else {
				Self::liquidation_unit_price(market, state.silo, &params, old.size_units > 0)?
			};
			let before = Self::health(&state, &position, judged)?;
			if before.liquidatable() {
				// Only a whole close, which goes as a liquidation would: whatever a keeper may
				// liquidate, its owner may close.
				ensure!(new_size == 0 && margin_in == 0, Error::<T>::PositionLiquidatable);
				return Self::close_liquidatable(ClosedBy::Owner { acceptable_price }, who, market);
			}
		}
		let (fill_price, unbounded) = Self::trade_fill(market, &state, price, delta, !adds_risk)?;
		let within_limit =
			if delta > 0 { fill_price <= acceptable_price } else { fill_price >= acceptable_price };
		ensure!(within_limit, Error::<T>::PriceLimitExceeded);

		let index = state.accrual.funding_index;
		let fill = Self::fill(&old, delta, fill_price, index)?;
		let traded = math::value(amount, fill_price, true).ok_or(Error::<T>::Overflow)?;
		let fee = params.trading_fee.mul_ceil(traded);
		let loss = if fill.realized < 0 { fill.realized.unsigned_abs() } else { 0 };
		let profit = if fill.realized > 0 { fill.realized.unsigned_abs() } else { 0 };
		let after_loss = position.margin.checked_sub(loss).ok_or(Error::<T>::InsufficientMargin)?;
		// The fee comes from the position's margin; what the margin cannot cover comes out of
		// the profit this trade realizes (the pool pays that much less, and keeps it whole: no
		// insurance share), so a winner whose margin was sized at a far lower price can still
		// close, whether the pool pays its profit now or owes it as a claim. Never from
		// anywhere else.
		let fee_from_margin = fee.min(after_loss);
		let fee_from_profit = fee.saturating_sub(fee_from_margin);
		ensure!(fee_from_profit <= profit, Error::<T>::InsufficientMargin);
		let mut margin = after_loss.saturating_sub(fee_from_margin);
		let reduces = !adds_risk;
		let release = if new_size == 0 {
			margin
		} else if reduces {
			math::mul_div(margin, fill.closing, old.size_units.unsigned_abs(), false)
				.ok_or(Error::<T>::Overflow)?
		} else {
			0
		};
		margin.saturating_reduce(release);
		let after = Position {
			size_units: fill.size_units,
			entry: fill.entry,
			margin,
			funding_index: index,
		};

		let interest = Self::moved_interest(&state.open_interest, &old, &after)?;
		Self::ensure_open_interest_caps(&state, &interest, price)?;
		if new_size != 0 {
			let health = Self::health(&state, &after, price)?;
			if adds_risk {
				Self::ensure_initial(&params, &health, health.equity)?;
			} else {
				ensure!(!health.liquidatable(), Error::<T>::InsufficientMargin);
			}
		}
		if new_size != 0 {
			let value = math::value(new_size.unsigned_abs(), fill_price, false)
				.ok_or(Error::<T>::Overflow)?;
			ensure!(value >= params.min_position_value, Error::<T>::PositionTooSmall);
		}

		// Every check passed: move the money, then write.
		let silo = state.silo;
		if !margin_in.is_zero() {
			T::Ledger::lock_margin(silo, who, margin_in)?;
		}
		let realized = fill
			.realized
			.checked_sub(fee_from_profit as SignedBalance)
			.ok_or(Error::<T>::Overflow)?;
		Self::settle_realized(silo, who, realized)?;
		if !fee_from_margin.is_zero() {
			T::Ledger::charge_fee(silo, who, fee_from_margin)?;
		}
		if !release.is_zero() {
			T::Ledger::release_margin(silo, who, release)?;
		}
		// What the flag's bound kept from the closed part: held, judged once the price held.
		Self::hold_profit(
			who,
			market,
			&state,
			old.size_units > 0,
			fill.closing,
			fill_price,
			unbounded,
		)?;
		state.open_interest = interest;
		Self::store_position(who, market, &params.size_tiers, &old, &after);
		Markets::<T>::insert(market, state);
		Self::deposit_event(Event::PositionChanged {
			who: who.clone(),
			market,
			size_delta: delta,
			size_units: after.size_units,
			fill_price,
			fee,
			realized: fill.realized,
			funding: fill.funding,
			margin: after.margin,
		});
		Ok(())
	}

	/// Where a side that grows may grow to: its static cap in size, and its value at `price`
	/// within `max_open_interest_to_pool` of what the silo's pool holds beyond its claims and
	/// the profit it holds back (at the most it can be). A side that shrinks is never refused.
	pub(crate) fn ensure_open_interest_caps(
		state: &MarketOf<T>,
		interest: &OpenInterest,
		price: FixedU128,
	) -> DispatchResult {
		let params = &state.params;
		let cash = T::Ledger::pool(state.silo)
			.unwrap_or_default()
			.saturating_sub(T::Ledger::claims(state.silo))
			.saturating_sub(T::Ledger::held_profit(state.silo));
		let pool_cap = params.max_open_interest_to_pool.saturating_mul_int(cash);
		let sides = [
			(interest.long_size, state.open_interest.long_size, params.max_long_size),
			(interest.short_size, state.open_interest.short_size, params.max_short_size),
		];
		for (size, before, cap) in sides {
			if size > before {
				ensure!(size <= cap, Error::<T>::OpenInterestCapExceeded);
				let value = math::value(size, price, true).ok_or(Error::<T>::Overflow)?;
				ensure!(value <= pool_cap, Error::<T>::OpenInterestCapExceeded);
			}
		}
		Ok(())
	}

	/// Pays a realized result: a profit from the pool to free margin (what the pool cannot pay
	/// becomes the trader's claim in the silo's books), a loss from the position's margin (the
	/// caller made sure the margin covers it). Returns the profit (paid, claimed).
	pub(crate) fn settle_realized(
		silo: SiloId,
		who: &T::AccountId,
		realized: SignedBalance,
	) -> Result<(Balance, Balance), DispatchError> {
		if realized > 0 {
			let settlement = T::Ledger::realize_profit(silo, who, realized.unsigned_abs())?;
			Ok((settlement.paid, settlement.claimed))
		} else {
			if realized < 0 {
				T::Ledger::realize_loss(silo, who, realized.unsigned_abs())?;
			}
			Ok((0, 0))
		}
	}

	/// The market's open interest with `old` replaced by `new`.
	pub(crate) fn moved_interest(
		interest: &OpenInterest,
		old: &Position,
		new: &Position,
	) -> Result<OpenInterest, DispatchError> {
		let mut moved = *interest;
		Self::count_position(&mut moved, old, false)?;
		Self::count_position(&mut moved, new, true)?;
		Ok(moved)
	}

	/// Adds (or takes away) a position's contribution to its market's open interest.
	pub(crate) fn count_position(
		interest: &mut OpenInterest,
		position: &Position,
		add: bool,
	) -> Result<(), DispatchError> {
		if position.size_units == 0 {
			return Ok(());
		}
		let overflow = || DispatchError::from(Error::<T>::Overflow);
		let size = position.size_units.unsigned_abs();
		let basis = math::funding_basis(position.size_units, position.funding_index)
			.ok_or_else(overflow)?;
		let (side_size, side_entry, side_basis, side_margin) = if position.size_units > 0 {
			(
				&mut interest.long_size,
				&mut interest.long_entry,
				&mut interest.long_basis,
				&mut interest.long_margin,
			)
		} else {
			(
				&mut interest.short_size,
				&mut interest.short_entry,
				&mut interest.short_basis,
				&mut interest.short_margin,
			)
		};
		if add {
			*side_size = side_size.checked_add(size).ok_or_else(overflow)?;
			*side_entry = side_entry.checked_add(position.entry).ok_or_else(overflow)?;
			*side_basis = side_basis.checked_add(basis).ok_or_else(overflow)?;
			*side_margin = side_margin.checked_add(position.margin).ok_or_else(overflow)?;
		} else {
			*side_size = side_size.checked_sub(size).ok_or_else(overflow)?;
			*side_entry = side_entry.checked_sub(position.entry).ok_or_else(overflow)?;
			*side_basis = side_basis.checked_sub(basis).ok_or_else(overflow)?;
			*side_margin = side_margin.checked_sub(position.margin).ok_or_else(overflow)?;
		}
		Ok(())
	}

	/// Writes a position (removing it when closed) and moves its places in the index.
	pub(crate) fn store_position(
		who: &T::AccountId,
		market: MarketId,
		tiers: &[SizeTier],
		old: &Position,
		new: &Position,
	) {
		if new.size_units == 0 {
			Positions::<T>::remove(who, market);
		} else {
			Positions::<T>::insert(who, market, new);
		}
		Self::reindex(who, market, tiers, old, new);
	}

	/// What a trade of `delta` fills at: the unit `price` with the skew's impact, and for a
	/// reduction ([`Self::bounded_while_flagged`]) no better for the trader than the flag allows.
	/// Returns the fill and what it would be without the flag.
	pub(crate) fn trade_fill(
		market: MarketId,
		state: &MarketOf<T>,
		price: FixedU128,
		delta: SignedBalance,
		reduces: bool,
	) -> Result<(FixedU128, FixedU128), DispatchError> {
		let params = &state.params;
		let fill = math::fill_price(
			price,
			state.open_interest.skew(),
			delta,
			params.skew_scale,
			params.max_price_impact,
		)
		.ok_or(Error::<T>::Overflow)?;
		let bounded =
			if reduces { Self::bounded_while_flagged(market, params, fill, delta)? } else { fill };
		Ok((bounded, fill))
	}

	/// A reduction's fill while the breakers flag the market's price (a band trip, a move held
	/// back, a wide round): no better for the trader than the TWAP or the last price before the
	/// flag ([`TradingStatus::fill_bounds`]). A long sells at no more than the lower of them, a
	/// short buys back at no less than the higher, so no profit is paid beyond what the
	/// pre-move price gives, at a price the system itself distrusts (what the trade would have
	/// paid beyond it is held, [`crate::held`]); a fill worse for the trader stands.
	pub(crate) fn bounded_while_flagged(
		market: MarketId,
		params: &MarketParamsOf<T>,
		fill_price: FixedU128,
		delta: SignedBalance,
	) -> Result<FixedU128, DispatchError> {
		let Some((low, high)) = T::Status::fill_bounds(market) else { return Ok(fill_price) };
		Ok(if delta < 0 {
			fill_price.min(Self::to_unit_price(low, params)?)
		} else {
			fill_price.max(Self::to_unit_price(high, params)?)
		})
	}

	/// `close_position`: the whole position, as a reduce-only trade; a liquidatable one as a
	/// liquidation would close it (without its penalty), so that its owner can always do what a
	/// keeper can.
	pub(crate) fn do_close_position(
		who: &T::AccountId,
		market: MarketId,
		acceptable_price: FixedU128,
	) -> DispatchResult {
		let position = Positions::<T>::get(who, market).ok_or(Error::<T>::NoPosition)?;
		let state = Self::market(market)?;
		Self::ensure_not_settling(market)?;
		// A long outage: leave at the outage price, whatever the breakers say.
		if let Some(unit) = Self::outage_exit_price(market, &state.params, position.size_units > 0)?
		{
			return Self::exit_in_outage(who, market, &position, unit, acceptable_price);
		}
		let delta = position.size_units.checked_neg().ok_or(Error::<T>::Overflow)?;
		Self::trade_position(who, market, position, delta, 0, acceptable_price, true)
	}

	/// `add_margin`: always allowed (also liquidatable, also halted): more margin only makes
	/// the position safer.
	pub(crate) fn do_add_margin(
		who: T::AccountId,
		market: MarketId,
		amount: Balance,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::Zero);
		let mut state = Self::market(market)?;
		Self::ensure_not_settling(market)?;
		let old = Positions::<T>::get(&who, market).ok_or(Error::<T>::NoPosition)?;
		let mut position = old;
		position.margin = position.margin.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		state.open_interest = Self::moved_interest(&state.open_interest, &old, &position)?;
		T::Ledger::lock_margin(state.silo, &who, amount)?;
		Self::store_position(&who, market, &state.params.size_tiers, &old, &position);
		Markets::<T>::insert(market, state);
		Self::deposit_event(Event::MarginAdded { who, market, amount });
		Ok(())
	}

	/// `remove_margin`: at a Fresh price, leaving the initial requirement met within the
	/// leverage cap with unrealized profit not counted (unrealized losses and owed funding are).
	pub(crate) fn do_remove_margin(
		who: T::AccountId,
		market: MarketId,
		amount: Balance,
	) -> DispatchResult {
		ensure!(!amount.is_zero(), Error::<T>::Zero);
		let mut state = Self::market(market)?;
		Self::ensure_not_settling(market)?;
		let old = Positions::<T>::get(&who, market).ok_or(Error::<T>::NoPosition)?;
		let mut position = old;
		let price = Self::fresh_unit_price(market, &state.params)?;
		Self::accrue(market, &mut state, Some(price))?;
		position.margin =
			position.margin.checked_sub(amount).ok_or(Error::<T>::InsufficientMargin)?;
		let health = Self::health(&state, &position, price)?;
		let withdrawable_equity = math::equity(position.margin, health.pnl.min(0), health.funding)
			.ok_or(Error::<T>::Overflow)?;
		Self::ensure_initial(&state.params, &health, withdrawable_equity)?;

		state.open_interest = Self::moved_interest(&state.open_interest, &old, &position)?;
		T::Ledger::release_margin(state.silo, &who, amount)?;
		Self::store_position(&who, market, &state.params.size_tiers, &old, &position);
		Markets::<T>::insert(market, state);
		Self::deposit_event(Event::MarginRemoved { who, market, amount });
		Ok(())
	}
}
