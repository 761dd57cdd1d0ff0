//! Exact-number tests of the margin engine. Unit price = oracle price (value scale 1); sizes in
//! units, money in the collateral's smallest unit. Every expected number is worked out in the
//! comments.

use crate::{
	mock::*, Error, Event, MarketParams, Markets, PositionIndex, Positions, SizeTier, Watched,
};
use bulwark_primitives::{MarketStatus, PositionMarks, SiloLedger};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use sp_runtime::{
	traits::{One, Zero},
	DispatchError, FixedI128, FixedPointNumber, FixedU128, Permill,
};

mod held;
mod liquidations_first;
mod proptests;
mod scale;
mod settlement;
mod solvency;

const MARKET: u32 = 7;
const ALICE: AccountId = 2;
const BOB: AccountId = 3;
const CAROL: AccountId = 4;
const KEEPER: AccountId = 5;
const DONOR: AccountId = 6;

fn fixed(n: u32) -> FixedU128 {
	FixedU128::from_u32(n)
}
fn rational(n: u128, d: u128) -> FixedU128 {
	FixedU128::from_rational(n, d)
}

/// 10x leverage, initial 10%, maintenance 5%, volatility factor 2 rising at most 1% per block,
/// a 2x tier from 10_000 units (1_000_000 of value at 100), no minimum position value, impact and funding scale 1_000_000, fee 0.1%, penalty 1%,
/// keeper reward 0.5%.
pub fn params() -> MarketParams<frame_support::traits::ConstU32<4>> {
	MarketParams {
		value_scale: FixedU128::one(),
		max_leverage: fixed(10),
		initial_margin: rational(10, 100),
		maintenance_margin: rational(5, 100),
		volatility_factor: fixed(2),
		max_margin_step: rational(1, 100),
		size_tiers: BoundedVec::truncate_from(vec![SizeTier {
			min_size: 10_000,
			factor: fixed(2),
		}]),
		min_size: 10,
		min_position_value: 0,
		max_position_size: 1_000_000,
		max_long_size: 2_000_000,
		max_short_size: 2_000_000,
		max_open_interest_to_pool: fixed(1_000),
		skew_scale: 1_000_000,
		max_price_impact: rational(10, 100),
		max_funding_rate: rational(1, 1_000),
		max_funding_velocity: rational(1, 10_000),
		trading_fee: Permill::from_rational(1u32, 1_000u32),
		liquidation_penalty: Permill::from_percent(1),
		keeper_reward: Permill::from_rational(5u32, 1_000u32),
	}
}

/// A market with `params` at price 100 over a pool of `pool`, each of `traders` with `margin`
/// of free margin.
fn open_market(
	params: MarketParams<frame_support::traits::ConstU32<4>>,
	pool: u128,
	traders: &[AccountId],
	margin: u128,
) {
	market_in(SILO, MARKET, params, pool);
	for who in traders {
		assert_ok!(CollateralSilos::deposit_margin(RuntimeOrigin::signed(*who), SILO, USD, margin));
	}
}

/// `market` in `silo` with `params`, the LP's `pool` added to the silo, at price 100.
fn market_in(
	silo: bulwark_primitives::SiloId,
	market: u32,
	params: MarketParams<frame_support::traits::ConstU32<4>>,
	pool: u128,
) {
	assert_ok!(PerpetualMargin::create_market(RuntimeOrigin::root(), market, silo, params));
	assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), silo, USD, pool, 0));
	MockPrices::set(market, fixed(100));
}

/// A market at price 100 over a pool of `pool`, traders with 100_000 of free margin each.
fn setup(pool: u128) {
	open_market(params(), pool, &[ALICE, BOB, CAROL], 100_000);
}

/// `params()` without the trading fee.
fn fee_free_params() -> MarketParams<frame_support::traits::ConstU32<4>> {
	MarketParams { trading_fee: Permill::zero(), ..params() }
}

fn buy(who: AccountId, size: i128, margin: u128) -> sp_runtime::DispatchResult {
	PerpetualMargin::trade(RuntimeOrigin::signed(who), MARKET, size, margin, fixed(1_000), false)
}
fn sell(who: AccountId, size: i128, margin: u128) -> sp_runtime::DispatchResult {
	PerpetualMargin::trade(
		RuntimeOrigin::signed(who),
		MARKET,
		-size,
		margin,
		FixedU128::zero(),
		false,
	)
}
fn position(who: AccountId) -> crate::Position {
	Positions::<Test>::get(who, MARKET).expect("position exists")
}
fn books() -> pallet_collateral_silos::SiloBooks {
	pallet_collateral_silos::Silos::<Test>::get(SILO).expect("silo").books
}
fn free(who: AccountId) -> u128 {
	<CollateralSilos as SiloLedger<_>>::free_margin(SILO, &who)
}
/// The accounts liquidated in this block's events, in order.
fn liquidated() -> Vec<AccountId> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::PerpetualMargin(Event::Liquidated { who, .. }) => Some(who),
			_ => None,
		})
		.collect()
}
fn health(who: AccountId) -> crate::PositionHealth {
	PerpetualMargin::account_health(&who).into_iter().find(|h| h.market == MARKET).expect("health")
}

#[test]
fn a_winner_whose_fee_outgrew_its_margin_still_closes_paying_the_rest_from_its_profit() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		// Skew 0, buy 100: impact 100 / 2_000_000 = 0.005%, fill 100.005, entry 10_000.5
		// rounded up to 10_001; fee 0.1% of 10_001 rounded up = 11; margin 2_000 - 11.
		assert_ok!(buy(ALICE, 100, 2_000));
		assert_eq!(position(ALICE).margin, 1_989);
		// The price goes 300x. Closing sells 100 from skew 100 to 0: average premium 0.005%,
		// fill 30_001.5, value 3_000_150; profit 3_000_150 - 10_001 = 2_990_149; fee 0.1% of
		// 3_000_150 rounded up = 3_001, more than the whole margin (1_989). The margin pays
		// 1_989 of it, the profit the other 1_012.
		MockPrices::set(MARKET, fixed(30_000));
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		System::assert_last_event(
			Event::PositionChanged {
				who: ALICE,
				market: MARKET,
				size_delta: -100,
				size_units: 0,
				fill_price: rational(60_003, 2),
				fee: 3_001,
				realized: 2_990_149,
				funding: 0,
				margin: 0,
			}
			.into(),
		);
		// 100_000 - 2_000 locked + 2_990_149 profit - 1_012 of the fee; nothing stays locked.
		assert_eq!(free(ALICE), 3_087_137);
		assert_eq!(<CollateralSilos as SiloLedger<_>>::locked_margin(SILO, &ALICE), 0);
	});
}

