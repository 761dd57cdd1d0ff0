//! Exact-number tests of the silos pallet. Amounts are in the asset's smallest unit.

use crate::{
	mock::*, Error, Event, LpShares, LpWithdrawals, Margin, SiloBooks, SiloParams, Silos,
	WithdrawalQueue, LOCKED_SHARES,
};
use bulwark_primitives::{
	LossSettlement, PoolMarks, ProfitSettlement, SiloLedger, WithdrawalStatus,
};
use frame_support::{assert_noop, assert_ok, traits::fungibles::Inspect};
use sp_runtime::{DispatchError, Permill};

mod proptests;
mod solvency;
mod tripwire;

const SILO: u32 = 0;
const LP: AccountId = 1;
const TRADER: AccountId = 2;
const OTHER: AccountId = 3;
const DONOR: AccountId = 4;
const KEEPER: AccountId = 5;

fn params() -> SiloParams<u64> {
	SiloParams {
		max_total_deposits: 500_000,
		max_account_deposit: 100_000,
		min_amount: 10,
		insurance_target: 10_000,
		insurance_fee_share: Permill::from_percent(30),
		withdrawal_limit: Permill::from_percent(10),
		withdrawal_window: 10,
		lp_cooldown: COOLDOWN,
		reserve_move: Permill::from_percent(20),
	}
}

/// Blocks an LP's withdrawal request waits in the test silos.
const COOLDOWN: u64 = 5;

fn create(asset: u32) -> u32 {
	let id = crate::NextSiloId::<Test>::get();
	assert_ok!(CollateralSilos::create_silo(RuntimeOrigin::root(), asset, params()));
	id
}

fn books(silo: u32) -> SiloBooks {
	Silos::<Test>::get(silo).expect("silo exists").books
}

fn usd(who: AccountId) -> u128 {
	Assets::balance(USD, who)
}

fn silo_usd() -> u128 {
	Assets::balance(USD, crate::Pallet::<Test>::account_of(SILO))
}

/// `who` adds `amount` to silo 0's pool, accepting any number of shares.
fn add(who: AccountId, amount: u128) {
	assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(who), SILO, USD, amount, 0));
}

/// `who` deposits `amount` of USD into silo 0 as free margin.
fn deposit(who: AccountId, amount: u128) {
	assert_ok!(CollateralSilos::deposit_margin(RuntimeOrigin::signed(who), SILO, USD, amount));
}

/// `who` asks to take `shares` out of silo 0's pool.
fn request(who: AccountId, shares: u128) {
	assert_ok!(CollateralSilos::request_liquidity_withdrawal(
		RuntimeOrigin::signed(who),
		SILO,
		shares
	));
}

/// `who` claims their request in silo 0, accepting any amount.
fn claim(who: AccountId) -> sp_runtime::DispatchResult {
	CollateralSilos::claim_liquidity_withdrawal(RuntimeOrigin::signed(who), SILO, 0)
}

/// Runs the blocks of the cooldown of a request made now.
fn wait_cooldown() {
	run_to_block(System::block_number() + COOLDOWN);
}

/// Silo 0 (USD): LP 1 provides 100_000 (the first deposit into an empty pool: 1_000 shares a
/// unit, 100_000_000 shares, of 100_001_000 with the locked ones), trader 2 deposits 10_000.
fn funded_silo() {
	create(USD);
	add(LP, 100_000);
	assert_eq!(LpShares::<Test>::get(SILO, LP), 100_000_000);
	assert_eq!(books(SILO).total_shares, 100_001_000);
	deposit(TRADER, 10_000);
}

#[test]
fn every_silo_has_an_account_of_its_own() {
	use frame_support::traits::Hooks;
	new_test_ext().execute_with(|| {
		CollateralSilos::integrity_test();
		let accounts: std::collections::BTreeSet<_> =
			(0..4).map(crate::Pallet::<Test>::account_of).collect();
		assert_eq!(accounts.len(), 4);
	});
}

#[test]
fn governance_creates_silos_with_valid_params_only() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			CollateralSilos::create_silo(RuntimeOrigin::signed(LP), USD, params()),
			DispatchError::BadOrigin
		);
		assert_noop!(
			CollateralSilos::create_silo(RuntimeOrigin::root(), 99, params()),
			Error::<Test>::UnknownAsset
		);
		let bad = [
			SiloParams { withdrawal_window: 0, ..params() },
			SiloParams { withdrawal_limit: Permill::zero(), ..params() },
			SiloParams { min_amount: 0, ..params() },
			SiloParams { max_account_deposit: 500_001, ..params() },
			SiloParams { min_amount: 100_001, ..params() },
			// A cooldown beyond a day (MAX_BLOCKS = 14_400).
			SiloParams { lp_cooldown: 14_401, ..params() },
		];
		for params in bad {
			assert_noop!(
				CollateralSilos::create_silo(RuntimeOrigin::root(), USD, params),
				Error::<Test>::InvalidParams
			);
		}
		for id in 0..4 {
			assert_eq!(create(USD), id);
		}
		System::assert_last_event(
			Event::SiloCreated {
				silo: 3,
				asset: USD,
				account: crate::Pallet::<Test>::account_of(3),
			}
			.into(),
		);
		assert_noop!(
			CollateralSilos::create_silo(RuntimeOrigin::root(), USD, params()),
			Error::<Test>::TooManySilos
		);
		assert_noop!(
			CollateralSilos::set_silo_params(RuntimeOrigin::root(), 7, params()),
			Error::<Test>::UnknownSilo
		);
	});
}

#[test]
fn deposits_move_assets_into_the_silo_account_and_onto_the_books() {
	new_test_ext().execute_with(|| {
		create(USD);
		deposit(TRADER, 10_000);
		assert_eq!(usd(TRADER), START - 10_000);
		assert_eq!(silo_usd(), 10_000);
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 10_000);
		assert_eq!(books(SILO).trader_free, 10_000);
		System::assert_last_event(
			Event::MarginDeposited { silo: SILO, who: TRADER, amount: 10_000 }.into(),
		);
		run_to_block(2);
	});
}

#[test]
fn bad_deposits_are_refused_and_change_nothing() {
	new_test_ext().execute_with(|| {
		create(USD);
		let deposit = |who, silo, asset, amount| {
			CollateralSilos::deposit_margin(RuntimeOrigin::signed(who), silo, asset, amount)
		};
		assert_noop!(deposit(TRADER, SILO, USD, 0), Error::<Test>::AmountBelowMinimum);
		assert_noop!(deposit(TRADER, SILO, USD, 9), Error::<Test>::AmountBelowMinimum);
		assert_noop!(deposit(TRADER, 1, USD, 1_000), Error::<Test>::UnknownSilo);
		assert_noop!(deposit(TRADER, SILO, EUR, 1_000), Error::<Test>::WrongAsset);
		assert_noop!(deposit(TRADER, SILO, USD, 100_001), Error::<Test>::AccountCapExceeded);
		// The total cap counts margin and pool: 450_000 in the pool leaves room for 50_000.
		add(LP, 450_000);
		assert_ok!(deposit(TRADER, SILO, USD, 50_000));
		assert_noop!(deposit(OTHER, SILO, USD, 10), Error::<Test>::TotalCapExceeded);
		// More than the trader owns: the asset transfer fails and nothing is booked.
		assert_noop!(deposit(OTHER, SILO, USD, START + 1), Error::<Test>::AccountCapExceeded);
		run_to_block(2);
	});
}

