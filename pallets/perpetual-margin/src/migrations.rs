//! Storage migrations of the margin engine.

use crate::{
	Accrual, Config, Market, MarketParams, Markets, OpenInterest, Pallet, Positions, SizeTier,
};
use alloc::collections::BTreeMap;
use bulwark_primitives::{Balance, MarketId};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{FixedU128, Permill};

/// Version 0's layout of a market: parameters without the open-interest-to-pool ratio, open
/// interest with one funding basis for both sides and no margins, and the unpaid-profit record.
pub mod v0 {
	use super::*;
	use bulwark_primitives::{SignedBalance, SiloId};

	#[derive(Encode, Decode)]
	pub struct MarketParams<MaxTiers: Get<u32>> {
		pub value_scale: FixedU128,
		pub max_leverage: FixedU128,
		pub initial_margin: FixedU128,
		pub maintenance_margin: FixedU128,
		pub volatility_factor: FixedU128,
		pub max_margin_step: FixedU128,
		pub size_tiers: BoundedVec<SizeTier, MaxTiers>,
		pub min_size: u128,
		pub max_position_size: u128,
		pub max_long_size: u128,
		pub max_short_size: u128,
		pub skew_scale: u128,
		pub max_price_impact: FixedU128,
		pub max_funding_rate: FixedU128,
		pub max_funding_velocity: FixedU128,
		pub trading_fee: Permill,
		pub liquidation_penalty: Permill,
		pub keeper_reward: Permill,
	}

	#[derive(Encode, Decode)]
	pub struct OpenInterest {
		pub long_size: u128,
		pub short_size: u128,
		pub long_entry: Balance,
		pub short_entry: Balance,
		pub funding_basis: SignedBalance,
	}

	#[derive(Encode, Decode)]
	pub struct Market<MaxTiers: Get<u32>, BlockNumber> {
		pub silo: SiloId,
		pub params: MarketParams<MaxTiers>,
		pub open_interest: OpenInterest,
		pub accrual: Accrual<BlockNumber>,
		pub unpaid_profit: Balance,
	}
}

/// The open-interest-to-pool ratio a migrated market gets: each side within the pool, until
/// governance sets its own.
pub fn migrated_open_interest_to_pool() -> FixedU128 {
	FixedU128::one()
}

