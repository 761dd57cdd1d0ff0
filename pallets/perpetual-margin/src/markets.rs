//! Markets and the prices each rule may act on: creation, the bounds of governed parameters,
//! and the unit price a trade (Fresh only), a liquidation (per side, what the breakers still
//! trust) or a view (the last known) uses.

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn market(market: MarketId) -> Result<MarketOf<T>, DispatchError> {
		Markets::<T>::get(market).ok_or_else(|| Error::<T>::UnknownMarket.into())
	}

	pub(crate) fn new_market(silo: SiloId, params: MarketParamsOf<T>) -> MarketOf<T> {
		Market {
			silo,
			params,
			open_interest: Default::default(),
			accrual: Accrual {
				at: frame_system::Pallet::<T>::block_number(),
				..Default::default()
			},
		}
	}

	/// Bounds of market parameters: a positive value scale, leverage at least 1, margin
	/// fractions `0 < maintenance < initial <= 1`, penalty plus reward below the initial
	/// fraction (so a partial liquidation can restore it), ascending tiers with non-decreasing
	/// factors of at least 1, `0 < min_size <= max_position_size <= MAX_SIZE`, caps within
	/// `MAX_SIZE`, a positive skew scale, a price impact below 100%, a positive open-interest
	/// to pool ratio, and a funding rate and velocity of at most 100% a block. FixedU128's
	/// largest velocity was accepted and made every later accrual overflow; since
	/// `set_market_params` accrues under the old parameters first, nothing but a runtime
	/// upgrade brought the market back (trades, liquidations and settlement all accrue). The
	/// funding index is absolute, so a bounded rate at an enormous value scale still overflows
	/// it in time (at a unit price of 6.7e19, three blocks at 100%): keep the value scale near
	/// the collateral's units per size unit.
	pub fn ensure_valid_params(params: &MarketParamsOf<T>) -> DispatchResult {
		let one = FixedU128::one();
		let costs = math::fraction(params.liquidation_penalty.saturating_add(params.keeper_reward));
		let tiers_ascend = params
			.size_tiers
			.windows(2)
			.all(|pair| pair[0].min_size < pair[1].min_size && pair[0].factor <= pair[1].factor);
		ensure!(
			!params.value_scale.is_zero()
				&& params.max_leverage >= one
				&& !params.maintenance_margin.is_zero()
				&& params.maintenance_margin < params.initial_margin
				&& params.initial_margin <= one
				&& costs < params.initial_margin
				&& tiers_ascend
				&& params.size_tiers.iter().all(|tier| tier.factor >= one)
				&& !params.min_size.is_zero()
				&& params.min_size <= params.max_position_size
				&& params.max_position_size <= MAX_SIZE
				&& params.max_long_size <= MAX_SIZE
				&& params.max_short_size <= MAX_SIZE
				&& !params.skew_scale.is_zero()
				&& params.skew_scale <= MAX_SIZE
				&& params.max_price_impact < one
				&& !params.max_open_interest_to_pool.is_zero()
				&& params.max_funding_rate <= one
				&& params.max_funding_velocity <= one,
			Error::<T>::InvalidParams
		);
		Ok(())
	}

	/// Collateral units per size unit at an oracle price.
	pub(crate) fn to_unit_price(
		price: FixedU128,
		params: &MarketParamsOf<T>,
	) -> Result<FixedU128, DispatchError> {
		ensure!(!price.is_zero(), Error::<T>::NoPrice);
		let unit = price.checked_mul(&params.value_scale).ok_or(Error::<T>::Overflow)?;
		ensure!(!unit.is_zero(), Error::<T>::NoPrice);
		Ok(unit)
	}

	/// The unit price to trade at: Fresh only.
	pub(crate) fn fresh_unit_price(
		market: MarketId,
		params: &MarketParamsOf<T>,
	) -> Result<FixedU128, DispatchError> {
		let oracle = T::Prices::price(market).ok_or(Error::<T>::NoPrice)?;
		ensure!(oracle.status == PriceStatus::Fresh, Error::<T>::StalePrice);
		Self::to_unit_price(oracle.price, params)
	}

	/// The unit prices to liquidate longs and shorts at: while the breakers let liquidations
	/// act on the market's price at all, the oracle's price, unless they hold it back (a move
	/// beyond the band not yet confirmed, a wide round: then the prices they still trust, see
	/// [`TradingStatus::liquidation_price`]).
	pub(crate) fn liquidation_unit_prices(
		market: MarketId,
		silo: SiloId,
		params: &MarketParamsOf<T>,
	) -> Result<SidePrices, DispatchError> {
		let oracle = Self::usable_oracle_price(market, silo)?;
		Self::guarded_unit_prices(market, oracle, params)
	}

	/// The oracle's price, while the breakers let liquidations act on the market at all.
	pub(crate) fn usable_oracle_price(
		market: MarketId,
		silo: SiloId,
	) -> Result<FixedU128, DispatchError> {
		Self::ensure_not_settling(market)?;
		let oracle = T::Prices::price(market).ok_or(Error::<T>::NoPrice)?;
		if !T::Status::allows(market, silo, TradeAction::Liquidate) {
			return Err(if T::Status::market_status(market) == MarketStatus::Halted {
				Error::<T>::MarketHalted
			} else {
				Error::<T>::PriceUnusable
			}
			.into());
		}
		Ok(oracle.price)
	}

	/// The unit prices liquidations of each side act on, given the oracle's `price`.
	pub(crate) fn guarded_unit_prices(
		market: MarketId,
		price: FixedU128,
		params: &MarketParamsOf<T>,
	) -> Result<SidePrices, DispatchError> {
		let side = |long| {
			let guarded = T::Status::liquidation_price(market, long).unwrap_or(price);
			Self::to_unit_price(guarded, params)
		};
		Ok(SidePrices { long: side(true)?, short: side(false)? })
	}

	/// The unit price to liquidate a long (`long`) or a short at.
	pub(crate) fn liquidation_unit_price(
		market: MarketId,
		silo: SiloId,
		params: &MarketParamsOf<T>,
		long: bool,
	) -> Result<FixedU128, DispatchError> {
		Ok(Self::liquidation_unit_prices(market, silo, params)?.of(long))
	}

	/// The last known unit price, whatever its age: for views and accrual.
	/// A market being settled is valued at its settlement price.
	pub(crate) fn unit_price_if_any(
		market: MarketId,
		params: &MarketParamsOf<T>,
	) -> Option<FixedU128> {
		let price = if Self::settling(market) {
			Settlements::<T>::get(market)?.price
		} else {
			T::Prices::price(market)?.price
		};
		Self::to_unit_price(price, params).ok()
	}

	/// `create_market`: a new market in an existing silo, within `MaxMarkets`, with valid
	/// parameters.
	pub(crate) fn do_create_market(
		market: MarketId,
		silo: SiloId,
		params: MarketParamsOf<T>,
	) -> DispatchResult {
		ensure!(!Markets::<T>::contains_key(market), Error::<T>::MarketExists);
		ensure!(Markets::<T>::count() < T::MaxMarkets::get(), Error::<T>::TooManyMarkets);
		ensure!(T::Ledger::pool(silo).is_some(), Error::<T>::UnknownSilo);
		Self::ensure_valid_params(&params)?;
		// A new market under a settled one's id: the old record goes.
		Settlements::<T>::remove(market);
		Markets::<T>::insert(market, Self::new_market(silo, params));
		Self::deposit_event(Event::MarketCreated { market, silo });
		Ok(())
	}

	/// `set_market_params`: funding accrued to now under the old parameters, then the new ones.
	/// The size tiers and the value scale stay while the market has positions.
	pub(crate) fn do_set_market_params(
		market: MarketId,
		params: MarketParamsOf<T>,
	) -> DispatchResult {
		let mut state = Self::market(market)?;
		Self::ensure_not_settling(market)?;
		Self::ensure_valid_params(&params)?;
		let open = state.open_interest.long_size != 0 || state.open_interest.short_size != 0;
		ensure!(!open || params.size_tiers == state.params.size_tiers, Error::<T>::TiersLocked);
		// Entry values are in collateral at the old scale: a new one would pay one side what
		// the other loses, out of nothing.
		ensure!(
			!open || params.value_scale == state.params.value_scale,
			Error::<T>::ValueScaleLocked
		);
		Self::accrue_to_now(market, &mut state)?;
		state.params = params;
		Markets::<T>::insert(market, state);
		Self::deposit_event(Event::MarketParamsSet { market });
		Ok(())
	}
}
