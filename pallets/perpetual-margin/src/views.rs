//! What the runtime API serves: each account's health, the liquidatable positions, the
//! stress test per silo, and the traders' net unrealized PnL per silo (which the silos use to
//! price LP shares).

use super::*;

impl<T: Config> Pallet<T> {
	/// Traders' net unrealized PnL against `silo` (positive: the pool owes them), at the last
	/// prices, or with every unit price of `shocked` markets multiplied by its factor. For the
	/// stress test; the pool's own view is [`Self::silo_marks`].
	pub(crate) fn net_trader_pnl_in(
		silo: SiloId,
		shock: Option<(Option<MarketId>, FixedU128)>,
	) -> SignedBalance {
		let mut total: SignedBalance = 0;
		for (market, state) in Markets::<T>::iter() {
			if state.silo != silo {
				continue;
			}
			let state = Self::with_accrual(market, state);
			let Some(mut price) = Self::unit_price_if_any(market, &state.params) else { continue };
			if let Some((target, factor)) = shock {
				if target.is_none_or(|target| target == market) {
					price = price.saturating_mul(factor);
				}
			}
			total = total.saturating_add(Self::market_pnl(&state, price).unwrap_or_default());
		}
		total
	}

	/// The net PnL of every position of a market at `price`, less the funding they owe, from
	/// the market's totals alone.
	pub(crate) fn market_pnl(state: &MarketOf<T>, price: FixedU128) -> Option<SignedBalance> {
		let interest = &state.open_interest;
		let longs = math::price_pnl(interest.long_size, price, interest.long_entry, true)?;
		let shorts = math::price_pnl(interest.short_size, price, interest.short_entry, false)?;
		let index = state.accrual.funding_index;
		let owed = Self::side_funding(interest, index, true)?
			.checked_add(Self::side_funding(interest, index, false)?)?;
		longs.checked_add(shorts)?.checked_sub(owed)
	}

	/// The funding a side owes at `index` (negative: it is owed funding).
	fn side_funding(
		interest: &OpenInterest,
		index: FixedI128,
		long: bool,
	) -> Option<SignedBalance> {
		let (size, basis) = if long {
			(SignedBalance::try_from(interest.long_size).ok()?, interest.long_basis)
		} else {
			(
				SignedBalance::try_from(interest.short_size).ok()?.checked_neg()?,
				interest.short_basis,
			)
		};
		math::funding_basis(size, index)?.checked_sub(basis)
	}

	/// One side of a market marked at what closing all of it at once would realize at `price`,
	/// funding it owes deducted: the fill walks the skew (price impact included, so skew the
	/// side itself built for a round trip cannot inflate it), and of two walks, from the skew as
	/// it is and from the side's own size alone (as if the other side were gone), the one that
	/// favours the side. The other side's traders can move the first walk by trading; they
	/// cannot move the second, and taking the side's better of the two means no round trip of
	/// theirs can make the pool look richer (less owed, more collectible) than it is.
	pub(crate) fn side_mark(state: &MarketOf<T>, price: FixedU128, long: bool) -> Option<SideMark> {
		let interest = &state.open_interest;
		let (size, entry, margin) = if long {
			(interest.long_size, interest.long_entry, interest.long_margin)
		} else {
			(interest.short_size, interest.short_entry, interest.short_margin)
		};
		if size == 0 {
			return Some(SideMark::default());
		}
		let magnitude = SignedBalance::try_from(size).ok()?;
		let (delta, alone) =
			if long { (magnitude.checked_neg()?, magnitude) } else { (magnitude, -magnitude) };
		let params = &state.params;
		let funding = Self::side_funding(interest, state.accrual.funding_index, long)?;
		let pnl_from = |skew: SignedBalance| -> Option<SignedBalance> {
			let fill =
				math::fill_price(price, skew, delta, params.skew_scale, params.max_price_impact)?;
			math::price_pnl(size, fill, entry, long)?.checked_sub(funding)
		};
		let pnl = pnl_from(interest.skew())?.max(pnl_from(alone)?);
		Some(SideMark { pnl, margin })
	}

