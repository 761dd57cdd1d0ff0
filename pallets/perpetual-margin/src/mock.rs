//! A test runtime: System, Balances, Assets, the real collateral silos (so every unit of value
//! is accounted for by their books) and the margin engine, with oracle prices and breaker
//! statuses set by each test.

use crate as pallet_perpetual_margin;
use bulwark_primitives::SiloId;
use frame_support::{
	parameter_types,
	traits::{ConstU32, ConstU64},
	PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, Permill};

pub type AccountId = u128;

bulwark_test_kit::construct_test_runtime! {
	pub struct Test with balances and assets (AccountId = AccountId) {
		CollateralSilos: pallet_collateral_silos = 3,
		PerpetualMargin: pallet_perpetual_margin = 4,
	}
}

/// What the mock's transactions carry: the runtime's two extensions that matter here.
pub type Extension = (frame_system::AuthorizeCall<Test>, crate::PrioritizeLiquidations<Test>);
pub const LIQUIDATION_PRIORITY: u64 = u64::MAX;
pub const OWNER_LANE_PRIORITY: u64 = 1 << 63;

bulwark_test_kit::impl_create_transaction!(
	Test,
	Address = AccountId,
	Extension = Extension,
	new = (frame_system::AuthorizeCall::new(), crate::PrioritizeLiquidations::new())
);

/// The oracle and the breakers, as each test sets them.
pub type MockPrices = bulwark_test_kit::MockPrices<Test>;
pub use bulwark_test_kit::MockStatus;

parameter_types! {
	/// 3, unless a test at scale raises it.
	pub static MaxLiquidations: u32 = 3;
	pub const SilosPalletId: PalletId = PalletId(*b"bwk/silo");
}

impl pallet_collateral_silos::Config for Test {
	type AssetId = u32;
	type Assets = Assets;
	type AdminOrigin = EnsureRoot<AccountId>;
	type PalletId = SilosPalletId;
	type MaxSilos = ConstU32<4>;
	type MaxQueuedWithdrawals = ConstU32<4>;
	type MaxPayoutsPerSilo = ConstU32<2>;
	type Status = MockStatus;
	type Marks = PerpetualMargin;
	type OnSiloEvent = ();
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchHelper = SilosBenchHelper;
}

impl pallet_perpetual_margin::Config for Test {
	type Prices = MockPrices;
	type Status = MockStatus;
	type Ledger = CollateralSilos;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MaxMarkets = ConstU32<4>;
	type MaxTiers = ConstU32<4>;
	type MaxDeleveragePerCall = ConstU32<2>;
	type MaxLiquidationsPerBlock = MaxLiquidations;
	type LiquidationPriority = ConstU64<LIQUIDATION_PRIORITY>;
	type OwnerLanePriority = ConstU64<OWNER_LANE_PRIORITY>;
	type MaxKeeperSubmissions = ConstU32<2>;
	type MaxSettlementsPerBlock = ConstU32<4>;
	type MaxHeldReleasesPerBlock = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchHelper = MarginBenchHelper;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct SilosBenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_collateral_silos::benchmarking::BenchmarkHelper<u32, AccountId> for SilosBenchHelper {
	fn asset() -> u32 {
		USD
	}
	fn fund(asset: u32, who: &AccountId, amount: u128) {
		use frame_support::traits::fungibles::Mutate;
		Assets::mint_into(asset, who, amount).expect("mint");
	}
	fn rate_limit(_: SiloId) {}
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MarginBenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<AccountId> for MarginBenchHelper {
	fn silo() -> SiloId {
		SILO
	}
	fn fund(silo: SiloId, who: &AccountId, amount: u128) {
		use frame_support::traits::fungibles::Mutate;
		Assets::mint_into(USD, who, amount).expect("mint");
		CollateralSilos::deposit_margin(RuntimeOrigin::signed(*who), silo, USD, amount)
			.expect("deposit");
	}
	fn provide_liquidity(silo: SiloId, who: &AccountId, amount: u128) {
		use frame_support::traits::fungibles::Mutate;
		Assets::mint_into(USD, who, amount).expect("mint");
		CollateralSilos::add_liquidity(RuntimeOrigin::signed(*who), silo, USD, amount, 0)
			.expect("liquidity");
	}
	fn set_price(market: bulwark_primitives::MarketId, price: sp_runtime::FixedU128) {
		MockPrices::set(market, price);
	}
	fn set_stale(market: bulwark_primitives::MarketId) {
		MockPrices::set_stale(market);
	}
}

/// The collateral asset: minimum balance 1.
pub const USD: u32 = 1;
/// What every test account starts with.
pub const START: u128 = 100_000_000;
pub const SILO: SiloId = 0;
pub const LP: AccountId = 1;

/// Silo parameters roomy enough that only the engine's own limits matter.
pub fn silo_params() -> pallet_collateral_silos::SiloParams<u64> {
	pallet_collateral_silos::SiloParams {
		max_total_deposits: u128::MAX / 4,
		max_account_deposit: u128::MAX / 8,
		min_amount: 1,
		insurance_target: 1_000_000,
		insurance_fee_share: Permill::from_percent(20),
		withdrawal_limit: Permill::from_percent(10),
		withdrawal_window: 10,
		lp_cooldown: 0,
		reserve_move: sp_runtime::Permill::from_percent(10),
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let accounts: Vec<AccountId> = (1..=20).collect();
	let mut storage = bulwark_test_kit::system_storage::<Test>();
	bulwark_test_kit::assimilate_assets::<Test>(&mut storage, &[USD], accounts, START);
	pallet_collateral_silos::GenesisConfig::<Test> { silos: vec![(USD, silo_params())] }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		bulwark_test_kit::reset();
	});
	ext
}

/// Both pallets' invariants, and each silo's account holding exactly its books (the silos'
/// `try_state` can only check "at least": anyone may send to the account; no test here does).
pub fn try_state() -> Result<(), sp_runtime::TryRuntimeError> {
	PerpetualMargin::do_try_state()?;
	CollateralSilos::do_try_state()?;
	for silo in pallet_collateral_silos::Silos::<Test>::iter_keys() {
		frame_support::ensure!(
			CollateralSilos::surplus(silo) == Some(0),
			"a silo's account differs from its books"
		);
	}
	Ok(())
}

/// Both pallets' invariants hold.
pub fn check_invariants() {
	try_state().expect("margin and silo invariants hold");
}

/// Runs blocks up to `n` as the executive does (the end of the last block with the silos'
/// tripwire, the start of the next with their claims and queue paid, then the margin engine's
/// `on_poll` with a whole block's weight), checking both pallets' invariants after each; prices
/// keep their block of origin (and so age).
pub fn run_to_block(n: u64) {
	use frame_support::{
		traits::{Hooks, OnPoll},
		weights::{Weight, WeightMeter},
	};
	bulwark_test_kit::run_to_block_with::<Test>(
		n,
		|now| {
			CollateralSilos::on_finalize(now - 1);
			CollateralSilos::on_initialize(now);
			<PerpetualMargin as OnPoll<u64>>::on_poll(
				now,
				&mut WeightMeter::with_limit(Weight::MAX),
			);
		},
		try_state,
	);
}