#[test]
fn withdrawals_pay_free_margin_only() {
	new_test_ext().execute_with(|| {
		funded_silo();
		assert_ok!(<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 4_000));
		assert_noop!(
			CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 6_001),
			Error::<Test>::InsufficientFreeMargin
		);
		assert_noop!(
			CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 5),
			Error::<Test>::AmountBelowMinimum
		);
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 6_000));
		assert_eq!(usd(TRADER), START - 10_000 + 6_000);
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 0);
		assert_eq!(Margin::<Test>::get(SILO, TRADER).locked, 4_000);
		assert_eq!(silo_usd(), 104_000);
		System::assert_last_event(
			Event::MarginWithdrawn { silo: SILO, who: TRADER, amount: 6_000, paid: 6_000 }.into(),
		);
		run_to_block(2);
	});
}

#[test]
fn a_frozen_silo_pays_nothing() {
	new_test_ext().execute_with(|| {
		funded_silo();
		// A request is no withdrawal: it may be made while frozen, and its cooldown runs.
		request(LP, 1_000_000);
		wait_cooldown();
		MockStatus::set(SILO, WithdrawalStatus::Frozen);
		assert_noop!(
			CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 1_000),
			Error::<Test>::WithdrawalsFrozen
		);
		assert_noop!(claim(LP), Error::<Test>::WithdrawalsFrozen);
		// Deposits are still welcome.
		deposit(OTHER, 1_000);
		run_to_block(7);
	});
}

