//! Storage migrations of the margin engine. Version 0 to 1 ran with spec 101 and is gone (every
//! chain of this runtime is at version 1 or later); its layout lives on only in version 1's.

use crate::{Accrual, Config, Market, MarketParams, Markets, OpenInterest, Pallet, Positions};
use alloc::vec::Vec;
use bulwark_primitives::{Balance, SiloId};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{FixedPointNumber, FixedU128, Permill};

/// Version 1's layout: size tiers by notional value, no minimum position value, and the trader
/// lists and liquidation queue that the position index replaced.
pub mod v1 {
	use super::*;

	#[derive(Encode, Decode, Clone)]
	pub struct SizeTier {
		pub min_notional: Balance,
		pub factor: FixedU128,
	}

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
		pub max_open_interest_to_pool: FixedU128,
		pub skew_scale: u128,
		pub max_price_impact: FixedU128,
		pub max_funding_rate: FixedU128,
		pub max_funding_velocity: FixedU128,
		pub trading_fee: Permill,
		pub liquidation_penalty: Permill,
		pub keeper_reward: Permill,
	}

	#[derive(Encode, Decode)]
	pub struct Market<MaxTiers: Get<u32>, BlockNumber> {
		pub silo: SiloId,
		pub params: MarketParams<MaxTiers>,
		pub open_interest: OpenInterest,
		pub accrual: Accrual<BlockNumber>,
	}

	/// Storage items of version 1 that version 2 removes.
	pub const REMOVED: [&[u8]; 2] = [b"Traders", b"LiquidationQueue"];
}

/// A version-1 tier threshold (a notional value) as a size: the value over the market's last
/// unit price, rounded up (a tier starts no earlier than it did at that price). A market that
/// never saw a price keeps the number.
pub fn tier_size(min_notional: Balance, unit_price: FixedU128) -> u128 {
	if unit_price.is_zero() {
		return min_notional;
	}
	crate::math::mul_div(min_notional, FixedU128::DIV, unit_price.into_inner(), true)
		.unwrap_or(u128::MAX)
}