	/// The unit prices the LPs' marks take a market's longs and shorts at: `price`, unless the
	/// market's price is Stale or Degraded (and it is not settling at a fixed price): then the
	/// longs at the higher and the shorts at the lower of it and the TWAP, which it may settle
	/// at. Both are the worse for the LPs (more owed, less collectible), so no LP leaves a dead
	/// market at a value its settlement will not give, nor at a price fewer feeders than the
	/// quorum made (a Degraded one, which a liar beside one honest feeder can move by 1%).
	pub(crate) fn stale_mark_prices(
		market: MarketId,
		params: &MarketParamsOf<T>,
		price: FixedU128,
	) -> (FixedU128, FixedU128) {
		let stale = T::Prices::price(market).is_some_and(|p| p.status != PriceStatus::Fresh);
		if !stale || Self::settling(market) {
			return (price, price);
		}
		match T::Prices::twap(market).and_then(|twap| Self::to_unit_price(twap, params).ok()) {
			Some(twap) => (price.max(twap), price.min(twap)),
			None => (price, price),
		}
	}

	/// What the winning sides of a market are owed at `price`: each side's profit, never
	/// netted against the other side's loss.
	fn owed_at(state: &MarketOf<T>, price: FixedU128) -> Option<Balance> {
		let long = Self::side_mark(state, price, true)?;
		let short = Self::side_mark(state, price, false)?;
		Some(long.pnl.max(0).unsigned_abs().saturating_add(short.pnl.max(0).unsigned_abs()))
	}

	/// `silo`'s pool marks ([`PoolMarks`]) at the last prices: per market side, what the
	/// winners are owed, what the losers' margin can pay, and what the winners would be owed
	/// after `adverse_move` up or down (the worse of the two), summed over the silo's markets
	/// as if all moved against the pool at once. A market whose marks overflow counts its
	/// whole open interest's value as owed, and nothing collectible: never in the LPs' favour.
	pub fn silo_marks(silo: SiloId, adverse_move: Permill) -> PoolMarks {
		let mut marks = PoolMarks::default();
		let up = FixedU128::one().saturating_add(math::fraction(adverse_move));
		let down = FixedU128::one().saturating_sub(math::fraction(adverse_move));
		for (market, state) in Markets::<T>::iter() {
			if state.silo != silo {
				continue;
			}
			let state = Self::with_accrual(market, state);
			let Some(price) = Self::unit_price_if_any(market, &state.params) else { continue };
			let (long_price, short_price) = Self::stale_mark_prices(market, &state.params, price);
			let market_marks = (|| {
				let long = Self::side_mark(&state, long_price, true)?;
				let short = Self::side_mark(&state, short_price, false)?;
				let owed =
					long.pnl.max(0).unsigned_abs().saturating_add(short.pnl.max(0).unsigned_abs());
				let collectible = [long, short]
					.iter()
					.map(|side| side.pnl.min(0).unsigned_abs().min(side.margin))
					.fold(0u128, |sum, part| sum.saturating_add(part));
				let reserve = Self::owed_at(&state, price.saturating_mul(up))?
					.max(Self::owed_at(&state, price.saturating_mul(down))?);
				Some(PoolMarks { owed, collectible, reserve })
			})()
			.unwrap_or_else(|| {
				let interest = &state.open_interest;
				let value = math::value(
					interest.long_size.saturating_add(interest.short_size),
					price,
					true,
				)
				.unwrap_or(Balance::MAX);
				PoolMarks { owed: value, collectible: 0, reserve: value }
			});
			marks.owed = marks.owed.saturating_add(market_marks.owed);
			marks.collectible = marks.collectible.saturating_add(market_marks.collectible);
			marks.reserve = marks.reserve.saturating_add(market_marks.reserve);
		}
		marks
	}

