//! A deterministic end for every market: final settlement, and owners' exits during a long
//! outage before it.
//!
//! - **Settlement** starts by governance ([`Pallet::settle_market`]) or by the protocol once
//!   the market's price has been Stale for [`SettlementRules::settle_after_stale`] blocks
//!   (checked at the start of every block, for markets with open positions). It fixes one
//!   price: for a dead feed (its price Stale) the TWAP of the market's last good window as the
//!   oracle holds it (the TWAP stops moving when aggregates stop); for a live one, its last
//!   price (positions open at it until then: a TWAP away from it would be a free option on
//!   the pool). It freezes funding, stops trading, liquidation and deleveraging in the market,
//!   and takes it off the liquidation pass. Then `on_poll` closes its positions in bounded
//!   batches, after the liquidation pass and within [`Config::MaxSettlementsPerBlock`]:
//!   1. a walk over each side's deleverage book closes every loser (its loss from its margin,
//!      what is beyond down the silo's waterfall) and counts the winners' profit;
//!   2. the payout is fixed once: all of it if the silo's pool, less the claims already owed,
//!      pays the winners' profit, else that cash over their profit (pro rata, rounded down);
//!   3. every winner is closed, paid its profit times the payout (the pool pays within its
//!      profit allowance; the rest is the trader's claim, in order), the rest forfeited.
//!
//!   Every close releases the position's margin to its owner's free margin in the silo. When
//!   the last position is closed the market is removed (its settlement stays on record, read
//!   by the runtime API), and its feed can be removed. Nothing leaves the silo.
//! - **Outage exits**: once the price has been Stale for
//!   [`SettlementRules::exit_after_stale`] blocks, an owner's `close_position` closes the
//!   position whole at the outage price: for a long the lower of the TWAP and the last price,
//!   less [`SettlementRules::exit_band`]; for a short the higher of them, plus it. That is never
//!   better for the trader than the settlement price, and a profit is paid only the share the
//!   silo's pool could pay all its winners now (what it holds beyond its claims over what they
//!   are owed at the last prices): no one gains by leaving first, and the band stays in the
//!   pool for those who wait.

use super::*;

impl<T: Config> Pallet<T> {
	/// Whether `market` is being settled.
	pub(crate) fn settling(market: MarketId) -> bool {
		Settling::<T>::get().contains(&market)
	}

	/// Refuses any action on a market being settled: its positions close at its settlement.
	pub(crate) fn ensure_not_settling(market: MarketId) -> DispatchResult {
		ensure!(!Self::settling(market), Error::<T>::MarketSettling);
		Ok(())
	}

	/// Bounds of the settlement rules: each duration positive and at most [`MAX_BLOCKS`], exits
	/// open before settlement, a band below 100%.
	pub(crate) fn ensure_valid_rules(rules: &SettlementRulesOf<T>) -> DispatchResult {
		let max: BlockNumberFor<T> = bulwark_primitives::MAX_BLOCKS.into();
		ensure!(
			!rules.exit_after_stale.is_zero()
				&& rules.exit_after_stale < rules.settle_after_stale
				&& rules.settle_after_stale <= max
				&& rules.exit_band < Permill::one(),
			Error::<T>::InvalidSettlementRules
		);
		Ok(())
	}

	/// `settle_market`, or the protocol's own start of a settlement: fixes the price (the
	/// oracle's TWAP), accrues funding to now and freezes it, and stops the market.
	pub(crate) fn do_settle_market(market: MarketId, reason: SettlementReason) -> DispatchResult {
		let mut state = Self::market(market)?;
		Self::ensure_not_settling(market)?;
		let oracle = T::Prices::price(market).ok_or(Error::<T>::NoPrice)?;
		// A dead feed settles at its last good window's TWAP. A live one (governance settling a
		// market whose price is still Fresh) at its last price: positions open at that price
		// until the settlement, so a TWAP away from it would be a free option on the pool.
		// Governance that distrusts a live price removes the feed first (it is Stale at once).
		let price = match oracle.status {
			PriceStatus::Stale => {
				T::Prices::twap(market).filter(|twap| !twap.is_zero()).unwrap_or(oracle.price)
			},
			// A Degraded price is live too: recent, made by agreeing feeders short of a quorum.
			PriceStatus::Fresh | PriceStatus::Degraded => oracle.price,
		};
		// The price must make a unit price, or no position could close at it.
		Self::to_unit_price(price, &state.params)?;
		let last = Self::to_unit_price(oracle.price, &state.params).ok();
		Self::accrue(market, &mut state, last)?;
		Settling::<T>::try_mutate(|settling| settling.try_push(market))
			.map_err(|_| Error::<T>::TooManyMarkets)?;
		Watched::<T>::mutate(|watched| watched.retain(|watched| *watched != market));
		Markets::<T>::insert(market, state);
		let now = frame_system::Pallet::<T>::block_number();
		Settlements::<T>::insert(market, Settlement::new(price, reason, now));
		Self::deposit_event(Event::SettlementStarted { market, price, reason });
		Ok(())
	}

