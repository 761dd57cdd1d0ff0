//! The silos' side of the runtime's loops, as a test sets it or records it: their health for the
//! breakers, the traders' open PnL the margin engine reports to them, and what they tell the
//! breakers.

use bulwark_primitives::{Balance, OnSiloEvent, PoolMarks, PositionMarks, SiloHealth, SiloId};
use frame_support::weights::Weight;
use sp_runtime::Permill;
use std::{cell::RefCell, collections::BTreeMap};

thread_local! {
	/// Per silo: insurance fund, its target, the LP pool.
	static HEALTH: RefCell<BTreeMap<SiloId, (Balance, Balance, Balance)>> =
		const { RefCell::new(BTreeMap::new()) };
	static MARKS: RefCell<BTreeMap<SiloId, PoolMarks>> = const { RefCell::new(BTreeMap::new()) };
	static EVENTS: RefCell<Vec<SiloEvent>> = const { RefCell::new(Vec::new()) };
}

/// A `SiloHealth`: the silos the test set, `None` for any other (an unknown silo).
pub struct MockSiloHealth;

impl MockSiloHealth {
	/// Forgets every silo.
	pub fn reset() {
		HEALTH.with(|h| h.borrow_mut().clear());
	}

	pub fn set(silo: SiloId, insurance: Balance, target: Balance, pool: Balance) {
		HEALTH.with(|h| h.borrow_mut().insert(silo, (insurance, target, pool)));
	}
}

impl SiloHealth for MockSiloHealth {
	fn insurance(silo: SiloId) -> Option<(Balance, Balance)> {
		HEALTH.with(|h| h.borrow().get(&silo).map(|(fund, target, _)| (*fund, *target)))
	}
	fn pool(silo: SiloId) -> Option<Balance> {
		HEALTH.with(|h| h.borrow().get(&silo).map(|(_, _, pool)| *pool))
	}
}

/// A `PositionMarks`: each silo's marks as the test set them (the reserve as set, whatever
/// move is asked), none elsewhere.
pub struct MockMarks;

impl MockMarks {
	/// Every silo back to no open positions.
	pub fn reset() {
		MARKS.with(|m| m.borrow_mut().clear());
	}

	pub fn set(silo: SiloId, marks: PoolMarks) {
		MARKS.with(|m| m.borrow_mut().insert(silo, marks));
	}
}

impl PositionMarks for MockMarks {
	fn marks(silo: SiloId, _: Permill) -> PoolMarks {
		MARKS.with(|m| m.borrow().get(&silo).copied().unwrap_or_default())
	}
	fn marks_weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
	/// A silo whose marks the test set has markets.
	fn has_markets(silo: SiloId) -> bool {
		MARKS.with(|m| m.borrow().contains_key(&silo))
	}
}

/// What the silos told the breakers, as [`RecordSiloEvents`] recorded it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SiloEvent {
	Withdrawal(SiloId, Balance),
	/// Realized profit the pool paid (at a close, or claims).
	ProfitPaid(SiloId, Balance),
	BadDebt(SiloId, Balance),
	BooksMismatch(SiloId),
	/// The pool was found below its claims and reserve (notices that it was not are not kept).
	ReserveShort(SiloId),
}

/// An `OnSiloEvent` that records every notice, in order, for the test to read with
/// [`RecordSiloEvents::take`].
pub struct RecordSiloEvents;

impl RecordSiloEvents {
	/// Forgets the notices.
	pub fn reset() {
		EVENTS.with(|e| e.borrow_mut().clear());
	}

	/// The notices so far, and forget them.
	pub fn take() -> Vec<SiloEvent> {
		EVENTS.with(|e| core::mem::take(&mut *e.borrow_mut()))
	}
}

impl OnSiloEvent for RecordSiloEvents {
	fn on_withdrawal(silo: SiloId, amount: Balance) {
		EVENTS.with(|e| e.borrow_mut().push(SiloEvent::Withdrawal(silo, amount)));
	}
	fn on_profit_paid(silo: SiloId, amount: Balance) {
		EVENTS.with(|e| e.borrow_mut().push(SiloEvent::ProfitPaid(silo, amount)));
	}
	fn on_bad_debt(silo: SiloId, amount: Balance) {
		EVENTS.with(|e| e.borrow_mut().push(SiloEvent::BadDebt(silo, amount)));
	}
	fn on_books_mismatch(silo: SiloId) {
		EVENTS.with(|e| e.borrow_mut().push(SiloEvent::BooksMismatch(silo)));
	}
	fn on_reserve(silo: SiloId, short: bool) {
		if short {
			EVENTS.with(|e| e.borrow_mut().push(SiloEvent::ReserveShort(silo)));
		}
	}
	/// Non-zero, so that the silos' weights are seen to charge for it.
	fn max_weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
}
