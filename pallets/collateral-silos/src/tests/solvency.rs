//! The pool's solvency rules, with exact numbers: the locked shares against the first-depositor
//! and inflation attacks, the callers' limits, the withdrawal cooldown and its lower-of price,
//! the reserve, traders' claims, and the marks of open positions.
//!
//! Share arithmetic (`crate::math`): a deposit of `a` into a pool worth `v` (at the deposit
//! price) with `t` shares outstanding, the 1_000 locked ones included, buys
//! `floor(a * t / (v + 1))` shares; `s` shares are worth `floor(s * w / t)` at the withdrawal
//! price `w` = pool - claims - owed.

use super::*;
use crate::{ClaimCursor, ClaimCursors, LpWithdrawal, ProfitClaims};

const LOSER: AccountId = 6;

fn ledger_lock(who: AccountId, amount: u128) {
	assert_ok!(<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &who, amount));
}

fn deposit(who: AccountId, amount: u128) {
	assert_ok!(CollateralSilos::deposit_margin(RuntimeOrigin::signed(who), SILO, USD, amount));
}

/// `who` deposits `amount` of margin, locks it and loses it all into the pool.
fn lose_into_pool(who: AccountId, amount: u128) {
	deposit(who, amount);
	ledger_lock(who, amount);
	assert_eq!(
		<CollateralSilos as SiloLedger<_>>::realize_loss(SILO, &who, amount),
		Ok(LossSettlement { from_margin: amount, from_insurance: 0, socialized: 0 })
	);
}

fn marks(owed: u128, collectible: u128, reserve: u128) {
	MockMarks::set(SILO, PoolMarks { owed, collectible, reserve });
}

/// The `ClaimPaid` events since the last call, as (who, claim, amount).
fn claims_paid() -> Vec<(AccountId, u64, u128)> {
	let paid = System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::CollateralSilos(Event::ClaimPaid { who, claim, amount, .. }) => {
				Some((who, claim, amount))
			},
			_ => None,
		})
		.collect();
	System::reset_events();
	paid
}