	/// `set_settlement_rules`.
	pub(crate) fn do_set_settlement_rules(rules: SettlementRulesOf<T>) -> DispatchResult {
		Self::ensure_valid_rules(&rules)?;
		Rules::<T>::put(rules);
		Self::deposit_event(Event::SettlementRulesSet { rules });
		Ok(())
	}

	/// The start of every block: settles each market whose price has been Stale for
	/// `settle_after_stale` blocks (its weight: [`WeightInfo::settlement_check`] at
	/// `MaxMarkets`, charged by the caller), then closes positions of the markets being
	/// settled, at most `MaxSettlementsPerBlock` in all and as many as the meter's weight
	/// allows. Returns how many index entries the walks took.
	pub fn settlement_pass(meter: &mut WeightMeter) -> u32 {
		let check = T::WeightInfo::settlement_check(T::MaxMarkets::get());
		if meter.try_consume(check).is_ok() {
			Self::settle_stale_markets();
		}
		let settling = Settling::<T>::get();
		if settling.is_empty() {
			return 0;
		}
		let mut budget = T::MaxSettlementsPerBlock::get();
		while budget > 0 && !meter.can_consume(T::WeightInfo::settle_positions(budget)) {
			budget -= 1;
		}
		if budget == 0 {
			return 0;
		}
		let mut used = 0;
		for market in settling {
			if used >= budget {
				break;
			}
			used += Self::settle_batch(market, budget - used);
		}
		// Room for this was checked above (`used` <= `budget`).
		meter.consume(T::WeightInfo::settle_positions(used));
		used
	}

	/// Starts the settlement of every market with open positions whose price has been Stale
	/// for `settle_after_stale` blocks. A market without positions locks nothing: it waits for
	/// its feed, or for governance to settle (remove) it.
	pub(crate) fn settle_stale_markets() {
		let after = Rules::<T>::get().settle_after_stale;
		let settling = Settling::<T>::get();
		for (market, state) in Markets::<T>::iter() {
			let open = state.open_interest.long_size != 0 || state.open_interest.short_size != 0;
			if !open || settling.contains(&market) {
				continue;
			}
			let Some(oracle) = T::Prices::price(market) else { continue };
			if oracle.status != PriceStatus::Stale || oracle.age < after {
				continue;
			}
			let started = frame_support::storage::with_storage_layer(|| {
				Self::do_settle_market(market, SettlementReason::StaleFeed)
			});
			if let Err(error) = started {
				log::warn!(target: LOG_TARGET, "market {market} cannot be settled: {error:?}");
			}
		}
	}

