//! Profit held back at a flagged price: a reduction fills no better than the flag allows, what
//! it would have paid beyond that is held (counted by the silo as its pool's debt), and one
//! governed window later it is judged at the TWAP, less if the price reverted, again later if
//! the price is still flagged. Fee-free, funding-free market at price 100 (value scale 1);
//! every number is worked out in the comments.

use super::*;
use crate::{HeldCursor, HeldProfitCursor, HeldProfits, ProfitHoldWindow};

fn quiet_params() -> MarketParams<frame_support::traits::ConstU32<4>> {
	MarketParams { max_funding_rate: FixedU128::zero(), ..fee_free_params() }
}

/// Alice long 1_000 and Bob short 1_000, both filled at 100.05 (entries 100_050), skew 0; a
/// hold window of 10 blocks.
fn both_sides() {
	open_market(quiet_params(), 10_000_000, &[ALICE, BOB], 100_000);
	assert_ok!(buy(ALICE, 1_000, 20_000));
	assert_ok!(sell(BOB, 1_000, 20_000));
	assert_eq!((position(ALICE).entry, position(BOB).entry), (100_050, 100_050));
	assert_ok!(PerpetualMargin::set_profit_hold_window(RuntimeOrigin::root(), 10));
}

fn held_total() -> u128 {
	<CollateralSilos as SiloLedger<_>>::held_profit(SILO)
}

fn judged() -> Vec<(u64, FixedU128, u128, u128, u128)> {
	System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::PerpetualMargin(Event::HeldProfitJudged {
				id,
				price,
				held,
				paid,
				claimed,
				..
			}) => Some((id, price, held, paid, claimed)),
			_ => None,
		})
		.collect()
}

fn dec(n: u128, d: u128) -> FixedU128 {
	rational(n, d)
}

#[test]
fn the_hold_window_is_governed_and_bounded() {
	new_test_ext().execute_with(|| {
		assert_eq!(ProfitHoldWindow::<Test>::get(), 600);
		assert_noop!(
			PerpetualMargin::set_profit_hold_window(RuntimeOrigin::signed(ALICE), 10),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			PerpetualMargin::set_profit_hold_window(RuntimeOrigin::root(), 0),
			Error::<Test>::InvalidHoldWindow
		);
		let beyond = u64::from(bulwark_primitives::MAX_BLOCKS) + 1;
		assert_noop!(
			PerpetualMargin::set_profit_hold_window(RuntimeOrigin::root(), beyond),
			Error::<Test>::InvalidHoldWindow
		);
		assert_ok!(PerpetualMargin::set_profit_hold_window(RuntimeOrigin::root(), 10));
		System::assert_last_event(Event::ProfitHoldWindowSet { window: 10 }.into());
	});
}

#[test]
fn profit_held_at_a_flagged_pump_is_paid_at_the_twap_once_the_price_held() {
	new_test_ext().execute_with(|| {
		both_sides();
		// A pump to 150 the breakers flag, bounds (104, 104).
		MockPrices::set(MARKET, fixed(150));
		MockStatus::flag_price(MARKET, fixed(104), fixed(104));
		let alice_free = free(ALICE);
		// Alice sells 1_000 from skew 0: unbounded 150 x (1 - 0.0005) = 149.925; filled at 104.
		// Realized 104_000 - 100_050 = 3_950; held 1_000 x 45.925 = 45_925, due 1 + 10.
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		System::assert_has_event(
			Event::ProfitHeld { who: ALICE, market: MARKET, id: 0, amount: 45_925, due: 11 }.into(),
		);
		assert_eq!(free(ALICE), alice_free + 20_000 + 3_950);
		assert_eq!(held_total(), 45_925);
		// The silo counts it as its pool's debt, with the claims.
		assert_eq!(CollateralSilos::owed(SILO, &books()), 45_925);
		// Not a claim: not due, and what settlements and deleveraging count as owed is the
		// claims.
		assert_eq!(<CollateralSilos as bulwark_primitives::SiloHealth>::claims(SILO), 0);
		assert_eq!(
			HeldProfits::<Test>::get(0).map(|held| (held.filled, held.unbounded, held.size_units)),
			Some((fixed(104), dec(149_925, 1_000), 1_000))
		);
		// Bob, short and losing at 150, buys back at his unbounded 150.075 (above the bound):
		// the flag did not bind, nothing is held.
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(BOB),
			MARKET,
			fixed(1_000)
		));
		assert_eq!(HeldProfitCursor::<Test>::get(), HeldCursor { head: 0, next: 1 });

		// The flag clears; the price holds at 150 with a window TWAP of 140. Nothing is judged
		// before block 11.
		MockStatus::unflag_price(MARKET);
		MockPrices::set_twap(MARKET, fixed(140));
		run_to_block(10);
		MockPrices::set(MARKET, fixed(150));
		assert_eq!(held_total(), 45_925);
		assert_eq!(judged(), vec![]);
		// The pool may pay 10_000 of profit this window.
		MockStatus::set_profit_allowance(SILO, 10_000);
		run_to_block(11);
		// Judged at min(TWAP 140, last 150) = 140: worth 1_000 x (140 - 104) = 36_000, of which
		// the allowance pays 10_000 now and 26_000 is her claim, in order.
		assert_eq!(judged(), vec![(0, fixed(140), 45_925, 10_000, 26_000)]);
		assert_eq!(free(ALICE), alice_free + 20_000 + 3_950 + 10_000);
		assert_eq!(books().claims, 26_000);
		assert_eq!(held_total(), 0);
		assert_eq!(HeldProfits::<Test>::get(0), None);
		assert_eq!(HeldProfitCursor::<Test>::get(), HeldCursor { head: 1, next: 1 });
	});
}

