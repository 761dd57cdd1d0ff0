//! Storage migrations of the silos pallet.

use crate::{Config, Pallet, Silo, SiloBooks, SiloParams, Silos, LOCKED_SHARES};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::Permill;

/// Version 0's layout of a silo: parameters without the LP cooldown and the reserve move, books
/// without claims, pending shares and locked shares.
pub mod v0 {
	use bulwark_primitives::Balance;
	use codec::{Decode, Encode};

	#[derive(Encode, Decode)]
	pub struct SiloParams<BlockNumber> {
		pub max_total_deposits: Balance,
		pub max_account_deposit: Balance,
		pub min_amount: Balance,
		pub insurance_target: Balance,
		pub insurance_fee_share: sp_runtime::Permill,
		pub withdrawal_limit: sp_runtime::Permill,
		pub withdrawal_window: BlockNumber,
	}

	#[derive(Encode, Decode)]
	pub struct SiloBooks {
		pub trader_free: Balance,
		pub trader_locked: Balance,
		pub pool: Balance,
		pub insurance: Balance,
		pub total_shares: Balance,
		pub queued: Balance,
		pub socialized_loss: Balance,
	}

	#[derive(Encode, Decode)]
	pub struct Silo<AssetId, BlockNumber> {
		pub asset: AssetId,
		pub params: SiloParams<BlockNumber>,
		pub books: SiloBooks,
	}
}

/// The LP cooldown a migrated silo gets: 100 blocks (ten minutes of 6 s blocks), until
/// governance sets its own.
pub const MIGRATED_LP_COOLDOWN: u32 = 100;
/// The reserve move a migrated silo gets: 25%.
pub const MIGRATED_RESERVE_MOVE: Permill = Permill::from_percent(25);

/// Version 0 to 1: every silo gains the LP cooldown and reserve move (the defaults above), no
/// claims, no pending shares, and its [`LOCKED_SHARES`] (which dilute the existing LPs by those
/// 1,000 shares and own whatever accrued while no LP held any).
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut count = 0u64;
		Silos::<T>::translate::<v0::Silo<T::AssetId, BlockNumberFor<T>>, _>(|_, old| {
			count += 1;
			let params = old.params;
			let books = old.books;
			Some(Silo {
				asset: old.asset,
				params: SiloParams {
					max_total_deposits: params.max_total_deposits,
					max_account_deposit: params.max_account_deposit,
					min_amount: params.min_amount,
					insurance_target: params.insurance_target,
					insurance_fee_share: params.insurance_fee_share,
					withdrawal_limit: params.withdrawal_limit,
					withdrawal_window: params.withdrawal_window,
					lp_cooldown: MIGRATED_LP_COOLDOWN.into(),
					reserve_move: MIGRATED_RESERVE_MOVE,
				},
				books: SiloBooks {
					trader_free: books.trader_free,
					trader_locked: books.trader_locked,
					pool: books.pool,
					insurance: books.insurance,
					total_shares: books.total_shares.saturating_add(LOCKED_SHARES),
					queued: books.queued,
					socialized_loss: books.socialized_loss,
					claims: 0,
					pending_shares: 0,
				},
			})
		});
		T::DbWeight::get().reads_writes(count, count)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		let silos: alloc::vec::Vec<(u32, u128)> = Silos::<T>::iter_keys()
			.map(|silo| {
				let raw =
					frame_support::storage::unhashed::get_raw(&Silos::<T>::hashed_key_for(silo))
						.unwrap_or_default();
				let old = v0::Silo::<T::AssetId, BlockNumberFor<T>>::decode(&mut &raw[..])
					.map(|old| old.books.total_shares)
					.unwrap_or_default();
				(silo, old)
			})
			.collect();
		Ok(silos.encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before: alloc::vec::Vec<(u32, u128)> =
			Decode::decode(&mut &state[..]).map_err(|_| "pre-upgrade state undecodable")?;
		ensure!(before.len() as u32 == Silos::<T>::iter_keys().count() as u32, "silos lost");
		for (silo, shares) in before {
			let now = Silos::<T>::get(silo).ok_or("a silo did not decode")?;
			ensure!(
				now.books.total_shares == shares.saturating_add(LOCKED_SHARES),
				"locked shares not added"
			);
		}
		Ok(())
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
	fn a_version_0_silo_gains_the_new_parameters_and_its_locked_shares() {
		new_test_ext().execute_with(|| {
			let old = v0::Silo {
				asset: USD,
				params: v0::SiloParams {
					max_total_deposits: 1_000_000,
					max_account_deposit: 500_000,
					min_amount: 10,
					insurance_target: 5_000,
					insurance_fee_share: Permill::from_percent(30),
					withdrawal_limit: Permill::from_percent(10),
					withdrawal_window: 10u64,
				},
				books: v0::SiloBooks {
					trader_free: 1,
					trader_locked: 2,
					pool: 3,
					insurance: 4,
					total_shares: 5,
					queued: 6,
					socialized_loss: 7,
				},
			};
			frame_support::storage::unhashed::put_raw(
				&Silos::<Test>::hashed_key_for(0),
				&old.encode(),
			);
			StorageVersion::new(0).put::<CollateralSilos>();
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			let silo = Silos::<Test>::get(0).expect("the silo decodes");
			assert_eq!(silo.params.lp_cooldown, 100);
			assert_eq!(silo.params.reserve_move, Permill::from_percent(25));
			assert_eq!(silo.params.max_account_deposit, 500_000);
			assert_eq!(
				silo.books,
				SiloBooks {
					trader_free: 1,
					trader_locked: 2,
					pool: 3,
					insurance: 4,
					total_shares: 1_005,
					queued: 6,
					socialized_loss: 7,
					claims: 0,
					pending_shares: 0,
				}
			);
			assert_eq!(CollateralSilos::on_chain_storage_version(), 1);
			// Run again: the version gate makes it a no-op.
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Silos::<Test>::get(0).expect("still").books.total_shares, 1_005);
		});
	}
}