/// Version 1 to 2: size tiers by size ([`tier_size`]), `min_position_value` 0 (governance sets
/// it), every position placed in the position index, the trader lists and the liquidation queue
/// removed (the next aggregate of each market watches it again if anything is due).
pub struct InnerMigrateV1ToV2<T>(core::marker::PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut markets = 0u64;
		Markets::<T>::translate::<v1::Market<T::MaxTiers, BlockNumberFor<T>>, _>(|_, old| {
			markets += 1;
			let params = old.params;
			let unit_price = old.accrual.unit_price;
			// Thresholds that round to the same size are moved up one unit each, so the tiers
			// still ascend strictly (as `ensure_valid_params` requires).
			let mut tiers: Vec<crate::SizeTier> = Vec::new();
			for tier in params.size_tiers {
				let mut min_size = tier_size(tier.min_notional, unit_price);
				if let Some(last) = tiers.last() {
					min_size = min_size.max(last.min_size.saturating_add(1));
				}
				tiers.push(crate::SizeTier { min_size, factor: tier.factor });
			}
			Some(Market {
				silo: old.silo,
				params: MarketParams {
					value_scale: params.value_scale,
					max_leverage: params.max_leverage,
					initial_margin: params.initial_margin,
					maintenance_margin: params.maintenance_margin,
					volatility_factor: params.volatility_factor,
					max_margin_step: params.max_margin_step,
					size_tiers: BoundedVec::truncate_from(tiers),
					min_size: params.min_size,
					min_position_value: 0,
					max_position_size: params.max_position_size,
					max_long_size: params.max_long_size,
					max_short_size: params.max_short_size,
					max_open_interest_to_pool: params.max_open_interest_to_pool,
					skew_scale: params.skew_scale,
					max_price_impact: params.max_price_impact,
					max_funding_rate: params.max_funding_rate,
					max_funding_velocity: params.max_funding_velocity,
					trading_fee: params.trading_fee,
					liquidation_penalty: params.liquidation_penalty,
					keeper_reward: params.keeper_reward,
				},
				open_interest: old.open_interest,
				accrual: old.accrual,
			})
		});
		let mut positions = 0u64;
		for (who, market, position) in Positions::<T>::iter() {
			positions += 1;
			let Some(state) = Markets::<T>::get(market) else { continue };
			let none = Default::default();
			Pallet::<T>::reindex(&who, market, &state.params.size_tiers, &none, &position);
		}
		let pallet = <Pallet<T> as PalletInfoAccess>::name().as_bytes();
		let mut removed = 0u64;
		for item in v1::REMOVED {
			let result = frame_support::storage::migration::clear_storage_prefix(
				pallet, item, b"", None, None,
			);
			removed += u64::from(result.unique);
		}
		T::DbWeight::get().reads_writes(markets + 2 * positions, markets + 2 * positions + removed)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok((Markets::<T>::count(), Positions::<T>::iter().count() as u32).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let (markets, positions): (u32, u32) =
			Decode::decode(&mut &state[..]).map_err(|_| "pre-upgrade state undecodable")?;
		ensure!(Markets::<T>::iter().count() as u32 == markets, "a market did not decode");
		ensure!(Positions::<T>::iter().count() as u32 == positions, "positions changed");
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV1ToV2`], run only while the pallet's on-chain storage version is 1.
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	InnerMigrateV1ToV2<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{mock::*, PositionIndex};
	use frame_support::{
		assert_ok,
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
	};

	/// Version 1's encoding of `market`, its tiers' thresholds given as notional values.
	fn as_v1(market: &crate::MarketOf<Test>, tiers: &[(Balance, FixedU128)]) -> Vec<u8> {
		let params = market.params.clone();
		v1::Market::<frame_support::traits::ConstU32<4>, u64> {
			silo: market.silo,
			params: v1::MarketParams {
				value_scale: params.value_scale,
				max_leverage: params.max_leverage,
				initial_margin: params.initial_margin,
				maintenance_margin: params.maintenance_margin,
				volatility_factor: params.volatility_factor,
				max_margin_step: params.max_margin_step,
				size_tiers: BoundedVec::truncate_from(
					tiers
						.iter()
						.map(|(min_notional, factor)| v1::SizeTier {
							min_notional: *min_notional,
							factor: *factor,
						})
						.collect(),
				),
				min_size: params.min_size,
				max_position_size: params.max_position_size,
				max_long_size: params.max_long_size,
				max_short_size: params.max_short_size,
				max_open_interest_to_pool: params.max_open_interest_to_pool,
				skew_scale: params.skew_scale,
				max_price_impact: params.max_price_impact,
				max_funding_rate: params.max_funding_rate,
				max_funding_velocity: params.max_funding_velocity,
				trading_fee: params.trading_fee,
				liquidation_penalty: params.liquidation_penalty,
				keeper_reward: params.keeper_reward,
			},
			open_interest: market.open_interest,
			accrual: market.accrual,
		}
		.encode()
	}

	#[test]
	fn tier_thresholds_become_sizes_at_the_last_price() {
		// 1_000_000 of value at 100 per unit: 10_000 units; at 300 per unit 3_333.3.. -> 3_334.
		assert_eq!(tier_size(1_000_000, FixedU128::saturating_from_integer(100)), 10_000);
		assert_eq!(tier_size(1_000_000, FixedU128::saturating_from_integer(300)), 3_334);
		assert_eq!(tier_size(1_000_000, FixedU128::zero()), 1_000_000);
	}

	#[test]
	fn a_version_1_market_gets_size_tiers_and_its_positions_indexed() {
		new_test_ext().execute_with(|| {
			let (market, lp, alice, bob) = (0, 1, 2, 3);
			let mut params = crate::tests::params();
			params.size_tiers = BoundedVec::new();
			assert_ok!(PerpetualMargin::create_market(RuntimeOrigin::root(), market, SILO, params));
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
			let unit_price = expected.accrual.unit_price;
			let two = FixedU128::saturating_from_integer(2);
			frame_support::storage::unhashed::put_raw(
				&Markets::<Test>::hashed_key_for(market),
				&as_v1(&expected, &[(50_000, two)]),
			);
			// Version 1 had no index; it had a trader list.
			let _ = PositionIndex::<Test>::clear(u32::MAX, None);
			let traders = frame_support::storage::storage_prefix(b"PerpetualMargin", b"Traders");
			frame_support::storage::unhashed::put_raw(&traders, &[1, 2, 3]);
			StorageVersion::new(1).put::<PerpetualMargin>();
			MigrateV1ToV2::<Test>::on_runtime_upgrade();
			// 50_000 of value at the last unit price.
			expected.params.size_tiers = BoundedVec::truncate_from(vec![crate::SizeTier {
				min_size: tier_size(50_000, unit_price),
				factor: two,
			}]);
			expected.params.min_position_value = 0;
			assert_eq!(Markets::<Test>::get(market), Some(expected));
			assert_eq!(PositionIndex::<Test>::iter_keys().count(), 4);
			assert!(frame_support::storage::unhashed::get_raw(&traders).is_none());
			assert_eq!(PerpetualMargin::on_chain_storage_version(), 2);
			assert_ok!(PerpetualMargin::do_try_state());
		});
	}
}