#[test]
fn lp_shares_are_priced_at_pool_value_net_of_trader_pnl() {
	new_test_ext().execute_with(|| {
		create(USD);
		// First LP into an empty pool: 1_000 locked shares over one virtual unit, 1_000 shares
		// a unit; 100_000_000 of 100_001_000 shares of 100_000 are worth 99_999.
		add(LP, 100_000);
		assert_eq!(LpShares::<Test>::get(SILO, LP), 100_000_000);
		assert_eq!(books(SILO).total_shares, LOCKED_SHARES + 100_000_000);

		// The winning sides are owed 20_000: the pool is worth 80_000 (+1 virtual).
		// 10_000 buys 10_000 * 100_001_000 / 80_001 = 12_499_968.75 -> 12_499_968 shares.
		MockMarks::set(SILO, PoolMarks { owed: 20_000, ..Default::default() });
		assert_ok!(CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(OTHER),
			SILO,
			USD,
			10_000,
			0
		));
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 12_499_968);
		System::assert_last_event(
			Event::LiquidityAdded { silo: SILO, who: OTHER, amount: 10_000, shares: 12_499_968 }
				.into(),
		);
		// Burning them at the same marks: 12_499_968 * (110_000 - 20_000) / 112_500_968 =
		// 9_999.99 -> 9_999 (the round trip leaves one unit in the pool).
		request(OTHER, 12_499_968);
		System::assert_last_event(
			Event::LiquidityWithdrawalRequested {
				silo: SILO,
				who: OTHER,
				shares: 12_499_968,
				value: 9_999,
				ready_at: 1 + COOLDOWN,
			}
			.into(),
		);
		wait_cooldown();
		assert_ok!(claim(OTHER));
		assert_eq!(usd(OTHER), START - 1);
		assert_eq!(books(SILO).pool, 100_001);
		assert_eq!(books(SILO).total_shares, 100_001_000);

		// The losing sides can pay 30_000: a depositor pays for that unrealized gain (value
		// 100_001 + 30_000 = 130_001): 13_000 * 100_001_000 / 130_002 = 9_999_946.2 ->
		// 9_999_946 shares ...
		MockMarks::set(SILO, PoolMarks { collectible: 30_000, ..Default::default() });
		assert_ok!(CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(OTHER),
			SILO,
			USD,
			13_000,
			0
		));
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 9_999_946);
		// ... but a withdrawer is not paid for it until it is realized (value 113_001):
		// 9_999_946 * 113_001 / 110_000_946 = 10_272.7 -> 10_272.
		request(OTHER, 9_999_946);
		wait_cooldown();
		assert_ok!(claim(OTHER));
		assert_eq!(usd(OTHER), START - 1 - 13_000 + 10_272);
		assert_eq!(books(SILO).pool, 100_001 + 13_000 - 10_272);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn share_rounding_never_favours_the_lp() {
	new_test_ext().execute_with(|| {
		create(USD);
		add(LP, 100_000);
		// Value 66_667 (+1 virtual) for 100_001_000 shares: 100 buys
		// 100 * 100_001_000 / 66_668 = 149_998.5 -> 149_998 shares, not 149_999.
		MockMarks::set(SILO, PoolMarks { owed: 33_333, ..Default::default() });
		add(OTHER, 100);
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 149_998);
		// Back out at value 66_767: 149_998 * 66_767 / 100_150_998 = 99.998 -> 99. The pool
		// keeps 1.
		request(OTHER, 149_998);
		wait_cooldown();
		assert_ok!(claim(OTHER));
		assert_eq!(usd(OTHER), START - 1);
		assert_eq!(books(SILO).pool, 100_001);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn bad_liquidity_changes_are_refused() {
	new_test_ext().execute_with(|| {
		create(USD);
		let add_liquidity = |who, asset, amount| {
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(who), SILO, asset, amount, 0)
		};
		let request_withdrawal = |who, shares| {
			CollateralSilos::request_liquidity_withdrawal(RuntimeOrigin::signed(who), SILO, shares)
		};
		assert_noop!(add_liquidity(LP, EUR, 1_000), Error::<Test>::WrongAsset);
		assert_noop!(add_liquidity(LP, USD, 9), Error::<Test>::AmountBelowMinimum);
		assert_noop!(
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), 1, USD, 1_000, 0),
			Error::<Test>::UnknownSilo
		);
		add(LP, 100_000);
		assert_noop!(request_withdrawal(LP, 100_000_001), Error::<Test>::InsufficientShares);
		assert_noop!(request_withdrawal(LP, 0), Error::<Test>::ZeroShares);
		assert_noop!(request_withdrawal(OTHER, 1), Error::<Test>::InsufficientShares);
		// Nothing requested: nothing to claim or cancel.
		assert_noop!(claim(LP), Error::<Test>::NoWithdrawalRequest);
		assert_noop!(
			CollateralSilos::cancel_liquidity_withdrawal(RuntimeOrigin::signed(LP), SILO),
			Error::<Test>::NoWithdrawalRequest
		);
		// 999 shares of 100_001_000 of 100_000 are worth 0.999 -> 0: refused, since such a
		// request could never pay anything (the claim pays at most its value when asked).
		assert_noop!(request_withdrawal(LP, 999), Error::<Test>::ZeroShares);
		assert_eq!(LpShares::<Test>::get(SILO, LP), 100_000_000);
		// Traders are owed as much as the pool holds: no share price, and every request is
		// worth nothing at the withdrawal price.
		MockMarks::set(SILO, PoolMarks { owed: 100_000, ..Default::default() });
		assert_noop!(add_liquidity(OTHER, USD, 1_000), Error::<Test>::PoolInsolvent);
		assert_noop!(request_withdrawal(LP, 1_000_000), Error::<Test>::ZeroShares);
		// The request made while it was worth something, claimed once it is worth nothing:
		// the lower of the two is nothing, refused, the LP keeps the shares in the request.
		MockMarks::set(SILO, PoolMarks::default());
		request(LP, 1_000_000);
		MockMarks::set(SILO, PoolMarks { owed: 100_000, ..Default::default() });
		wait_cooldown();
		assert_noop!(claim(LP), Error::<Test>::PoolInsolvent);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn fees_split_between_pool_and_insurance() {
	new_test_ext().execute_with(|| {
		funded_silo();
		assert_ok!(<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 10_000));
		// 30% of 1_001 = 300.3 -> 300 to insurance; 701 to the pool.
		assert_ok!(<CollateralSilos as SiloLedger<_>>::charge_fee(SILO, &TRADER, 1_001));
		assert_eq!(books(SILO).insurance, 300);
		assert_eq!(books(SILO).pool, 100_701);
		assert_eq!(Margin::<Test>::get(SILO, TRADER).locked, 8_999);
		System::assert_last_event(
			Event::FeeCharged { silo: SILO, who: TRADER, to_pool: 701, to_insurance: 300 }.into(),
		);
		assert_noop!(
			<CollateralSilos as SiloLedger<_>>::charge_fee(SILO, &TRADER, 9_000),
			Error::<Test>::InsufficientLockedMargin
		);
		run_to_block(2);
	});
}

#[test]
fn losses_go_down_the_waterfall_one_step_at_a_time() {
	new_test_ext().execute_with(|| {
		funded_silo();
		assert_ok!(CollateralSilos::fund_insurance(RuntimeOrigin::signed(DONOR), SILO, USD, 3_000));
		assert_ok!(<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 10_000));
		let loss = |amount| <CollateralSilos as SiloLedger<_>>::realize_loss(SILO, &TRADER, amount);

		// Margin covers it all; the insurance fund is untouched.
		assert_eq!(
			loss(6_000),
			Ok(LossSettlement { from_margin: 6_000, from_insurance: 0, socialized: 0 })
		);
		assert_eq!((books(SILO).pool, books(SILO).insurance), (106_000, 3_000));
		// Margin runs out (4_000); insurance pays the remaining 1_000.
		assert_eq!(
			loss(5_000),
			Ok(LossSettlement { from_margin: 4_000, from_insurance: 1_000, socialized: 0 })
		);
		assert_eq!((books(SILO).pool, books(SILO).insurance), (111_000, 2_000));
		// Insurance runs out (2_000); the LPs absorb 2_000.
		assert_eq!(
			loss(4_000),
			Ok(LossSettlement { from_margin: 0, from_insurance: 2_000, socialized: 2_000 })
		);
		System::assert_has_event(Event::LossSocialized { silo: SILO, amount: 2_000 }.into());
		let b = books(SILO);
		assert_eq!(
			(b.pool, b.insurance, b.trader_locked, b.socialized_loss),
			(113_000, 0, 0, 2_000)
		);
		// Every unit is still accounted for: 100_000 + 10_000 + 3_000 deposited.
		assert_eq!(silo_usd(), 113_000);
		// The breakers heard of the two losses beyond margin: 1_000, then 4_000.
		let bad_debts: Vec<_> = crate::mock::RecordEvents::take()
			.into_iter()
			.filter(|e| matches!(e, crate::mock::SiloEvent::BadDebt(..)))
			.collect();
		assert_eq!(
			bad_debts,
			vec![
				crate::mock::SiloEvent::BadDebt(SILO, 1_000),
				crate::mock::SiloEvent::BadDebt(SILO, 4_000)
			]
		);
		run_to_block(2);
	});
}

#[test]
fn a_profit_the_pool_cannot_pay_becomes_the_traders_claim() {
	new_test_ext().execute_with(|| {
		create(USD);
		add(LP, 1_000);
		deposit(TRADER, 10_000);
		assert_eq!(
			<CollateralSilos as SiloLedger<_>>::realize_profit(SILO, &TRADER, 1_500),
			Ok(ProfitSettlement { paid: 1_000, claimed: 500 })
		);
		System::assert_has_event(
			Event::ProfitRealized { silo: SILO, who: TRADER, paid: 1_000, claimed: 500 }.into(),
		);
		System::assert_last_event(
			Event::ProfitClaimed { silo: SILO, who: TRADER, claim: 0, amount: 500 }.into(),
		);
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 11_000);
		assert_eq!((books(SILO).pool, books(SILO).claims), (0, 500));
		// The breakers hear at the end of the block that the pool is short of its claims.
		run_to_block(2);
		assert!(crate::ReserveShort::<Test>::contains_key(SILO));
		assert!(RecordEvents::take().contains(&SiloEvent::ReserveShort(SILO)));
	});
}

#[test]
fn liquidation_pays_penalty_then_reward_as_far_as_margin_goes() {
	new_test_ext().execute_with(|| {
		funded_silo();
		assert_ok!(<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 1_000));
		assert_eq!(
			<CollateralSilos as SiloLedger<_>>::pay_liquidation(SILO, &TRADER, 800, &KEEPER, 500),
			Ok((800, 200))
		);
		assert_eq!(books(SILO).insurance, 800);
		assert_eq!(Margin::<Test>::get(SILO, KEEPER).free, 200);
		assert_eq!(Margin::<Test>::get(SILO, TRADER).locked, 0);
		run_to_block(2);
	});
}

