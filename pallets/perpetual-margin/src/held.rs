//! Profit held back at a flagged price, and judged once the price has held.
//!
//! While the breakers flag a market's price (a band trip in force, a move held back, a wide
//! round), an owner's reduction fills no better for the trader than the flag allows
//! ([`TradingStatus::fill_bounds`]: a long sells at no more than the lower of the TWAP and where
//! the move started, a short buys back at no less than the higher). What the fill would have
//! paid beyond that is not lost and not paid: it is *held* ([`HeldProfits`]), and the silo
//! counts the most it can be as its pool's debt for withdrawals and its reserve
//! ([`SiloLedger::hold_profit`]). A gap worth less than the market's `min_position_value` is
//! not held (it stays in the pool, as the bound itself does): no one makes a record for less
//! than a position's worth.
//!
//! One governed window later ([`ProfitHoldWindow`], default an hour) `on_poll` judges it, oldest
//! first, at most [`Config::MaxHeldReleasesPerBlock`] per block:
//! - if the market's price is flagged again, or unusable (Stale), the price has not held: it is
//!   held again for another window, under a new number;
//! - otherwise it is worth the closed size times how far the release price went past the fill,
//!   where the release price is for a long the lower of the oracle's TWAP (the window's
//!   average) and its last price, for a short the higher, and never past the unbounded fill. A
//!   pump that held for the window pays what the TWAP (an average with the window as its time
//!   constant) took of it, about 63% of its way for a pump that held exactly one hour; one
//!   that reverted pays nothing once the last price is back;
//! - a market being settled, or settled, judges it at its settlement price.
//!
//! What it is worth is realized as profit ([`SiloLedger::release_held_profit`]): paid as far as
//! the pool and the window's profit allowance go, the rest the trader's claim, in order; what
//! it is not worth stays in the pool.

use super::*;

/// What a held profit is judged at.
enum Verdict {
	/// The price has not held (flagged or unusable): hold it for another window.
	Wait,
	/// At this unit price.
	At(FixedU128),
}

impl<T: Config> Pallet<T> {
	/// What a reduction of `closing` units filling at `filled` instead of `unbounded` holds
	/// back: for a long (selling) the part of the unbounded fill above the fill, for a short
	/// (buying back) the part below it, times the size, rounded down. Zero when the flag did
	/// not bind.
	pub(crate) fn held_amount(
		long: bool,
		closing: u128,
		filled: FixedU128,
		unbounded: FixedU128,
	) -> Result<Balance, DispatchError> {
		let gap =
			if long { unbounded.saturating_sub(filled) } else { filled.saturating_sub(unbounded) };
		math::value(closing, gap, false).ok_or_else(|| Error::<T>::Overflow.into())
	}

	/// Holds what a reduction of `size` in `market` filling at `filled` instead of `unbounded`
	/// kept back from `who` (see the module docs): nothing when the flag did not bind, or when
	/// the gap is below the market's `min_position_value`. Called once every check of the
	/// reduction passed.
	pub(crate) fn hold_profit(
		who: &T::AccountId,
		market: MarketId,
		state: &MarketOf<T>,
		long: bool,
		size: u128,
		filled: FixedU128,
		unbounded: FixedU128,
	) -> DispatchResult {
		let amount = Self::held_amount(long, size, filled, unbounded)?;
		if amount.is_zero() || amount < state.params.min_position_value {
			return Ok(());
		}
		let now = frame_system::Pallet::<T>::block_number();
		let due = now.saturating_add(ProfitHoldWindow::<T>::get());
		let record = HeldProfit {
			who: who.clone(),
			market,
			silo: state.silo,
			long,
			size_units: size,
			filled,
			unbounded,
			value_scale: state.params.value_scale,
			amount,
			since: now,
			due,
		};
		let mut cursor = HeldProfitCursor::<T>::get();
		let id = cursor.next;
		cursor.next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		T::Ledger::hold_profit(state.silo, who, amount)?;
		HeldProfits::<T>::insert(id, record);
		HeldProfitCursor::<T>::put(cursor);
		Self::deposit_event(Event::ProfitHeld { who: who.clone(), market, id, amount, due });
		Ok(())
	}