#[test]
fn what_accrued_in_a_pool_nobody_owned_stays_with_the_locked_shares() {
	new_test_ext().execute_with(|| {
		create(USD);
		// Before any LP: a trader loses 5_000 into the pool and pays a fee of 1_000 (30% =
		// 300 to insurance, 700 to the pool). The pool holds 5_700; only the 1_000 locked
		// shares exist.
		lose_into_pool(TRADER, 5_000);
		deposit(TRADER, 1_000);
		ledger_lock(TRADER, 1_000);
		assert_ok!(<CollateralSilos as SiloLedger<_>>::charge_fee(SILO, &TRADER, 1_000));
		assert_eq!((books(SILO).pool, books(SILO).total_shares), (5_700, LOCKED_SHARES));

		// The first LP pays for it: 100_000 * 1_000 / 5_701 = 17_540.8 -> 17_540 shares,
		// worth 17_540 * 105_700 / 18_540 = 99_998.9 -> 99_998: less than deposited.
		add(LP, 100_000);
		assert_eq!(LpShares::<Test>::get(SILO, LP), 17_540);
		request(LP, 17_540);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, LP).map(|r| r.value), Some(99_998));
		wait_cooldown();
		assert_ok!(claim(LP));
		assert_eq!(usd(LP), START - 2);
		// The 5_700 and the 2 of rounding stay with the locked shares.
		assert_eq!(books(SILO).pool, 5_702);
		assert_eq!(books(SILO).total_shares, LOCKED_SHARES);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn value_pushed_into_an_empty_pool_is_lost_to_whoever_pushed_it() {
	new_test_ext().execute_with(|| {
		create(USD);
		// The attacker pushes 50_000 into the empty pool first (a loss of their own), hoping
		// to own it with a small deposit after.
		lose_into_pool(OTHER, 50_000);
		// The minimum, 10, buys 10 * 1_000 / 50_001 = 0.2 -> no share.
		assert_noop!(
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(OTHER), SILO, USD, 10, 0),
			Error::<Test>::ZeroShares
		);
		// 1_000 buys 1_000 * 1_000 / 50_001 = 19.99 -> 19 shares, worth
		// 19 * 51_000 / 1_019 = 950.9 -> 950.
		add(OTHER, 1_000);
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 19);
		request(OTHER, 19);
		wait_cooldown();
		assert_ok!(claim(OTHER));
		// Of the 51_000 the attacker put in, 950 came back: 50_050 stay with the locked shares.
		assert_eq!(usd(OTHER), START - 51_000 + 950);
		assert_eq!(books(SILO).pool, 50_050);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn inflating_the_share_price_costs_the_attacker_a_thousand_times_what_the_victim_can_lose() {
	new_test_ext().execute_with(|| {
		create(USD);
		// The attacker deposits the minimum, 10: 10 * 1_000 / 1 = 10_000 shares (of 11_000).
		add(OTHER, 10);
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 10_000);
		// Then pushes the share price up by X = 50_000 (a loss of their own): pool 50_010.
		lose_into_pool(OTHER, 50_000);
		// The victim's 20_000 buys 20_000 * 11_000 / 50_011 = 4_399.03 -> 4_399 shares: the
		// rounding takes 0.03 of a share (a share is worth 4.5 units), not the deposit.
		add(LP, 20_000);
		assert_eq!(LpShares::<Test>::get(SILO, LP), 4_399);
		assert_eq!(books(SILO).total_shares, 15_399);
		// Pool 70_010: the victim's shares are worth 4_399 * 70_010 / 15_399 = 19_999.9 ->
		// 19_999; the attacker's 10_000 * 70_010 / 15_399 = 45_463.99 -> 45_463.
		request(LP, 4_399);
		request(OTHER, 10_000);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, LP).map(|r| r.value), Some(19_999));
		assert_eq!(LpWithdrawals::<Test>::get(SILO, OTHER).map(|r| r.value), Some(45_463));
		wait_cooldown();
		assert_ok!(claim(LP));
		// After the victim: pool 50_011, 11_000 shares: 45_464.5 now, the request's 45_463.
		assert_ok!(claim(OTHER));
		// The victim lost 1 (the withdrawal's rounding down), the attacker 50_010 - 45_463 =
		// 4_547, which the locked shares keep with the victim's unit: 4_548.
		assert_eq!(usd(LP), START - 1);
		assert_eq!(usd(OTHER), START - 50_010 + 45_463);
		assert_eq!(books(SILO).pool, 4_548);
		assert_eq!(books(SILO).total_shares, LOCKED_SHARES);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn a_caller_limit_above_what_is_minted_or_paid_is_refused() {
	new_test_ext().execute_with(|| {
		funded_silo();
		// 10_000 into a pool worth 100_000 with 100_001_000 shares:
		// 10_000 * 100_001_000 / 100_001 = 10_000_000 shares exactly.
		assert_noop!(
			CollateralSilos::add_liquidity(
				RuntimeOrigin::signed(OTHER),
				SILO,
				USD,
				10_000,
				10_000_001
			),
			Error::<Test>::BelowCallerLimit
		);
		assert_eq!(usd(OTHER), START);
		assert_ok!(CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(OTHER),
			SILO,
			USD,
			10_000,
			10_000_000
		));
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 10_000_000);
		// Worth 10_000_000 * 110_000 / 110_001_000 = 9_999.9 -> 9_999.
		request(OTHER, 10_000_000);
		wait_cooldown();
		assert_noop!(
			CollateralSilos::claim_liquidity_withdrawal(RuntimeOrigin::signed(OTHER), SILO, 10_000),
			Error::<Test>::BelowCallerLimit
		);
		assert_ok!(CollateralSilos::claim_liquidity_withdrawal(
			RuntimeOrigin::signed(OTHER),
			SILO,
			9_999
		));
		assert_eq!(usd(OTHER), START - 1);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn a_withdrawal_waits_its_cooldown_and_a_second_request_restarts_it() {
	new_test_ext().execute_with(|| {
		funded_silo();
		// 10_000_100 of 100_001_000 shares of 100_000 are worth exactly 10_000.
		request(LP, 10_000_100);
		System::assert_last_event(
			Event::LiquidityWithdrawalRequested {
				silo: SILO,
				who: LP,
				shares: 10_000_100,
				value: 10_000,
				ready_at: 6,
			}
			.into(),
		);
		assert_eq!(LpShares::<Test>::get(SILO, LP), 100_000_000 - 10_000_100);
		assert_eq!(books(SILO).pending_shares, 10_000_100);
		// Still outstanding: the requested shares bear the pool's gains and losses.
		assert_eq!(books(SILO).total_shares, 100_001_000);
		run_to_block(5);
		assert_noop!(claim(LP), Error::<Test>::CooldownNotOver);
		// A second request adds to the first and restarts the cooldown: ready at 5 + 5.
		request(LP, 10_000_100);
		assert_eq!(
			LpWithdrawals::<Test>::get(SILO, LP),
			Some(LpWithdrawal { shares: 20_000_200, value: 20_000, ready_at: 10 })
		);
		run_to_block(9);
		assert_noop!(claim(LP), Error::<Test>::CooldownNotOver);
		// At ready_at it pays.
		run_to_block(10);
		assert_ok!(claim(LP));
		System::assert_last_event(
			Event::LiquidityRemoved {
				silo: SILO,
				who: LP,
				shares: 20_000_200,
				amount: 20_000,
				paid: 20_000,
				shares_left: 0,
			}
			.into(),
		);
		assert_eq!(usd(LP), START - 100_000 + 20_000);
		let b = books(SILO);
		assert_eq!((b.pool, b.total_shares, b.pending_shares), (80_000, 80_000_800, 0));
		assert_eq!(LpWithdrawals::<Test>::get(SILO, LP), None);
		run_to_block(11);
	});
}

#[test]
fn a_zero_cooldown_pays_in_the_block_of_the_request() {
	new_test_ext().execute_with(|| {
		create(USD);
		assert_ok!(CollateralSilos::set_silo_params(
			RuntimeOrigin::root(),
			SILO,
			SiloParams { lp_cooldown: 0, ..params() }
		));
		add(LP, 100_000);
		request(LP, 10_000_100);
		assert_ok!(claim(LP));
		assert_eq!(usd(LP), START - 90_000);
		run_to_block(2);
	});
}

/// Silo 0 with LP 1 and OTHER 3 at 100_000 each: 100_000_000 shares each (OTHER's
/// 100_000 * 100_001_000 / 100_001 is exactly 100_000_000), 200_001_000 in all, pool 200_000.
fn two_lps() {
	create(USD);
	add(LP, 100_000);
	add(OTHER, 100_000);
	assert_eq!(LpShares::<Test>::get(SILO, OTHER), 100_000_000);
	assert_eq!(books(SILO).total_shares, 200_001_000);
}

#[test]
fn a_withdrawal_is_paid_its_request_time_value_when_the_pool_gained_since() {
	new_test_ext().execute_with(|| {
		two_lps();
		// The winning sides are owed 20_000 when OTHER asks: worth
		// 100_000_000 * 180_000 / 200_001_000 = 89_999.55 -> 89_999.
		marks(20_000, 0, 0);
		request(OTHER, 100_000_000);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, OTHER).map(|r| r.value), Some(89_999));
		// The winners' profit melts away during the cooldown: the shares are worth
		// 100_000_000 * 200_000 / 200_001_000 = 99_999.5 -> 99_999 now ...
		marks(0, 0, 0);
		wait_cooldown();
		assert_ok!(claim(OTHER));
		// ... but the lower value, the request's, is paid.
		assert_eq!(usd(OTHER), START - 100_000 + 89_999);
		System::assert_last_event(
			Event::LiquidityRemoved {
				silo: SILO,
				who: OTHER,
				shares: 100_000_000,
				amount: 89_999,
				paid: 89_999,
				shares_left: 0,
			}
			.into(),
		);
		// The gain stays with the LP who stayed: pool 110_001, its shares worth
		// 100_000_000 * 110_001 / 100_001_000 = 109_999.9 -> 109_999.
		assert_eq!(books(SILO).pool, 110_001);
		request(LP, 100_000_000);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, LP).map(|r| r.value), Some(109_999));
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn a_withdrawal_is_paid_its_claim_time_value_when_the_pool_lost_since() {
	new_test_ext().execute_with(|| {
		two_lps();
		// Worth 99_999 when asked (99_999.5).
		request(OTHER, 100_000_000);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, OTHER).map(|r| r.value), Some(99_999));
		// The winning sides come to be owed 20_000 during the cooldown: worth 89_999 now, and
		// that is paid; the LP who asked does not leave the loss to the others.
		marks(20_000, 0, 0);
		wait_cooldown();
		assert_ok!(claim(OTHER));
		assert_eq!(usd(OTHER), START - 100_000 + 89_999);
		// Pool 110_001 less 20_000 owed: the LP's shares are worth
		// 100_000_000 * 90_001 / 100_001_000 = 90_000.1 -> 90_000 (its 100_000 less its
		// half of the 20_000).
		assert_eq!(books(SILO).pool, 110_001);
		request(LP, 100_000_000);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, LP).map(|r| r.value), Some(90_000));
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn only_what_the_pool_holds_beyond_its_reserve_may_leave() {
	new_test_ext().execute_with(|| {
		two_lps();
		// Worth 99_999 when asked.
		request(OTHER, 100_000_000);
		// The reserve (what the winners could be owed after the adverse move) is 190_000:
		// room = 200_000 - 0 claims - 190_000 = 10_000.
		marks(0, 0, 190_000);
		wait_cooldown();
		assert_noop!(
			CollateralSilos::claim_liquidity_withdrawal(RuntimeOrigin::signed(OTHER), SILO, 10_001),
			Error::<Test>::BelowCallerLimit
		);
		// Paid the room: 10_000, for 100_000_000 * 10_000 / 99_999 = 10_000_100.001 ->
		// 10_000_101 shares burnt (rounded up); 89_999_899 stay requested, with their part of
		// the value asked: 89_999_899 * 99_999 / 100_000_000 = 89_998.8 -> 89_998.
		assert_ok!(claim(OTHER));
		System::assert_last_event(
			Event::LiquidityRemoved {
				silo: SILO,
				who: OTHER,
				shares: 10_000_101,
				amount: 10_000,
				paid: 10_000,
				shares_left: 89_999_899,
			}
			.into(),
		);
		assert_eq!(usd(OTHER), START - 90_000);
		assert_eq!(
			LpWithdrawals::<Test>::get(SILO, OTHER),
			Some(LpWithdrawal { shares: 89_999_899, value: 89_998, ready_at: 1 + COOLDOWN })
		);
		let b = books(SILO);
		assert_eq!((b.pool, b.total_shares, b.pending_shares), (190_000, 190_000_899, 89_999_899));
		// No room left.
		assert_noop!(claim(OTHER), Error::<Test>::ReserveRequired);
		// Room of 5, below the silo's minimum of 10: no dust payment either.
		marks(0, 0, 189_995);
		assert_noop!(claim(OTHER), Error::<Test>::ReserveRequired);
		// Cancelling gives back the rest.
		assert_ok!(CollateralSilos::cancel_liquidity_withdrawal(
			RuntimeOrigin::signed(OTHER),
			SILO
		));
		System::assert_last_event(
			Event::LiquidityWithdrawalCancelled { silo: SILO, who: OTHER, shares: 89_999_899 }
				.into(),
		);
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 89_999_899);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, OTHER), None);
		assert_eq!(books(SILO).pending_shares, 0);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn the_room_to_leave_is_what_the_pool_holds_beyond_the_claims_and_the_reserve() {
	new_test_ext().execute_with(|| {
		create(USD);
		// LP 10_000: 10_000_000 shares of 10_001_000; 5_000_500 of them are worth exactly
		// 5_000_500 * 10_000 / 10_001_000 = 5_000.
		add(LP, 10_000);
		request(LP, 5_000_500);
		deposit(TRADER, 10_000);
		deposit(LOSER, 5_000);
		ledger_lock(LOSER, 5_000);
		wait_cooldown();
		// In the block of the claim: a profit of 12_000 empties the pool and leaves a claim of
		// 2_000, then a loss brings 5_000 in (the claim is paid only next block).
		assert_eq!(
			<CollateralSilos as SiloLedger<_>>::realize_profit(SILO, &TRADER, 12_000),
			Ok(ProfitSettlement { paid: 10_000, claimed: 2_000 })
		);
		assert_ok!(<CollateralSilos as SiloLedger<_>>::realize_loss(SILO, &LOSER, 5_000));
		marks(0, 0, 2_000);
		// Worth now 5_000_500 * (5_000 - 2_000) / 10_001_000 = 1_500.0 (the request's 5_000
		// is higher); room 5_000 - 2_000 claims - 2_000 reserve = 1_000: paid 1_000, for
		// 5_000_500 * 1_000 / 1_500 = 3_333_666.7 -> 3_333_667 shares; 1_666_833 stay, worth
		// 1_666_833 * 5_000 / 5_000_500 = 1_666.6 -> 1_666 of the request's value.
		assert_ok!(claim(LP));
		System::assert_last_event(
			Event::LiquidityRemoved {
				silo: SILO,
				who: LP,
				shares: 3_333_667,
				amount: 1_000,
				paid: 1_000,
				shares_left: 1_666_833,
			}
			.into(),
		);
		assert_eq!(
			LpWithdrawals::<Test>::get(SILO, LP),
			Some(LpWithdrawal { shares: 1_666_833, value: 1_666, ready_at: 1 + COOLDOWN })
		);
		assert_eq!((books(SILO).pool, books(SILO).claims), (4_000, 2_000));
		// The claim is paid first thing next block, in full.
		System::reset_events();
		run_to_block(System::block_number() + 1);
		assert_eq!(claims_paid(), vec![(TRADER, 0, 2_000)]);
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 10_000 + 12_000);
		assert_eq!((books(SILO).pool, books(SILO).claims), (2_000, 0));
	});
}

