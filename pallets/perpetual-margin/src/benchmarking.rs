//! Benchmarks of every call and of the price-update check, each in its worst case: the most
//! size tiers (so the most liquidation books), funding to accrue, bad debt down the waterfall;
//! the price-update check and the protocol's pass with up to 100,000 other positions in the
//! market, to show that their cost does not grow with them.

use super::*;
use bulwark_primitives::Aggregate;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use sp_runtime::Permill;

/// What the benchmarks need from the runtime: a silo, margin in it, and oracle prices.
pub trait BenchmarkHelper<AccountId> {
	/// A silo that exists.
	fn silo() -> SiloId;
	/// Gives `who` `amount` of free margin in `silo`.
	fn fund(silo: SiloId, who: &AccountId, amount: Balance);
	/// Adds `amount` to the silo's pool.
	fn provide_liquidity(silo: SiloId, who: &AccountId, amount: Balance);
	/// A Fresh oracle price for `market` in the current block.
	fn set_price(market: MarketId, price: FixedU128);
	/// Makes `market`'s price Stale now, if its age alone does not (the runtime's oracle
	/// decides by age; a stand-in may need telling).
	fn set_stale(_market: MarketId) {}
}

/// A market id no genesis uses.
const MARKET: MarketId = 900;
const SIZE: SignedBalance = 1_000;
/// Collateral units: the runtime's silos refuse amounts below one dollar (10^6).
const MARGIN: Balance = 10_000_000_000;
const DEEP_POOL: Balance = 10_000_000_000_000;

fn price(n: u32) -> FixedU128 {
	FixedU128::from_u32(n)
}

/// Roomy parameters: every limit far from the benchmarks' positions.
pub fn bench_params<T: Config>() -> MarketParamsOf<T> {
	MarketParams {
		// A 6-decimal collateral: one unit at price 100 is worth 100 * 10^6.
		value_scale: FixedU128::from_u32(1_000_000),
		max_leverage: FixedU128::from_u32(20),
		initial_margin: FixedU128::from_rational(5, 100),
		maintenance_margin: FixedU128::from_rational(3, 100),
		volatility_factor: FixedU128::from_u32(2),
		max_margin_step: FixedU128::from_rational(1, 1_000),
		// As many tiers as allowed, all above the benchmarks' positions.
		size_tiers: BoundedVec::truncate_from(
			(0..T::MaxTiers::get())
				.map(|tier| SizeTier {
					min_size: 10_000_000_000 + u128::from(tier),
					factor: FixedU128::from_u32(2),
				})
				.collect(),
		),
		min_size: 1,
		min_position_value: 1,
		max_position_size: 1_000_000_000,
		max_long_size: MAX_SIZE,
		max_short_size: MAX_SIZE,
		max_open_interest_to_pool: FixedU128::from_u32(1_000_000),
		skew_scale: 1_000_000_000,
		max_price_impact: FixedU128::from_rational(1, 10),
		max_funding_rate: FixedU128::from_rational(1, 10_000),
		max_funding_velocity: FixedU128::from_rational(1, 1_000_000),
		trading_fee: Permill::from_rational(1u32, 1_000u32),
		liquidation_penalty: Permill::from_percent(1),
		keeper_reward: Permill::from_rational(5u32, 1_000u32),
	}
}

/// A fresh market at price 100 over a pool of `pool`, with no positions or watched markets.
fn market<T: Config>(pool: Balance) -> SiloId {
	let silo = T::BenchHelper::silo();
	let _ = Markets::<T>::clear(u32::MAX, None);
	let _ = Positions::<T>::clear(u32::MAX, None);
	let _ = PositionIndex::<T>::clear(u32::MAX, None);
	Watched::<T>::kill();
	Markets::<T>::insert(MARKET, Pallet::<T>::new_market(silo, bench_params::<T>()));
	T::BenchHelper::provide_liquidity(silo, &account("lp", 0, 0), pool);
	T::BenchHelper::set_price(MARKET, price(100));
	silo
}

/// `who` funded and holding `size` at the current price.
fn open<T: Config>(silo: SiloId, who: &T::AccountId, size: SignedBalance) {
	open_in::<T>(MARKET, silo, who, size);
}

/// `who` funded and holding `size` in `market` at its current price.
fn open_in<T: Config>(market: MarketId, silo: SiloId, who: &T::AccountId, size: SignedBalance) {
	T::BenchHelper::fund(silo, who, MARGIN * 2);
	let limit = if size > 0 { price(u32::MAX) } else { FixedU128::zero() };
	Pallet::<T>::trade(RawOrigin::Signed(who.clone()).into(), market, size, MARGIN, limit, false)
		.expect("benchmark position opens");
}

