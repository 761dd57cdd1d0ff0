//! The tripwire at the end of every block: a silo's account against its books, its claims
//! against their records, its pool against its claims and reserve.

use super::*;
use crate::{BooksMismatched, ClaimCursors, ProfitClaims, ReserveShort};
use frame_support::traits::{
	fungibles::Mutate,
	tokens::{Fortitude, Precision, Preservation},
	Hooks,
};

/// Ends the current block and starts the next as `run_to_block` does, but without `try_state`,
/// which fails for as long as a silo's account holds less than its books, as these tests make it.
fn next_block_unchecked() {
	let now = System::block_number();
	CollateralSilos::on_finalize(now);
	System::set_block_number(now + 1);
	CollateralSilos::on_initialize(now + 1);
}

/// The `BooksMismatch` events since the last call, as (silo, held, books).
fn mismatches() -> Vec<(u32, u128, u128)> {
	let found = System::events()
		.into_iter()
		.filter_map(|record| match record.event {
			RuntimeEvent::CollateralSilos(Event::BooksMismatch { silo, held, books }) => {
				Some((silo, held, books))
			},
			_ => None,
		})
		.collect();
	System::reset_events();
	found
}

#[test]
fn assets_taken_from_a_silo_behind_its_back_trip_its_breakers_and_say_so_once() {
	new_test_ext().execute_with(|| {
		// Books: pool 100_000 + margin 10_000 = 110_000, all held.
		funded_silo();
		run_to_block(2);
		assert_eq!(mismatches(), vec![]);
		assert!(RecordEvents::take().is_empty());
		let account = crate::Pallet::<Test>::account_of(SILO);

		// 1_000 leaves the silo's account outside the pallet.
		assert_ok!(<Assets as Mutate<AccountId>>::transfer(
			USD,
			&account,
			&DONOR,
			1_000,
			Preservation::Expendable
		));
		assert!(CollateralSilos::do_try_state().is_err());
		next_block_unchecked();
		assert_eq!(mismatches(), vec![(SILO, 109_000, 110_000)]);
		assert_eq!(RecordEvents::take(), vec![SiloEvent::BooksMismatch(SILO)]);
		assert!(BooksMismatched::<Test>::contains_key(SILO));
		// The event once; the breakers are told again every block while it lasts (they act
		// once), so a breaker lifted while the books still differ trips again.
		next_block_unchecked();
		assert_eq!(mismatches(), vec![]);
		assert_eq!(RecordEvents::take(), vec![SiloEvent::BooksMismatch(SILO)]);
		assert!(BooksMismatched::<Test>::contains_key(SILO));

		// Put back: the books match again and the flag goes.
		assert_ok!(Assets::transfer(RuntimeOrigin::signed(DONOR), USD, account, 1_000));
		next_block_unchecked();
		assert_eq!(mismatches(), vec![]);
		assert!(!BooksMismatched::<Test>::contains_key(SILO));
		assert_eq!(crate::mock::try_state(), Ok(()));

		// A new mismatch (500 burnt from the account) is told anew.
		assert_ok!(<Assets as Mutate<AccountId>>::burn_from(
			USD,
			&account,
			500,
			Preservation::Expendable,
			Precision::Exact,
			Fortitude::Force
		));
		next_block_unchecked();
		assert_eq!(mismatches(), vec![(SILO, 109_500, 110_000)]);
		assert_eq!(RecordEvents::take(), vec![SiloEvent::BooksMismatch(SILO)]);
	});
}

#[test]
fn assets_sent_into_a_silo_are_no_mismatch() {
	new_test_ext().execute_with(|| {
		funded_silo();
		let account = crate::Pallet::<Test>::account_of(SILO);
		assert_ok!(Assets::transfer(RuntimeOrigin::signed(DONOR), USD, account, 777));
		// Each block checked: a surplus breaks no invariant (`try_state` included).
		crate::mock::sent_to_silo(SILO, 777);
		run_to_block(System::block_number() + 2);
		assert_eq!(mismatches(), vec![]);
		assert!(RecordEvents::take().is_empty());
		assert!(!BooksMismatched::<Test>::contains_key(SILO));
		// Swept into the insurance fund, the books match to the unit again.
		assert_ok!(CollateralSilos::sweep_surplus(RuntimeOrigin::root(), SILO));
		crate::mock::sent_to_silo(SILO, 0);
		assert_eq!(crate::mock::try_state(), Ok(()));
		run_to_block(System::block_number() + 1);
	});
}

#[test]
fn claims_the_books_owe_without_a_record_trip_the_breakers() {
	new_test_ext().execute_with(|| {
		create(USD);
		add(LP, 1_000);
		assert_ok!(CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(TRADER),
			SILO,
			USD,
			1_000
		));
		// A claim of 500.
		assert_ok!(<CollateralSilos as SiloLedger<_>>::realize_profit(SILO, &TRADER, 1_500));
		run_to_block(2);
		assert_eq!(mismatches(), vec![]);
		// Its record lost (as a storage bug would lose it): the books owe 500 to no one.
		ProfitClaims::<Test>::remove(SILO, 0);
		ClaimCursors::<Test>::remove(SILO);
		next_block_unchecked();
		// The account still holds what the books say; the claims are what differ.
		assert_eq!(mismatches(), vec![(SILO, 2_000, 2_000)]);
		assert!(RecordEvents::take().contains(&SiloEvent::BooksMismatch(SILO)));
		assert!(BooksMismatched::<Test>::contains_key(SILO));
	});
}

#[test]
fn a_pool_short_of_its_reserve_tells_the_breakers_until_it_is_not() {
	new_test_ext().execute_with(|| {
		funded_silo();
		request(LP, 10_000_100);
		// The winners could be owed 150_000 after the adverse move: more than the pool holds.
		MockMarks::set(SILO, PoolMarks { reserve: 150_000, ..Default::default() });
		run_to_block(2);
		assert!(ReserveShort::<Test>::contains_key(SILO));
		assert_eq!(RecordEvents::take(), vec![SiloEvent::ReserveShort(SILO)]);
		// Every block while it lasts.
		run_to_block(1 + COOLDOWN);
		assert_eq!(RecordEvents::take(), vec![SiloEvent::ReserveShort(SILO); 4]);
		// No liquidity leaves meanwhile.
		assert_noop!(claim(LP), Error::<Test>::ReserveRequired);

		// The reserve falls to 50_000: at the end of the block the pool is no longer short.
		MockMarks::set(SILO, PoolMarks { reserve: 50_000, ..Default::default() });
		run_to_block(2 + COOLDOWN);
		assert!(!ReserveShort::<Test>::contains_key(SILO));
		assert!(RecordEvents::take().is_empty());
		assert_ok!(claim(LP));
		assert_eq!(usd(LP), START - 90_000);
		assert_eq!(RecordEvents::take(), vec![SiloEvent::Withdrawal(SILO, 10_000)]);
		// Pool 90_000 against a reserve of 50_000: still not short.
		run_to_block(3 + COOLDOWN);
		assert!(RecordEvents::take().is_empty());
	});
}
