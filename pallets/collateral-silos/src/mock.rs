//! A test runtime: System, Balances, Assets and the silos, with the breakers' status and the
//! margin engine's marks of the open positions settable per test.

use crate as pallet_collateral_silos;
use frame_support::{parameter_types, traits::ConstU32, PalletId};
use frame_system::EnsureRoot;

/// 16 bytes: room for a pallet sub-account (`modl`, the 8-byte pallet id, a 4-byte silo id).
pub type AccountId = u128;

bulwark_test_kit::construct_test_runtime! {
	pub struct Test with balances and assets (AccountId = AccountId) {
		CollateralSilos: pallet_collateral_silos = 3,
	}
}

/// Records every notice for the breakers (under the name the tests use).
pub use bulwark_test_kit::RecordSiloEvents as RecordEvents;
/// The breakers' status and the marks of the open positions, as each test sets them.
pub use bulwark_test_kit::{MockMarks, MockStatus, SiloEvent};

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
	type Marks = MockMarks;
	type OnSiloEvent = RecordEvents;
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
	fn rate_limit(silo: bulwark_primitives::SiloId) {
		MockStatus::set(silo, bulwark_primitives::WithdrawalStatus::RateLimited);
	}
}

/// Collateral assets of the tests: both sufficient, minimum balance 1.
pub const USD: u32 = 1;
pub const EUR: u32 = 2;
/// What every test account starts with, of each asset.
pub const START: u128 = 1_000_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let accounts: Vec<AccountId> = (1..=10).collect();
	let mut storage = bulwark_test_kit::system_storage::<Test>();
	bulwark_test_kit::assimilate_assets::<Test>(&mut storage, &[USD, EUR], accounts, START);
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		bulwark_test_kit::reset();
	});
	ext
}

std::thread_local! {
	/// What a test sent straight to each silo's account and governance has not swept yet.
	static SENT_TO_SILOS: std::cell::RefCell<std::collections::BTreeMap<bulwark_primitives::SiloId, u128>> =
		Default::default();
}

/// Tells [`try_state`] that `silo`'s account holds `total` more than its books (what the test
/// sent to it straight; 0 once swept).
pub fn sent_to_silo(silo: bulwark_primitives::SiloId, total: u128) {
	SENT_TO_SILOS.with(|sent| sent.borrow_mut().insert(silo, total));
}

/// The pallet's `try_state`, which can only check that a silo's account holds at least its
/// books (anyone may send to it), and then exactly: its books plus what the test sent to it.
pub fn try_state() -> Result<(), sp_runtime::TryRuntimeError> {
	CollateralSilos::do_try_state()?;
	for silo in crate::Silos::<Test>::iter_keys() {
		let sent = SENT_TO_SILOS.with(|sent| sent.borrow().get(&silo).copied().unwrap_or(0));
		frame_support::ensure!(
			CollateralSilos::surplus(silo) == Some(sent),
			"a silo's account differs from its books plus what was sent to it"
		);
	}
	Ok(())
}

/// Runs blocks up to `n`: the pallet's `on_finalize` of the last, `on_initialize` of the next,
/// and [`try_state`] after each.
pub fn run_to_block(n: u64) {
	bulwark_test_kit::run_to_block::<Test, CollateralSilos>(n, try_state);
}