#[test]
fn bad_debt_skips_every_trader_margin() {
	new_test_ext().execute_with(|| {
		funded_silo();
		assert_ok!(CollateralSilos::fund_insurance(RuntimeOrigin::signed(DONOR), SILO, USD, 3_000));
		assert_ok!(<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 10_000));
		// 5_000 of debt: insurance pays 3_000 into the pool, the LPs absorb 2_000; the trader's
		// locked 10_000 (another position's margin) is not touched.
		assert_eq!(
			<CollateralSilos as SiloLedger<_>>::cover_bad_debt(SILO, 5_000),
			Ok(LossSettlement { from_margin: 0, from_insurance: 3_000, socialized: 2_000 })
		);
		let b = books(SILO);
		assert_eq!(
			(b.pool, b.insurance, b.trader_locked, b.socialized_loss),
			(103_000, 0, 10_000, 2_000)
		);
		System::assert_has_event(
			Event::BadDebtCovered { silo: SILO, from_insurance: 3_000, socialized: 2_000 }.into(),
		);
		assert_eq!(
			<CollateralSilos as SiloLedger<_>>::cover_bad_debt(7, 1),
			Err(Error::<Test>::UnknownSilo.into())
		);
		run_to_block(2);
	});
}

#[test]
fn margin_locks_and_releases_only_what_exists() {
	new_test_ext().execute_with(|| {
		funded_silo();
		assert_noop!(
			<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 10_001),
			Error::<Test>::InsufficientFreeMargin
		);
		assert_noop!(
			<CollateralSilos as SiloLedger<_>>::release_margin(SILO, &TRADER, 1),
			Error::<Test>::InsufficientLockedMargin
		);
		assert_noop!(
			<CollateralSilos as SiloLedger<_>>::lock_margin(9, &TRADER, 1),
			Error::<Test>::UnknownSilo
		);
		assert_ok!(<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 7_000));
		assert_ok!(<CollateralSilos as SiloLedger<_>>::release_margin(SILO, &TRADER, 2_000));
		assert_eq!(<CollateralSilos as SiloLedger<_>>::free_margin(SILO, &TRADER), 5_000);
		assert_eq!(<CollateralSilos as SiloLedger<_>>::locked_margin(SILO, &TRADER), 5_000);
		run_to_block(2);
	});
}

#[test]
fn rate_limited_withdrawals_queue_and_pay_out_in_order_per_window() {
	new_test_ext().execute_with(|| {
		funded_silo();
		deposit(OTHER, 10_000);
		// 25_000_250 of 100_001_000 shares of a pool of 100_000 are worth exactly 25_000.
		request(LP, 25_000_250);
		wait_cooldown();
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		// 10% of the 100_000 pool per 10-block window: 10_000, the window opening now (6).
		assert_ok!(claim(LP));
		System::assert_has_event(
			Event::LiquidityRemoved {
				silo: SILO,
				who: LP,
				shares: 25_000_250,
				amount: 25_000,
				paid: 10_000,
				shares_left: 0,
			}
			.into(),
		);
		assert_eq!(usd(LP), START - 100_000 + 10_000);
		assert_eq!(books(SILO).queued, 15_000);
		assert_eq!(books(SILO).total_shares, 100_001_000 - 25_000_250);
		assert_eq!(LpWithdrawals::<Test>::get(SILO, LP), None);
		// The trader comes second: nothing is paid ahead of the queue.
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 2_000));
		assert_eq!(usd(TRADER), START - 10_000);
		assert_eq!(books(SILO).queued, 17_000);

		// Same window (opened at block 6 on a pool of 100_000): nothing more leaves.
		run_to_block(15);
		assert_eq!(usd(LP), START - 90_000);
		// Block 16 opens a window on the pool as it is (75_000): 7_500 to the LP.
		run_to_block(16);
		assert_eq!(usd(LP), START - 90_000 + 7_500);
		// Block 26: the LP's last 7_500 uses the whole window; the trader waits.
		run_to_block(26);
		assert_eq!(usd(LP), START - 75_000);
		assert_eq!(usd(TRADER), START - 10_000);
		// Block 36: the trader's 2_000.
		run_to_block(36);
		assert_eq!(usd(TRADER), START - 10_000 + 2_000);
		assert!(WithdrawalQueue::<Test>::get(SILO).is_empty());
		// The breakers heard of every payment as it left: at once, then from the queue.
		use crate::mock::SiloEvent::Withdrawal;
		assert_eq!(
			crate::mock::RecordEvents::take(),
			vec![
				Withdrawal(SILO, 10_000),
				Withdrawal(SILO, 7_500),
				Withdrawal(SILO, 7_500),
				Withdrawal(SILO, 2_000)
			]
		);
		assert!(crate::SilosWithQueue::<Test>::get().is_empty());
	});
}

#[test]
fn the_queue_is_bounded_and_drains_when_withdrawals_return_to_normal() {
	new_test_ext().execute_with(|| {
		funded_silo();
		for who in [OTHER, DONOR, KEEPER, 6] {
			deposit(who, 1_000);
		}
		// 10_000_100 shares are worth exactly 10_000: the whole window's 10_000.
		request(LP, 10_000_100);
		wait_cooldown();
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		assert_ok!(claim(LP));
		assert_eq!(usd(LP), START - 90_000);
		for who in [OTHER, DONOR, KEEPER] {
			assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(who), SILO, 1_000));
		}
		// MaxQueuedWithdrawals = 3.
		assert_noop!(
			CollateralSilos::withdraw_margin(RuntimeOrigin::signed(6), SILO, 1_000),
			Error::<Test>::WithdrawalQueueFull
		);
		MockStatus::set(SILO, WithdrawalStatus::Normal);
		// MaxPayoutsPerSilo = 2: two now, the third next block.
		run_to_block(7);
		assert_eq!((usd(OTHER), usd(DONOR), usd(KEEPER)), (START, START, START - 1_000));
		run_to_block(8);
		assert_eq!(usd(KEEPER), START);
		assert_eq!(books(SILO).queued, 0);
	});
}

/// A rate-limited silo whose whole window allows less than its smallest amount (10% of a pool
/// of 50 is 5, the smallest amount 10) pays its queue 5 a window. Before, a part below the
/// smallest amount was never paid from the queue, so it waited for as long as the limit stood,
/// and everything after it queued behind.
#[test]
fn a_queue_moves_by_its_limit_when_a_whole_window_allows_less_than_the_smallest_amount() {
	new_test_ext().execute_with(|| {
		create(USD);
		add(LP, 50);
		deposit(TRADER, 1_000);
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		let opened = System::block_number();
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 1_000));
		System::assert_last_event(
			Event::MarginWithdrawn { silo: SILO, who: TRADER, amount: 1_000, paid: 5 }.into(),
		);
		assert_eq!(queue(), vec![(TRADER, 995)]);
		// Each new window (10 blocks) opens on the pool of 50 and pays 5.
		run_to_block(opened + 9);
		assert_eq!(queue(), vec![(TRADER, 995)]);
		run_to_block(opened + 10);
		assert_eq!(queue(), vec![(TRADER, 990)]);
		run_to_block(opened + 20);
		assert_eq!(queue(), vec![(TRADER, 985)]);
		assert_eq!(usd(TRADER), START - 985);
		assert_eq!(books(SILO).queued, 985);
		// Back to normal: the rest at the next block.
		MockStatus::set(SILO, WithdrawalStatus::Normal);
		run_to_block(opened + 21);
		assert_eq!((queue(), usd(TRADER), books(SILO).queued), (vec![], START, 0));
	});
}