/// Version 0 to 1: every market gains `max_open_interest_to_pool` (1, see above), its open
/// interest is recounted from its positions with a funding basis and margin per side, and the
/// unpaid-profit record goes (unpaid profit is now each trader's claim in the silo's books;
/// what version 0 recorded had no owner and was never paid).
pub struct InnerMigrateV0ToV1<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut interest: BTreeMap<MarketId, OpenInterest> = BTreeMap::new();
		let mut positions = 0u64;
		for (_, market, position) in Positions::<T>::iter() {
			positions += 1;
			if Pallet::<T>::count_position(interest.entry(market).or_default(), &position, true)
				.is_err()
			{
				log::error!(target: crate::LOG_TARGET, "market {market}: open interest overflows");
			}
		}
		let mut markets = 0u64;
		Markets::<T>::translate::<v0::Market<T::MaxTiers, BlockNumberFor<T>>, _>(|market, old| {
			markets += 1;
			let params = old.params;
			Some(Market {
				silo: old.silo,
				params: MarketParams {
					value_scale: params.value_scale,
					max_leverage: params.max_leverage,
					initial_margin: params.initial_margin,
					maintenance_margin: params.maintenance_margin,
					volatility_factor: params.volatility_factor,
					max_margin_step: params.max_margin_step,
					size_tiers: params.size_tiers,
					min_size: params.min_size,
					max_position_size: params.max_position_size,
					max_long_size: params.max_long_size,
					max_short_size: params.max_short_size,
					max_open_interest_to_pool: migrated_open_interest_to_pool(),
					skew_scale: params.skew_scale,
					max_price_impact: params.max_price_impact,
					max_funding_rate: params.max_funding_rate,
					max_funding_velocity: params.max_funding_velocity,
					trading_fee: params.trading_fee,
					liquidation_penalty: params.liquidation_penalty,
					keeper_reward: params.keeper_reward,
				},
				open_interest: interest.get(&market).copied().unwrap_or_default(),
				accrual: old.accrual,
			})
		});
		T::DbWeight::get().reads_writes(positions.saturating_add(markets), markets)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok((Markets::<T>::count(), Positions::<T>::iter().count() as u32).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let (markets, positions): (u32, u32) =
			Decode::decode(&mut &state[..]).map_err(|_| "pre-upgrade state undecodable")?;
		ensure!(Markets::<T>::iter().count() as u32 == markets, "a market did not decode");
		ensure!(Positions::<T>::iter().count() as u32 == positions, "positions changed");
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
	use frame_support::{
		assert_ok,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};
	use sp_runtime::FixedPointNumber;

	/// Version 0's encoding of `market`, as it was stored.
	fn as_v0(market: &crate::MarketOf<Test>, unpaid_profit: Balance) -> alloc::vec::Vec<u8> {
		let params = market.params.clone();
		let interest = market.open_interest;
		v0::Market::<frame_support::traits::ConstU32<4>, u64> {
			silo: market.silo,
			params: v0::MarketParams {
				value_scale: params.value_scale,
				max_leverage: params.max_leverage,
				initial_margin: params.initial_margin,
				maintenance_margin: params.maintenance_margin,
				volatility_factor: params.volatility_factor,
				max_margin_step: params.max_margin_step,
				size_tiers: params.size_tiers,
				min_size: params.min_size,
				max_position_size: params.max_position_size,
				max_long_size: params.max_long_size,
				max_short_size: params.max_short_size,
				skew_scale: params.skew_scale,
				max_price_impact: params.max_price_impact,
				max_funding_rate: params.max_funding_rate,
				max_funding_velocity: params.max_funding_velocity,
				trading_fee: params.trading_fee,
				liquidation_penalty: params.liquidation_penalty,
				keeper_reward: params.keeper_reward,
			},
			open_interest: v0::OpenInterest {
				long_size: interest.long_size,
				short_size: interest.short_size,
				long_entry: interest.long_entry,
				short_entry: interest.short_entry,
				funding_basis: interest.long_basis + interest.short_basis,
			},
			accrual: market.accrual,
			unpaid_profit,
		}
		.encode()
	}

	#[test]
	fn a_version_0_market_gets_its_open_interest_recounted_per_side() {
		new_test_ext().execute_with(|| {
			let (market, lp, alice, bob) = (0, 1, 2, 3);
			assert_ok!(PerpetualMargin::create_market(
				RuntimeOrigin::root(),
				market,
				SILO,
				crate::tests::params()
			));
			assert_ok!(CollateralSilos::add_liquidity(
				RuntimeOrigin::signed(lp),
				SILO,
				USD,
				10_000_000,
				0
			));
			MockPrices::set(market, FixedU128::saturating_from_integer(100));
			for who in [alice, bob] {
				assert_ok!(CollateralSilos::deposit_margin(
					RuntimeOrigin::signed(who),
					SILO,
					USD,
					100_000
				));
			}
			let limit = FixedU128::saturating_from_integer(1_000);
			assert_ok!(PerpetualMargin::trade(
				RuntimeOrigin::signed(alice),
				market,
				1_000,
				20_000,
				limit,
				false
			));
			assert_ok!(PerpetualMargin::trade(
				RuntimeOrigin::signed(bob),
				market,
				-400,
				10_000,
				FixedU128::zero(),
				false
			));
			let mut expected = Markets::<Test>::get(market).expect("the market");
			frame_support::storage::unhashed::put_raw(
				&Markets::<Test>::hashed_key_for(market),
				&as_v0(&expected, 58_886),
			);
			StorageVersion::new(0).put::<PerpetualMargin>();
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			expected.params.max_open_interest_to_pool = FixedU128::one();
			let migrated = Markets::<Test>::get(market).expect("the market decodes");
			assert_eq!(migrated, expected);
			// Per side: Alice's 1_000 long with her margin, Bob's 400 short with his.
			let alice_margin = Positions::<Test>::get(alice, market).expect("long").margin;
			let bob_margin = Positions::<Test>::get(bob, market).expect("short").margin;
			assert_eq!(
				(migrated.open_interest.long_margin, migrated.open_interest.short_margin),
				(alice_margin, bob_margin)
			);
			assert_eq!(PerpetualMargin::on_chain_storage_version(), 1);
			assert_ok!(PerpetualMargin::do_try_state());
		});
	}
}
