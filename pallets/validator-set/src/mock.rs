//! A test runtime: System and the validator set, with the accounts that hold session keys set
//! by each test.

use crate as pallet_validator_set;
use frame_support::{parameter_types, traits::Contains};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;
use std::cell::RefCell;

bulwark_test_kit::construct_test_runtime! {
	pub struct Test {
		ValidatorSet: pallet_validator_set = 1,
	}
}

thread_local! {
	static WITH_KEYS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// Accounts 1 to 9 have session keys, and whoever `give_keys` names.
pub struct MockKeys;
impl MockKeys {
	pub fn give_keys(who: u64) {
		WITH_KEYS.with(|k| k.borrow_mut().push(who));
	}
}
impl Contains<u64> for MockKeys {
	fn contains(who: &u64) -> bool {
		(1..=9).contains(who) || WITH_KEYS.with(|k| k.borrow().contains(who))
	}
}

parameter_types! {
	pub const MinValidators: u32 = 2;
	pub const MaxValidators: u32 = 4;
}

impl pallet_validator_set::Config for Test {
	type AdminOrigin = EnsureRoot<u64>;
	type HasSessionKeys = MockKeys;
	type MinValidators = MinValidators;
	type MaxValidators = MaxValidators;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchHelper = MockKeys;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u64> for MockKeys {
	fn register_keys(who: &u64) {
		MockKeys::give_keys(*who);
	}
}

/// Genesis: validators 1 and 2.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = bulwark_test_kit::system_storage::<Test>();
	pallet_validator_set::GenesisConfig::<Test> { validators: vec![2, 1] }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		bulwark_test_kit::reset();
		WITH_KEYS.with(|k| k.borrow_mut().clear());
		run_to_block(1);
	});
	ext
}

/// Runs blocks up to `n`: the pallet's start-of-block hook (none today; called so that one added
/// later runs in the tests too), then its invariants. pallet-session, not a block hook, asks the
/// pallet for the set, so the tests call `SessionManager` directly.
pub fn run_to_block(n: u64) {
	bulwark_test_kit::run_to_block::<Test, ValidatorSet>(n, ValidatorSet::do_try_state);
}