#[test]
fn held_profit_of_a_pump_that_reverted_pays_nothing_above_the_pre_move_price() {
	new_test_ext().execute_with(|| {
		both_sides();
		MockPrices::set(MARKET, fixed(150));
		MockStatus::flag_price(MARKET, fixed(104), fixed(104));
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		assert_eq!(held_total(), 45_925);
		let alice_free = free(ALICE);
		let pool = books().pool;
		// The pump reverts: back at 100 (the TWAP kept some of it: 106).
		MockStatus::unflag_price(MARKET);
		MockPrices::set_twap(MARKET, fixed(106));
		run_to_block(10);
		MockPrices::set(MARKET, fixed(100));
		run_to_block(11);
		// Judged at min(106, 100) = 100, below her fill of 104: worth nothing. The pool keeps
		// all of it; she keeps what the fill paid.
		assert_eq!(judged(), vec![(0, fixed(100), 45_925, 0, 0)]);
		assert_eq!(free(ALICE), alice_free);
		assert_eq!(books().pool, pool);
		assert_eq!((held_total(), books().claims), (0, 0));
	});
}

#[test]
fn a_short_held_at_a_flagged_crash_waits_while_flagged_and_is_judged_at_the_higher_price() {
	new_test_ext().execute_with(|| {
		both_sides();
		// A crash to 60 the breakers flag, bounds (96, 96).
		MockPrices::set(MARKET, fixed(60));
		MockStatus::flag_price(MARKET, fixed(96), fixed(96));
		// Bob buys 1_000 back from skew 0: unbounded 60 x 1.0005 = 60.03; filled at 96.
		// Realized 100_050 - 96_000 = 4_050; held 1_000 x 35.97 = 35_970.
		assert_ok!(PerpetualMargin::close_position(
			RuntimeOrigin::signed(BOB),
			MARKET,
			fixed(1_000)
		));
		System::assert_has_event(
			Event::ProfitHeld { who: BOB, market: MARKET, id: 0, amount: 35_970, due: 11 }.into(),
		);
		// Still flagged when it falls due: held again as number 1, until 11 + 10.
		run_to_block(11);
		System::assert_has_event(
			Event::ProfitHoldExtended { who: BOB, market: MARKET, id: 0, new_id: 1, due: 21 }
				.into(),
		);
		assert_eq!(judged(), vec![]);
		assert_eq!(held_total(), 35_970);
		assert_eq!(HeldProfitCursor::<Test>::get(), HeldCursor { head: 1, next: 2 });
		// A Stale price at the next due date waits too.
		MockStatus::unflag_price(MARKET);
		run_to_block(20);
		MockPrices::set_stale(MARKET);
		run_to_block(21);
		assert_eq!(judged(), vec![]);
		assert_eq!(HeldProfitCursor::<Test>::get(), HeldCursor { head: 2, next: 3 });
		// Then the price holds at 62 with a TWAP of 70: judged at the higher, 70; worth
		// 1_000 x (96 - 70) = 26_000, paid in full (no allowance set).
		let bob_free = free(BOB);
		MockPrices::set_twap(MARKET, fixed(70));
		run_to_block(30);
		MockPrices::set(MARKET, fixed(62));
		run_to_block(31);
		assert_eq!(judged(), vec![(2, fixed(70), 35_970, 26_000, 0)]);
		assert_eq!(free(BOB), bob_free + 26_000);
		assert_eq!(held_total(), 0);
	});
}

#[test]
fn held_profit_is_judged_no_higher_than_the_fill_the_flag_stopped() {
	new_test_ext().execute_with(|| {
		both_sides();
		MockPrices::set(MARKET, fixed(150));
		MockStatus::flag_price(MARKET, fixed(104), fixed(104));
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		// The price goes on up and holds: 200, a TWAP of 190. Judged at her unbounded fill,
		// 149.925, not 190: worth the 45_925 held, no more.
		MockStatus::unflag_price(MARKET);
		MockPrices::set_twap(MARKET, fixed(190));
		run_to_block(10);
		MockPrices::set(MARKET, fixed(200));
		run_to_block(11);
		assert_eq!(judged(), vec![(0, dec(149_925, 1_000), 45_925, 45_925, 0)]);
	});
}

#[test]
fn a_gap_below_the_minimum_position_value_is_not_held() {
	new_test_ext().execute_with(|| {
		let params = MarketParams { min_position_value: 50_000, ..quiet_params() };
		open_market(params, 10_000_000, &[ALICE, BOB], 100_000);
		assert_ok!(buy(ALICE, 1_000, 20_000));
		assert_ok!(sell(BOB, 1_000, 20_000));
		MockPrices::set(MARKET, fixed(150));
		MockStatus::flag_price(MARKET, fixed(104), fixed(104));
		// The 45_925 gap is below the market's 50_000 minimum position value: it stays in the
		// pool, no record is made.
		assert_ok!(PerpetualMargin::close_position(RuntimeOrigin::signed(ALICE), MARKET, fixed(0)));
		assert_eq!(held_total(), 0);
		assert_eq!(HeldProfitCursor::<Test>::get(), HeldCursor { head: 0, next: 0 });
	});
}