/// `count` other traders with positions alternating long and short.
fn others<T: Config>(silo: SiloId, count: u32) {
	for i in 0..count {
		let size = if i % 2 == 0 { SIZE } else { -SIZE };
		open::<T>(silo, &account("trader", i, 0), size);
	}
}

/// `count` healthy positions in the market, written directly (opening them by trades would take
/// the benchmark hours): half long, half short, each with margin for its whole value, indexed
/// and counted in the open interest like any other.
fn seed<T: Config>(count: u32) {
	let Some(mut state) = Markets::<T>::get(MARKET) else { return };
	let index = state.accrual.funding_index;
	for i in 0..count {
		let who: T::AccountId = account("seed", i, 0);
		let size = if i % 2 == 0 { SIZE } else { -SIZE };
		// 1_000 units at 100 per unit (value scale 10^6), entries spread a little so the keys
		// differ.
		let entry = 100_000_000_000 + Balance::from(i);
		let position = Position { size_units: size, entry, margin: entry, funding_index: index };
		Positions::<T>::insert(&who, MARKET, position);
		Pallet::<T>::reindex(
			&who,
			MARKET,
			&state.params.size_tiers,
			&Default::default(),
			&position,
		);
		let _ = Pallet::<T>::count_position(&mut state.open_interest, &position, true);
	}
	Markets::<T>::insert(MARKET, state);
}

/// `m` markets (`MARKET` and the next ids) in `silo` at price 100, each with a long and a short.
fn markets_with_both_sides<T: Config>(silo: SiloId, m: u32) {
	for i in 0..m {
		let id = MARKET + i;
		if i > 0 {
			Markets::<T>::insert(id, Pallet::<T>::new_market(silo, bench_params::<T>()));
			T::BenchHelper::set_price(id, price(100));
		}
		open_in::<T>(id, silo, &account("long", i, 0), SIZE);
		open_in::<T>(id, silo, &account("short", i, 0), -SIZE);
	}
}