#[test]
fn a_profit_beyond_the_pool_is_a_claim_paid_in_order_before_any_lp() {
	new_test_ext().execute_with(|| {
		create(USD);
		// LP 1_000: 1_000_000 shares of 1_001_000.
		add(LP, 1_000);
		for who in [TRADER, OTHER, DONOR, LOSER] {
			deposit(who, 10_000);
		}
		ledger_lock(LOSER, 10_000);
		let profit =
			|who, amount| <CollateralSilos as SiloLedger<_>>::realize_profit(SILO, &who, amount);

		// The pool pays 1_000 of a 1_500 profit; 500 is TRADER's claim 0.
		assert_eq!(profit(TRADER, 1_500), Ok(ProfitSettlement { paid: 1_000, claimed: 500 }));
		System::assert_has_event(
			Event::ProfitRealized { silo: SILO, who: TRADER, paid: 1_000, claimed: 500 }.into(),
		);
		System::assert_last_event(
			Event::ProfitClaimed { silo: SILO, who: TRADER, claim: 0, amount: 500 }.into(),
		);
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 11_000);
		// A fee brings 701 into the pool (300 of 1_001 to insurance) ...
		assert_ok!(<CollateralSilos as SiloLedger<_>>::charge_fee(SILO, &LOSER, 1_001));
		assert_eq!(books(SILO).pool, 701);
		// ... but a later profit does not jump the line: it is paid only from what the pool
		// holds beyond the waiting claim (701 - 500 = 201), the other 99 is claim 1, behind
		// claim 0; the next profit finds nothing beyond the claims and is all claimed.
		assert_eq!(profit(OTHER, 300), Ok(ProfitSettlement { paid: 201, claimed: 99 }));
		System::assert_has_event(
			Event::ProfitRealized { silo: SILO, who: OTHER, paid: 201, claimed: 99 }.into(),
		);
		System::assert_last_event(
			Event::ProfitClaimed { silo: SILO, who: OTHER, claim: 1, amount: 99 }.into(),
		);
		assert_eq!(profit(DONOR, 400), Ok(ProfitSettlement { paid: 0, claimed: 400 }));
		assert_eq!(Margin::<Test>::get(SILO, OTHER).free, 10_201);
		assert_eq!(ClaimCursors::<Test>::get(SILO), ClaimCursor { head: 0, next: 3 });
		assert_eq!((books(SILO).pool, books(SILO).claims), (500, 999));
		// While the pool owes more than it has, no deposit has a price.
		assert_noop!(
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(KEEPER), SILO, USD, 1_000, 0),
			Error::<Test>::PoolInsolvent
		);
		claims_paid();

		// Block 2 pays oldest first, from the pool's 500 and then the insurance fund's 300:
		// claim 0 in full (500 from the pool), then claim 1 (its 99 from the insurance fund);
		// MaxPayoutsPerSilo = 2 ends it, claim 2 waits.
		run_to_block(2);
		assert_eq!(claims_paid(), vec![(TRADER, 0, 500), (OTHER, 1, 99)]);
		assert_eq!(ProfitClaims::<Test>::get(SILO, 1), None);
		assert_eq!(ProfitClaims::<Test>::get(SILO, 0), None);
		assert_eq!(ClaimCursors::<Test>::get(SILO), ClaimCursor { head: 2, next: 3 });
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 11_500);
		assert_eq!(Margin::<Test>::get(SILO, OTHER).free, 10_300);
		assert_eq!((books(SILO).pool, books(SILO).insurance, books(SILO).claims), (0, 201, 400));

		// Another profit while claims wait (claim 3), then a loss refills the pool with 5_000.
		assert_eq!(profit(TRADER, 50), Ok(ProfitSettlement { paid: 0, claimed: 50 }));
		assert_ok!(<CollateralSilos as SiloLedger<_>>::realize_loss(SILO, &LOSER, 5_000));
		assert_eq!((books(SILO).pool, books(SILO).claims), (5_000, 450));
		// The LP cannot take what is owed to the claimants: its shares are worth
		// 1_000_000 * (5_000 - 450) / 1_001_000 = 4_545.45 -> 4_545, not the 4_995 of the pool.
		request(LP, 1_000_000);
		System::assert_last_event(
			Event::LiquidityWithdrawalRequested {
				silo: SILO,
				who: LP,
				shares: 1_000_000,
				value: 4_545,
				ready_at: 2 + COOLDOWN,
			}
			.into(),
		);

		// Block 3: two payments from the pool, claim 2 and claim 3.
		run_to_block(3);
		assert_eq!(claims_paid(), vec![(DONOR, 2, 400), (TRADER, 3, 50)]);
		assert_eq!(ClaimCursors::<Test>::get(SILO), ClaimCursor { head: 4, next: 4 });
		run_to_block(4);
		assert_eq!(claims_paid(), vec![]);
		// Every profit paid in full, into free margin.
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 10_000 + 1_550);
		assert_eq!(Margin::<Test>::get(SILO, OTHER).free, 10_000 + 300);
		assert_eq!(Margin::<Test>::get(SILO, DONOR).free, 10_000 + 400);
		assert_eq!((books(SILO).pool, books(SILO).claims), (5_000 - 450, 0));

		// The LP's claim: worth 1_000_000 * 4_550 / 1_001_000 = 4_545.45 -> 4_545 now, as asked.
		run_to_block(2 + COOLDOWN);
		assert_ok!(claim(LP));
		assert_eq!(usd(LP), START - 1_000 + 4_545);
		assert_eq!(books(SILO).pool, 5);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn an_lp_leaving_cannot_take_what_the_winners_are_owed() {
	new_test_ext().execute_with(|| {
		create(USD);
		add(LP, 100_000);
		deposit(TRADER, 10_000);
		deposit(LOSER, 30_000);
		ledger_lock(LOSER, 30_000);
		// One market's winners are owed 30_000; another's losers could pay 25_000 from their
		// margin.
		marks(30_000, 25_000, 0);
		// A deposit pays for both: the pool is worth 100_000 + 25_000 - 30_000 = 95_000, so
		// 10_000 buys 10_000 * 100_001_000 / 95_001 = 10_526_310.2 -> 10_526_310 shares
		// (10_000_000 with no open positions; 14_285_653 if the collectible were not counted).
		add(OTHER, 10_000);
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 10_526_310);
		assert_eq!(books(SILO).total_shares, 110_527_310);
		// The LP leaving is paid for the pool less what the winners are owed, and nothing for
		// the losers' unrealized loss: 100_000_000 * (110_000 - 30_000) / 110_527_310 =
		// 72_380.2 -> 72_380 (99_522 if the winners' profit were not counted, 94_999 if the
		// losers' were).
		request(LP, 100_000_000);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, LP).map(|r| r.value), Some(72_380));

		// During the cooldown the positions close: the winner's 30_000 is paid in full from
		// the pool (80_000 left), the loser's 25_000 comes in (105_000).
		assert_eq!(
			<CollateralSilos as SiloLedger<_>>::realize_profit(SILO, &TRADER, 30_000),
			Ok(ProfitSettlement { paid: 30_000, claimed: 0 })
		);
		assert_ok!(<CollateralSilos as SiloLedger<_>>::realize_loss(SILO, &LOSER, 25_000));
		marks(0, 0, 0);
		wait_cooldown();
		// Now worth 100_000_000 * 105_000 / 110_527_310 = 94_999.1; the request's 72_380 is
		// paid.
		assert_ok!(claim(LP));
		assert_eq!(usd(LP), START - 100_000 + 72_380);
		// The winner takes their profit out in full.
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 40_000));
		assert_eq!(usd(TRADER), START + 30_000);
		// What the leaving LP was not paid for stays with those who stayed: pool 32_620, OTHER's
		// shares worth 10_526_310 * 32_620 / 10_527_310 = 32_616.9 -> 32_616.
		assert_eq!(books(SILO).pool, 32_620);
		request(OTHER, 10_526_310);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, OTHER).map(|r| r.value), Some(32_616));
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn an_lp_cooldown_beyond_a_day_is_refused() {
	new_test_ext().execute_with(|| {
		// MAX_BLOCKS = 14_400 blocks, a day of 6-second blocks.
		assert_noop!(
			CollateralSilos::create_silo(
				RuntimeOrigin::root(),
				USD,
				SiloParams { lp_cooldown: 14_401, ..params() }
			),
			Error::<Test>::InvalidParams
		);
		assert_ok!(CollateralSilos::create_silo(
			RuntimeOrigin::root(),
			USD,
			SiloParams { lp_cooldown: 14_400, ..params() }
		));
		assert_noop!(
			CollateralSilos::set_silo_params(
				RuntimeOrigin::root(),
				SILO,
				SiloParams { lp_cooldown: 14_401, ..params() }
			),
			Error::<Test>::InvalidParams
		);
		assert_eq!(Silos::<Test>::get(SILO).map(|s| s.params.lp_cooldown), Some(14_400));
	});
}