/// A withdrawal that finds its window nearly spent (5 left, below the smallest amount of 10,
/// of a window of 10_000) waits whole for the next window rather than take the 5 as dust now.
/// Before, it was paid 5 at once (and, to an account holding none of the asset, failed whole
/// on the asset's minimum balance).
#[test]
fn a_withdrawal_waits_whole_rather_than_take_a_spent_windows_dust() {
	new_test_ext().execute_with(|| {
		funded_silo();
		deposit(OTHER, 10_000);
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		let opened = System::block_number();
		// 10% of the 100_000 pool: 10_000 this window, 9_995 of it to the trader.
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 9_995));
		assert_eq!(usd(TRADER), START - 5);
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(OTHER), SILO, 1_000));
		System::assert_has_event(
			Event::WithdrawalQueued { silo: SILO, who: OTHER, amount: 1_000 }.into(),
		);
		System::assert_last_event(
			Event::MarginWithdrawn { silo: SILO, who: OTHER, amount: 1_000, paid: 0 }.into(),
		);
		assert_eq!((queue(), usd(OTHER)), (vec![(OTHER, 1_000)], START - 10_000));
		// Nothing more this window; the next pays it whole.
		run_to_block(opened + 9);
		assert_eq!(queue(), vec![(OTHER, 1_000)]);
		run_to_block(opened + 10);
		assert_eq!((queue(), usd(OTHER)), (vec![], START - 9_000));
	});
}

#[test]
fn a_loss_in_one_silo_never_touches_another() {
	new_test_ext().execute_with(|| {
		funded_silo();
		let other = create(EUR);
		assert_ok!(CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(LP),
			other,
			EUR,
			50_000,
			0
		));
		let before = Silos::<Test>::get(other);
		assert_ok!(<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 10_000));
		// A loss far beyond the trader's margin and silo 0's insurance.
		assert_ok!(<CollateralSilos as SiloLedger<_>>::realize_loss(SILO, &TRADER, 1_000_000));
		assert_eq!(Silos::<Test>::get(other), before);
		assert_eq!(Assets::balance(EUR, crate::Pallet::<Test>::account_of(other)), 50_000);
		run_to_block(2);
	});
}

#[test]
fn a_direct_transfer_into_a_silo_is_swept_into_its_insurance_fund() {
	new_test_ext().execute_with(|| {
		funded_silo();
		assert_noop!(
			CollateralSilos::sweep_surplus(RuntimeOrigin::root(), SILO),
			Error::<Test>::NoSurplus
		);
		let account = crate::Pallet::<Test>::account_of(SILO);
		assert_ok!(Assets::transfer(RuntimeOrigin::signed(DONOR), USD, account, 777));
		// Anyone may send to the account: a surplus is no broken invariant (were it one, a
		// 1-unit transfer would fail every upgrade check until governance swept it).
		assert_eq!(CollateralSilos::do_try_state(), Ok(()));
		assert!(crate::mock::try_state().is_err(), "the account holds 777 more than its books");
		crate::mock::sent_to_silo(SILO, 777);
		run_to_block(2);
		assert_noop!(
			CollateralSilos::sweep_surplus(RuntimeOrigin::signed(DONOR), SILO),
			DispatchError::BadOrigin
		);
		assert_ok!(CollateralSilos::sweep_surplus(RuntimeOrigin::root(), SILO));
		assert_eq!(books(SILO).insurance, 777);
		crate::mock::sent_to_silo(SILO, 0);
		run_to_block(3);
	});
}

#[test]
fn a_silo_whose_markets_are_settled_winds_down_its_lps_leave_pro_rata_and_it_closes_when_empty() {
	use bulwark_test_kit::MockMarks;
	new_test_ext().execute_with(|| {
		funded_silo();
		// A second LP: 50_000 at 100_001_000 shares per 100_001 of value (the virtual unit):
		// 50_000_000 shares. The insurance fund gets 3_000.
		add(OTHER, 50_000);
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 50_000_000);
		assert_ok!(CollateralSilos::fund_insurance(RuntimeOrigin::signed(DONOR), SILO, USD, 3_000));
		// A market still trades against the pool (the margin engine says so), or margin is
		// locked: no wind-down.
		MockMarks::set(SILO, PoolMarks::default());
		assert_noop!(
			CollateralSilos::wind_down(RuntimeOrigin::root(), SILO),
			Error::<Test>::MarketsOpen
		);
		MockMarks::reset();
		assert_ok!(<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 1_000));
		assert_noop!(
			CollateralSilos::wind_down(RuntimeOrigin::root(), SILO),
			Error::<Test>::MarketsOpen
		);
		assert_ok!(<CollateralSilos as SiloLedger<_>>::release_margin(SILO, &TRADER, 1_000));
		assert_noop!(
			CollateralSilos::wind_down(RuntimeOrigin::signed(LP), SILO),
			DispatchError::BadOrigin
		);
		assert_noop!(
			CollateralSilos::close_silo(RuntimeOrigin::signed(LP), SILO),
			Error::<Test>::NotWindingDown
		);
		assert_ok!(CollateralSilos::wind_down(RuntimeOrigin::root(), SILO));
		System::assert_last_event(
			Event::SiloWindingDown { silo: SILO, insurance_to_pool: 3_000 }.into(),
		);
		assert_eq!((books(SILO).pool, books(SILO).insurance), (153_000, 0));
		// Nothing new comes in, no margin is locked.
		assert_noop!(
			CollateralSilos::deposit_margin(RuntimeOrigin::signed(TRADER), SILO, USD, 100),
			Error::<Test>::SiloEnding
		);
		assert_noop!(
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, USD, 100, 0),
			Error::<Test>::SiloEnding
		);
		assert_noop!(
			CollateralSilos::fund_insurance(RuntimeOrigin::signed(DONOR), SILO, USD, 100),
			Error::<Test>::SiloEnding
		);
		assert_noop!(
			<CollateralSilos as SiloLedger<_>>::lock_margin(SILO, &TRADER, 100),
			Error::<Test>::SiloEnding
		);
		assert_noop!(
			CollateralSilos::wind_down(RuntimeOrigin::root(), SILO),
			Error::<Test>::SiloEnding
		);
		// LPs leave at once, pro rata over the LPs' shares (the locked ones no longer count: no
		// deposit can push the share price): 100_000_000 of 150_000_000 shares of 153_000 is
		// 102_000, then the other 50_000_000 take the remaining 51_000.
		let (lp_before, other_before) = (usd(LP), usd(OTHER));
		// A run on a silo that backs no position harms no one: the rate limit does not apply.
		bulwark_test_kit::MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		request(LP, 100_000_000);
		assert_ok!(claim(LP));
		request(OTHER, 50_000_000);
		assert_ok!(claim(OTHER));
		assert_eq!((usd(LP) - lp_before, usd(OTHER) - other_before), (102_000, 51_000));
		// The trader's free margin is still there: not empty yet.
		assert_noop!(
			CollateralSilos::close_silo(RuntimeOrigin::signed(LP), SILO),
			Error::<Test>::SiloNotEmpty
		);
		// The trader is the last one out: the silo's account is emptied.
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 10_000));
		assert_ok!(CollateralSilos::close_silo(RuntimeOrigin::signed(LP), SILO));
		System::assert_last_event(Event::SiloClosed { silo: SILO, dust: 0 }.into());
		assert_eq!(silo_usd(), 0);
		assert_noop!(
			CollateralSilos::close_silo(RuntimeOrigin::signed(LP), SILO),
			Error::<Test>::NotWindingDown
		);
		assert_noop!(
			CollateralSilos::deposit_margin(RuntimeOrigin::signed(TRADER), SILO, USD, 100),
			Error::<Test>::SiloEnding
		);
		crate::mock::try_state().expect("invariants");
	});
}

