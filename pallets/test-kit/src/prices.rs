//! The oracle, as a test sets it.

use bulwark_primitives::{Aggregate, MarketId, OraclePrice, PriceFeed, PriceStatus};
use core::marker::PhantomData;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedFrom, UniqueSaturatedInto},
	FixedU128,
};
use std::{cell::RefCell, collections::BTreeMap};

thread_local! {
	/// Per market: the price, the block that made it and its status. Block numbers are kept as
	/// `u64` so that one thread-local serves every runtime `R`.
	static PRICES: RefCell<BTreeMap<MarketId, (FixedU128, u64, PriceStatus)>> =
		const { RefCell::new(BTreeMap::new()) };
	static VOLATILITY: RefCell<BTreeMap<MarketId, FixedU128>> =
		const { RefCell::new(BTreeMap::new()) };
	static TWAP: RefCell<BTreeMap<MarketId, FixedU128>> = const { RefCell::new(BTreeMap::new()) };
}

/// A `PriceFeed` for the mock runtime `R`. A price's age counts from the block that made it to
/// `R`'s current block, as the oracle's does; the TWAP is the price itself unless the test set
/// one ([`MockPrices::set_twap`]); the volatility is what the test set,
/// `None` before. Each mock names it for its runtime:
/// `pub type MockPrices = bulwark_test_kit::MockPrices<Test>;`.
pub struct MockPrices<R>(PhantomData<R>);

impl<R> MockPrices<R> {
	/// Forgets every price and volatility.
	pub fn reset() {
		PRICES.with(|p| p.borrow_mut().clear());
		VOLATILITY.with(|v| v.borrow_mut().clear());
		TWAP.with(|t| t.borrow_mut().clear());
	}

	/// The TWAP the oracle reports for `market` from now on (instead of its price).
	pub fn set_twap(market: MarketId, twap: FixedU128) {
		TWAP.with(|t| t.borrow_mut().insert(market, twap));
	}

	/// Marks a market's price Stale, keeping the price and its block; nothing if it has none.
	pub fn set_stale(market: MarketId) {
		Self::set_status(market, PriceStatus::Stale);
	}

	/// Gives a market's price `status`, keeping the price and its block; nothing if it has none.
	pub fn set_status(market: MarketId, status: PriceStatus) {
		PRICES.with(|p| {
			if let Some(entry) = p.borrow_mut().get_mut(&market) {
				entry.2 = status;
			}
		});
	}

	/// The volatility per block the oracle reports for `market`.
	pub fn set_volatility(market: MarketId, volatility: FixedU128) {
		VOLATILITY.with(|v| v.borrow_mut().insert(market, volatility));
	}
}

impl<R: frame_system::Config> MockPrices<R> {
	/// A Fresh price made in the current block.
	pub fn set(market: MarketId, price: FixedU128) {
		Self::set_at(market, price, frame_system::Pallet::<R>::block_number());
	}

	/// A Fresh price made in `block`. Needs no externalities, so a mock may set prices before
	/// its storage exists.
	pub fn set_at(market: MarketId, price: FixedU128, block: BlockNumberFor<R>) {
		let block: u64 = block.unique_saturated_into();
		PRICES.with(|p| p.borrow_mut().insert(market, (price, block, PriceStatus::Fresh)));
	}

	/// What the oracle hands to `OnPriceUpdate` for `market`'s price and volatility as set (it
	/// calls right after storing them): the price, its block and the volatility (0 when unset).
	/// The round is 0: no stand-in listener reads it. Panics if the test set no price.
	pub fn aggregate(market: MarketId) -> Aggregate<BlockNumberFor<R>> {
		let oracle = Self::price(market).expect("the test set a price");
		Aggregate {
			price: oracle.price,
			round: 0,
			block: oracle.updated_at,
			volatility: Self::volatility(market).unwrap_or_default(),
			spread: oracle.spread,
			wide: false,
		}
	}
}

impl<R: frame_system::Config> PriceFeed<BlockNumberFor<R>> for MockPrices<R> {
	fn price(market: MarketId) -> Option<OraclePrice<BlockNumberFor<R>>> {
		let (price, made, status) = PRICES.with(|p| p.borrow().get(&market).copied())?;
		let updated_at = BlockNumberFor::<R>::unique_saturated_from(made);
		let age = frame_system::Pallet::<R>::block_number().saturating_sub(updated_at);
		Some(OraclePrice { price, updated_at, age, status, spread: Default::default() })
	}
	fn twap(market: MarketId) -> Option<FixedU128> {
		TWAP.with(|t| t.borrow().get(&market).copied())
			.or_else(|| Self::price(market).map(|p| p.price))
	}
	fn volatility(market: MarketId) -> Option<FixedU128> {
		VOLATILITY.with(|v| v.borrow().get(&market).copied())
	}
}
