//! Benchmarks of every call and of the price-update check, each in its worst case: full trader
//! lists, a full liquidation queue, funding to accrue, bad debt down the waterfall.

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
		size_tiers: BoundedVec::truncate_from(alloc::vec![SizeTier {
			min_notional: 1_000_000_000_000_000,
			factor: FixedU128::from_u32(2),
		}]),
		min_size: 1,
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

/// A fresh market at price 100 over a pool of `pool`, with no positions or queue anywhere.
fn market<T: Config>(pool: Balance) -> SiloId {
	let silo = T::BenchHelper::silo();
	let _ = Markets::<T>::clear(u32::MAX, None);
	let _ = Positions::<T>::clear(u32::MAX, None);
	let _ = Traders::<T>::clear(u32::MAX, None);
	LiquidationQueue::<T>::kill();
	Markets::<T>::insert(MARKET, Pallet::<T>::new_market(silo, bench_params::<T>()));
	T::BenchHelper::provide_liquidity(silo, &account("lp", 0, 0), pool);
	T::BenchHelper::set_price(MARKET, price(100));
	silo
}

/// `who` funded and holding `size` at the current price.
fn open<T: Config>(silo: SiloId, who: &T::AccountId, size: SignedBalance) {
	T::BenchHelper::fund(silo, who, MARGIN * 2);
	let limit = if size > 0 { price(u32::MAX) } else { FixedU128::zero() };
	Pallet::<T>::trade(RawOrigin::Signed(who.clone()).into(), MARKET, size, MARGIN, limit, false)
		.expect("benchmark position opens");
}

/// `count` other traders with positions alternating long and short.
fn others<T: Config>(silo: SiloId, count: u32) {
	for i in 0..count {
		let size = if i % 2 == 0 { SIZE } else { -SIZE };
		open::<T>(silo, &account("trader", i, 0), size);
	}
}

/// A full liquidation queue of positions in another market, so every removal scans it all.
fn fill_queue<T: Config>() {
	let queue = (0..T::MaxQueue::get())
		.map(|i| (account::<T::AccountId>("queued", i, 0), MARKET + 1))
		.collect::<Vec<_>>();
	LiquidationQueue::<T>::put(BoundedVec::truncate_from(queue));
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

	/// Closing a profitable position after funding accrued: profit, fee, release, removal from
	/// a full trader list and a full queue.
	#[benchmark]
	fn trade(n: Linear<1, { T::MaxPositionsPerMarket::get() }>) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		others::<T>(silo, n - 1);
		let caller: T::AccountId = whitelisted_caller();
		open::<T>(silo, &caller, SIZE);
		fill_queue::<T>();
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

	/// A full liquidation after a gap: the loss beyond margin down the waterfall, removal from a
	/// full trader list and a full queue, the silo's shortfall checked.
	#[benchmark]
	fn liquidate(n: Linear<1, { T::MaxPositionsPerMarket::get() }>) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		others::<T>(silo, n - 1);
		let victim: T::AccountId = account("victim", 0, 0);
		open::<T>(silo, &victim, SIZE);
		fill_queue::<T>();
		advance_blocks::<T>(100);
		T::BenchHelper::set_price(MARKET, price(50));
		let keeper: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(keeper), victim.clone(), MARKET);
		assert!(!Positions::<T>::contains_key(&victim, MARKET));
		Ok(())
	}

	/// `n` winning shorts over a pool that cannot pay them: rank all, close the most allowed.
	#[benchmark]
	fn deleverage(n: Linear<1, { T::MaxPositionsPerMarket::get() }>) -> Result<(), BenchmarkError> {
		let silo = market::<T>(1_000_000);
		for i in 0..n {
			open::<T>(silo, &account("winner", i, 0), -SIZE);
		}
		advance_blocks::<T>(10);
		T::BenchHelper::set_price(MARKET, price(50));
		assert!(!Pallet::<T>::silo_shortfall(silo).is_zero());
		let keeper: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(keeper), MARKET);
		let closed = n.min(T::MaxDeleveragePerCall::get());
		assert_eq!(Traders::<T>::decode_len(MARKET).unwrap_or(0) as u32, n - closed);
		Ok(())
	}

	/// `n` positions re-checked after a crash, each liquidatable and queued (as far as the queue
	/// goes).
	#[benchmark]
	fn on_price_update(
		n: Linear<1, { T::MaxPositionsPerMarket::get() }>,
	) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		for i in 0..n {
			open::<T>(silo, &account("long", i, 0), SIZE);
		}
		advance_blocks::<T>(10);
		T::BenchHelper::set_price(MARKET, price(60));
		let aggregate = Aggregate {
			price: price(60),
			round: 0,
			block: frame_system::Pallet::<T>::block_number(),
			volatility: T::Prices::volatility(MARKET).unwrap_or_default(),
		};
		#[block]
		{
			<Pallet<T> as OnPriceUpdate<_>>::on_price_update(MARKET, &aggregate);
		}
		assert_eq!(
			LiquidationQueue::<T>::decode_len().unwrap_or(0) as u32,
			n.min(T::MaxQueue::get())
		);
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

	/// The protocol's pass over `k` queued positions, each liquidated fully with bad debt in a
	/// market whose trader list is full.
	#[benchmark]
	fn on_poll(k: Linear<0, { T::MaxLiquidationsPerBlock::get() }>) -> Result<(), BenchmarkError> {
		let silo = market::<T>(DEEP_POOL);
		let traders = T::MaxPositionsPerMarket::get();
		others::<T>(silo, traders.saturating_sub(k));
		let victims: Vec<T::AccountId> = (0..k).map(|i| account("victim", i, 0)).collect();
		for victim in &victims {
			open::<T>(silo, victim, SIZE);
		}
		let queue = victims.iter().map(|victim| (victim.clone(), MARKET)).collect::<Vec<_>>();
		LiquidationQueue::<T>::put(BoundedVec::truncate_from(queue));
		advance_blocks::<T>(100);
		T::BenchHelper::set_price(MARKET, price(50));
		let liquidated;
		#[block]
		{
			liquidated = Pallet::<T>::drain_queue(&mut WeightMeter::new());
		}
		assert_eq!(liquidated, k);
		assert!(LiquidationQueue::<T>::get().is_empty());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
