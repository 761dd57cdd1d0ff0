//! Bulwark's dev-only test kit: the mock runtime pieces every pallet's `mock.rs` would otherwise
//! write again, and configurable stand-ins for the traits of `bulwark-primitives`.
//!
//! One copy, so that every pallet is tested against the same doubles: the mocks used to carry
//! their own, and they had drifted (one oracle stand-in had a TWAP, the other none). The kit is
//! `std` and keeps the stand-ins' state in thread-locals, which no runtime can have: pallets name
//! it in `[dev-dependencies]` only, and the runtime never does.
//!
//! - [`construct_test_runtime!`] (with [`impl_base_configs!`]): the mock runtime, and the configs
//!   of `frame_system`, `pallet_balances` and `pallet_assets`; [`impl_create_transaction!`]: the
//!   general transactions of offchain workers.
//! - [`system_storage`] and [`assimilate_assets`]: the genesis every mock starts from.
//! - [`run_to_block`] and [`run_to_block_with`]: the block loop, which runs the pallets'
//!   `try_state` after every block.
//! - Stand-ins, set by each test: [`MockPrices`] (`PriceFeed`), [`MockStatus`] (`TradingStatus`),
//!   [`MockSiloHealth`] (`SiloHealth`), [`MockMarks`] (`PositionMarks`) and [`RecordSiloEvents`]
//!   (`OnSiloEvent`). [`reset`] clears them all; every `new_test_ext` calls it.

mod prices;
mod runtime;
mod silos;
mod status;

pub use prices::MockPrices;
pub use silos::{MockMarks, MockSiloHealth, RecordSiloEvents, SiloEvent};
pub use status::MockStatus;

use frame_support::traits::{OnFinalize, OnInitialize};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::One, BuildStorage, Storage, TryRuntimeError};

/// Clears every stand-in. Each test runs on its own thread, so thread-local state starts empty;
/// this is for what runs several externalities on one thread (property tests' cases, a test that
/// builds two), which must not inherit the previous one's prices or statuses.
pub fn reset() {
	MockPrices::<()>::reset();
	MockStatus::reset();
	MockSiloHealth::reset();
	MockMarks::reset();
	RecordSiloEvents::reset();
}

/// `frame_system`'s default genesis for the mock runtime `R`: where every mock's storage starts.
pub fn system_storage<R: frame_system::Config>() -> Storage {
	frame_system::GenesisConfig::<R>::default()
		.build_storage()
		.expect("frame_system's default genesis builds")
}

/// Adds to `storage` the collateral assets of a mock: each of `assets` sufficient, with a
/// minimum balance of 1 and owned by account 0 (no test account, so no test can administer
/// them), and each of `accounts` holding `balance` of every one of them.
pub fn assimilate_assets<R>(
	storage: &mut Storage,
	assets: &[R::AssetId],
	accounts: impl IntoIterator<Item = R::AccountId>,
	balance: R::Balance,
) where
	R: pallet_assets::Config,
	R::AccountId: From<u8>,
{
	let accounts: Vec<R::AccountId> = accounts.into_iter().collect();
	pallet_assets::GenesisConfig::<R> {
		assets: assets
			.iter()
			.map(|asset| (asset.clone(), R::AccountId::from(0), true, One::one()))
			.collect(),
		accounts: accounts
			.iter()
			.flat_map(|who| assets.iter().map(move |asset| (asset.clone(), who.clone(), balance)))
			.collect(),
		..Default::default()
	}
	.assimilate_storage(storage)
	.expect("the mock's assets genesis builds");
}

/// Runs the blocks after the current one up to `n`, as the executive would: ends the current
/// block with `Hooks`' `on_finalize` (a pallet, or a tuple of them), sets the next block number,
/// runs `Hooks`' `on_initialize`, then `try_state` (every custom pallet's `do_try_state`). See
/// [`run_to_block_with`].
pub fn run_to_block<R, Hooks>(
	n: BlockNumberFor<R>,
	try_state: impl Fn() -> Result<(), TryRuntimeError>,
) where
	R: frame_system::Config,
	Hooks: OnInitialize<BlockNumberFor<R>> + OnFinalize<BlockNumberFor<R>>,
{
	run_to_block_with::<R>(
		n,
		|now| {
			Hooks::on_finalize(now - One::one());
			Hooks::on_initialize(now);
		},
		try_state,
	);
}

/// Runs the blocks after the current one up to `n`: sets each block number, calls `hooks` with it
/// (the mock's `on_initialize`, `on_poll`, timestamp...), then `try_state`, and panics naming the
/// block if an invariant breaks. The design wants invariants checked after every block; making
/// them an argument of the only block loop means no mock can forget them.
pub fn run_to_block_with<R: frame_system::Config>(
	n: BlockNumberFor<R>,
	mut hooks: impl FnMut(BlockNumberFor<R>),
	try_state: impl Fn() -> Result<(), TryRuntimeError>,
) {
	while frame_system::Pallet::<R>::block_number() < n {
		let next = frame_system::Pallet::<R>::block_number() + One::one();
		frame_system::Pallet::<R>::set_block_number(next);
		hooks(next);
		if let Err(error) = try_state() {
			panic!("invariants broken after block {next:?}: {error:?}");
		}
	}
}
