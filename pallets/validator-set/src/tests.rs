//! The set, its bounds, and what pallet-session gets from it.

use crate::{mock::*, Changed, Error, Event, Validators};
use frame_support::{assert_noop, assert_ok};
use pallet_session::SessionManager;
use sp_runtime::DispatchError;

fn set() -> Vec<u64> {
	Validators::<Test>::get().into_inner()
}

#[test]
fn genesis_validators_are_sorted_and_session_zero_gets_them() {
	new_test_ext().execute_with(|| {
		assert_eq!(set(), vec![1, 2]);
		assert_eq!(ValidatorSet::new_session_genesis(0), Some(vec![1, 2]));
		// Nothing changed since: pallet-session keeps what it has.
		assert_eq!(ValidatorSet::new_session(1), None);
		ValidatorSet::do_try_state().unwrap();
	});
}

#[test]
fn governance_adds_a_validator_for_the_next_planned_session() {
	new_test_ext().execute_with(|| {
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 3));
		System::assert_last_event(Event::ValidatorAdded { who: 3 }.into());
		assert_eq!(set(), vec![1, 2, 3]);
		// Handed over once, at the next rotation; then nothing more until the next change.
		assert_eq!(ValidatorSet::new_session(1), Some(vec![1, 2, 3]));
		assert_eq!(ValidatorSet::new_session(2), None);
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 1));
		System::assert_last_event(Event::ValidatorRemoved { who: 1 }.into());
		assert_eq!(ValidatorSet::new_session(3), Some(vec![2, 3]));
		ValidatorSet::do_try_state().unwrap();
	});
}

#[test]
fn bad_requests_are_refused_with_nothing_changed() {
	new_test_ext().execute_with(|| {
		// Only governance.
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::signed(3), 3),
			DispatchError::BadOrigin
		);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::signed(1), 2),
			DispatchError::BadOrigin
		);
		// No session keys; already in; not in; below the minimum of 2.
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 10),
			Error::<Test>::NoSessionKeys
		);
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 2),
			Error::<Test>::AlreadyValidator
		);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), 5),
			Error::<Test>::NotValidator
		);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), 2),
			Error::<Test>::TooFewValidators
		);
		// Up to the maximum of 4, not beyond.
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 3));
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 4));
		MockKeys::give_keys(10);
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 10),
			Error::<Test>::TooManyValidators
		);
		assert_eq!(set(), vec![1, 2, 3, 4]);
		assert!(Changed::<Test>::get());
		ValidatorSet::do_try_state().unwrap();
	});
}