#[test]
fn a_long_opens_at_the_oracle_price_plus_its_impact_and_closes_with_its_profit() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		// Skew 0, buy 1_000: impact (0 + 1_000) / 2_000_000 = 0.05%, fill 100.05; entry value
		// 100_050; fee 0.1% of 100_050 = 100.05, rounded up to 101, from the 20_000 locked.
		assert_ok!(buy(ALICE, 1_000, 20_000));
		assert_eq!(
			position(ALICE),
			crate::Position {
				size_units: 1_000,
				entry: 100_050,
				margin: 19_899,
				funding_index: FixedI128::zero()
			}
		);
		// Fee split 20% insurance (floor 20.2 = 20), 81 to the pool.
		assert_eq!((books().pool, books().insurance), (10_000_081, 20));
		// At 100 the position is worth 100_000: PnL -50, equity 19_849, initial requirement
		// 10_000, maintenance 5_000.
		let h = health(ALICE);
		assert_eq!(
			(h.pnl, h.equity, h.initial_requirement, h.maintenance_requirement),
			(-50, 19_849, 10_000, 5_000)
		);
		// Liquidation price (100_050 - 19_899) / (1_000 * 0.95) = 84.369473684210526316.
		assert_eq!(h.liquidation_price, Some(FixedU128::from_inner(84_369_473_684_210_526_316)));

		// The price rises to 110. Closing sells 1_000 with skew 1_000: impact (2_000 - 1_000) /
		// 2_000_000 = 0.05%, fill 110.055; PnL 110_055 - 100_050 = 10_005; fee 110.055 -> 111.
		MockPrices::set(MARKET, fixed(110));
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(ALICE),
			MARKET,
			fixed(110)
		));
		assert_eq!(Positions::<Test>::get(ALICE, MARKET), None);
		System::assert_last_event(
			Event::PositionChanged {
				who: ALICE,
				market: MARKET,
				size_delta: -1_000,
				size_units: 0,
				fill_price: rational(110_055, 1_000),
				fee: 111,
				realized: 10_005,
				funding: 0,
				margin: 0,
			}
			.into(),
		);
		// 80_000 never locked + 10_005 profit + 19_788 margin back = 109_793: the trader's
		// 100_000 plus 10_005 profit less 212 of fees.
		assert_eq!(free(ALICE), 109_793);
		assert_eq!(<CollateralSilos as SiloLedger<_>>::locked_margin(SILO, &ALICE), 0);
		// The pool paid the profit and took 81 + 89 of fees: 10_000_000 - 10_005 + 170.
		assert_eq!(books().pool, 9_990_165);
		assert!(PositionIndex::<Test>::iter_keys().next().is_none());
		run_to_block(2);
	});
}

#[test]
fn at_a_flagged_price_a_reduction_fills_no_better_than_the_twap() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		// Alice long 1_000 at 100.05 (entry 100_050, margin 19_899); Bob short 1_000, which
		// brings the skew back to 0, also at 100.05.
		assert_ok!(buy(ALICE, 1_000, 20_000));
		assert_ok!(sell(BOB, 1_000, 60_000));
		let bob_entry = position(BOB).entry;
		assert_eq!(bob_entry, 100_050);
		// A pump to 150 the breakers flag: the TWAP is 104, the price before the flag 100.
		MockPrices::set(MARKET, fixed(150));
		MockStatus::flag_price(MARKET, fixed(104), fixed(104));
		// Alice sells at no more than the lower bound: 104, not 150 and its impact. PnL
		// 104_000 - 100_050 = 3_950; fee 0.1% of 104_000 = 104.
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		System::assert_last_event(
			Event::PositionChanged {
				who: ALICE,
				market: MARKET,
				size_delta: -1_000,
				size_units: 0,
				fill_price: fixed(104),
				fee: 104,
				realized: 3_950,
				funding: 0,
				margin: 0,
			}
			.into(),
		);
		// Bob, short (healthy at 150 on 60_000 of margin), buys back at no less than the upper
		// bound: at 155, above his 150 and its impact.
		MockStatus::flag_price(MARKET, fixed(100), fixed(155));
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(BOB),
			MARKET,
			fixed(1_000)
		));
		let bob_fill = System::events()
			.into_iter()
			.rev()
			.find_map(|record| match record.event {
				RuntimeEvent::PerpetualMargin(Event::PositionChanged {
					who: BOB,
					fill_price,
					realized,
					..
				}) => Some((fill_price, realized)),
				_ => None,
			})
			.expect("Bob closed");
		// Bought back at the TWAP: a loss of 155_000 - 100_050.
		assert_eq!(bob_fill, (fixed(155), bob_entry as i128 - 155_000));
		// No new risk and no deleveraging at a flagged price.
		assert_noop!(buy(CAROL, 100, 2_000), Error::<Test>::NewRiskNotAccepted);
		assert_noop!(
			PerpetualMargin::deleverage(RuntimeOrigin::signed(KEEPER), MARKET),
			Error::<Test>::PriceFlagged
		);
		run_to_block(2);
	});
}