/// An asset whose minimum balance is 100 units, [`START`] of it for LP, TRADER, OTHER and
/// DONOR, and silo 0 over it with a minimum amount of 100.
const COIN: u32 = 7;

fn coin(who: AccountId) -> u128 {
	Assets::balance(COIN, who)
}

/// `who` adds `amount` of [`COIN`] to silo 0's pool, accepting any number of shares.
fn add_coin(who: AccountId, amount: u128) {
	assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(who), SILO, COIN, amount, 0));
}

/// Silo 0's withdrawal queue, front first: (who, amount).
fn queue() -> Vec<(AccountId, u128)> {
	WithdrawalQueue::<Test>::get(SILO).iter().map(|entry| (entry.who, entry.amount)).collect()
}

/// Creates [`COIN`] and silo 0 over it; returns the silo's account.
fn coin_silo() -> AccountId {
	use frame_support::traits::fungibles::{Create, Mutate};
	assert_ok!(<Assets as Create<AccountId>>::create(COIN, 0, true, 100));
	for who in [LP, TRADER, OTHER, DONOR] {
		assert_ok!(Assets::mint_into(COIN, &who, START));
	}
	assert_ok!(CollateralSilos::create_silo(
		RuntimeOrigin::root(),
		COIN,
		SiloParams { min_amount: 100, ..params() }
	));
	crate::Pallet::<Test>::account_of(SILO)
}

/// The last one out of a wound-down silo whose asset's minimum balance is above a unit: the
/// LPs' requests round down and leave a unit in the pool, and a trader's margin below the
/// silo's minimum amount can still leave. Before, the trader was refused
/// (`AmountBelowMinimum`) and the last LP's claim was too (`Token(NotExpendable)`: the account
/// would have kept the unit, below the minimum balance), so the silo could never close.
#[test]
fn the_last_one_out_of_a_wound_down_silo_takes_its_dust_and_it_closes() {
	new_test_ext().execute_with(|| {
		let account = coin_silo();
		// 100_000_000 and 50_000_000 shares (as in `funded_silo`), insurance 1_001, and a
		// trader left with 50 of free margin, below the minimum amount of 100.
		add_coin(LP, 100_000);
		add_coin(OTHER, 50_000);
		assert_ok!(CollateralSilos::fund_insurance(
			RuntimeOrigin::signed(DONOR),
			SILO,
			COIN,
			1_001
		));
		assert_ok!(CollateralSilos::deposit_margin(RuntimeOrigin::signed(TRADER), SILO, COIN, 200));
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 150));
		// In a live silo the minimum holds for all of it too: more can come in to lift it.
		assert_noop!(
			CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 50),
			Error::<Test>::AmountBelowMinimum
		);
		assert_ok!(CollateralSilos::wind_down(RuntimeOrigin::root(), SILO));
		assert_eq!(books(SILO).pool, 151_001);
		// In a wound-down silo: all of it, never a part, never nothing.
		assert_noop!(
			CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 49),
			Error::<Test>::AmountBelowMinimum
		);
		assert_noop!(
			CollateralSilos::withdraw_margin(RuntimeOrigin::signed(OTHER), SILO, 0),
			Error::<Test>::AmountBelowMinimum
		);
		// 100_000_000 of 150_000_000 shares of 151_001: 100_667 (of 100_667.33); the other
		// 50_000_000: 50_333 (of 50_333.67). One unit of the pool is no one's.
		let (lp_before, other_before) = (coin(LP), coin(OTHER));
		request(LP, 100_000_000);
		request(OTHER, 50_000_000);
		assert_eq!(
			LpWithdrawals::<Test>::get(SILO, OTHER).map(|request| request.value),
			Some(50_333)
		);
		assert_ok!(claim(LP));
		assert_eq!(coin(LP) - lp_before, 100_667);
		assert_eq!(coin(account), 50_384);
		// Someone sends 30 to the silo's account: a surplus not swept, below the minimum too.
		assert_ok!(Assets::transfer(RuntimeOrigin::signed(DONOR), COIN, account, 30));
		crate::mock::sent_to_silo(SILO, 30);
		// The trader's 50 are still owed: the LP's claim would leave 81, which the account can
		// neither keep nor pay out. The trader leaves first.
		assert_noop!(claim(OTHER), Error::<Test>::LeavesDustBehind);
		let trader_before = coin(TRADER);
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 50));
		assert_eq!(coin(TRADER) - trader_before, 50);
		// The last LP out takes 50_333, the pool's unit and the 30: the account is emptied.
		assert_ok!(claim(OTHER));
		assert_eq!(coin(OTHER) - other_before, 50_364);
		assert_eq!(coin(account), 0);
		System::assert_has_event(
			Event::DustPaidOut { silo: SILO, who: OTHER, from_pool: 1, surplus: 30 }.into(),
		);
		System::assert_last_event(
			Event::LiquidityRemoved {
				silo: SILO,
				who: OTHER,
				shares: 50_000_000,
				amount: 50_333,
				paid: 50_333,
				shares_left: 0,
			}
			.into(),
		);
		assert_eq!(books(SILO).held(), 0);
		crate::mock::sent_to_silo(SILO, 0);
		assert_ok!(CollateralSilos::close_silo(RuntimeOrigin::signed(LP), SILO));
		System::assert_last_event(Event::SiloClosed { silo: SILO, dust: 0 }.into());
		crate::mock::try_state().expect("invariants");
	});
}

