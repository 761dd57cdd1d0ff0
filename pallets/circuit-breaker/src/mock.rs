//! A test runtime: System and the breakers, with the oracle's prices and the silos' health set
//! by each test.

use crate as pallet_circuit_breaker;
use bulwark_primitives::{Balance, MarketId, SiloId};
use frame_support::{ord_parameter_types, parameter_types, traits::ConstU32, weights::Weight};
use frame_system::{EnsureRoot, EnsureSignedBy};
use sp_runtime::{BuildStorage, FixedU128};

bulwark_test_kit::construct_test_runtime! {
	pub struct Test {
		Breakers: pallet_circuit_breaker = 1,
	}
}

/// The oracle's prices and the silos' health, as each test sets them.
pub type MockPrices = bulwark_test_kit::MockPrices<Test>;
pub use bulwark_test_kit::MockSiloHealth;

/// Sets a market's oracle price as aggregated in `block`, Fresh.
pub fn set_price(market: MarketId, units: u64, block: u64) {
	MockPrices::set_at(market, FixedU128::from_u32(units as u32), block);
}

/// Marks a market's price Stale (keeping the price and its block).
pub fn set_stale(market: MarketId) {
	MockPrices::set_stale(market);
}

/// A Degraded price made in `block` (fewer feeders than the quorum, all agreeing).
pub fn set_degraded(market: MarketId, units: u64, block: u64) {
	set_price(market, units, block);
	MockPrices::set_status(market, bulwark_primitives::PriceStatus::Degraded);
}

pub fn set_silo(silo: SiloId, insurance: Balance, target: Balance, pool: Balance) {
	MockSiloHealth::set(silo, insurance, target, pool);
}

/// Account 7 is the guardian.
pub const GUARDIAN: u64 = 7;
ord_parameter_types! {
	pub const Guardian: u64 = GUARDIAN;
}

parameter_types! {
	/// Whether a liquidation waits, as each test sets it.
	pub static LiquidationWaiting: bool = false;
}

/// The margin engine's answer to the upgrade guard: [`LiquidationWaiting`].
pub struct MockBacklog;
impl bulwark_primitives::LiquidationBacklog for MockBacklog {
	fn waiting() -> bool {
		LiquidationWaiting::get()
	}
	fn waiting_weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
}

impl pallet_circuit_breaker::Config for Test {
	type Prices = MockPrices;
	type SiloHealth = MockSiloHealth;
	type TripOrigin =
		frame_support::traits::EitherOfDiverse<EnsureRoot<u64>, EnsureSignedBy<Guardian, u64>>;
	type LiftOrigin = EnsureRoot<u64>;
	type AdminOrigin = EnsureRoot<u64>;
	type Liquidations = MockBacklog;
	type UpgradeOrigin = EnsureRoot<u64>;
	type MaxUpgradeDeferral = frame_support::traits::ConstU64<10>;
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
	let mut storage = bulwark_test_kit::system_storage::<Test>();
	bulwark_test_kit::reset();
	LiquidationWaiting::set(false);
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
	bulwark_test_kit::run_to_block::<Test, Breakers>(n, Breakers::do_try_state);
}
