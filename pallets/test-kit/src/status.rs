//! The circuit breakers, as a test sets them.

use bulwark_primitives::{
	Balance, MarketId, MarketStatus, SiloId, TradingStatus, WithdrawalStatus,
};
use sp_runtime::FixedU128;
use std::{
	cell::RefCell,
	collections::{BTreeMap, BTreeSet},
};

thread_local! {
	static MARKETS: RefCell<BTreeMap<MarketId, MarketStatus>> =
		const { RefCell::new(BTreeMap::new()) };
	static WITHDRAWALS: RefCell<BTreeMap<SiloId, WithdrawalStatus>> =
		const { RefCell::new(BTreeMap::new()) };
	static NO_NEW_RISK: RefCell<BTreeSet<SiloId>> = const { RefCell::new(BTreeSet::new()) };
	static PRICE_UNUSABLE: RefCell<BTreeSet<MarketId>> = const { RefCell::new(BTreeSet::new()) };
	static FILL_BOUNDS: RefCell<BTreeMap<MarketId, (FixedU128, FixedU128)>> =
		const { RefCell::new(BTreeMap::new()) };
	static PROFIT_ALLOWANCE: RefCell<BTreeMap<SiloId, Balance>> =
		const { RefCell::new(BTreeMap::new()) };
}

/// A `TradingStatus` where everything is Normal, accepts new risk and may be liquidated, until
/// the test says otherwise. `allows` is the trait's own, so the margin engine is tested against
/// the same rule the real breakers answer with.
pub struct MockStatus;

impl MockStatus {
	/// Back to all Normal.
	pub fn reset() {
		MARKETS.with(|s| s.borrow_mut().clear());
		WITHDRAWALS.with(|s| s.borrow_mut().clear());
		NO_NEW_RISK.with(|s| s.borrow_mut().clear());
		PRICE_UNUSABLE.with(|s| s.borrow_mut().clear());
		FILL_BOUNDS.with(|s| s.borrow_mut().clear());
		PROFIT_ALLOWANCE.with(|s| s.borrow_mut().clear());
	}

	/// The market's price is flagged (a band trip, a move held back): owners' reductions fill
	/// within `(low, high)`.
	pub fn flag_price(market: MarketId, low: FixedU128, high: FixedU128) {
		FILL_BOUNDS.with(|s| s.borrow_mut().insert(market, (low, high)));
	}

	/// The market's price is no longer flagged.
	pub fn unflag_price(market: MarketId) {
		FILL_BOUNDS.with(|s| s.borrow_mut().remove(&market));
	}

	/// The silo's pool may pay out at most `amount` more realized profit (the test lowers it
	/// by hand as it pays: this stand-in does not count).
	pub fn set_profit_allowance(silo: SiloId, amount: Balance) {
		PROFIT_ALLOWANCE.with(|s| s.borrow_mut().insert(silo, amount));
	}

	/// A silo's withdrawal status.
	pub fn set(silo: SiloId, status: WithdrawalStatus) {
		WITHDRAWALS.with(|s| s.borrow_mut().insert(silo, status));
	}

	/// A market's trading status.
	pub fn set_market(market: MarketId, status: MarketStatus) {
		MARKETS.with(|s| s.borrow_mut().insert(market, status));
	}

	/// The silo's markets take no new risk (as when its insurance fund is below its floor).
	pub fn refuse_new_risk(silo: SiloId) {
		NO_NEW_RISK.with(|s| s.borrow_mut().insert(silo));
	}

	/// The market's price is too old to liquidate or reduce at.
	pub fn price_unusable(market: MarketId) {
		PRICE_UNUSABLE.with(|s| s.borrow_mut().insert(market));
	}
}

impl TradingStatus for MockStatus {
	fn market_status(market: MarketId) -> MarketStatus {
		MARKETS.with(|s| s.borrow().get(&market).copied().unwrap_or_default())
	}
	fn withdrawal_status(silo: SiloId) -> WithdrawalStatus {
		WITHDRAWALS.with(|s| s.borrow().get(&silo).copied().unwrap_or_default())
	}
	fn silo_accepts_new_risk(silo: SiloId) -> bool {
		!NO_NEW_RISK.with(|s| s.borrow().contains(&silo))
	}
	fn price_usable(market: MarketId) -> bool {
		!PRICE_UNUSABLE.with(|s| s.borrow().contains(&market))
	}
	fn fill_bounds(market: MarketId) -> Option<(FixedU128, FixedU128)> {
		FILL_BOUNDS.with(|s| s.borrow().get(&market).copied())
	}
	fn profit_allowance(silo: SiloId) -> Option<Balance> {
		PROFIT_ALLOWANCE.with(|s| s.borrow().get(&silo).copied())
	}
}