/// A withdrawal queued before the silo wound down is paid in full at the next block whatever
/// the breakers say, and, last out, takes the account's dust. Before, a rate-limited silo's
/// queue waited on windows measured on its pool, which its LPs empty as they leave: once they
/// had, the window allowed nothing and the payment waited for ever.
#[test]
fn a_queued_withdrawal_last_out_of_a_wound_down_silo_is_paid_with_its_dust() {
	new_test_ext().execute_with(|| {
		let account = coin_silo();
		add_coin(LP, 100_000);
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(TRADER),
			SILO,
			COIN,
			20_000
		));
		// 10% of the 100_000 pool this window: 10_000 now, 10_000 queued.
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 20_000));
		assert_eq!((coin(TRADER), books(SILO).queued), (START - 10_000, 10_000));
		assert_ok!(CollateralSilos::wind_down(RuntimeOrigin::root(), SILO));
		// The LP leaves at once with all of the pool (no rate limit once it winds down).
		request(LP, 100_000_000);
		assert_ok!(claim(LP));
		assert_eq!((coin(LP), books(SILO).pool), (START, 0));
		// 40 sent to the account, not swept.
		assert_ok!(Assets::transfer(RuntimeOrigin::signed(DONOR), COIN, account, 40));
		crate::mock::sent_to_silo(SILO, 40);
		assert_eq!(coin(account), 10_040);
		crate::mock::sent_to_silo(SILO, 0);
		run_to_block(2);
		System::assert_has_event(
			Event::QueuedWithdrawalPaid { silo: SILO, who: TRADER, amount: 10_000 }.into(),
		);
		System::assert_has_event(
			Event::DustPaidOut { silo: SILO, who: TRADER, from_pool: 0, surplus: 40 }.into(),
		);
		assert_eq!((coin(TRADER), coin(account)), (START + 40, 0));
		assert!(WithdrawalQueue::<Test>::get(SILO).is_empty());
		// The breakers heard of every payment as it left, the dust with the last one.
		use crate::mock::SiloEvent::Withdrawal;
		assert_eq!(
			crate::mock::RecordEvents::take(),
			vec![Withdrawal(SILO, 10_000), Withdrawal(SILO, 100_000), Withdrawal(SILO, 10_040)]
		);
		assert_ok!(CollateralSilos::close_silo(RuntimeOrigin::signed(LP), SILO));
		System::assert_last_event(Event::SiloClosed { silo: SILO, dust: 0 }.into());
	});
}

/// The asset's issuer may freeze a silo's account: its queue then waits, whole and in order
/// (before, every entry went back to its owner's margin, losing its place). A payee the issuer
/// blocks cannot receive: its entry goes back to its margin, and the next one is paid.
#[test]
fn a_queue_waits_while_the_silos_account_is_frozen_and_a_blocked_payee_gets_its_margin_back() {
	new_test_ext().execute_with(|| {
		let account = coin_silo();
		let issuer = || RuntimeOrigin::signed(0);
		add_coin(LP, 100_000);
		for who in [TRADER, OTHER] {
			assert_ok!(CollateralSilos::deposit_margin(
				RuntimeOrigin::signed(who),
				SILO,
				COIN,
				20_000
			));
		}
		// 10% of the 100_000 pool this window: the trader's 20_000 is half paid, half queued;
		// OTHER's 5_000 waits behind it.
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 20_000));
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(OTHER), SILO, 5_000));
		assert_eq!(queue(), vec![(TRADER, 10_000), (OTHER, 5_000)]);
		// The breakers let everything out, but the issuer froze the silo's account.
		assert_ok!(Assets::freeze(issuer(), COIN, account));
		MockStatus::set(SILO, WithdrawalStatus::Normal);
		run_to_block(2);
		assert_eq!(queue(), vec![(TRADER, 10_000), (OTHER, 5_000)]);
		assert_eq!((books(SILO).queued, coin(TRADER)), (15_000, START - 10_000));
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 0);
		// Thawed, with OTHER blocked: the trader is paid, OTHER's 5_000 goes back to its margin.
		assert_ok!(Assets::thaw(issuer(), COIN, account));
		assert_ok!(Assets::block(issuer(), COIN, OTHER));
		run_to_block(3);
		System::assert_has_event(
			Event::QueuedWithdrawalPaid { silo: SILO, who: TRADER, amount: 10_000 }.into(),
		);
		System::assert_has_event(
			Event::QueuedWithdrawalReturned { silo: SILO, who: OTHER, amount: 5_000 }.into(),
		);
		assert_eq!(queue(), vec![]);
		assert_eq!((books(SILO).queued, coin(TRADER)), (0, START));
		assert_eq!(Margin::<Test>::get(SILO, OTHER).free, 20_000);
	});
}

/// A queued payment out of a wound-down silo that would leave dust while the one owed it
/// waits behind in the same queue goes back to its owner's margin, so the queue moves on; its
/// owner, last out, takes the dust. (Stopping the queue there would stall it for ever.)
#[test]
fn a_queued_payment_that_would_leave_dust_owed_further_back_returns_and_the_queue_moves_on() {
	new_test_ext().execute_with(|| {
		let account = coin_silo();
		add_coin(LP, 100_000);
		add_coin(OTHER, 100);
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(TRADER),
			SILO,
			COIN,
			20_000
		));
		// OTHER's 100 bought 100_000 shares; it asks for half of them (49, rounded down).
		request(OTHER, 50_000);
		// Rate-limited: 10% of the 100_100 pool, 10_010, paid to the trader; 9_990 queued.
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 20_000));
		wait_cooldown();
		// OTHER's claim, below the minimum amount but all it is owed, waits behind the trader.
		assert_ok!(claim(OTHER));
		assert_eq!(queue(), vec![(TRADER, 9_990), (OTHER, 49)]);
		// Wound down, the LPs leave at once (OTHER with the rest of its shares): the account
		// holds the queue alone.
		assert_ok!(CollateralSilos::wind_down(RuntimeOrigin::root(), SILO));
		request(LP, 100_000_000);
		assert_ok!(claim(LP));
		request(OTHER, 50_000);
		assert_ok!(claim(OTHER));
		assert_eq!((coin(account), books(SILO).queued, books(SILO).pool), (10_039, 10_039, 0));
		// Paying the trader first would leave OTHER's 49, below the minimum balance of 100:
		// the trader's 9_990 goes back to its margin and OTHER is paid.
		let other_before = coin(OTHER);
		run_to_block(System::block_number() + 1);
		System::assert_has_event(
			Event::QueuedWithdrawalReturned { silo: SILO, who: TRADER, amount: 9_990 }.into(),
		);
		System::assert_has_event(
			Event::QueuedWithdrawalPaid { silo: SILO, who: OTHER, amount: 49 }.into(),
		);
		assert_eq!(queue(), vec![]);
		assert_eq!((coin(OTHER) - other_before, coin(account)), (49, 9_990));
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 9_990);
		// The trader, last out, empties the account; the silo closes.
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 9_990));
		assert_eq!((coin(account), coin(TRADER)), (0, START));
		assert_ok!(CollateralSilos::close_silo(RuntimeOrigin::signed(LP), SILO));
	});
}

