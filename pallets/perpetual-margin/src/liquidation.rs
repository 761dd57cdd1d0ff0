//! Liquidations first: queueing what a new aggregate made liquidatable, the protocol's
//! `on_poll` pass, `liquidate` itself (partial back to initial margin, else full; keeper,
//! penalty, bad debt down the silo's waterfall), its pool validation (`authorize`), and
//! auto-deleveraging when a silo cannot back its traders' profit.

use super::*;
use bulwark_primitives::Aggregate;

impl<T: Config> Pallet<T> {
	/// Operational while the priority layers are on (liquidations may use the block space
	/// normal transactions cannot); an ordinary Normal transaction otherwise.
	pub fn liquidation_class() -> DispatchClass {
		match Mode::<T>::get() {
			LiquidationMode::Prioritized => DispatchClass::Operational,
			LiquidationMode::Unprioritized => DispatchClass::Normal,
		}
	}

	/// Whether `liquidate(who, market)` would succeed now: the same price, breaker and health
	/// checks as the liquidation itself, without writing anything.
	pub fn is_liquidatable(who: &T::AccountId, market: MarketId) -> bool {
		let Some(mut state) = Markets::<T>::get(market) else { return false };
		let Some(position) = Positions::<T>::get(who, market) else { return false };
		let Ok(price) = Self::liquidation_unit_price(market, state.silo, &state.params) else {
			return false;
		};
		Self::accrue(market, &mut state, Some(price)).is_ok()
			&& Self::health(&state, &position, price).is_ok_and(|health| health.liquidatable())
	}

	/// What the pool learns of a verified liquidation: the top priority, and a tag per position
	/// so that one liquidation of it, signed or not, waits in the pool at a time.
	pub fn liquidation_validity(who: &T::AccountId, market: MarketId) -> TransactionValidity {
		ValidTransaction::with_tag_prefix("BulwarkLiquidation")
			.priority(T::LiquidationPriority::get())
			.and_provides((who, market))
			// Prices move every block or two; a liquidation not in a block by then is re-checked
			// by whoever submits it again.
			.longevity(LIQUIDATION_LONGEVITY)
			.propagate(true)
			.build()
	}

	/// Pool (and block) validation of an unsigned `liquidate`: only a position liquidatable now,
	/// and only while the priority layers are on.
	pub(crate) fn authorize_liquidate(
		_source: TransactionSource,
		who: &T::AccountId,
		market: &MarketId,
	) -> TransactionValidityWithRefund {
		if Mode::<T>::get() != LiquidationMode::Prioritized {
			return Err(InvalidTransaction::Call.into());
		}
		if !Self::is_liquidatable(who, *market) {
			return Err(InvalidTransaction::Custom(NOT_LIQUIDATABLE).into());
		}
		Ok((Self::liquidation_validity(who, *market)?, Weight::zero()))
	}

	/// Re-checks the positions of `market` at its new price and queues the liquidatable ones.
	pub(crate) fn queue_liquidatable(market: MarketId, aggregate: &Aggregate<BlockNumberFor<T>>) {
		let Some(mut state) = Markets::<T>::get(market) else { return };
		// The aggregate as handed over: the engine does not read the oracle back.
		let Ok(price) = Self::to_unit_price(aggregate.price, &state.params) else { return };
		if Self::accrue_with(&mut state, Some(price), aggregate.volatility).is_err() {
			log::warn!(target: LOG_TARGET, "market {market}: funding accrual overflows");
			return;
		}
		let mut queue = LiquidationQueue::<T>::get();
		// (equity / maintenance requirement, account) of each newly liquidatable position.
		let mut found = Vec::new();
		for who in Traders::<T>::get(market) {
			let Some(position) = Positions::<T>::get(&who, market) else { continue };
			let Ok(health) = Self::health(&state, &position, price) else { continue };
			if health.liquidatable() && !queue.contains(&(who.clone(), market)) {
				found.push((health.coverage(), who));
			}
		}
		// Most underwater first (a stable sort keeps the trader order among equals); what does
		// not fit the queue is left to the keepers.
		found.sort_by_key(|(coverage, _)| *coverage);
		let mut queued = Vec::new();
		for (_, who) in found {
			if queue.try_push((who.clone(), market)).is_err() {
				break;
			}
			queued.push((who, market));
		}
		LiquidationQueue::<T>::put(queue);
		Markets::<T>::insert(market, state);
		for (who, market) in queued {
			Self::deposit_event(Event::LiquidationQueued { who, market });
		}
	}