#[test]
fn the_pool_pays_realized_profit_only_within_the_windows_allowance_and_owes_the_rest() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(buy(ALICE, 1_000, 20_000));
		// 110: a profit of 10_005 (as in the close above), of which the breakers allow 1_000.
		MockPrices::set(MARKET, fixed(110));
		MockStatus::set_profit_allowance(SILO, 1_000);
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(ALICE),
			MARKET,
			fixed(110)
		));
		// Paid 1_000 now; 9_005 is her claim, first in line.
		assert_eq!(books().claims, 9_005);
		// 80_000 never locked + 1_000 paid + 19_788 margin back.
		assert_eq!(free(ALICE), 100_788);
		System::assert_has_event(
			pallet_collateral_silos::Event::ProfitRealized {
				silo: SILO,
				who: ALICE,
				paid: 1_000,
				claimed: 9_005,
			}
			.into(),
		);
		// The next blocks pay claims only within the allowance, too: none left.
		MockStatus::set_profit_allowance(SILO, 0);
		run_to_block(2);
		assert_eq!(books().claims, 9_005);
		// A new window's allowance of 5_000: paid at the start of the next block.
		MockStatus::set_profit_allowance(SILO, 5_000);
		run_to_block(3);
		assert_eq!((books().claims, free(ALICE)), (4_005, 105_788));
	});
}

#[test]
fn slicing_a_trade_through_the_impact_cap_earns_nothing() {
	new_test_ext().execute_with(|| {
		open_market(fee_free_params(), 50_000_000, &[ALICE], 10_000_000);
		// The premium reaches its 10% cap at skew 10% of 1_000_000 = 100_000. Buying 100_000
		// from skew 0 walks the slope: average premium (0 + 100_000) / 2_000_000 = 5%, fill 105.
		assert_ok!(buy(ALICE, 100_000, 4_000_000));
		assert_eq!(position(ALICE).entry, 10_500_000);
		// The next 100_000 (skew 100_000 to 200_000) is all beyond the cap: 10%, fill 110.
		assert_ok!(buy(ALICE, 100_000, 4_000_000));
		assert_eq!(position(ALICE).entry, 21_500_000);
		// Selling all 200_000 walks the skew back: half at the cap (10%), half along the slope
		// (5% on average), so 7.5%, fill 107.5: the 21_500_000 the two buys paid, no profit. (The
		// cap applied to the average skew, 100_000, would have paid 110, a profit of 500_000.)
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(ALICE),
			MARKET,
			FixedU128::zero()
		));
		System::assert_last_event(
			Event::PositionChanged {
				who: ALICE,
				market: MARKET,
				size_delta: -200_000,
				size_units: 0,
				fill_price: rational(1_075, 10),
				fee: 0,
				realized: 0,
				funding: 0,
				margin: 0,
			}
			.into(),
		);
		assert_eq!(free(ALICE), 10_000_000);
		assert_eq!(books().pool, 50_000_000);
	});
}

/// The shortest sequence the round-trip property test found that gained a unit before the
/// premium was integrated along the skew: the last buy crosses the cap.
#[test]
fn round_trips_that_touch_the_impact_cap_create_no_value() {
	new_test_ext().execute_with(|| {
		let trades: [(AccountId, i128); 10] = [
			(ALICE, 11_830),
			(CAROL, 13_188),
			(BOB, 18_190),
			(ALICE, -1_945),
			(BOB, 6_566),
			(CAROL, 16_613),
			(ALICE, 18_416),
			(BOB, -1_357),
			(BOB, 14_523),
			(ALICE, 7_967),
		];
		open_market(fee_free_params(), 10_000_000, &[ALICE, BOB, CAROL], 1_000_000);
		for (who, size) in trades {
			// Margin for 4x, as the property test gives.
			let margin = (100 * size.unsigned_abs() / 4).min(free(who));
			let limit = if size > 0 { fixed(u32::MAX) } else { FixedU128::zero() };
			let _ = PerpetualMargin::trade(
				RuntimeOrigin::signed(who),
				MARKET,
				size,
				margin,
				limit,
				false,
			);
		}
		for who in [ALICE, BOB, CAROL] {
			let limit =
				if position(who).size_units < 0 { fixed(u32::MAX) } else { FixedU128::zero() };
			assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(who), MARKET, limit));
		}
		let traders: u128 = [ALICE, BOB, CAROL].iter().map(|who| free(*who)).sum();
		assert!(traders <= 3_000_000, "traders gained {}", traders - 3_000_000);
		check_invariants();
	});
}

#[test]
fn increasing_averages_the_entry_and_reducing_realizes_a_proportional_part() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(buy(ALICE, 1_000, 20_000));
		// Second buy of 1_000 with skew 1_000: impact (2_000 + 1_000) / 2_000_000 = 0.15%,
		// fill 100.15, adds 100_150: entry 200_200; fee 100.15 -> 101; margin 19_899 +
		// 10_000 - 101 = 29_798.
		assert_ok!(buy(ALICE, 1_000, 10_000));
		assert_eq!(
			(position(ALICE).size_units, position(ALICE).entry, position(ALICE).margin),
			(2_000, 200_200, 29_798)
		);
		// Sell 500 with skew 2_000: impact (4_000 - 500) / 2_000_000 = 0.175%, fill 100.175.
		// Entry share 200_200 * 500 / 2_000 = 50_050; proceeds 50_087.5 -> 50_087; PnL 37.
		// Fee 50_087.5 -> 50_088 * 0.1% = 50.088 -> 51. Margin 29_798 - 51 = 29_747; a quarter
		// released (7_436.75 -> 7_436), 22_311 left.
		assert_ok!(sell(ALICE, 500, 0));
		let p = position(ALICE);
		assert_eq!((p.size_units, p.entry, p.margin), (1_500, 150_150, 22_311));
		// Free: 70_000 left after locking 30_000, + 37 profit + 7_436 released.
		assert_eq!(free(ALICE), 77_473);
		run_to_block(2);
	});
}