/// A claim is never stranded while the silo holds anything to pay it with: with the pool
/// empty, the insurance fund pays it, so a silo whose LPs are wiped out (no deposit has a
/// price) is recapitalized through `fund_insurance`. Before: claims were paid from the pool
/// only, and an empty pool owing a claim could never be refilled (deposits `PoolInsolvent`).
#[test]
fn an_empty_pool_s_claims_are_paid_by_the_insurance_fund() {
	new_test_ext().execute_with(|| {
		create(USD);
		add(LP, 1_000);
		deposit(TRADER, 10_000);
		// 1_500 of profit against a pool of 1_000: 500 claimed, the pool empty.
		assert_eq!(
			<CollateralSilos as SiloLedger<_>>::realize_profit(SILO, &TRADER, 1_500),
			Ok(ProfitSettlement { paid: 1_000, claimed: 500 })
		);
		assert_noop!(
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(OTHER), SILO, USD, 1_000, 0),
			Error::<Test>::PoolInsolvent
		);
		System::reset_events();
		run_to_block(2);
		assert_eq!(claims_paid(), vec![]);
		// A donor funds the insurance fund with 300: the next block pays that much of the
		// claim, which stays first with 200.
		assert_ok!(CollateralSilos::fund_insurance(RuntimeOrigin::signed(DONOR), SILO, USD, 300));
		run_to_block(3);
		System::assert_has_event(
			Event::ClaimPaid {
				silo: SILO,
				who: TRADER,
				claim: 0,
				amount: 300,
				from_insurance: 300,
			}
			.into(),
		);
		assert_eq!((books(SILO).insurance, books(SILO).claims), (0, 200));
		System::reset_events();
		assert_ok!(CollateralSilos::fund_insurance(RuntimeOrigin::signed(DONOR), SILO, USD, 1_000));
		run_to_block(4);
		assert_eq!(claims_paid(), vec![(TRADER, 0, 200)]);
		assert_eq!((books(SILO).pool, books(SILO).insurance, books(SILO).claims), (0, 800, 0));
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 10_000 + 1_500);
		// Now a deposit has a price again (the locked shares and the LP own an empty pool).
		assert_ok!(CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(OTHER),
			SILO,
			USD,
			1_000,
			0
		));
	});
}