	/// The protocol's pass: liquidates queued positions, oldest first, at most
	/// `MaxLiquidationsPerBlock` and as many as the meter's weight allows (by the benchmarked
	/// weight of the pass). A queued position that is healthy again or gone leaves the queue; one
	/// whose price the breakers judge too old moves to the back, to be tried when a price
	/// returns. Returns how many positions it liquidated.
	pub fn drain_queue(meter: &mut WeightMeter) -> u32 {
		let prioritized = Mode::<T>::get() == LiquidationMode::Prioritized;
		let queue = if prioritized { LiquidationQueue::<T>::get() } else { Default::default() };
		let mut count = T::MaxLiquidationsPerBlock::get().min(queue.len() as u32);
		while count > 0 && !meter.can_consume(Self::pass_weight(count)) {
			count -= 1;
		}
		if meter.try_consume(Self::pass_weight(count)).is_err() {
			return 0;
		}
		let mut liquidated = 0;
		for (who, market) in queue.into_iter().take(count as usize) {
			// A failed liquidation changes nothing: it runs in its own storage layer.
			let outcome = frame_support::storage::with_storage_layer(|| {
				Self::do_liquidate(None, &who, market)
			});
			match outcome {
				Ok(()) => liquidated += 1,
				Err(error) => {
					let entry = (who, market);
					LiquidationQueue::<T>::mutate(|queue| {
						queue.retain(|queued| *queued != entry);
						if error == Error::<T>::PriceUnusable.into() {
							// Room is certain: the entry was just taken out.
							let _ = queue.try_push(entry.clone());
						}
					});
					log::debug!(target: LOG_TARGET, "queued liquidation not done: {error:?}");
				},
			}
		}
		liquidated
	}

	/// The weight of a protocol pass of `count` liquidations: the benchmarked pass plus, for
	/// each, the silo's marks it reads to tell whether deleveraging is due (the benchmark has
	/// one market; the marks read them all).
	pub fn pass_weight(count: u32) -> Weight {
		T::WeightInfo::on_poll(count).saturating_add(
			<Self as PositionMarks>::marks_weight().saturating_mul(u64::from(count)),
		)
	}