#[test]
fn funding_accrues_per_block_at_a_rate_whose_speed_is_capped() {
	new_test_ext().execute_with(|| {
		let mut slow = params();
		slow.skew_scale = 10_000;
		slow.max_funding_velocity = rational(4, 100_000);
		open_market(slow, 10_000_000, &[ALICE], 100_000);
		// Buy 1_000: impact 1_000 / 20_000 = 5%, fill 105.
		assert_ok!(buy(ALICE, 1_000, 30_000));
		assert_eq!(position(ALICE).entry, 105_000);
		// Skew 1_000 of 10_000 asks for 10% of 0.1% = 0.01% per block; the rate may move
		// 0.004% per block: 0.004%, 0.008%, 0.01%, 0.01%, 0.01% over blocks 2..6, summing to
		// 0.042%; at the price 100 seen at the trade the index moves 0.042 per unit: the long
		// owes 42.
		run_to_block(6);
		assert_eq!(health(ALICE).funding_owed, 42);
		// A short of 1_000 would receive it: the pool gets the difference of an unbalanced market
		// (here all of it), because it carries the skew.
		// Touching the market settles the index: the rate is now at its 0.01% target.
		assert_ok!(PerpetualMargin::add_margin(RuntimeOrigin::signed(ALICE), MARKET, 1_000));
		assert_ok!(buy(ALICE, 10, 0));
		let market = Markets::<Test>::get(MARKET).unwrap();
		assert_eq!(market.accrual.funding_rate, FixedI128::from_rational(1, 10_000));
		assert_eq!(market.accrual.funding_index, FixedI128::from_rational(42, 1_000));
		// The trade settled the 42 from the position's margin into the pool.
		System::assert_has_event(
			pallet_collateral_silos::Event::LossRealized {
				silo: SILO,
				who: ALICE,
				from_margin: 42,
				from_insurance: 0,
				socialized: 0,
			}
			.into(),
		);
		run_to_block(7);
	});
}

#[test]
fn margin_requirements_follow_volatility_a_step_per_block_and_size_tiers() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		// Volatility 2% per block, k = 2: the add-on heads for 4%, at most 1% per block.
		MockPrices::set_volatility(MARKET, rational(2, 100));
		assert_ok!(buy(ALICE, 1_000, 20_000));
		// Block 1: the target is only now known; the add-on is 0.
		assert_eq!(health(ALICE).maintenance_requirement, 5_000);
		// Two blocks later: add-on 2%: maintenance (5% + 2%) of 100_000 = 7_000, initial 12_000.
		run_to_block(3);
		let h = health(ALICE);
		assert_eq!((h.maintenance_requirement, h.initial_requirement), (7_000, 12_000));
		// From block 5 on it stays at 4%: 9_000 and 14_000.
		run_to_block(9);
		let h = health(ALICE);
		assert_eq!((h.maintenance_requirement, h.initial_requirement), (9_000, 14_000));
		// An open that fits 10x leverage but not the 14% initial requirement: equity 13_000 -
		// impact 50 - fee 101 on 100_000 of value.
		assert_noop!(buy(BOB, 1_000, 13_000), Error::<Test>::InsufficientMargin);
		// Calm returns: the add-on drops at once.
		MockPrices::set_volatility(MARKET, FixedU128::zero());
		assert_ok!(PerpetualMargin::add_margin(RuntimeOrigin::signed(ALICE), MARKET, 1));
		assert_ok!(buy(ALICE, 10, 0));
		run_to_block(10);
		assert_eq!(health(ALICE).maintenance_requirement, 5_050);

		// Size tier: 10_000 units at 100 are worth 1_000_000, twice the fractions: initial 20%.
		// 190_000 of margin is not enough (equity 190_000 - impact - fee < 200_000).
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(CAROL),
			SILO,
			USD,
			400_000
		));
		assert_noop!(sell(CAROL, 10_000, 190_000), Error::<Test>::InsufficientMargin);
		assert_ok!(sell(CAROL, 10_000, 250_000));
		assert_eq!(health(CAROL).maintenance_requirement, 100_000);
	});
}

#[test]
fn a_liquidation_closes_just_enough_and_pays_keeper_then_insurance() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		// Entry 100_050, margin 11_000 - 101 = 10_899.
		assert_ok!(buy(ALICE, 1_000, 11_000));
		// At 93.9: equity 10_899 + 93_900 - 100_050 = 4_749 >= 5% of 93_900 = 4_695.
		MockPrices::set(MARKET, rational(939, 10));
		assert_noop!(
			PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET),
			Error::<Test>::NotLiquidatable
		);
		// At 93.8: equity 4_649 < 4_690.
		MockPrices::set(MARKET, rational(938, 10));
		assert_ok!(PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET));
		// Close c >= (10% of 93_800 - 4_649) / ((10% - 1.5%) * 93.8) = 4_731 / 7.973 = 593.4:
		// 594 units at 93.8. Entry share 100_050 * 594 / 1_000 = 59_429.7 -> 59_430; proceeds
		// 55_717.2 -> 55_717; loss 3_713. Of 55_717 closed: reward 0.5% = 278, penalty 1% = 557.
		System::assert_has_event(
			Event::Liquidated {
				who: ALICE,
				market: MARKET,
				keeper: Some(KEEPER),
				closed: 594,
				size_units: 406,
				price: rational(938, 10),
				realized: -3_713,
				penalty: 557,
				reward: 278,
				bad_debt: 0,
			}
			.into(),
		);
		// Margin 10_899 - 3_713 - 278 - 557 = 6_351 backs 406 units of entry 40_620.
		let p = position(ALICE);
		assert_eq!((p.size_units, p.entry, p.margin), (406, 40_620, 6_351));
		// Back at initial margin: equity 6_351 + 38_082 - 40_620 = 3_813 >= 10% of 38_083.
		let h = health(ALICE);
		assert_eq!((h.equity, h.initial_requirement, h.liquidatable), (3_813, 3_809, false));
		assert_eq!(free(KEEPER), 278);
		assert_eq!(books().insurance, 20 + 557);
		run_to_block(2);
	});
}