/// A matured request is claimable for as long as its cooldown, then expires: it cannot be kept
/// as a standing exit for the moment a loss is seen coming.
#[test]
fn a_request_not_claimed_within_its_window_expires() {
	new_test_ext().execute_with(|| {
		create(USD);
		add(LP, 100_000);
		request(LP, 50_000_000);
		let ready_at = 1 + COOLDOWN;
		// Claimable from `ready_at` to `ready_at + COOLDOWN`; one block later it has expired.
		run_to_block(ready_at + COOLDOWN + 1);
		assert_noop!(claim(LP), Error::<Test>::RequestExpired);
		assert_ok!(CollateralSilos::cancel_liquidity_withdrawal(RuntimeOrigin::signed(LP), SILO));
		request(LP, 50_000_000);
		run_to_block(System::block_number() + COOLDOWN + COOLDOWN);
		assert_ok!(claim(LP));
	});
}

/// Adding to a request cannot lift the cap of what was asked for earlier: the earlier shares
/// keep the lower of their value then and at the addition.
#[test]
fn adding_to_a_request_keeps_the_earlier_shares_at_their_lower_value() {
	new_test_ext().execute_with(|| {
		create(USD);
		add(LP, 100_000);
		// 50_000_000 of 100_001_000 shares of 100_000: 49_999.5 -> 49_999.
		request(LP, 50_000_000);
		// Winners are owed 50_000: the pool is worth 50_000 to someone leaving. The earlier
		// shares are now worth 24_999.75 -> 24_999, the 10_000_000 added 4_999.95 -> 4_999.
		marks(50_000, 0, 0);
		request(LP, 10_000_000);
		assert_eq!(
			LpWithdrawals::<Test>::get(SILO, LP).map(|request| (request.shares, request.value)),
			Some((60_000_000, 24_999 + 4_999))
		);
		// The owed profit vanishes again; the claim pays the request's 29_998, not the
		// 49_999 + 4_999 = 54_998 that merging the caps would have allowed (the shares are
		// worth 59_999 now).
		marks(0, 0, 0);
		run_to_block(System::block_number() + COOLDOWN);
		let before = usd(LP);
		assert_ok!(claim(LP));
		assert_eq!(usd(LP) - before, 29_998);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, LP), None);
	});
}
