//! A test runtime: System, Balances, Assets and the silos, with the breakers' status and the
//! traders' unrealized PnL settable per test.

use crate as pallet_collateral_silos;
use bulwark_primitives::{
	MarketId, MarketStatus, SiloId, TradingStatus, UnrealizedPnl, WithdrawalStatus,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{AsEnsureOriginWithArg, ConstU128, ConstU32, Hooks},
	PalletId,
};
use frame_system::{EnsureRoot, EnsureSigned};
use sp_runtime::BuildStorage;
use std::{cell::RefCell, collections::BTreeMap};

/// 16 bytes: room for a pallet sub-account (`modl`, the 8-byte pallet id, a 4-byte silo id).
pub type AccountId = u128;
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
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Assets = pallet_assets;
	#[runtime::pallet_index(3)]
	pub type CollateralSilos = pallet_collateral_silos;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<u128>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type ExistentialDeposit = ConstU128<1>;
	type AccountStore = System;
}

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type Balance = u128;
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type Freezer = ();
	type Holder = ();
}

thread_local! {
	static STATUS: RefCell<BTreeMap<SiloId, WithdrawalStatus>> = const { RefCell::new(BTreeMap::new()) };
	static PNL: RefCell<BTreeMap<SiloId, i128>> = const { RefCell::new(BTreeMap::new()) };
	static SILO_EVENTS: RefCell<Vec<SiloEvent>> = const { RefCell::new(Vec::new()) };
}

/// What the silos told the breakers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SiloEvent {
	Withdrawal(SiloId, u128),
	BadDebt(SiloId, u128),
}

/// Records every notice for the breakers.
pub struct RecordEvents;
impl RecordEvents {
	/// The notices so far, and forget them.
	pub fn take() -> Vec<SiloEvent> {
		SILO_EVENTS.with(|e| core::mem::take(&mut *e.borrow_mut()))
	}
}
impl bulwark_primitives::OnSiloEvent for RecordEvents {
	fn on_withdrawal(silo: SiloId, amount: u128) {
		SILO_EVENTS.with(|e| e.borrow_mut().push(SiloEvent::Withdrawal(silo, amount)));
	}
	fn on_bad_debt(silo: SiloId, amount: u128) {
		SILO_EVENTS.with(|e| e.borrow_mut().push(SiloEvent::BadDebt(silo, amount)));
	}
	fn max_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(1_000, 0)
	}
}

/// The breakers, as the test sets them.
pub struct MockStatus;
impl MockStatus {
	pub fn set(silo: SiloId, status: WithdrawalStatus) {
		STATUS.with(|s| s.borrow_mut().insert(silo, status));
	}
}
impl TradingStatus for MockStatus {
	fn market_status(_: MarketId) -> MarketStatus {
		MarketStatus::Normal
	}
	fn withdrawal_status(silo: SiloId) -> WithdrawalStatus {
		STATUS.with(|s| s.borrow().get(&silo).copied().unwrap_or_default())
	}
}

/// The margin engine's view of traders' unrealized PnL, as the test sets it.
pub struct MockPnl;
impl MockPnl {
	pub fn set(silo: SiloId, pnl: i128) {
		PNL.with(|p| p.borrow_mut().insert(silo, pnl));
	}
}
impl UnrealizedPnl for MockPnl {
	fn net_trader_pnl(silo: SiloId) -> i128 {
		PNL.with(|p| p.borrow().get(&silo).copied().unwrap_or_default())
	}
}

parameter_types! {
	pub const SilosPalletId: PalletId = PalletId(*b"bwk/silo");
}

impl pallet_collateral_silos::Config for Test {
	type AssetId = u32;
	type Assets = Assets;
	type AdminOrigin = EnsureRoot<AccountId>;
	type PalletId = SilosPalletId;
	type MaxSilos = ConstU32<4>;
	type MaxQueuedWithdrawals = ConstU32<3>;
	type MaxPayoutsPerSilo = ConstU32<2>;
	type Status = MockStatus;
	type TraderPnl = MockPnl;
	type Events = RecordEvents;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchHelper = MockBenchHelper;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MockBenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u32, AccountId> for MockBenchHelper {
	fn asset() -> u32 {
		USD
	}
	fn fund(asset: u32, who: &AccountId, amount: u128) {
		use frame_support::traits::fungibles::Mutate;
		Assets::mint_into(asset, who, amount).expect("mint");
	}
	fn rate_limit(silo: SiloId) {
		MockStatus::set(silo, WithdrawalStatus::RateLimited);
	}
}

/// Collateral assets of the tests: both sufficient, minimum balance 1.
pub const USD: u32 = 1;
pub const EUR: u32 = 2;
/// What every test account starts with, of each asset.
pub const START: u128 = 1_000_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let accounts: Vec<AccountId> = (1..=10).collect();
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_assets::GenesisConfig::<Test> {
		assets: vec![(USD, 0, true, 1), (EUR, 0, true, 1)],
		accounts: accounts
			.iter()
			.flat_map(|who| [(USD, *who, START), (EUR, *who, START)])
			.collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		STATUS.with(|s| s.borrow_mut().clear());
		PNL.with(|p| p.borrow_mut().clear());
	});
	ext
}

/// Runs blocks up to `n`, with the pallet's `on_initialize` and `try_state` after each.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		CollateralSilos::on_initialize(next);
		CollateralSilos::do_try_state().expect("silo invariants hold");
	}
}