#[test]
fn a_gap_through_the_margin_sends_the_shortfall_down_the_silo_waterfall() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(CollateralSilos::fund_insurance(RuntimeOrigin::signed(DONOR), SILO, USD, 5_000));
		assert_ok!(buy(ALICE, 1_000, 11_000));
		assert_ok!(buy(BOB, 100, 2_000));
		let bob_before = position(BOB);
		// The price gaps to 80: Alice's loss 100_050 - 80_000 = 20_050 exceeds her 10_899.
		MockPrices::set(MARKET, fixed(80));
		assert_ok!(PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET));
		// All of it closes; her margin pays 10_899; of the 9_151 left the insurance fund pays all
		// it has (5_000 + 20 + 2 of fees = 5_022) and the LPs absorb 4_129. No reward, no penalty.
		System::assert_has_event(
			Event::Liquidated {
				who: ALICE,
				market: MARKET,
				keeper: Some(KEEPER),
				closed: 1_000,
				size_units: 0,
				price: fixed(80),
				realized: -20_050,
				penalty: 0,
				reward: 0,
				bad_debt: 9_151,
			}
			.into(),
		);
		assert_eq!((books().insurance, books().socialized_loss), (0, 4_129));
		assert_eq!(<CollateralSilos as SiloLedger<_>>::locked_margin(SILO, &ALICE), 0);
		// Bob's isolated position did not pay a unit of it.
		assert_eq!(position(BOB), bob_before);
		run_to_block(2);
	});
}

/// Every `Deleveraged` event so far: (who, profit, paid, claimed, forfeited).
fn deleveraged() -> Vec<(AccountId, u128, u128, u128, u128)> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::PerpetualMargin(Event::Deleveraged {
				who,
				profit,
				paid,
				claimed,
				forfeited,
				..
			}) => Some((who, profit, paid, claimed, forfeited)),
			_ => None,
		})
		.collect()
}

#[test]
fn when_the_pool_cannot_back_the_winners_they_share_one_haircut_that_closes_the_gap() {
	new_test_ext().execute_with(|| {
		setup(50_000);
		// Alice long 1_000 (fill 100.05), Bob short 1_000 (skew 1_000: impact +0.05%, fill
		// 100.05, entry 100_050), Carol short 500 (skew 0: impact -0.025%, fill 99.975, entry
		// 49_987). Fees 101 + 101 + 50: pool +81 +81 +40, insurance +20 +20 +10. Margins 10_899,
		// 19_899, 39_950.
		assert_ok!(buy(ALICE, 1_000, 11_000));
		assert_ok!(sell(BOB, 1_000, 20_000));
		assert_ok!(sell(CAROL, 500, 40_000));
		assert_eq!((books().pool, books().insurance), (50_202, 50));
		// A crash to 20 (skew -500). Each side marked at the better for it of two walks. The long
		// side: from skew -500 (sell 1_000 to -1_500: premium -0.1%, fill 19.98, -80_070) or
		// alone (from 1_000 to 0: +0.05%, fill 20.01, 20_010 - 100_050 = -80_040): -80_040, of
		// which its margin can pay 10_899. The short side: from -500 (buy 1_500 to 1_000:
		// +0.025%, fill 20.005, 30_007.5 -> 30_008, +120_029) or alone (from -1_500 to 0:
		// -0.075%, fill 19.985, 29_977.5 -> 29_978): 150_037 - 29_978 = 120_059 owed.
		MockPrices::set(MARKET, fixed(20));
		assert_eq!(
			PerpetualMargin::silo_marks(SILO, Permill::zero()),
			bulwark_primitives::PoolMarks { owed: 120_059, collectible: 10_899, reserve: 120_059 }
		);
		// Short already, before Alice is liquidated: 120_059 - 50_202 - 10_899 = 58_958. (The old
		// rule netted Alice's -80_050 against the winners' +120_037 at the oracle price: +39_987,
		// backed by the pool, so `deleverage` was refused with `SiloSolvent` here.)
		assert_eq!(PerpetualMargin::silo_shortfall(SILO), 58_958);
		assert_ok!(PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET));
		// Pool 50_202 + 10_899 + 50 of insurance = 61_151; 69_101 socialized. The shorts (skew
		// -1_500, both walks the same) are owed 120_059: 58_908 short.
		assert_eq!(books().pool, 61_151);
		System::assert_has_event(
			Event::DeleverageNeeded { market: MARKET, silo: SILO, shortfall: 58_908 }.into(),
		);
		// Scores: Bob 80_050/100_050 * 20_000/99_949 = 0.1601; Carol 39_987/49_987 *
		// 10_000/79_937 = 0.1001: Bob first, both in this step (MaxDeleveragePerCall 2). Their
		// profit at the oracle price U = 80_050 + 39_987 = 120_037. Paid in full, the closes
		// would leave no position and a claim of 120_037 - 61_151 = 58_886: that is the
		// shortfall the haircut takes, each its share rounded up: 80_050 * 58_886 / 120_037 =
		// 39_269.6 -> 39_270 and 39_987 * 58_886 / 120_037 = 19_616.1 -> 19_617 (49.06% each).
		// The pool pays what is kept: 40_780 + 20_370 = 61_150 of 61_151, 1 left. (The old rule
		// paid Bob first as far as the pool went, 61_151 of 80_050, and Carol nothing.)
		assert_ok!(PerpetualMargin::deleverage(RuntimeOrigin::signed(KEEPER), MARKET));
		assert_eq!(
			deleveraged(),
			vec![(BOB, 80_050, 40_780, 0, 39_270), (CAROL, 39_987, 20_370, 0, 19_617)]
		);
		assert_eq!((books().pool, books().claims), (1, 0));
		assert_eq!(PerpetualMargin::silo_shortfall(SILO), 0);
		// Bob: 80_000 free + his 19_899 margin + 40_780 paid; Carol 60_000 + 39_950 + 20_370.
		assert_eq!((free(BOB), free(CAROL)), (140_679, 120_320));
		assert!(PositionIndex::<Test>::iter_keys().next().is_none());
		assert_noop!(
			PerpetualMargin::deleverage(RuntimeOrigin::signed(KEEPER), MARKET),
			Error::<Test>::SiloSolvent
		);
		run_to_block(2);
	});
}