fn advance_blocks<T: Config>(blocks: u32) {
	let now = frame_system::Pallet::<T>::block_number();
	frame_system::Pallet::<T>::set_block_number(now.saturating_add(blocks.into()));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_market() -> Result<(), BenchmarkError> {
		let silo = T::BenchHelper::silo();
		let _ = Markets::<T>::clear(u32::MAX, None);
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, MARKET, silo, bench_params::<T>());
		assert!(Markets::<T>::contains_key(MARKET));
		Ok(())
	}

	#[benchmark]
	fn set_market_params() -> Result<(), BenchmarkError> {
		market::<T>(DEEP_POOL);
		advance_blocks::<T>(10);
		T::BenchHelper::set_price(MARKET, price(100));
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut params = bench_params::<T>();
		params.max_leverage = FixedU128::from_u32(10);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, MARKET, params);
		assert_eq!(Markets::<T>::get(MARKET).map(|m| m.params.max_leverage), Some(price(10)));
		Ok(())
	}

	/// Closing a profitable position after funding accrued: profit, fee, release, its two
	/// index places removed.
	#[benchmark]
	fn trade() -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		others::<T>(silo, 2);
		let caller: T::AccountId = whitelisted_caller();
		open::<T>(silo, &caller, SIZE);
		advance_blocks::<T>(100);
		T::BenchHelper::set_price(MARKET, price(110));
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), MARKET, -SIZE, 0, FixedU128::zero(), false);
		assert!(!Positions::<T>::contains_key(&caller, MARKET));
		Ok(())
	}

	#[benchmark]
	fn add_margin() -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		let caller: T::AccountId = whitelisted_caller();
		open::<T>(silo, &caller, SIZE);
		let before = Positions::<T>::get(&caller, MARKET).map(|p| p.margin).unwrap_or_default();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), MARKET, 1_000_000);
		assert_eq!(
			Positions::<T>::get(&caller, MARKET).map(|p| p.margin),
			Some(before + 1_000_000)
		);
		Ok(())
	}

	#[benchmark]
	fn remove_margin() -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		let caller: T::AccountId = whitelisted_caller();
		open::<T>(silo, &caller, SIZE);
		advance_blocks::<T>(100);
		T::BenchHelper::set_price(MARKET, price(100));
		#[extrinsic_call]
		_(RawOrigin::Signed(caller.clone()), MARKET, 1_000_000);
		Ok(())
	}

	/// A full liquidation after a gap: the loss beyond margin down the waterfall, its index
	/// places removed, the silo's shortfall checked.
	#[benchmark]
	fn liquidate() -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		others::<T>(silo, 2);
		let victim: T::AccountId = account("victim", 0, 0);
		open::<T>(silo, &victim, SIZE);
		advance_blocks::<T>(100);
		T::BenchHelper::set_price(MARKET, price(50));
		let keeper: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(keeper), victim.clone(), MARKET);
		assert!(!Positions::<T>::contains_key(&victim, MARKET));
		Ok(())
	}

	/// Twice `MaxDeleveragePerCall` winning shorts over a pool that cannot pay them: the top of
	/// both deleverage books read, the most allowed closed (twice: the trial is rolled back).
	#[benchmark]
	fn deleverage() -> Result<(), BenchmarkError> {
		let silo = market::<T>(1_000_000);
		let winners = 2 * T::MaxDeleveragePerCall::get();
		for i in 0..winners {
			open::<T>(silo, &account("winner", i, 0), -SIZE);
		}
		advance_blocks::<T>(10);
		T::BenchHelper::set_price(MARKET, price(50));
		assert!(!Pallet::<T>::silo_shortfall(silo).is_zero());
		let keeper: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(keeper), MARKET);
		let left = (0..winners)
			.filter(|i| {
				Positions::<T>::contains_key(account::<T::AccountId>("winner", *i, 0), MARKET)
			})
			.count() as u32;
		assert_eq!(left, winners - T::MaxDeleveragePerCall::get());
		Ok(())
	}

	/// A crash read after it by a market of `n` healthy positions and one liquidatable one in
	/// the last of its books: accrual, every book's first position, the market watched.
	#[benchmark]
	fn on_price_update(n: Linear<1_000, BENCHMARKED_POSITIONS>) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		seed::<T>(n);
		open::<T>(silo, &account("victim", 0, 0), -SIZE);
		advance_blocks::<T>(10);
		T::BenchHelper::set_price(MARKET, price(200));
		let aggregate = Aggregate {
			price: price(200),
			round: 0,
			block: frame_system::Pallet::<T>::block_number(),
			volatility: T::Prices::volatility(MARKET).unwrap_or_default(),
			spread: Default::default(),
			wide: false,
		};
		#[block]
		{
			<Pallet<T> as OnPriceUpdate<_>>::on_price_update(MARKET, &aggregate);
		}
		assert_eq!(Watched::<T>::get().into_inner(), alloc::vec![MARKET]);
		Ok(())
	}

	/// The silo's marks over `m` markets, each with a live price, a long and a short, and
	/// funding to accrue: what the silos read to price LP shares and the engine to tell whether
	/// deleveraging is due. Charged at `MaxMarkets`.
	#[benchmark]
	fn silo_marks(m: Linear<1, { T::MaxMarkets::get() }>) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		markets_with_both_sides::<T>(silo, m);
		advance_blocks::<T>(100);
		for i in 0..m {
			T::BenchHelper::set_price(MARKET + i, price(120));
		}
		let marks;
		#[block]
		{
			marks = Pallet::<T>::silo_marks(silo, Permill::from_percent(25));
		}
		assert!(!marks.owed.is_zero());
		Ok(())
	}

	/// The pool's check of a liquidatable position in a market whose funding and volatility
	/// add-on have blocks to catch up on.
	#[benchmark]
	fn check_liquidatable() -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		let victim: T::AccountId = account("victim", 0, 0);
		open::<T>(silo, &victim, SIZE);
		advance_blocks::<T>(100);
		T::BenchHelper::set_price(MARKET, price(50));
		let liquidatable;
		#[block]
		{
			liquidatable = Pallet::<T>::is_liquidatable(&victim, MARKET);
		}
		assert!(liquidatable);
		Ok(())
	}

	/// The protocol's pass over a watched market holding `n` healthy positions and `k`
	/// liquidatable ones, each liquidated fully with bad debt.
	#[benchmark]
	fn on_poll(
		k: Linear<0, { T::MaxLiquidationsPerBlock::get() }>,
		n: Linear<1_000, BENCHMARKED_POSITIONS>,
	) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		seed::<T>(n);
		for i in 0..k {
			open::<T>(silo, &account("victim", i, 0), SIZE);
		}
		Watched::<T>::put(BoundedVec::truncate_from(alloc::vec![MARKET]));
		advance_blocks::<T>(100);
		T::BenchHelper::set_price(MARKET, price(50));
		let liquidated;
		#[block]
		{
			liquidated = Pallet::<T>::liquidation_pass(&mut WeightMeter::new());
		}
		assert_eq!(liquidated, k);
		// A pass that used its whole capacity leaves the market watched: the next one looks.
		assert!(Watched::<T>::get().is_empty() || k == T::MaxLiquidationsPerBlock::get());
		Ok(())
	}

	/// Starting a settlement of a watched market with funding to accrue.
	#[benchmark]
	fn settle_market() -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		others::<T>(silo, 2);
		Watched::<T>::put(BoundedVec::truncate_from(alloc::vec![MARKET]));
		advance_blocks::<T>(100);
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, MARKET);
		assert_eq!(Settling::<T>::get().into_inner(), alloc::vec![MARKET]);
		Ok(())
	}

	#[benchmark]
	fn set_settlement_rules() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let rules = SettlementRules {
			settle_after_stale: 600u32.into(),
			exit_after_stale: 60u32.into(),
			exit_band: Permill::from_percent(3),
		};
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, rules);
		assert_eq!(Rules::<T>::get(), rules);
		Ok(())
	}

	/// The start of a block's check over `m` markets, each with positions and each Stale for
	/// `settle_after_stale` blocks: all of them start settling (the worst case).
	#[benchmark]
	fn settlement_check(m: Linear<1, { T::MaxMarkets::get() }>) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		Settling::<T>::kill();
		markets_with_both_sides::<T>(silo, m);
		advance_blocks::<T>(Rules::<T>::get().settle_after_stale.saturated_into());
		for i in 0..m {
			T::BenchHelper::set_stale(MARKET + i);
		}
		#[block]
		{
			Pallet::<T>::settle_stale_markets();
		}
		assert_eq!(Settling::<T>::get().len() as u32, m);
		Ok(())
	}

	/// A settlement batch of `k` steps in a market of `k` longs, each closed at half its entry
	/// price with bad debt down the waterfall (then the walk's end, the payout, the market's
	/// removal).
	#[benchmark]
	fn settle_positions(
		k: Linear<1, { T::MaxSettlementsPerBlock::get() }>,
	) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		for i in 0..k {
			open::<T>(silo, &account("loser", i, 0), SIZE);
		}
		advance_blocks::<T>(100);
		T::BenchHelper::set_price(MARKET, price(100));
		Settling::<T>::put(BoundedVec::truncate_from(alloc::vec![MARKET]));
		let now = frame_system::Pallet::<T>::block_number();
		Settlements::<T>::insert(
			MARKET,
			Settlement::new(price(50), SettlementReason::Governance, now),
		);
		#[block]
		{
			Pallet::<T>::settle_batch(MARKET, k);
		}
		let settlement = Settlements::<T>::get(MARKET).ok_or(BenchmarkError::Weightless)?;
		assert_eq!(settlement.closed, k);
		assert!(!settlement.bad_debt.is_zero());
		Ok(())
	}

	#[benchmark]
	fn set_profit_hold_window() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let window: BlockNumberFor<T> = 300u32.into();
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, window);
		assert_eq!(ProfitHoldWindow::<T>::get(), window);
		Ok(())
	}

	/// Judging `k` held profits that fell due at a Fresh, unflagged price, each in a market of
	/// its own (its state, price and breakers read afresh), each worth more than the pool holds
	/// (so each payment, after whatever the pool and its allowance pay, records a claim), each
	/// to an account with no margin in the silo yet. Up to `MaxMarkets` (one record per
	/// market); the weight charged for more extrapolates the per-market cost, an upper bound.
	#[benchmark]
	fn release_held(k: Linear<0, { T::MaxMarkets::get() }>) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		markets_with_both_sides::<T>(silo, k.max(1));
		let state = Pallet::<T>::market(MARKET).map_err(|_| BenchmarkError::Weightless)?;
		ProfitHoldWindow::<T>::put(BlockNumberFor::<T>::one());
		let _ = HeldProfits::<T>::clear(u32::MAX, None);
		HeldProfitCursor::<T>::kill();
		let scale = state.params.value_scale;
		let (filled, unbounded) = (price(50) * scale, price(200) * scale);
		// 10^9 units x 50 x 10^6 = 5 x 10^16 each, beyond the 10^13 pool.
		let size = 1_000_000_000u128;
		for i in 0..k {
			let who: T::AccountId = account("held", i, 0);
			let market = MARKET + i;
			Pallet::<T>::hold_profit(&who, market, &state, true, size, filled, unbounded)
				.map_err(|_| BenchmarkError::Weightless)?;
		}
		advance_blocks::<T>(1);
		for i in 0..k.max(1) {
			T::BenchHelper::set_price(MARKET + i, price(100));
		}
		#[block]
		{
			Pallet::<T>::held_profit_pass(&mut WeightMeter::new());
		}
		assert_eq!(HeldProfitCursor::<T>::get(), HeldCursor { head: k.into(), next: k.into() });
		assert!(k == 0 || !T::Ledger::claims(silo).is_zero());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
