//! Exact-number tests of the silos pallet. Amounts are in the asset's smallest unit.

use crate::{
	mock::*, Error, Event, LpShares, Margin, SiloBooks, SiloParams, Silos, WithdrawalQueue,
};
use bulwark_primitives::{LossSettlement, ProfitSettlement, SiloLedger, WithdrawalStatus};
use frame_support::{assert_noop, assert_ok, traits::fungibles::Inspect};
use sp_runtime::{DispatchError, Permill};

mod proptests;

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
	}
}

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

/// Silo 0 (USD): LP 1 provides 100_000, trader 2 deposits 10_000.
fn funded_silo() {
	create(USD);
	assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, USD, 100_000));
	assert_ok!(CollateralSilos::deposit_margin(RuntimeOrigin::signed(TRADER), SILO, USD, 10_000));
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
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(TRADER),
			SILO,
			USD,
			10_000
		));
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
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, USD, 450_000));
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
		MockStatus::set(SILO, WithdrawalStatus::Frozen);
		assert_noop!(
			CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 1_000),
			Error::<Test>::WithdrawalsFrozen
		);
		assert_noop!(
			CollateralSilos::remove_liquidity(RuntimeOrigin::signed(LP), SILO, 1_000),
			Error::<Test>::WithdrawalsFrozen
		);
		// Deposits are still welcome.
		assert_ok!(CollateralSilos::deposit_margin(RuntimeOrigin::signed(OTHER), SILO, USD, 1_000));
		run_to_block(2);
	});
}

#[test]
fn lp_shares_are_priced_at_pool_value_net_of_trader_pnl() {
	new_test_ext().execute_with(|| {
		create(USD);
		// First LP: one share per unit.
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, USD, 100_000));
		assert_eq!(LpShares::<Test>::get(SILO, LP), 100_000);

		// Traders are up 20_000: the pool is worth 80_000, a share 0.8.
		// 10_000 buys 10_000 * 100_000 / 80_000 = 12_500 shares.
		MockPnl::set(SILO, 20_000);
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(OTHER), SILO, USD, 10_000));
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 12_500);
		System::assert_last_event(
			Event::LiquidityAdded { silo: SILO, who: OTHER, amount: 10_000, shares: 12_500 }.into(),
		);
		// Burning them at the same PnL: 12_500 * (110_000 - 20_000) / 112_500 = 10_000.
		assert_ok!(CollateralSilos::remove_liquidity(RuntimeOrigin::signed(OTHER), SILO, 12_500));
		assert_eq!(usd(OTHER), START);

		// Traders are down 30_000: a depositor pays for that unrealized gain (value 130_000),
		// 13_000 buys 13_000 * 100_000 / 130_000 = 10_000 shares ...
		MockPnl::set(SILO, -30_000);
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(OTHER), SILO, USD, 13_000));
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 10_000);
		// ... but a withdrawer is not paid for it until it is realized (value 113_000):
		// 10_000 * 113_000 / 110_000 = 10_272.7 -> 10_272.
		assert_ok!(CollateralSilos::remove_liquidity(RuntimeOrigin::signed(OTHER), SILO, 10_000));
		assert_eq!(usd(OTHER), START - 13_000 + 10_272);
		assert_eq!(books(SILO).pool, 100_000 + 13_000 - 10_272);
		run_to_block(2);
	});
}

#[test]
fn share_rounding_never_favours_the_lp() {
	new_test_ext().execute_with(|| {
		create(USD);
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, USD, 100_000));
		// Value 66_667: 100 buys 149.999 -> 149 shares, not 150.
		MockPnl::set(SILO, 33_333);
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(OTHER), SILO, USD, 100));
		assert_eq!(LpShares::<Test>::get(SILO, OTHER), 149);
		// Back out at value 66_767: 149 * 66_767 / 100_149 = 99.33 -> 99. The pool keeps 1.
		assert_ok!(CollateralSilos::remove_liquidity(RuntimeOrigin::signed(OTHER), SILO, 149));
		assert_eq!(usd(OTHER), START - 1);
		assert_eq!(books(SILO).pool, 100_001);
		run_to_block(2);
	});
}

