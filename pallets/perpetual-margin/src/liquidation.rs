//! Liquidations first: watching the markets where a new aggregate made positions
//! liquidatable, the protocol's `on_poll` pass over them, `liquidate` itself (partial back to initial margin, else full; keeper,
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
		let Ok(price) = Self::liquidation_unit_price(
			market,
			state.silo,
			&state.params,
			position.size_units > 0,
		) else {
			return false;
		};
		let oracle = Self::unit_price_if_any(market, &state.params);
		Self::accrue(market, &mut state, oracle).is_ok()
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

	/// After a new aggregate: accrues the market at it and, if the first position of one of
	/// its liquidation books is liquidatable at its price, watches the market, so the next
	/// block's pass takes what is due. Reads the market and each book's first position only.
	pub(crate) fn watch_if_due(market: MarketId, aggregate: &Aggregate<BlockNumberFor<T>>) {
		let Some(mut state) = Markets::<T>::get(market) else { return };
		// A settling market's positions close at its settlement, whatever the price does.
		if Self::settling(market) {
			return;
		}
		// The aggregate as handed over: the engine does not read the oracle back. Each side is
		// judged at the price the breakers let its liquidations act on (they heard the
		// aggregate first: a move they hold back watches nothing).
		let Ok(price) = Self::to_unit_price(aggregate.price, &state.params) else { return };
		let Ok(prices) = Self::guarded_unit_prices(market, aggregate.price, &state.params) else {
			return;
		};
		if Self::accrue_with(&mut state, Some(price), aggregate.volatility).is_err() {
			log::warn!(target: LOG_TARGET, "market {market}: funding accrual overflows");
			return;
		}
		let due = Self::liquidation_books(market, state.params.size_tiers.len()).into_iter().any(
			|book| {
				let price = prices.of(book.1 == Book::LiquidateLongs);
				Self::next_in_book(book, None).is_some_and(|(who, _)| {
					Self::head_coverage(market, &state, price, &who).is_some()
				})
			},
		);
		Markets::<T>::insert(market, state);
		if due {
			let newly = Watched::<T>::mutate(|watched| {
				// Room is certain: every market fits.
				!watched.contains(&market) && watched.try_push(market).is_ok()
			});
			if newly {
				Self::deposit_event(Event::LiquidationsDue { market });
			}
		}
	}

	/// The protocol's pass over the watched markets: liquidates their liquidatable positions in
	/// the [`Frontier`]'s order (the silos in turns, starting from one that rotates each block;
	/// most underwater first within a silo), at most `MaxLiquidationsPerBlock` and as many as the
	/// meter's weight allows (by the benchmarked weight of the pass), charging the meter for
	/// the positions it tried. A position whose liquidation fails is passed over (its market
	/// stays watched, to try again); a market without a usable price waits, watched; a market
	/// whose books show nothing more due stops being watched. Returns how many positions it
	/// liquidated.
	pub fn liquidation_pass(meter: &mut WeightMeter) -> u32 {
		if Mode::<T>::get() != LiquidationMode::Prioritized {
			return 0;
		}
		let watched = Watched::<T>::get();
		if watched.is_empty() {
			return 0;
		}
		let markets = watched.len() as u32;
		// The most the meter leaves room for; charged at the end for what was done.
		let mut count = T::MaxLiquidationsPerBlock::get();
		while count > 0 && !meter.can_consume(Self::pass_weight(count, markets)) {
			count -= 1;
		}
		if count == 0 {
			return 0;
		}
		let rotation = frame_system::Pallet::<T>::block_number().saturated_into::<usize>();
		let mut frontier = Frontier::<T>::new(watched.iter().copied(), true, rotation);
		let (mut attempts, mut liquidated) = (0, 0);
		let mut failed: Vec<MarketId> = Vec::new();
		while attempts < count {
			let Some((_, who, market)) = frontier.next() else { break };
			attempts += 1;
			// A failed liquidation changes nothing: it runs in its own storage layer.
			match frame_support::storage::with_storage_layer(|| {
				Self::do_liquidate(None, &who, market)
			}) {
				Ok(()) => liquidated += 1,
				Err(error) => {
					log::debug!(target: LOG_TARGET, "liquidation in market {market} not done: {error:?}");
					failed.push(market);
				},
			}
		}
		// Room for this was checked above.
		meter.consume(Self::pass_weight(attempts, markets));
		// A market stays watched while anything in it failed: the next pass tries again.
		let cleared: Vec<MarketId> =
			frontier.cleared().into_iter().filter(|market| !failed.contains(market)).collect();
		if !cleared.is_empty() {
			Watched::<T>::mutate(|watched| watched.retain(|market| !cleared.contains(market)));
		}
		liquidated
	}

	/// The weight of a protocol pass of `count` liquidations over `markets` watched markets: the
	/// benchmarked pass (one market) plus, for each liquidation, the silo's marks it reads to
	/// tell whether deleveraging is due (the benchmark has one market; the marks read them
	/// all), and for each other market its state, price, status and the first position of each
	/// of its liquidation books (an index step and a position read each).
	pub fn pass_weight(count: u32, markets: u32) -> Weight {
		T::WeightInfo::on_poll(count, BENCHMARKED_POSITIONS)
			.saturating_add(
				<Self as PositionMarks>::marks_weight().saturating_mul(u64::from(count)),
			)
			.saturating_add(
				Self::market_heads_weight().saturating_mul(u64::from(markets.saturating_sub(1))),
			)
	}

	/// What reading one more watched market's heads costs the pass: the market, the oracle's
	/// price, parameters and volatility, the breakers' view, and per liquidation book (2 sides x
	/// (MaxTiers + 1)) an index step, a position, and its health (taken at 10 us, several
	/// times what `health` costs natively).
	pub fn market_heads_weight() -> Weight {
		let books = 2 * (u64::from(T::MaxTiers::get()) + 1);
		T::DbWeight::get()
			.reads(5 + 2 * books)
			.saturating_add(Weight::from_parts(10_000_000u64.saturating_mul(books), 0))
	}

	/// Liquidates `who`'s position in `market` for `keeper` (`None`: the protocol, whose
	/// reward goes to the insurance fund).
	pub(crate) fn do_liquidate(
		keeper: Option<&T::AccountId>,
		who: &T::AccountId,
		market: MarketId,
	) -> DispatchResult {
		let by = match keeper {
			Some(keeper) => ClosedBy::Keeper(keeper),
			None => ClosedBy::Protocol,
		};
		Self::close_liquidatable(by, who, market)
	}

	/// Closes a liquidatable position for `by`: a liquidation (partial back to initial margin,
	/// penalty and keeper reward), or its owner's whole close (`trade_position` sends it here;
	/// same price and checks, the trading fee instead of penalty and reward, at a fill no better
	/// than a trade's and within the owner's `acceptable_price`). So whenever a keeper may
	/// liquidate a position, its owner may close it.
	pub(crate) fn close_liquidatable(
		by: ClosedBy<'_, T::AccountId>,
		who: &T::AccountId,
		market: MarketId,
	) -> DispatchResult {
		let keeper = match by {
			ClosedBy::Keeper(keeper) => Some(keeper),
			ClosedBy::Owner { .. } => Some(who),
			ClosedBy::Protocol => None,
		};
		let mut state = Self::market(market)?;
		let position = Positions::<T>::get(who, market).ok_or(Error::<T>::NoPosition)?;
		let params = state.params.clone();
		let price =
			Self::liquidation_unit_price(market, state.silo, &params, position.size_units > 0)?;
		// Funding accrues at the oracle's price; the position is judged and filled at its side's.
		Self::accrue_to_now(market, &mut state)?;
		let health = Self::health(&state, &position, price)?;
		ensure!(health.liquidatable(), Error::<T>::NotLiquidatable);

		let size = position.size_units.unsigned_abs();
		let penalty_rate = math::fraction(params.liquidation_penalty);
		let reward_rate = math::fraction(params.keeper_reward);
		let (closing, price) = if let ClosedBy::Owner { acceptable_price } = by {
			// The owner sells a long (buys back a short) whole, at the worse for them of the
			// liquidation price and what a trade would fill at (the oracle's price, its impact,
			// the flag's bounds): never better than a healthy position's close.
			let long = position.size_units > 0;
			let oracle = Self::unit_price_if_any(market, &params).ok_or(Error::<T>::NoPrice)?;
			let delta = position.size_units.checked_neg().ok_or(Error::<T>::Overflow)?;
			let (traded, _) = Self::trade_fill(market, &state, oracle, delta, true)?;
			let fill = if long { price.min(traded) } else { price.max(traded) };
			let within = if long { fill >= acceptable_price } else { fill <= acceptable_price };
			ensure!(within, Error::<T>::PriceLimitExceeded);
			(size, fill)
		} else {
			let closing = math::liquidation_close_size(
				size,
				price,
				health.equity,
				health.initial_fraction,
				penalty_rate.saturating_add(reward_rate),
				params.min_size,
			)
			.ok_or(Error::<T>::Overflow)?;
			(closing, price)
		};
		let direction = if position.size_units > 0 { -1 } else { 1 };
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
		// An owner closing pays the trading fee, as far as the margin goes; a liquidation the
		// keeper's reward and the penalty.
		let (reward_share, penalty_share, fee) = match by {
			ClosedBy::Owner { .. } => {
				(Permill::zero(), Permill::zero(), params.trading_fee.mul_ceil(closed_value))
			},
			_ => (params.keeper_reward, params.liquidation_penalty, 0),
		};
		let fee = fee.min(margin);
		margin.saturating_reduce(fee);
		let reward = reward_share.mul_floor(closed_value).min(margin);
		margin.saturating_reduce(reward);
		let mut penalty = penalty_share.mul_floor(closed_value).min(margin);
		margin.saturating_reduce(penalty);
		// Without a keeper the reward is insurance too.
		let reward = if keeper.is_some() {
			reward
		} else {
			penalty = penalty.saturating_add(reward);
			0
		};
		let release = if fill.size_units == 0 { margin } else { 0 };
		margin.saturating_reduce(release);
		let after = Position {
			size_units: fill.size_units,
			entry: fill.entry,
			margin,
			funding_index: index,
		};
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
		if !fee.is_zero() {
			T::Ledger::charge_fee(silo, who, fee)?;
		}
		if !(penalty.is_zero() && reward.is_zero()) {
			T::Ledger::pay_liquidation(silo, who, penalty, keeper.unwrap_or(who), reward)?;
		}
		if !release.is_zero() {
			T::Ledger::release_margin(silo, who, release)?;
		}
		state.open_interest = interest;
		Self::store_position(who, market, &params.size_tiers, &position, &after);
		Markets::<T>::insert(market, state);
		Self::deposit_event(Event::Liquidated {
			who: who.clone(),
			market,
			keeper: keeper.cloned(),
			closed: closing,
			size_units: after.size_units,
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
	/// the most profit per unit (at most `MaxDeleveragePerCall`, from the sides' deleverage books), each paid its
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
		// Never at a price the breakers flag: closing winners would pay (or owe) them profit at
		// it, which is what the flag exists to stop. Deleveraging waits for the flag to clear;
		// meanwhile the silo pays profit only within its allowance.
		ensure!(T::Status::fill_bounds(market).is_none(), Error::<T>::PriceFlagged);
		// Winners are closed at the oracle's price, whatever the breakers hold back for
		// liquidations.
		let price = Self::to_unit_price(Self::usable_oracle_price(market, silo)?, &params)?;
		Self::accrue(market, &mut state, Some(price))?;
		Markets::<T>::insert(market, state.clone());
		let shortfall = Self::silo_shortfall(silo);
		ensure!(!shortfall.is_zero(), Error::<T>::SiloSolvent);

		let index = state.accrual.funding_index;
		// Each side's deleverage book lists its positions by profit per unit, the most first:
		// take its winners from the top, then the most profit per unit of both sides.
		let most = T::MaxDeleveragePerCall::get() as usize;
		let mut ranked: Vec<(FixedU128, T::AccountId, Position, Balance)> = Vec::new();
		for long in [true, false] {
			let book = (market, Book::deleverage(long), 0);
			let mut after = None;
			for _ in 0..most {
				let Some((who, raw)) = Self::next_in_book(book, after.take()) else { break };
				after = Some(raw);
				let Some(position) = Positions::<T>::get(&who, market) else { continue };
				// At the oracle price the close realizes exactly this.
				let delta = position.size_units.checked_neg().ok_or(Error::<T>::Overflow)?;
				let realized = Self::fill(&position, delta, price, index)?.realized;
				// The book is in order of profit per unit, but a small position's profit may
				// round to nothing: pass it, the walk is bounded anyway.
				if realized <= 0 {
					continue;
				}
				let per_unit = FixedU128::checked_from_rational(
					realized.unsigned_abs(),
					position.size_units.unsigned_abs(),
				)
				.unwrap_or(FixedU128::from_inner(u128::MAX));
				ranked.push((per_unit, who, position, realized.unsigned_abs()));
			}
		}
		ensure!(!ranked.is_empty(), Error::<T>::NothingToDeleverage);
		// Most profit per unit first; longs before shorts among equals (stable sort).
		ranked.sort_by_key(|entry| core::cmp::Reverse(entry.0));
		ranked.truncate(most);
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
			Self::store_position(who, market, &state.params.size_tiers, position, &after);
			Self::deposit_event(Event::Deleveraged {
				who: who.clone(),
				market,
				size_units: position.size_units,
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

/// Who closes a liquidatable position.
#[derive(Clone, Copy)]
pub(crate) enum ClosedBy<'a, AccountId> {
	/// The protocol's pass or a validator's authorized transaction.
	Protocol,
	/// A signed keeper, paid its reward.
	Keeper(&'a AccountId),
	/// Its owner, whole, at a price no worse than theirs.
	Owner { acceptable_price: FixedU128 },
}
