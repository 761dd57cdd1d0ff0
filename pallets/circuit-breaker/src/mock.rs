//! A test runtime: System and the breakers, with the oracle's prices and the silos' health set
//! by each test.

use crate as pallet_circuit_breaker;
use bulwark_primitives::{
	Balance, MarketId, OraclePrice, PriceFeed, PriceStatus, SiloHealth, SiloId,
};
use frame_support::{
	derive_impl, ord_parameter_types,
	traits::{ConstU32, Hooks},
};
use frame_system::{EnsureRoot, EnsureSignedBy};
use sp_runtime::{BuildStorage, FixedU128};
use std::{cell::RefCell, collections::BTreeMap};

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Breakers = pallet_circuit_breaker;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

thread_local! {
	/// Per market: the price and the block of its last aggregate, and whether it is Stale.
	static PRICES: RefCell<BTreeMap<MarketId, (FixedU128, u64, bool)>> = const { RefCell::new(BTreeMap::new()) };
	/// Per silo: insurance fund, its target, the pool.
	static SILOS: RefCell<BTreeMap<SiloId, (Balance, Balance, Balance)>> = const { RefCell::new(BTreeMap::new()) };
}

/// Sets a market's oracle price as aggregated in `block`, Fresh.
pub fn set_price(market: MarketId, units: u64, block: u64) {
	PRICES
		.with(|p| p.borrow_mut().insert(market, (FixedU128::from_u32(units as u32), block, false)));
}

/// Marks a market's price Stale (keeping the price and its block).
pub fn set_stale(market: MarketId) {
	PRICES.with(|p| {
		if let Some(entry) = p.borrow_mut().get_mut(&market) {
			entry.2 = true;
		}
	});
}

pub fn set_silo(silo: SiloId, insurance: Balance, target: Balance, pool: Balance) {
	SILOS.with(|s| s.borrow_mut().insert(silo, (insurance, target, pool)));
}

pub struct MockPrices;
impl PriceFeed<u64> for MockPrices {
	fn price(market: MarketId) -> Option<OraclePrice<u64>> {
		let (price, block, stale) = PRICES.with(|p| p.borrow().get(&market).copied())?;
		let age = System::block_number().saturating_sub(block);
		let status = if stale { PriceStatus::Stale } else { PriceStatus::Fresh };
		Some(OraclePrice { price, updated_at: block, age, status })
	}
	fn twap(_: MarketId) -> Option<FixedU128> {
		None
	}
	fn volatility(_: MarketId) -> Option<FixedU128> {
		None
	}
}

pub struct MockSilos;
impl SiloHealth for MockSilos {
	fn insurance(silo: SiloId) -> Option<(Balance, Balance)> {
		SILOS.with(|s| s.borrow().get(&silo).map(|(fund, target, _)| (*fund, *target)))
	}
	fn pool(silo: SiloId) -> Option<Balance> {
		SILOS.with(|s| s.borrow().get(&silo).map(|(_, _, pool)| *pool))
	}
}

/// Account 7 is the guardian.
pub const GUARDIAN: u64 = 7;
ord_parameter_types! {
	pub const Guardian: u64 = GUARDIAN;
}

impl pallet_circuit_breaker::Config for Test {
	type Prices = MockPrices;
	type Silos = MockSilos;
	type TripOrigin =
		frame_support::traits::EitherOfDiverse<EnsureRoot<u64>, EnsureSignedBy<Guardian, u64>>;
	type LiftOrigin = EnsureRoot<u64>;
	type AdminOrigin = EnsureRoot<u64>;
	type MaxMarkets = ConstU32<3>;
	type MaxSilos = ConstU32<2>;
	type MaxBandSamples = ConstU32<16>;
	type WeightInfo = ();
}

pub const BTC: MarketId = 0;
pub const ETH: MarketId = 1;
pub const SILO: SiloId = 0;

/// Markets BTC and ETH and silo 0 watched, with fresh prices (BTC 100, ETH 10) and a healthy
/// silo (insurance 1000 of 1000, pool 10_000), at block 1. Default parameters: halt after 50
/// Stale blocks, band 20% over 10 blocks with 50 of cooldown, insurance floor 50%, withdrawals
/// 20% per 600 blocks, bad debt 600 blocks, recovery 20 blocks, liquidation price age 30.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	PRICES.with(|p| p.borrow_mut().clear());
	SILOS.with(|s| s.borrow_mut().clear());
	set_price(BTC, 100, 0);
	set_price(ETH, 10, 0);
	set_silo(SILO, 1_000, 1_000, 10_000);
	pallet_circuit_breaker::GenesisConfig::<Test> {
		markets: vec![BTC, ETH],
		silos: vec![SILO],
		params: None,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| run_to_block(1));
	ext
}

/// Runs the start-of-block pass of each block up to `n`, then the invariants.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Breakers::on_initialize(next);
		Breakers::do_try_state().expect("breaker invariants hold");
	}
}