#[test]
fn bad_liquidity_changes_are_refused() {
	new_test_ext().execute_with(|| {
		create(USD);
		assert_noop!(
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, EUR, 1_000),
			Error::<Test>::WrongAsset
		);
		assert_noop!(
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, USD, 9),
			Error::<Test>::AmountBelowMinimum
		);
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, USD, 100_000));
		assert_noop!(
			CollateralSilos::remove_liquidity(RuntimeOrigin::signed(LP), SILO, 100_001),
			Error::<Test>::InsufficientShares
		);
		assert_noop!(
			CollateralSilos::remove_liquidity(RuntimeOrigin::signed(LP), SILO, 0),
			Error::<Test>::ZeroShares
		);
		assert_noop!(
			CollateralSilos::remove_liquidity(RuntimeOrigin::signed(LP), SILO, 9),
			Error::<Test>::AmountBelowMinimum
		);
		// Traders are owed more than the pool holds: no share price.
		MockPnl::set(SILO, 100_000);
		assert_noop!(
			CollateralSilos::add_liquidity(RuntimeOrigin::signed(OTHER), SILO, USD, 1_000),
			Error::<Test>::PoolInsolvent
		);
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
fn a_profit_the_pool_cannot_pay_is_reported_for_deleveraging() {
	new_test_ext().execute_with(|| {
		create(USD);
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), SILO, USD, 1_000));
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(TRADER),
			SILO,
			USD,
			10_000
		));
		assert_eq!(
			<CollateralSilos as SiloLedger<_>>::realize_profit(SILO, &TRADER, 1_500),
			Ok(ProfitSettlement { paid: 1_000, unpaid: 500 })
		);
		System::assert_last_event(Event::PoolShortfall { silo: SILO, unpaid: 500 }.into());
		assert_eq!(Margin::<Test>::get(SILO, TRADER).free, 11_000);
		assert_eq!(books(SILO).pool, 0);
		run_to_block(2);
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
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(OTHER),
			SILO,
			USD,
			10_000
		));
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		// 10% of the 100_000 pool per 10-block window: 10_000.
		assert_ok!(CollateralSilos::remove_liquidity(RuntimeOrigin::signed(LP), SILO, 25_000));
		System::assert_has_event(
			Event::LiquidityRemoved {
				silo: SILO,
				who: LP,
				shares: 25_000,
				amount: 25_000,
				paid: 10_000,
			}
			.into(),
		);
		assert_eq!(usd(LP), START - 100_000 + 10_000);
		assert_eq!(books(SILO).queued, 15_000);
		// The trader comes second: nothing is paid ahead of the queue.
		assert_ok!(CollateralSilos::withdraw_margin(RuntimeOrigin::signed(TRADER), SILO, 2_000));
		assert_eq!(usd(TRADER), START - 10_000);
		assert_eq!(books(SILO).queued, 17_000);

		// Same window (opened at block 1 on a pool of 100_000): nothing more leaves.
		run_to_block(10);
		assert_eq!(usd(LP), START - 90_000);
		// Block 11 opens a window on the pool as it is (75_000): 7_500 to the LP.
		run_to_block(11);
		assert_eq!(usd(LP), START - 90_000 + 7_500);
		// Block 21: the LP's last 7_500 uses the whole window; the trader waits.
		run_to_block(21);
		assert_eq!(usd(LP), START - 75_000);
		assert_eq!(usd(TRADER), START - 10_000);
		// Block 31: the trader's 2_000.
		run_to_block(31);
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
			assert_ok!(CollateralSilos::deposit_margin(
				RuntimeOrigin::signed(who),
				SILO,
				USD,
				1_000
			));
		}
		MockStatus::set(SILO, WithdrawalStatus::RateLimited);
		// Uses the whole window's 10_000.
		assert_ok!(CollateralSilos::remove_liquidity(RuntimeOrigin::signed(LP), SILO, 10_000));
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
		run_to_block(2);
		assert_eq!((usd(OTHER), usd(DONOR), usd(KEEPER)), (START, START, START - 1_000));
		run_to_block(3);
		assert_eq!(usd(KEEPER), START);
		assert_eq!(books(SILO).queued, 0);
	});
}

#[test]
fn a_loss_in_one_silo_never_touches_another() {
	new_test_ext().execute_with(|| {
		funded_silo();
		let other = create(EUR);
		assert_ok!(CollateralSilos::add_liquidity(RuntimeOrigin::signed(LP), other, EUR, 50_000));
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
		assert!(CollateralSilos::do_try_state().is_err(), "books no longer match the account");
		assert_noop!(
			CollateralSilos::sweep_surplus(RuntimeOrigin::signed(DONOR), SILO),
			DispatchError::BadOrigin
		);
		assert_ok!(CollateralSilos::sweep_surplus(RuntimeOrigin::root(), SILO));
		assert_eq!(books(SILO).insurance, 777);
		run_to_block(2);
	});
}