	/// Judges the held profits that fell due, oldest first, within `MaxHeldReleasesPerBlock`
	/// and the weight left. Returns how many were judged or held again.
	pub fn held_profit_pass(meter: &mut WeightMeter) -> u32 {
		let check = T::WeightInfo::release_held(0);
		if meter.try_consume(check).is_err() {
			return 0;
		}
		let start = HeldProfitCursor::<T>::get();
		if start.is_empty() {
			return 0;
		}
		let mut cursor = start;
		let now = frame_system::Pallet::<T>::block_number();
		let window = ProfitHoldWindow::<T>::get();
		let mut budget = T::MaxHeldReleasesPerBlock::get();
		let extra = |k| T::WeightInfo::release_held(k).saturating_sub(check);
		while budget > 0 && !meter.can_consume(extra(budget)) {
			budget -= 1;
		}
		let mut used = 0;
		while used < budget && cursor.head < cursor.next {
			let id = cursor.head;
			let Some(held) = HeldProfits::<T>::get(id) else {
				// A hole would be a bug; step over it rather than stall every later one.
				cursor.head = cursor.head.saturating_add(1);
				continue;
			};
			if held.due > now {
				break;
			}
			used += 1;
			cursor.head = cursor.head.saturating_add(1);
			HeldProfits::<T>::remove(id);
			let judged = match Self::verdict(&held) {
				Verdict::Wait => false,
				Verdict::At(price) => {
					frame_support::storage::with_storage_layer(|| Self::judge(id, &held, price))
						.inspect_err(|error| {
							log::warn!(target: LOG_TARGET, "held profit {id} not judged: {error:?}");
						})
						.is_ok()
				},
			};
			if !judged {
				// Held again, under a new number at the end of the line.
				let new_id = cursor.next;
				cursor.next = cursor.next.saturating_add(1);
				let due = now.saturating_add(window);
				Self::deposit_event(Event::ProfitHoldExtended {
					who: held.who.clone(),
					market: held.market,
					id,
					new_id,
					due,
				});
				HeldProfits::<T>::insert(new_id, HeldProfit { due, ..held });
			}
		}
		// Written only when it moved: records not yet due are looked at every block.
		if cursor != start {
			HeldProfitCursor::<T>::put(cursor);
		}
		// Room for this was checked above (`used` <= `budget`).
		meter.consume(extra(used));
		used
	}

	/// The unit price a held profit is judged at now, or whether it must wait.
	fn verdict(held: &HeldProfit<T::AccountId, BlockNumberFor<T>>) -> Verdict {
		let market = held.market;
		let settlement = Settlements::<T>::get(market).filter(|s| s.started_at >= held.since);
		if let Some(settlement) = settlement {
			return settlement
				.price
				.checked_mul(&held.value_scale)
				.map_or(Verdict::Wait, Verdict::At);
		}
		if !Markets::<T>::contains_key(market) {
			// Gone without a settlement on record (a new market with its id was created, which
			// removed the record): nothing can judge it above its fill.
			return Verdict::At(held.filled);
		}
		if T::Status::fill_bounds(market).is_some() {
			return Verdict::Wait;
		}
		let (Some(oracle), Some(twap)) = (T::Prices::price(market), T::Prices::twap(market)) else {
			return Verdict::Wait;
		};
		if oracle.status != PriceStatus::Fresh {
			return Verdict::Wait;
		}
		let price = if held.long { oracle.price.min(twap) } else { oracle.price.max(twap) };
		price.checked_mul(&held.value_scale).map_or(Verdict::Wait, Verdict::At)
	}

	/// Realizes what held profit `id` is worth at unit price `price` and releases the rest.
	fn judge(
		id: u64,
		held: &HeldProfit<T::AccountId, BlockNumberFor<T>>,
		price: FixedU128,
	) -> DispatchResult {
		// Never past the fill the flag stopped.
		let price = if held.long { price.min(held.unbounded) } else { price.max(held.unbounded) };
		let worth =
			Self::held_amount(held.long, held.size_units, held.filled, price)?.min(held.amount);
		let settlement = T::Ledger::release_held_profit(held.silo, &held.who, held.amount, worth)?;
		Self::deposit_event(Event::HeldProfitJudged {
			who: held.who.clone(),
			market: held.market,
			id,
			price,
			held: held.amount,
			paid: settlement.paid,
			claimed: settlement.claimed,
		});
		Ok(())
	}
}
