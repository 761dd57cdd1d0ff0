//! The silos' side of the runtime's loops, as a test sets it or records it: their health for the
//! breakers, the traders' open PnL the margin engine reports to them, and what they tell the
//! breakers.

use bulwark_primitives::{Balance, OnSiloEvent, SignedBalance, SiloHealth, SiloId, UnrealizedPnl};
use frame_support::weights::Weight;
use std::{cell::RefCell, collections::BTreeMap};

thread_local! {
	/// Per silo: insurance fund, its target, the LP pool.
	static HEALTH: RefCell<BTreeMap<SiloId, (Balance, Balance, Balance)>> =
		const { RefCell::new(BTreeMap::new()) };
	static PNL: RefCell<BTreeMap<SiloId, SignedBalance>> = const { RefCell::new(BTreeMap::new()) };
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

/// An `UnrealizedPnl`: the traders' net open PnL per silo as the test set it, 0 elsewhere.
pub struct MockPnl;

impl MockPnl {
	/// Every silo back to 0.
	pub fn reset() {
		PNL.with(|p| p.borrow_mut().clear());
	}

	pub fn set(silo: SiloId, pnl: SignedBalance) {
		PNL.with(|p| p.borrow_mut().insert(silo, pnl));
	}
}

impl UnrealizedPnl for MockPnl {
	fn net_trader_pnl(silo: SiloId) -> SignedBalance {
		PNL.with(|p| p.borrow().get(&silo).copied().unwrap_or_default())
	}
}

/// What the silos told the breakers, as [`RecordSiloEvents`] recorded it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SiloEvent {
	Withdrawal(SiloId, Balance),
	BadDebt(SiloId, Balance),
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
	fn on_bad_debt(silo: SiloId, amount: Balance) {
		EVENTS.with(|e| e.borrow_mut().push(SiloEvent::BadDebt(silo, amount)));
	}
	/// Non-zero, so that the silos' weights are seen to charge for it.
	fn max_weight() -> Weight {
		Weight::from_parts(1_000, 0)
	}
}