	/// Every position of `who`, with its health at the last oracle price.
	pub fn account_health(who: &T::AccountId) -> Vec<PositionHealth> {
		let mut report = Vec::new();
		for (market, position) in Positions::<T>::iter_prefix(who) {
			let Some(state) = Markets::<T>::get(market) else { continue };
			let state = Self::with_accrual(market, state);
			let Some(price) = Self::unit_price_if_any(market, &state.params) else { continue };
			let Ok(health) = Self::health(&state, &position, price) else { continue };
			let liquidation_price = math::liquidation_price(
				position.size_units,
				position.entry,
				position.margin,
				health.funding,
				health.maintenance_fraction,
			)
			.and_then(|unit| unit.checked_div(&state.params.value_scale));
			report.push(PositionHealth {
				market,
				silo: state.silo,
				size_units: position.size_units,
				entry: position.entry,
				margin: position.margin,
				equity: health.equity,
				pnl: health.pnl,
				funding_owed: health.funding,
				initial_requirement: health.initial,
				maintenance_requirement: health.maintenance,
				liquidation_price,
				liquidatable: health.liquidatable(),
			});
		}
		report
	}

	/// The positions liquidatable now, at the prices liquidations may act on (per side, what
	/// the breakers trust; markets whose price is too old to liquidate at are left out): the
	/// `count` (at most 1_000) after the first `start`, in the order the protocol's pass of the
	/// next block would take them (see [`Frontier`]). What a keeper may liquidate, and only
	/// that. Reads what is liquidatable, not every position.
	pub fn liquidatable(start: u32, count: u32) -> Vec<(T::AccountId, MarketId)> {
		let count = count.min(1_000) as usize;
		let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		Frontier::<T>::new(Markets::<T>::iter_keys(), true, next.saturated_into::<usize>())
			.skip(start as usize)
			.take(count)
			.map(|(_, who, market)| (who, market))
			.collect()
	}

	/// Every account with a position in `market`, by walking its deleverage books (a view: it
	/// reads them all).
	pub(crate) fn holders(market: MarketId) -> impl Iterator<Item = T::AccountId> {
		[true, false].into_iter().flat_map(move |long| {
			PositionIndex::<T>::iter_key_prefix(((market, Book::deleverage(long), 0u8),))
				.map(|(_, who)| who)
		})
	}

	/// What a price shock of `shock` (-0.3 = prices 30% lower; at least -1) to `market`, or to
	/// every market if `None`, would do to each silo with markets: the bad debt (negative
	/// equity) it would leave, the positions it would make liquidatable, the traders' net PnL,
	/// and the part of the bad debt the insurance fund could not pay.
	pub fn stress_test(market: Option<MarketId>, shock: FixedI128) -> Vec<SiloStress> {
		let factor = FixedI128::one().saturating_add(shock);
		let factor = if factor.is_negative() {
			FixedU128::zero()
		} else {
			FixedU128::from_inner(factor.into_inner().unsigned_abs())
		};
		let mut silos: BTreeMap<SiloId, SiloStress> = BTreeMap::new();
		for (id, state) in Markets::<T>::iter() {
			let stress = silos
				.entry(state.silo)
				.or_insert_with(|| SiloStress { silo: state.silo, ..Default::default() });
			if market.is_some_and(|target| target != id) {
				continue;
			}
			let state = Self::with_accrual(id, state);
			let Some(price) = Self::unit_price_if_any(id, &state.params) else { continue };
			let shocked = price.saturating_mul(factor);
			for who in Self::holders(id) {
				let Some(position) = Positions::<T>::get(&who, id) else { continue };
				let Ok(health) = Self::health(&state, &position, shocked) else { continue };
				if health.liquidatable() {
					stress.liquidatable = stress.liquidatable.saturating_add(1);
				}
				if health.equity < 0 {
					stress.bad_debt = stress.bad_debt.saturating_add(health.equity.unsigned_abs());
				}
			}
		}
		silos
			.into_values()
			.map(|mut stress| {
				let (insurance, _) = T::Ledger::insurance(stress.silo).unwrap_or_default();
				stress.insurance = insurance;
				stress.pool = T::Ledger::pool(stress.silo).unwrap_or_default();
				stress.trader_pnl = Self::net_trader_pnl_in(stress.silo, Some((market, factor)));
				stress.uncovered = stress.bad_debt.saturating_sub(insurance);
				stress
			})
			.collect()
	}
}