	/// Liquidates `who`'s position in `market` for `keeper` (`None`: the protocol, whose
	/// reward goes to the insurance fund).
	pub(crate) fn do_liquidate(
		keeper: Option<&T::AccountId>,
		who: &T::AccountId,
		market: MarketId,
	) -> DispatchResult {
		let mut state = Self::market(market)?;
		let position = Positions::<T>::get(who, market).ok_or(Error::<T>::NoPosition)?;
		let params = state.params.clone();
		let price = Self::liquidation_unit_price(market, state.silo, &params)?;
		Self::accrue(market, &mut state, Some(price))?;
		let health = Self::health(&state, &position, price)?;
		ensure!(health.liquidatable(), Error::<T>::NotLiquidatable);

		let size = position.size.unsigned_abs();
		let penalty_rate = math::fraction(params.liquidation_penalty);
		let reward_rate = math::fraction(params.keeper_reward);
		let closing = math::liquidation_close_size(
			size,
			price,
			health.equity,
			health.initial_fraction,
			penalty_rate.saturating_add(reward_rate),
			params.min_size,
		)
		.ok_or(Error::<T>::Overflow)?;
		let direction = if position.size > 0 { -1 } else { 1 };
		let delta = (closing as SignedBalance).saturating_mul(direction);
		let index = state.accrual.funding_index;
		let fill = Self::fill(&position, delta, price, index)?;

		// The position's margin pays its loss, then the keeper, then the penalty.
		let mut margin = position.margin;
		let loss = if fill.realized < 0 { fill.realized.unsigned_abs() } else { 0 };
		let loss_from_margin = loss.min(margin);
		margin.saturating_reduce(loss_from_margin);
		let bad_debt = loss.saturating_sub(loss_from_margin);
		let closed_value = math::value(closing, price, false).ok_or(Error::<T>::Overflow)?;
		let reward = params.keeper_reward.mul_floor(closed_value).min(margin);
		margin.saturating_reduce(reward);
		let mut penalty = params.liquidation_penalty.mul_floor(closed_value).min(margin);
		margin.saturating_reduce(penalty);
		// Without a keeper the reward is insurance too.
		let reward = if keeper.is_some() {
			reward
		} else {
			penalty = penalty.saturating_add(reward);
			0
		};
		let release = if fill.size == 0 { margin } else { 0 };
		margin.saturating_reduce(release);
		let after = Position { size: fill.size, entry: fill.entry, margin, funding_index: index };
		let interest = Self::moved_interest(&state.open_interest, &position, &after)?;

		let silo = state.silo;
		if fill.realized > 0 {
			Self::settle_realized(silo, who, fill.realized)?;
		}
		if !loss_from_margin.is_zero() {
			T::Ledger::realize_loss(silo, who, loss_from_margin)?;
		}
		if !bad_debt.is_zero() {
			T::Ledger::cover_bad_debt(silo, bad_debt)?;
		}
		if !(penalty.is_zero() && reward.is_zero()) {
			T::Ledger::pay_liquidation(silo, who, penalty, keeper.unwrap_or(who), reward)?;
		}
		if !release.is_zero() {
			T::Ledger::release_margin(silo, who, release)?;
		}
		state.open_interest = interest;
		Self::store_position(who, market, &position, &after)?;
		LiquidationQueue::<T>::mutate(|queue| {
			queue.retain(|(account, queued)| !(account == who && *queued == market))
		});
		Markets::<T>::insert(market, state);
		Self::deposit_event(Event::Liquidated {
			who: who.clone(),
			market,
			keeper: keeper.cloned(),
			closed: closing,
			size: after.size,
			price,
			realized: fill.realized,
			penalty,
			reward,
			bad_debt,
		});
		let shortfall = Self::silo_shortfall(silo);
		if !shortfall.is_zero() {
			Self::deposit_event(Event::DeleverageNeeded { market, silo, shortfall });
		}
		Ok(())
	}

	/// How far the silo falls short of what it owes its traders: their claims and what the
	/// winning market sides are owed, less the pool and what the losing sides' margin can pay
	/// ([`Self::silo_marks`], at the last prices); zero when it can pay them all.
	pub fn silo_shortfall(silo: SiloId) -> Balance {
		let marks = Self::silo_marks(silo, Permill::zero());
		let owed = marks.owed.saturating_add(T::Ledger::claims(silo));
		let assets = T::Ledger::pool(silo).unwrap_or_default().saturating_add(marks.collectible);
		owed.saturating_sub(assets)
	}

