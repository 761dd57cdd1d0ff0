//! Storage migrations of the oracle.

use crate::{Config, MarketPrice, OracleParams, Pallet, Params, Prices};
#[cfg(feature = "try-runtime")]
use alloc::vec::Vec;
use bulwark_primitives::PriceStatus;
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{FixedU128, Perbill, Permill};

/// Version 0's layout: no round spread, no bound on it.
pub mod v0 {
	use super::*;

	#[derive(Encode, Decode)]
	pub struct MarketPrice<BlockNumber> {
		pub price: FixedU128,
		pub round: u32,
		pub updated_at: BlockNumber,
		pub timestamp: u64,
		pub reports: u32,
		pub twap: FixedU128,
		pub variance: FixedU128,
		pub status: PriceStatus,
	}

	#[derive(Encode, Decode)]
	pub struct OracleParams<BlockNumber> {
		pub quorum_numerator: u32,
		pub quorum_denominator: u32,
		pub stale_after: BlockNumber,
		pub round_timeout: BlockNumber,
		pub twap_window: BlockNumber,
		pub volatility_decay: Permill,
		pub outlier_threshold: Perbill,
		pub report_interval: BlockNumber,
		pub http_deadline_ms: u32,
	}
}

/// Version 0 to 1: each stored price gains its round's spread (zero: the reports that made it
/// are gone; the next aggregate measures it), the parameters gain `max_spread` at its default
/// (1%).
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut prices = 0u64;
		Prices::<T>::translate::<v0::MarketPrice<BlockNumberFor<T>>, _>(|_, old| {
			prices += 1;
			Some(MarketPrice {
				price: old.price,
				round: old.round,
				updated_at: old.updated_at,
				timestamp: old.timestamp,
				reports: old.reports,
				twap: old.twap,
				variance: old.variance,
				status: old.status,
				spread: Perbill::zero(),
			})
		});
		let _ = Params::<T>::translate::<v0::OracleParams<BlockNumberFor<T>>, _>(|old| {
			old.map(|old| OracleParams {
				quorum_numerator: old.quorum_numerator,
				quorum_denominator: old.quorum_denominator,
				stale_after: old.stale_after,
				round_timeout: old.round_timeout,
				twap_window: old.twap_window,
				volatility_decay: old.volatility_decay,
				outlier_threshold: old.outlier_threshold,
				report_interval: old.report_interval,
				http_deadline_ms: old.http_deadline_ms,
				max_spread: crate::DefaultParams::<T>::get().max_spread,
			})
		});
		T::DbWeight::get().reads_writes(prices + 1, prices + 1)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok((Prices::<T>::iter_keys().count() as u32).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let prices: u32 =
			Decode::decode(&mut &state[..]).map_err(|_| "pre-upgrade state undecodable")?;
		ensure!(Prices::<T>::iter().count() as u32 == prices, "a price did not decode");
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
	fn version_0_prices_and_params_gain_the_spread() {
		new_test_ext().execute_with(|| {
			let old_price = v0::MarketPrice::<u64> {
				price: FixedU128::from_u32(67_000),
				round: 9,
				updated_at: 3,
				timestamp: 18_000,
				reports: 3,
				twap: FixedU128::from_u32(66_000),
				variance: FixedU128::from_rational(1, 10_000),
				status: PriceStatus::Stale,
			};
			frame_support::storage::unhashed::put_raw(
				&Prices::<Test>::hashed_key_for(BTC),
				&old_price.encode(),
			);
			let old_params = v0::OracleParams::<u64> {
				quorum_numerator: 3,
				quorum_denominator: 4,
				stale_after: 12,
				round_timeout: 6,
				twap_window: 300,
				volatility_decay: Permill::from_percent(90),
				outlier_threshold: Perbill::from_percent(3),
				report_interval: 2,
				http_deadline_ms: 1_500,
			};
			frame_support::storage::unhashed::put_raw(
				&Params::<Test>::hashed_key(),
				&old_params.encode(),
			);
			StorageVersion::new(0).put::<PriceOracle>();
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(
				Prices::<Test>::get(BTC),
				Some(MarketPrice {
					price: FixedU128::from_u32(67_000),
					round: 9,
					updated_at: 3,
					timestamp: 18_000,
					reports: 3,
					twap: FixedU128::from_u32(66_000),
					variance: FixedU128::from_rational(1, 10_000),
					status: PriceStatus::Stale,
					spread: Perbill::zero(),
				})
			);
			assert_eq!(
				Params::<Test>::get(),
				OracleParams {
					quorum_numerator: 3,
					quorum_denominator: 4,
					stale_after: 12,
					round_timeout: 6,
					twap_window: 300,
					volatility_decay: Permill::from_percent(90),
					outlier_threshold: Perbill::from_percent(3),
					report_interval: 2,
					http_deadline_ms: 1_500,
					max_spread: Perbill::from_percent(1),
				}
			);
			assert_eq!(PriceOracle::on_chain_storage_version(), 1);
			// Run again, it changes nothing: the version gate.
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Params::<Test>::get().max_spread, Perbill::from_percent(1));
		});
	}
}