#[test]
fn unrealized_profit_never_counts_toward_withdrawals() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(buy(ALICE, 1_000, 20_000));
		// Up 19_950 at 120; the margin 19_899 must still cover 10% of 120_000 on its own.
		MockPrices::set(MARKET, fixed(120));
		assert_eq!(health(ALICE).pnl, 19_950);
		assert_noop!(
			PerpetualMargin::remove_margin(RuntimeOrigin::signed(ALICE), MARKET, 7_900),
			Error::<Test>::LeverageTooHigh
		);
		assert_ok!(PerpetualMargin::remove_margin(RuntimeOrigin::signed(ALICE), MARKET, 7_899));
		assert_eq!((position(ALICE).margin, free(ALICE)), (12_000, 87_899));
		// And the silo's LP pricing sees the traders' unrealized profit as owed, at what closing
		// the long side would realize: selling 1_000 from skew 1_000 to 0 earns the premium
		// (0.05%, fill 120.06): 120_060 - 100_050 = 20_010. With no adverse move the reserve is
		// the same; after a 10% one (132, fill 132.066) it is 132_066 - 100_050 = 32_016.
		assert_eq!(
			<PerpetualMargin as PositionMarks>::marks(SILO, Permill::zero()),
			bulwark_primitives::PoolMarks { owed: 20_010, collectible: 0, reserve: 20_010 }
		);
		assert_eq!(PerpetualMargin::silo_marks(SILO, Permill::from_percent(10)).reserve, 32_016);
		run_to_block(2);
	});
}

#[test]
fn bad_input_is_refused_with_nothing_changed() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		// Leverage: 100_000 of value on 9_000 - 101 - 50 = 8_849 of equity is 11.3x.
		assert_noop!(buy(ALICE, 1_000, 9_000), Error::<Test>::LeverageTooHigh);
		// The fill 100.05 is above the buyer's 100.04 limit; 99.95 below a seller's 99.96.
		assert_noop!(
			PerpetualMargin::trade(
				RuntimeOrigin::signed(ALICE),
				MARKET,
				1_000,
				20_000,
				rational(10_004, 100),
				false
			),
			Error::<Test>::PriceLimitExceeded
		);
		assert_noop!(
			PerpetualMargin::trade(
				RuntimeOrigin::signed(ALICE),
				MARKET,
				-1_000,
				20_000,
				rational(9_996, 100),
				false
			),
			Error::<Test>::PriceLimitExceeded
		);
		// Dust, zero, a size beyond the position cap and one that cannot be negated.
		assert_noop!(buy(ALICE, 9, 20_000), Error::<Test>::DustSize);
		assert_noop!(buy(ALICE, 0, 20_000), Error::<Test>::Zero);
		assert_noop!(buy(ALICE, 1_000_001, 20_000), Error::<Test>::PositionTooLarge);
		assert_noop!(buy(ALICE, i128::MAX, 20_000), Error::<Test>::PositionTooLarge);
		assert_noop!(buy(ALICE, i128::MIN, 20_000), Error::<Test>::Overflow);
		// More margin than the trader has free.
		assert_noop!(
			buy(ALICE, 1_000, 100_001),
			pallet_collateral_silos::Error::<Test>::InsufficientFreeMargin
		);
		// No such market, no such position.
		assert_noop!(
			PerpetualMargin::trade(
				RuntimeOrigin::signed(ALICE),
				99,
				1_000,
				20_000,
				fixed(1_000),
				false
			),
			Error::<Test>::UnknownMarket
		);
		assert_noop!(
			PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(1)),
			Error::<Test>::NoPosition
		);
		assert_noop!(
			PerpetualMargin::add_margin(RuntimeOrigin::signed(ALICE), MARKET, 10),
			Error::<Test>::NoPosition
		);
		assert_noop!(
			PerpetualMargin::remove_margin(RuntimeOrigin::signed(ALICE), MARKET, 10),
			Error::<Test>::NoPosition
		);
		assert_noop!(
			PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET),
			Error::<Test>::NoPosition
		);
		// Open interest cap: 2_000_000 of longs.
		let mut capped = params();
		capped.max_long_size = 1_500;
		assert_ok!(PerpetualMargin::set_market_params(RuntimeOrigin::root(), MARKET, capped));
		assert_ok!(buy(ALICE, 1_000, 20_000));
		assert_noop!(buy(BOB, 501, 20_000), Error::<Test>::OpenInterestCapExceeded);
		// Reduce-only may not increase or flip.
		assert_noop!(
			PerpetualMargin::trade(RuntimeOrigin::signed(ALICE), MARKET, 10, 0, fixed(1_000), true),
			Error::<Test>::NotReducing
		);
		assert_noop!(
			PerpetualMargin::trade(
				RuntimeOrigin::signed(ALICE),
				MARKET,
				-1_010,
				0,
				FixedU128::zero(),
				true
			),
			Error::<Test>::NotReducing
		);
		// A reduction may not leave dust.
		assert_noop!(sell(ALICE, 995, 0), Error::<Test>::DustSize);
		run_to_block(2);
	});
}

/// What each side may do now, each tried and rolled back: (a keeper liquidates Alice, Alice
/// closes, Bob reduces, Bob adds margin, Carol opens).
type Abilities = [sp_runtime::DispatchResult; 5];

fn abilities() -> Abilities {
	let attempt = |call: &dyn Fn() -> sp_runtime::DispatchResult| {
		frame_support::storage::with_transaction(|| {
			frame_support::storage::TransactionOutcome::Rollback(Ok::<_, DispatchError>(call()))
		})
		.expect("rolled back")
	};
	[
		attempt(&|| {
			PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET)
				.map(|_| ())
				.map_err(|error| error.error)
		}),
		attempt(&|| {
			PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0))
		}),
		attempt(&|| sell(BOB, 500, 0)),
		attempt(&|| PerpetualMargin::add_margin(RuntimeOrigin::signed(BOB), MARKET, 1_000)),
		attempt(&|| buy(CAROL, 100, 2_000)),
	]
}