	/// One step of auto-deleveraging in `market`: closes, at the oracle price, the winners with
	/// the highest profit share times leverage (at most `MaxDeleveragePerCall`), each paid its
	/// profit less the same haircut. The haircut is measured, not guessed: the closes are first
	/// tried paying every profit in full (and rolled back), which gives the shortfall they would
	/// leave, `s'` (closing moves the skew and so the other positions' marks); then each winner
	/// forfeits its share of `min(s', their total profit)`, which closes the shortfall if their
	/// profit can (what is kept moves the pool or the claims one for one). What is kept is paid
	/// as far as the pool goes and claimed beyond. The step must leave the shortfall strictly
	/// smaller, or nothing happens.
	pub(crate) fn do_deleverage(market: MarketId) -> DispatchResult {
		let mut state = Self::market(market)?;
		let params = state.params.clone();
		let silo = state.silo;
		let price = Self::liquidation_unit_price(market, silo, &params)?;
		Self::accrue(market, &mut state, Some(price))?;
		Markets::<T>::insert(market, state.clone());
		let shortfall = Self::silo_shortfall(silo);
		ensure!(!shortfall.is_zero(), Error::<T>::SiloSolvent);

		let index = state.accrual.funding_index;
		let mut ranked: Vec<(FixedU128, T::AccountId, Position, Balance)> = Vec::new();
		for who in Traders::<T>::get(market) {
			let Some(position) = Positions::<T>::get(&who, market) else { continue };
			let health = Self::health(&state, &position, price)?;
			let profit = health.pnl.saturating_sub(health.funding);
			let Some(score) =
				math::adl_score(profit, position.entry, health.notional, health.equity)
			else {
				continue;
			};
			// At the oracle price the close realizes exactly this profit.
			let delta = position.size.checked_neg().ok_or(Error::<T>::Overflow)?;
			let realized = Self::fill(&position, delta, price, index)?.realized;
			if realized > 0 {
				ranked.push((score, who, position, realized.unsigned_abs()));
			}
		}
		ensure!(!ranked.is_empty(), Error::<T>::NothingToDeleverage);
		// Highest score first; the market's trader order breaks ties (stable sort).
		ranked.sort_by_key(|entry| core::cmp::Reverse(entry.0));
		ranked.truncate(T::MaxDeleveragePerCall::get() as usize);
		let total: Balance =
			ranked.iter().fold(0u128, |sum, (_, _, _, profit)| sum.saturating_add(*profit));

		let left_if_paid_in_full = frame_support::storage::with_transaction(|| {
			let outcome = Self::close_ranked(market, state.clone(), &ranked, price, |_| 0)
				.map(|()| Self::silo_shortfall(silo));
			frame_support::storage::TransactionOutcome::Rollback(outcome)
		})?;
		Self::close_ranked(market, state, &ranked, price, |profit| {
			math::haircut(profit, left_if_paid_in_full, total).unwrap_or(profit)
		})?;
		ensure!(Self::silo_shortfall(silo) < shortfall, Error::<T>::DeleverageIneffective);
		Ok(())
	}

	/// Closes each of `ranked` (score, owner, position, profit at `price`) at `price`, paying
	/// its profit less `forfeit(profit)`, releasing its margin, and writes the market.
	fn close_ranked(
		market: MarketId,
		mut state: MarketOf<T>,
		ranked: &[(FixedU128, T::AccountId, Position, Balance)],
		price: FixedU128,
		forfeit: impl Fn(Balance) -> Balance,
	) -> DispatchResult {
		let silo = state.silo;
		let index = state.accrual.funding_index;
		for (_, who, position, profit) in ranked {
			let forfeited = forfeit(*profit).min(*profit);
			let kept = profit.saturating_sub(forfeited);
			let after = Position { funding_index: index, ..Default::default() };
			let (paid, claimed) = Self::settle_realized(silo, who, kept as SignedBalance)?;
			if !position.margin.is_zero() {
				T::Ledger::release_margin(silo, who, position.margin)?;
			}
			state.open_interest = Self::moved_interest(&state.open_interest, position, &after)?;
			Self::store_position(who, market, position, &after)?;
			Self::deposit_event(Event::Deleveraged {
				who: who.clone(),
				market,
				size: position.size,
				price,
				profit: *profit,
				paid,
				claimed,
				forfeited,
			});
		}
		Markets::<T>::insert(market, state);
		Ok(())
	}
}