	/// Takes up to `steps` index entries of `market`'s settlement (see the module's docs);
	/// returns how many it took.
	pub(crate) fn settle_batch(market: MarketId, steps: u32) -> u32 {
		let (Some(mut settlement), Some(mut state)) =
			(Settlements::<T>::get(market), Markets::<T>::get(market))
		else {
			// Defensive: a settling market always has both (see `do_try_state`).
			Settling::<T>::mutate(|settling| settling.retain(|settling| *settling != market));
			return 0;
		};
		let Ok(unit) = Self::to_unit_price(settlement.price, &state.params) else { return 0 };
		let mut used = 0;
		while used < steps {
			match settlement.phase {
				SettlementPhase::ClosingLosers { long } => {
					let book = (market, Book::deleverage(long), 0);
					let after = (!settlement.cursor.is_empty()).then(|| settlement.cursor.to_vec());
					let Some((who, raw)) = Self::next_in_book(book, after) else {
						settlement.cursor = BoundedVec::new();
						if long {
							settlement.phase = SettlementPhase::ClosingLosers { long: false };
						} else {
							settlement.payout =
								Self::settlement_payout(state.silo, settlement.winners_profit);
							settlement.phase = SettlementPhase::PayingWinners;
							Self::deposit_event(Event::SettlementPayout {
								market,
								winners_profit: settlement.winners_profit,
								payout: settlement.payout,
							});
						}
						continue;
					};
					used += 1;
					let Ok(cursor) = BoundedVec::try_from(raw) else {
						log::error!(target: LOG_TARGET, "market {market}: index key beyond its bound");
						break;
					};
					let Some(position) = Positions::<T>::get(&who, market) else {
						settlement.cursor = cursor;
						continue;
					};
					let realized = position
						.size_units
						.checked_neg()
						.and_then(|delta| {
							Self::fill(&position, delta, unit, state.accrual.funding_index).ok()
						})
						.map(|fill| fill.realized);
					match realized {
						Some(profit) if profit > 0 => {
							settlement.winners_profit =
								settlement.winners_profit.saturating_add(profit.unsigned_abs());
							settlement.cursor = cursor;
						},
						_ => {
							// The cursor moves past a loser only once it is closed: a failed
							// close is retried by the next block's batch.
							if !Self::settle_position(
								&mut settlement,
								&mut state,
								market,
								unit,
								&who,
							) {
								break;
							}
							settlement.cursor = cursor;
						},
					}
				},
				SettlementPhase::PayingWinners => {
					let head = [true, false].into_iter().find_map(|long| {
						Self::next_in_book((market, Book::deleverage(long), 0), None)
					});
					let Some((who, _)) = head else {
						settlement.phase = SettlementPhase::Settled;
						break;
					};
					used += 1;
					if !Self::settle_position(&mut settlement, &mut state, market, unit, &who) {
						break;
					}
				},
				SettlementPhase::Settled => break,
			}
		}
		if settlement.phase == SettlementPhase::Settled {
			settlement.finished_at = Some(frame_system::Pallet::<T>::block_number());
			Markets::<T>::remove(market);
			Settling::<T>::mutate(|settling| settling.retain(|settling| *settling != market));
			Self::deposit_event(Event::MarketSettled {
				market,
				price: settlement.price,
				closed: settlement.closed,
				paid: settlement.paid,
				claimed: settlement.claimed,
				forfeited: settlement.forfeited,
				bad_debt: settlement.bad_debt,
			});
		} else {
			Markets::<T>::insert(market, state);
		}
		Settlements::<T>::insert(market, settlement);
		used
	}

	/// What share of their profit the winners are paid: all of it while the silo's pool, less
	/// the claims owed before them, covers it; else that cash over their profit, rounded down.
	pub(crate) fn settlement_payout(silo: SiloId, winners_profit: Balance) -> FixedU128 {
		let cash =
			T::Ledger::pool(silo).unwrap_or_default().saturating_sub(T::Ledger::claims(silo));
		if cash >= winners_profit {
			return FixedU128::one();
		}
		// cash < winners_profit, so winners_profit > 0.
		FixedU128::checked_from_rational(cash, winners_profit).unwrap_or_default()
	}

	/// Closes `who`'s position at the settlement's price and payout, counting it in the
	/// settlement. A failure (an accounting bug: the books are checked by `try_state`) changes
	/// nothing and is retried by the next block's batch; returns whether it closed.
	fn settle_position(
		settlement: &mut Settlement<BlockNumberFor<T>>,
		state: &mut MarketOf<T>,
		market: MarketId,
		unit: FixedU128,
		who: &T::AccountId,
	) -> bool {
		let Some(position) = Positions::<T>::get(who, market) else { return true };
		let payout = settlement.payout;
		// `close_whole` writes `state` only once every fallible step has passed.
		let outcome = frame_support::storage::with_storage_layer(|| {
			Self::close_whole(state, market, who, &position, unit, |_| payout)
		});
		match outcome {
			Ok(closed) => {
				settlement.closed = settlement.closed.saturating_add(1);
				settlement.paid = settlement.paid.saturating_add(closed.paid);
				settlement.claimed = settlement.claimed.saturating_add(closed.claimed);
				settlement.forfeited = settlement.forfeited.saturating_add(closed.forfeited);
				settlement.bad_debt = settlement.bad_debt.saturating_add(closed.bad_debt);
				Self::deposit_event(Event::PositionSettled {
					who: who.clone(),
					market,
					size_units: position.size_units,
					price: unit,
					realized: closed.realized,
					paid: closed.paid,
					claimed: closed.claimed,
					forfeited: closed.forfeited,
					bad_debt: closed.bad_debt,
					released: closed.released,
				});
				true
			},
			Err(error) => {
				log::error!(target: LOG_TARGET, "market {market}: a settlement close failed: {error:?}");
				false
			},
		}
	}