#[test]
fn owners_and_keepers_obey_one_rule_in_every_status() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		// Alice is liquidatable at 90, Bob healthy.
		assert_ok!(buy(ALICE, 1_000, 11_000));
		assert_ok!(buy(BOB, 1_000, 50_000));
		MockPrices::set(MARKET, fixed(90));
		let halted = || Err(Error::<Test>::MarketHalted.into());
		let unusable = || Err(Error::<Test>::PriceUnusable.into());
		let mut table: Vec<(&str, Abilities)> = Vec::new();
		table.push(("Normal, fresh", abilities()));
		MockStatus::set_market(MARKET, MarketStatus::ReduceOnly);
		table.push(("ReduceOnly, fresh", abilities()));
		// Stale, but recent enough for the breakers to act on.
		MockPrices::set_stale(MARKET);
		table.push(("ReduceOnly, stale and usable", abilities()));
		MockStatus::price_unusable(MARKET);
		table.push(("ReduceOnly, too old", abilities()));
		MockStatus::reset();
		MockPrices::set(MARKET, fixed(90));
		MockStatus::set_market(MARKET, MarketStatus::Halted);
		table.push(("Halted, fresh", abilities()));
		let ok = || Ok(());
		let no_new_risk = || Err(Error::<Test>::NewRiskNotAccepted.into());
		assert_eq!(
			table,
			vec![
				("Normal, fresh", [ok(), ok(), ok(), ok(), ok()]),
				("ReduceOnly, fresh", [ok(), ok(), ok(), ok(), no_new_risk()]),
				("ReduceOnly, stale and usable", [ok(), ok(), ok(), ok(), no_new_risk()]),
				("ReduceOnly, too old", [unusable(), unusable(), unusable(), ok(), no_new_risk()]),
				("Halted, fresh", [halted(), halted(), halted(), ok(), halted()]),
			]
		);
		// Stale in a Normal market (before the breakers see it): new risk needs a Fresh price.
		MockStatus::reset();
		MockPrices::set_stale(MARKET);
		assert_noop!(buy(CAROL, 100, 2_000), Error::<Test>::StalePrice);
		assert_ok!(sell(BOB, 500, 0));
		run_to_block(2);
	});
}

#[test]
fn an_owner_closes_a_liquidatable_position_as_a_liquidation_would_without_its_penalty() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(buy(ALICE, 1_000, 11_000));
		MockPrices::set(MARKET, fixed(90));
		assert!(health(ALICE).liquidatable);
		let entry = position(ALICE).entry;
		let margin = position(ALICE).margin;
		let insurance = books().insurance;
		let free_before = free(ALICE);
		// A limit the liquidation price does not meet is refused.
		assert_noop!(
			PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(91)),
			Error::<Test>::PriceLimitExceeded
		);
		// A trade other than the whole close is refused on a liquidatable position; a trade that
		// closes it whole goes as `close_position` does (tried and rolled back).
		assert_noop!(sell(ALICE, 500, 0), Error::<Test>::PositionLiquidatable);
		let whole = frame_support::storage::with_transaction(|| {
			let closed = sell(ALICE, 1_000, 0);
			let owner_closed = System::events().iter().any(|record| {
				matches!(
					record.event,
					RuntimeEvent::PerpetualMargin(Event::Liquidated { keeper: Some(ALICE), .. })
				)
			});
			frame_support::storage::TransactionOutcome::Rollback(Ok::<_, DispatchError>((
				closed,
				owner_closed,
			)))
		});
		assert_eq!(whole, Ok((Ok(()), true)));
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(ALICE),
			MARKET,
			fixed(90)
		));
		// Whole, at 90 per unit: a loss of entry - 90,000, the trading fee (0.1% of 90,000 =
		// 90) from what margin is left, no penalty and no keeper reward.
		let loss = entry - 90_000;
		let fee = 90;
		System::assert_has_event(
			Event::Liquidated {
				who: ALICE,
				market: MARKET,
				keeper: Some(ALICE),
				closed: 1_000,
				size_units: 0,
				price: fixed(90),
				realized: -(loss as i128),
				penalty: 0,
				reward: 0,
				bad_debt: 0,
			}
			.into(),
		);
		assert!(Positions::<Test>::get(ALICE, MARKET).is_none());
		assert_eq!(free(ALICE), free_before + margin - loss - fee);
		// The insurance fund got its share of the fee only.
		assert!(books().insurance - insurance < fee);
		run_to_block(2);
	});
}

#[test]
fn an_insurance_fund_below_its_floor_stops_new_risk_in_that_silo() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		MockStatus::refuse_new_risk(SILO);
		assert_noop!(buy(BOB, 100, 2_000), Error::<Test>::NewRiskNotAccepted);
	});
}

#[test]
fn a_price_update_watches_the_market_and_the_views_list_only_the_liquidatable() {
	use bulwark_primitives::OnPriceUpdate;
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(buy(ALICE, 1_000, 11_000));
		assert_ok!(buy(BOB, 1_000, 50_000));
		// A move that leaves everyone healthy watches nothing.
		MockPrices::set(MARKET, fixed(99));
		PerpetualMargin::on_price_update(MARKET, &MockPrices::aggregate(MARKET));
		assert!(Watched::<Test>::get().is_empty());
		MockPrices::set(MARKET, fixed(90));
		PerpetualMargin::on_price_update(MARKET, &MockPrices::aggregate(MARKET));
		assert_eq!(Watched::<Test>::get().into_inner(), vec![MARKET]);
		System::assert_has_event(Event::LiquidationsDue { market: MARKET }.into());
		// A second update does not watch it twice.
		PerpetualMargin::on_price_update(MARKET, &MockPrices::aggregate(MARKET));
		assert_eq!(Watched::<Test>::get().len(), 1);
		assert_eq!(PerpetualMargin::liquidatable(0, 10), vec![(ALICE, MARKET)]);
		assert_eq!(PerpetualMargin::liquidatable(1, 10), vec![]);
		assert_ok!(PerpetualMargin::liquidate(RuntimeOrigin::signed(KEEPER), ALICE, MARKET));
		assert_eq!(PerpetualMargin::liquidatable(0, 10), vec![]);
		// The next pass finds nothing due and stops watching.
		run_to_block(2);
		assert!(Watched::<Test>::get().is_empty());
	});
}