/// Where a whole window allows less than the minimum amount (10% of a pool of 500 is 50; the
/// minimum 100), its parts are paid; one its owner cannot receive (they emptied their wallet,
/// and 50 is below the asset's minimum balance of 100) sends the entry back to their margin.
#[test]
fn a_part_below_the_minimum_balance_to_an_emptied_wallet_returns_the_entry_to_margin() {
	use frame_support::traits::{fungibles::Mutate, tokens::Preservation};
	new_test_ext().execute_with(|| {
		coin_silo();
		add_coin(LP, 500);
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(TRADER),
			SILO,
			COIN,
			1_000
		));
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		let opened = System::block_number();
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 1_000));
		assert_eq!((coin(TRADER), queue()), (START - 950, vec![(TRADER, 950)]));
		let all = coin(TRADER);
		assert_ok!(<Assets as Mutate<AccountId>>::transfer(
			COIN,
			&TRADER,
			&DONOR,
			all,
			Preservation::Expendable
		));
		run_to_block(opened + 10);
		System::assert_has_event(
			Event::QueuedWithdrawalReturned { silo: SILO, who: TRADER, amount: 950 }.into(),
		);
		assert_eq!((queue(), coin(TRADER)), (vec![], 0));
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 950);
		assert_eq!((books(SILO).queued, books(SILO).trader_free), (0, 950));
	});
}

#[test]
fn held_profit_is_the_pools_debt_until_judged_and_realizes_at_most_what_was_held() {
	new_test_ext().execute_with(|| {
		funded_silo();
		let ledger_hold = <CollateralSilos as SiloLedger<_>>::hold_profit;
		assert_noop!(ledger_hold(9, &TRADER, 1), Error::<Test>::UnknownSilo);
		assert_ok!(ledger_hold(SILO, &TRADER, 40_000));
		System::assert_last_event(
			Event::ProfitHeld { silo: SILO, who: TRADER, amount: 40_000 }.into(),
		);
		assert_eq!(<CollateralSilos as SiloLedger<_>>::held_profit(SILO), 40_000);
		// Nothing left the pool, but the pool owes it: the LP's 100_000_000 of 100_001_000
		// shares are worth 60_000 of it, 59_999 rounded down.
		assert_eq!(books(SILO).pool, 100_000);
		assert_eq!(CollateralSilos::owed(SILO, &books(SILO)), 40_000);
		let before = usd(LP);
		request(LP, 100_000_000);
		wait_cooldown();
		assert_ok!(claim(LP));
		assert_eq!(usd(LP) - before, 59_999);
		assert_eq!(books(SILO).pool, 40_001);
		// More than is held cannot be released.
		assert_noop!(
			<CollateralSilos as SiloLedger<_>>::release_held_profit(SILO, &TRADER, 40_001, 1),
			Error::<Test>::HeldProfitShort
		);
		// Judged worth more than it held (55_000): realized at most what was held, 40_000, paid
		// from the pool it was kept in.
		let free = Margin::<Test>::get(SILO, TRADER).free;
		assert_eq!(
			<CollateralSilos as SiloLedger<_>>::release_held_profit(SILO, &TRADER, 40_000, 55_000),
			Ok(ProfitSettlement { paid: 40_000, claimed: 0 })
		);
		System::assert_last_event(
			Event::HeldProfitReleased { silo: SILO, who: TRADER, held: 40_000, paid: 40_000 }
				.into(),
		);
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, free + 40_000);
		assert_eq!(
			(books(SILO).pool, <CollateralSilos as SiloLedger<_>>::held_profit(SILO)),
			(1, 0)
		);
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn a_deposit_made_while_profit_is_held_buys_no_cheaper_shares() {
	new_test_ext().execute_with(|| {
		funded_silo();
		// 90_000 of the 100_000 pool is held for a trader whose pump may revert.
		assert_ok!(<CollateralSilos as SiloLedger<_>>::hold_profit(SILO, &TRADER, 90_000));
		// A new LP's 10_000 is priced against the whole pool (100_001_000 shares per 100_001 of
		// value with the virtual unit): 10_000_000 shares, as with nothing held. Counting the
		// held 90_000 would have priced them against 10_000 of value: 99_991_000 shares for
		// 10_000, half the pool's value once the pump reverts and the held profit is judged
		// worth nothing (the test fails so).
		add(OTHER, 10_000);
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 10_000_000);
		assert_ok!(<CollateralSilos as SiloLedger<_>>::release_held_profit(
			SILO, &TRADER, 90_000, 0
		));
		run_to_block(System::block_number() + 1);
	});
}

/// A deposit that would leave the depositor less than the asset's minimum balance (but not
/// nothing) is refused: the asset would reap the account, and the remainder would vanish from
/// every account while the asset's supply still counted it. A deposit of all of it is fine.
#[test]
fn a_deposit_that_would_leave_the_depositor_dust_is_refused() {
	new_test_ext().execute_with(|| {
		let account = coin_silo();
		// TRADER and LP keep 10_000 each, OTHER 5_000.
		for (who, keep) in [(TRADER, 10_000), (LP, 10_000), (OTHER, 5_000)] {
			assert_ok!(Assets::transfer(RuntimeOrigin::signed(who), COIN, DONOR, START - keep));
		}
		let held = || coin(TRADER) + coin(LP) + coin(OTHER) + coin(DONOR) + coin(account);
		assert_eq!(held(), Assets::total_issuance(COIN));
		assert_noop!(
			CollateralSilos::deposit_margin(RuntimeOrigin::signed(TRADER), SILO, COIN, 9_950),
			sp_runtime::TokenError::NotExpendable
		);
		assert_noop!(
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, COIN, 9_901, 0),
			sp_runtime::TokenError::NotExpendable
		);
		assert_noop!(
			CollateralSilos::fund_insurance(RuntimeOrigin::signed(LP), SILO, COIN, 9_999),
			sp_runtime::TokenError::NotExpendable
		);
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(TRADER),
			SILO,
			COIN,
			9_900
		));
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(OTHER),
			SILO,
			COIN,
			5_000
		));
		assert_eq!((coin(TRADER), coin(OTHER), coin(account)), (100, 0, 14_900));
		assert_eq!(held(), Assets::total_issuance(COIN));
		crate::mock::try_state().expect("invariants");
	});
}