	/// Closes `who`'s whole `position` in `market` at the unit price `unit`, with no fee: its
	/// loss from its margin and beyond it down the silo's waterfall, or its profit times
	/// `payout(profit)` (paid as far as the pool goes, the rest a claim; the remainder
	/// forfeited); its margin left released. Writes the position and the index; updates
	/// `state`'s open interest (the caller writes the market), and only once every fallible
	/// step has passed.
	pub(crate) fn close_whole(
		state: &mut MarketOf<T>,
		market: MarketId,
		who: &T::AccountId,
		position: &Position,
		unit: FixedU128,
		payout: impl FnOnce(Balance) -> FixedU128,
	) -> Result<WholeClose, DispatchError> {
		let index = state.accrual.funding_index;
		let delta = position.size_units.checked_neg().ok_or(Error::<T>::Overflow)?;
		let fill = Self::fill(position, delta, unit, index)?;
		let after = Position { funding_index: index, ..Default::default() };
		let interest = Self::moved_interest(&state.open_interest, position, &after)?;
		let silo = state.silo;
		let mut closed = WholeClose { realized: fill.realized, ..Default::default() };
		let mut margin = position.margin;
		let amount = fill.realized.unsigned_abs();
		if fill.realized < 0 {
			let from_margin = amount.min(margin);
			margin.saturating_reduce(from_margin);
			closed.bad_debt = amount.saturating_sub(from_margin);
			if !from_margin.is_zero() {
				T::Ledger::realize_loss(silo, who, from_margin)?;
			}
			if !closed.bad_debt.is_zero() {
				T::Ledger::cover_bad_debt(silo, closed.bad_debt)?;
			}
		} else if fill.realized > 0 {
			let kept = payout(amount).saturating_mul_int(amount).min(amount);
			closed.forfeited = amount.saturating_sub(kept);
			(closed.paid, closed.claimed) =
				Self::settle_realized(silo, who, kept as SignedBalance)?;
		}
		if !margin.is_zero() {
			T::Ledger::release_margin(silo, who, margin)?;
		}
		closed.released = margin;
		state.open_interest = interest;
		Self::store_position(who, market, &state.params.size_tiers, position, &after);
		Ok(closed)
	}

	/// The unit price an owner may close a whole `long` (or short) position at during a long
	/// outage (see the module's docs); `None` while the price has been Stale for fewer than
	/// `exit_after_stale` blocks (the ordinary rules apply).
	pub(crate) fn outage_exit_price(
		market: MarketId,
		params: &MarketParamsOf<T>,
		long: bool,
	) -> Result<Option<FixedU128>, DispatchError> {
		let Some(oracle) = T::Prices::price(market) else { return Ok(None) };
		let rules = Rules::<T>::get();
		if oracle.status != PriceStatus::Stale || oracle.age < rules.exit_after_stale {
			return Ok(None);
		}
		let twap = T::Prices::twap(market).filter(|twap| !twap.is_zero()).unwrap_or(oracle.price);
		let band = math::fraction(rules.exit_band);
		let price = if long {
			twap.min(oracle.price).saturating_mul(FixedU128::one().saturating_sub(band))
		} else {
			twap.max(oracle.price).saturating_mul(FixedU128::one().saturating_add(band))
		};
		Self::to_unit_price(price, params).map(Some)
	}

	/// An owner's whole close during a long outage, at `unit` (the outage price), within their
	/// `acceptable_price`.
	pub(crate) fn exit_in_outage(
		who: &T::AccountId,
		market: MarketId,
		position: &Position,
		unit: FixedU128,
		acceptable_price: FixedU128,
	) -> DispatchResult {
		let long = position.size_units > 0;
		let within = if long { unit >= acceptable_price } else { unit <= acceptable_price };
		ensure!(within, Error::<T>::PriceLimitExceeded);
		let mut state = Self::market(market)?;
		// Funding to now at the last known price; none accrues after the close.
		let last = Self::unit_price_if_any(market, &state.params);
		Self::accrue(market, &mut state, last)?;
		// A profit is paid the share a settlement of the whole silo would pay now: what the
		// pool holds beyond its claims over what all its winners are owed at the last prices
		// (this one's profit at least), so leaving first never beats waiting when the pool is
		// short.
		let silo = state.silo;
		let payout = |profit: Balance| {
			let owed = Self::silo_marks(silo, Permill::zero()).owed.max(profit);
			Self::settlement_payout(silo, owed)
		};
		let closed = Self::close_whole(&mut state, market, who, position, unit, payout)?;
		Markets::<T>::insert(market, state);
		Self::deposit_event(Event::ExitedInOutage {
			who: who.clone(),
			market,
			size_units: position.size_units,
			price: unit,
			realized: closed.realized,
			paid: closed.paid,
			claimed: closed.claimed,
			forfeited: closed.forfeited,
			bad_debt: closed.bad_debt,
			released: closed.released,
		});
		Ok(())
	}
}