#[test]
fn the_stress_test_projects_bad_debt_against_insurance_and_pool() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(buy(ALICE, 1_000, 11_000));
		// -20%: price 80, Alice's equity 10_899 + 80_000 - 100_050 = -9_151.
		let stress = PerpetualMargin::stress_test(
			Some(MARKET),
			FixedI128::saturating_from_rational(-2i128, 10i128),
		);
		assert_eq!(
			stress,
			vec![crate::SiloStress {
				silo: SILO,
				bad_debt: 9_151,
				liquidatable: 1,
				trader_pnl: -20_050,
				insurance: 20,
				pool: 10_000_081,
				uncovered: 9_131,
			}]
		);
		// +20% makes no bad debt; the trader is up 19_950.
		let stress = PerpetualMargin::stress_test(None, FixedI128::from_rational(2, 10));
		assert_eq!(
			(stress[0].bad_debt, stress[0].liquidatable, stress[0].trader_pnl),
			(0, 0, 19_950)
		);
	});
}

#[test]
fn governance_creates_markets_within_bounds() {
	new_test_ext().execute_with(|| {
		let mut bad = params();
		bad.maintenance_margin = rational(10, 100);
		assert_noop!(
			PerpetualMargin::create_market(RuntimeOrigin::root(), MARKET, SILO, bad),
			Error::<Test>::InvalidParams
		);
		let mut bad = params();
		bad.size_tiers =
			BoundedVec::truncate_from(vec![SizeTier { min_size: 5, factor: rational(1, 2) }]);
		assert_noop!(
			PerpetualMargin::create_market(RuntimeOrigin::root(), MARKET, SILO, bad),
			Error::<Test>::InvalidParams
		);
		let mut bad = params();
		bad.max_price_impact = fixed(1);
		assert_noop!(
			PerpetualMargin::create_market(RuntimeOrigin::root(), MARKET, SILO, bad),
			Error::<Test>::InvalidParams
		);
		assert_noop!(
			PerpetualMargin::create_market(RuntimeOrigin::root(), MARKET, 3, params()),
			Error::<Test>::UnknownSilo
		);
		assert_noop!(
			PerpetualMargin::create_market(RuntimeOrigin::signed(ALICE), MARKET, SILO, params()),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_ok!(PerpetualMargin::create_market(RuntimeOrigin::root(), MARKET, SILO, params()));
		assert_noop!(
			PerpetualMargin::create_market(RuntimeOrigin::root(), MARKET, SILO, params()),
			Error::<Test>::MarketExists
		);
		for id in 0..3 {
			assert_ok!(PerpetualMargin::create_market(RuntimeOrigin::root(), id, SILO, params()));
		}
		assert_noop!(
			PerpetualMargin::create_market(RuntimeOrigin::root(), 3, SILO, params()),
			Error::<Test>::TooManyMarkets
		);
	});
}

#[test]
fn funding_past_one_a_block_and_a_new_value_scale_under_open_positions_are_refused() {
	new_test_ext().execute_with(|| {
		setup(10_000_000);
		assert_ok!(buy(ALICE, 50, 1_000));
		// A velocity or a rate past 100% a block: accrual would overflow in every later
		// block, and `set_market_params` (which accrues under the old parameters first) could
		// not undo it. Before, `FixedU128::max_value()` was taken and the next block's trades
		// and liquidations failed with `Overflow`.
		for (rate, velocity) in [
			(fixed(1), FixedU128::from_inner(u128::MAX)),
			(rational(1_000_001, 1_000_000), fixed(1)),
		] {
			let bad =
				MarketParams { max_funding_rate: rate, max_funding_velocity: velocity, ..params() };
			assert_noop!(
				PerpetualMargin::set_market_params(RuntimeOrigin::root(), MARKET, bad.clone()),
				Error::<Test>::InvalidParams
			);
			assert_noop!(
				PerpetualMargin::create_market(RuntimeOrigin::root(), 1, SILO, bad),
				Error::<Test>::InvalidParams
			);
		}
		// Entry values are collateral at the market's value scale: doubling it under ALICE's
		// 50 units entered at 5_000 would have paid her 5_000 of the shorts' and pool's money.
		let rescaled = MarketParams { value_scale: fixed(2), ..params() };
		assert_noop!(
			PerpetualMargin::set_market_params(RuntimeOrigin::root(), MARKET, rescaled.clone()),
			Error::<Test>::ValueScaleLocked
		);
		// At the bounds, accrual still works a block later.
		let steepest =
			MarketParams { max_funding_rate: fixed(1), max_funding_velocity: fixed(1), ..params() };
		assert_ok!(PerpetualMargin::set_market_params(RuntimeOrigin::root(), MARKET, steepest));
		run_to_block(2);
		assert_ok!(sell(BOB, 10, 1_000));
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(BOB),
			MARKET,
			fixed(1_000)
		));
		// No positions: a new scale is allowed.
		assert_ok!(PerpetualMargin::set_market_params(RuntimeOrigin::root(), MARKET, rescaled));
		check_invariants();
	});
}

/// A Degraded price (fewer feeders than the quorum, which a liar beside one honest feeder can
/// move by the spread bound) marks the LPs' books as cautiously as a Stale one: longs at the
/// higher, shorts at the lower of the price and the TWAP.
#[test]
fn a_degraded_price_marks_the_lps_books_as_cautiously_as_a_stale_one() {
	new_test_ext().execute_with(|| {
		setup(50_000);
		assert_ok!(buy(ALICE, 1_000, 11_000));
		MockPrices::set(MARKET, fixed(110));
		MockPrices::set_twap(MARKET, fixed(120));
		let marks = || PerpetualMargin::silo_marks(SILO, Permill::zero());
		let owed = |owed| bulwark_primitives::PoolMarks { owed, collectible: 0, reserve: 10_005 };
		// Fresh at 110: Alice's 1_000 long (entry 100_050) is owed 10_005 (closing alone from
		// skew 1_000: fill 110.055).
		assert_eq!(marks(), owed(10_005));
		// Degraded or Stale: at the TWAP, 120 (fill 120.06): 20_010.
		MockPrices::set_status(MARKET, bulwark_primitives::PriceStatus::Degraded);
		assert_eq!(marks(), owed(20_010));
		MockPrices::set_stale(MARKET);
		assert_eq!(marks(), owed(20_010));
	});
}
