//! Storage migrations of the breakers.

use crate::{BreakerParams, Config, DefaultParams, Pallet, Params};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::FixedU128;

/// Version 0's parameters: no cap on the profit a pool pays out per window.
pub mod v0 {
	use super::*;

	#[derive(Encode, Decode)]
	pub struct BreakerParams<BlockNumber> {
		pub halt_after_stale: BlockNumber,
		pub band_max_move: FixedU128,
		pub band_window: BlockNumber,
		pub band_cooldown: BlockNumber,
		pub insurance_floor: FixedU128,
		pub withdrawal_max_share: FixedU128,
		pub withdrawal_window: BlockNumber,
		pub bad_debt_window: BlockNumber,
		pub recovery_blocks: BlockNumber,
		pub liquidation_max_price_age: BlockNumber,
	}
}

/// Version 0 to 1: the parameters gain `profit_max_share` at its default (10% of the pool per
/// window). The price guards and the profit paid per window are new maps: they start empty
/// (a market's guard is made by its next aggregate).
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let _ = Params::<T>::translate::<v0::BreakerParams<BlockNumberFor<T>>, _>(|old| {
			old.map(|old| BreakerParams {
				halt_after_stale: old.halt_after_stale,
				band_max_move: old.band_max_move,
				band_window: old.band_window,
				band_cooldown: old.band_cooldown,
				insurance_floor: old.insurance_floor,
				withdrawal_max_share: old.withdrawal_max_share,
				withdrawal_window: old.withdrawal_window,
				bad_debt_window: old.bad_debt_window,
				recovery_blocks: old.recovery_blocks,
				liquidation_max_price_age: old.liquidation_max_price_age,
				profit_max_share: DefaultParams::<T>::get().profit_max_share,
			})
		});
		T::DbWeight::get().reads_writes(1, 1)
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		Pallet::<T>::ensure_valid_params(&Params::<T>::get())
			.map_err(|_| "migrated params out of bounds")?;
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV0ToV1`], run only while the pallet's on-chain storage version is 0.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	InnerMigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::mock::*;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	#[test]
	fn version_0_params_gain_the_profit_cap() {
		new_test_ext().execute_with(|| {
			let old = v0::BreakerParams::<u64> {
				halt_after_stale: 40,
				band_max_move: FixedU128::from_rational(15, 100),
				band_window: 8,
				band_cooldown: 30,
				insurance_floor: FixedU128::from_rational(40, 100),
				withdrawal_max_share: FixedU128::from_rational(25, 100),
				withdrawal_window: 500,
				bad_debt_window: 400,
				recovery_blocks: 10,
				liquidation_max_price_age: 20,
			};
			frame_support::storage::unhashed::put_raw(&Params::<Test>::hashed_key(), &old.encode());
			StorageVersion::new(0).put::<Breakers>();
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(
				Params::<Test>::get(),
				BreakerParams {
					halt_after_stale: 40,
					band_max_move: FixedU128::from_rational(15, 100),
					band_window: 8,
					band_cooldown: 30,
					insurance_floor: FixedU128::from_rational(40, 100),
					withdrawal_max_share: FixedU128::from_rational(25, 100),
					withdrawal_window: 500,
					bad_debt_window: 400,
					recovery_blocks: 10,
					liquidation_max_price_age: 20,
					profit_max_share: FixedU128::from_rational(10, 100),
				}
			);
			assert_eq!(Breakers::on_chain_storage_version(), 1);
		});
	}
}
