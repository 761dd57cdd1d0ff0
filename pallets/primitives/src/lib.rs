//! Bulwark's shared vocabulary.
//!
//! Pallets never depend on each other: they depend on this crate and meet through the traits
//! below, which the runtime wires together (associated types in each pallet's `Config`).

#![cfg_attr(not(feature = "std"), no_std)]

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{CheckedDiv, Saturating, Zero},
	DispatchError, DispatchResult, FixedU128, Perbill, Permill, Weight,
};

/// Longest window, duration or interval (in blocks) any governed parameter may take: a day of
/// 6 s blocks. Shared by the oracle's and the breakers' parameter bounds.
pub const MAX_BLOCKS: u32 = 14_400;

/// Amount of a collateral asset, in its smallest unit. Money is always an integer.
pub type Balance = u128;
/// A signed amount: profit (positive) or loss (negative) of a trader.
pub type SignedBalance = i128;
/// Identifier of an isolated collateral silo.
pub type SiloId = u32;
/// Identifier of a perpetual market.
pub type MarketId = u32;

/// What a silo lets out right now. Set by the circuit breakers.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Default,
	PartialOrd,
	Ord,
)]
/// Ordered from least to most restrictive.
pub enum WithdrawalStatus {
	/// Withdrawals are paid at once.
	#[default]
	Normal,
	/// At most a share of the pool leaves per window; the rest waits in the silo's queue.
	RateLimited,
	/// Nothing leaves the silo.
	Frozen,
}

/// What a market allows right now. Set by the circuit breakers.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Default,
	PartialOrd,
	Ord,
)]
/// Ordered from least to most restrictive.
pub enum MarketStatus {
	#[default]
	Normal,
	/// Only closing trades and liquidations.
	ReduceOnly,
	/// Nothing acts on its positions: no trading and no liquidation (only margin may be
	/// added). Automatic once the price has been Stale too long to act on; a guardian's stop.
	Halted,
}

/// What a trader or keeper wants to do in a market.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TradeAction {
	/// Open or increase a position.
	IncreaseRisk,
	/// Reduce or close a position.
	ReduceRisk,
	/// Liquidate an account.
	Liquidate,
}

/// The breakers' current posture, consulted by the margin engine and the silos.
pub trait TradingStatus {
	fn market_status(market: MarketId) -> MarketStatus;
	fn withdrawal_status(silo: SiloId) -> WithdrawalStatus;
	/// Whether the silo's markets may take on new risk (its insurance fund is healthy).
	fn silo_accepts_new_risk(_silo: SiloId) -> bool {
		true
	}
	/// Whether the market's price is recent enough to act on against a position: to liquidate
	/// it, and equally for its owner to reduce or close it (one price-age rule for both).
	fn price_usable(_market: MarketId) -> bool {
		true
	}
	/// The price liquidations of `market`'s longs (`long`) or shorts act on, where the breakers
	/// hold the oracle's last aggregate back (a move beyond the band not yet confirmed by a
	/// second aggregate, a round the feeders did not agree on); `None`: the oracle's price.
	fn liquidation_price(_market: MarketId, _long: bool) -> Option<FixedU128> {
		None
	}
	/// While the market's price is flagged (a band trip in force, an aggregate held back), the
	/// range `(low, high)` that owners' reductions fill within: a long sells at no more than
	/// `low`, a short buys back at no less than `high`. They are the lower and the higher of the
	/// TWAP and the price the flagged move started from. `None`: not flagged.
	fn fill_bounds(_market: MarketId) -> Option<(FixedU128, FixedU128)> {
		None
	}
	/// How much realized profit the silo's pool may still pay out in the current window (a
	/// governed share of the pool per window); what is beyond waits as claims. `None`: no cap.
	fn profit_allowance(_silo: SiloId) -> Option<Balance> {
		None
	}
	/// The one question the margin engine asks before acting in `market` of `silo`.
	///
	/// Owners and keepers obey one rule: whenever a position may be liquidated, its owner may
	/// reduce or close it, and the other way round: both need a market that is not Halted and a
	/// price recent enough ([`Self::price_usable`]). Halted stops both (adding margin stays
	/// open in every state). New risk needs a Normal market whose price is not flagged, in a silo
	/// that accepts it (and the margin engine asks a Fresh price of it).
	fn allows(market: MarketId, silo: SiloId, action: TradeAction) -> bool {
		match action {
			TradeAction::IncreaseRisk => {
				Self::market_status(market) == MarketStatus::Normal
					&& Self::silo_accepts_new_risk(silo)
					&& Self::fill_bounds(market).is_none()
			},
			TradeAction::ReduceRisk | TradeAction::Liquidate => {
				Self::market_status(market) != MarketStatus::Halted && Self::price_usable(market)
			},
		}
	}
}

/// No breakers: everything is Normal. For tests and for runtimes without the breaker pallet.
impl TradingStatus for () {
	fn market_status(_: MarketId) -> MarketStatus {
		MarketStatus::Normal
	}
	fn withdrawal_status(_: SiloId) -> WithdrawalStatus {
		WithdrawalStatus::Normal
	}
}

/// A silo's health as the breakers watch it. Implemented by the silos pallet.
pub trait SiloHealth {
	/// The insurance fund and its target; `None` for an unknown silo.
	fn insurance(silo: SiloId) -> Option<(Balance, Balance)>;
	/// Assets in the LP pool; `None` for an unknown silo.
	fn pool(silo: SiloId) -> Option<Balance>;
	/// Traders' profit the pool could not pay yet (their claims, due in order); zero for an
	/// unknown silo. Profit held back at flagged prices is not due and not counted here
	/// ([`SiloLedger::held_profit`]).
	fn claims(_silo: SiloId) -> Balance {
		0
	}
}

impl SiloHealth for () {
	fn insurance(_: SiloId) -> Option<(Balance, Balance)> {
		None
	}
	fn pool(_: SiloId) -> Option<Balance> {
		None
	}
}

/// Whether liquidations are waiting, as the upgrade guard asks it. Implemented by the margin
/// engine.
pub trait LiquidationBacklog {
	/// A position the protocol would liquidate now is still open.
	fn waiting() -> bool;
	/// What [`Self::waiting`] costs at most.
	fn waiting_weight() -> Weight;
}

impl LiquidationBacklog for () {
	fn waiting() -> bool {
		false
	}
	fn waiting_weight() -> Weight {
		Weight::zero()
	}
}

/// Told by the silos pallet, as it happens, of what the breakers watch in silos.
pub trait OnSiloEvent {
	/// `amount` left the silo (margin or liquidity withdrawn, queued withdrawals paid).
	fn on_withdrawal(silo: SiloId, amount: Balance);
	/// The pool paid `amount` of traders' realized profit (at a close, or a claim): counted
	/// against the window's profit allowance, and as a drain of the pool like a withdrawal.
	fn on_profit_paid(silo: SiloId, amount: Balance);
	/// A loss exceeded its trader's margin by `amount` (paid by insurance or socialized).
	fn on_bad_debt(silo: SiloId, amount: Balance);
	/// The silo's books and its account disagree (an accounting bug or an asset moved behind
	/// the silo's back): stop everything that could take value out of it.
	fn on_books_mismatch(silo: SiloId);
	/// Whether the silo's pool holds less than its traders' claims and its reserve, checked
	/// at the end of every block.
	fn on_reserve(silo: SiloId, short: bool);
	/// Upper bound of the weight of one call of any of them.
	fn max_weight() -> Weight;
}

impl OnSiloEvent for () {
	fn on_withdrawal(_: SiloId, _: Balance) {}
	fn on_profit_paid(_: SiloId, _: Balance) {}
	fn on_bad_debt(_: SiloId, _: Balance) {}
	fn on_books_mismatch(_: SiloId) {}
	fn on_reserve(_: SiloId, _: bool) {}
	fn max_weight() -> Weight {
		Weight::zero()
	}
}

/// What a silo's open positions are worth against its pool, as the margin engine sees them at
/// the last prices. Every figure is per market side (all longs, all shorts of a market), each
/// side marked at the price that closing the whole side would fill at (price impact included),
/// so a round trip of skew cannot inflate it; a side's profit is never netted against another
/// side's loss.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Default)]
pub struct PoolMarks {
	/// What the pool would owe if every winning side closed now: the sides' unrealized profit,
	/// funding they are owed included.
	pub owed: Balance,
	/// What the pool could collect from the losing sides: each side's unrealized loss, counted
	/// up to the margin that side holds (a loss beyond margin is future bad debt, not cash).
	pub collectible: Balance,
	/// What the winners could be owed after an adverse move of the asked size against the pool
	/// in every market at once: the reserve the pool keeps before liquidity may leave.
	pub reserve: Balance,
}

/// The margin engine's marks of a silo's open positions ([`PoolMarks`]), read by the silos to
/// price LP shares, hold the reserve and check their books.
pub trait PositionMarks {
	/// `silo`'s marks at the last prices; `reserve` for a move of `adverse_move`.
	fn marks(silo: SiloId, adverse_move: Permill) -> PoolMarks;
	/// Upper bound of the weight of one `marks`.
	fn marks_weight() -> Weight;
	/// Whether any market (settled markets are gone) trades against `silo`'s pool.
	fn has_markets(_silo: SiloId) -> bool {
		false
	}
}

/// No open positions anywhere.
impl PositionMarks for () {
	fn marks(_: SiloId, _: Permill) -> PoolMarks {
		PoolMarks::default()
	}
	fn marks_weight() -> Weight {
		Weight::zero()
	}
}

/// Entries numbered in the order they arose and taken oldest first (a silo's claims, the
/// margin engine's held profits): `head` is the oldest still there, `next` the number the next
/// one gets; entries `head..next` exist.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Default,
)]
pub struct QueueCursor {
	pub head: u64,
	pub next: u64,
}

impl QueueCursor {
	pub fn is_empty(&self) -> bool {
		self.head == self.next
	}
}

/// How a trader's loss was paid.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Default)]
pub struct LossSettlement {
	/// Paid from the trader's locked margin.
	pub from_margin: Balance,
	/// Paid by the silo's insurance fund, because the margin was not enough.
	pub from_insurance: Balance,
	/// Absorbed by the silo's LPs: the pool never received it (socialized loss).
	pub socialized: Balance,
}

/// How a trader's profit was paid.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Default)]
pub struct ProfitSettlement {
	/// Paid from the silo's pool into the trader's free margin.
	pub paid: Balance,
	/// What the pool could not pay now: recorded as the trader's claim in the silo's books,
	/// paid, oldest first, from the pool's next inflows before any LP withdrawal.
	pub claimed: Balance,
}

/// The margin engine's view of a silo's books. Every operation stays inside one silo: there is
/// no way to name two silos in one call, so value cannot move between them.
pub trait SiloLedger<AccountId> {
	/// Free margin of a trader: deposited and not backing any position.
	fn free_margin(silo: SiloId, who: &AccountId) -> Balance;
	/// Margin backing the trader's open positions.
	fn locked_margin(silo: SiloId, who: &AccountId) -> Balance;
	/// Free -> locked. Fails with nothing changed if free margin is short.
	fn lock_margin(silo: SiloId, who: &AccountId, amount: Balance) -> DispatchResult;
	/// Locked -> free. Fails with nothing changed if locked margin is short.
	fn release_margin(silo: SiloId, who: &AccountId, amount: Balance) -> DispatchResult;
	/// Pool -> trader's free margin, as far as the pool goes; the rest becomes the trader's
	/// claim on the silo (never lost, paid before LPs may withdraw).
	fn realize_profit(
		silo: SiloId,
		who: &AccountId,
		profit: Balance,
	) -> Result<ProfitSettlement, DispatchError>;
	/// Profit held back from a close at a price the breakers flag: at most `amount`, owed to
	/// `who` only once the price has held ([`Self::release_held_profit`]). Until then the silo
	/// pays nothing of it but counts all of it as its pool's debt for LPs' withdrawals, the
	/// reserve and the open-interest cap, so no LP leaves at a value the release could take
	/// back; a deposit counts none of it, so none buys in cheaply before a pump reverts.
	fn hold_profit(silo: SiloId, who: &AccountId, amount: Balance) -> DispatchResult;
	/// A held profit of `held` is judged: `pay` of it (capped at `held`) is realized as profit
	/// (paid as far as the pool and the window's profit allowance go, the rest a claim, in
	/// order); the rest stays the pool's. Fails with nothing changed if the silo holds less.
	fn release_held_profit(
		silo: SiloId,
		who: &AccountId,
		held: Balance,
		pay: Balance,
	) -> Result<ProfitSettlement, DispatchError>;
	/// The silo's held profit not yet judged; zero for an unknown silo.
	fn held_profit(silo: SiloId) -> Balance;
	/// Trader's locked margin -> pool; what the margin cannot pay goes down the waterfall:
	/// insurance fund, then the LPs (socialized).
	fn realize_loss(
		silo: SiloId,
		who: &AccountId,
		loss: Balance,
	) -> Result<LossSettlement, DispatchError>;
	/// A loss no trader's margin pays any more (what is left of a liquidated position's debt):
	/// the silo's insurance fund, then the LPs (socialized). Never touches any trader's margin,
	/// so one isolated position's debt cannot eat another's margin.
	fn cover_bad_debt(silo: SiloId, amount: Balance) -> Result<LossSettlement, DispatchError>;
	/// A fee from the trader's locked margin, split between pool and insurance fund by the
	/// silo's fee split. Fails with nothing changed if locked margin is short.
	fn charge_fee(silo: SiloId, who: &AccountId, fee: Balance) -> DispatchResult;
	/// A liquidation's penalty (to the insurance fund) and keeper reward (to the keeper's free
	/// margin in the same silo), from the trader's locked margin, as far as it goes.
	/// Returns what was actually paid: (penalty, reward).
	fn pay_liquidation(
		silo: SiloId,
		who: &AccountId,
		penalty: Balance,
		keeper: &AccountId,
		reward: Balance,
	) -> Result<(Balance, Balance), DispatchError>;
}

/// |value - reference| / reference: how far a price is from another, as a fraction. `None` for a
/// zero reference, or a ratio beyond what FixedU128 holds. Shared by the oracle's outlier
/// filters and the breakers' band.
pub fn relative_deviation(value: FixedU128, reference: FixedU128) -> Option<FixedU128> {
	if reference.is_zero() {
		return None;
	}
	let difference =
		if value > reference { value.saturating_sub(reference) } else { reference - value };
	difference.checked_div(&reference)
}

/// Whether a market's oracle price may be trusted now.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Default,
)]
pub enum PriceStatus {
	/// A quorum of feeders agreed on a price recently enough.
	#[default]
	Fresh,
	/// No aggregate for longer than the oracle's staleness limit: the price is the last known one
	/// and must not be used to open risk.
	Stale,
	/// Made by fewer feeders than the quorum, after the market had gone Stale: a round that timed
	/// out with at least half the feeders (at least two), all of whom agreed. Recent, so
	/// liquidations and reductions may act on it; new risk may not (the breakers hold the market
	/// ReduceOnly). The next aggregate with a full quorum makes the market Fresh.
	Degraded,
}

/// A market's last aggregated oracle price, as the other pallets see it.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct OraclePrice<BlockNumber> {
	/// Price of one unit of the base asset in the quote currency.
	pub price: FixedU128,
	/// Block in which the aggregate was made.
	pub updated_at: BlockNumber,
	/// Blocks since then (0 in the block that made it).
	pub age: BlockNumber,
	pub status: PriceStatus,
	/// How far the feeders disagreed in the round that made it: the median absolute deviation
	/// of their reports over the median (0.5% = `Perbill::from_rational(5, 1000)`).
	pub spread: Perbill,
}

/// Prices for the margin engine and the breakers. Implemented by the price oracle.
pub trait PriceFeed<BlockNumber> {
	/// The last aggregate of a market; `None` if the market has no feed or never had a quorum.
	fn price(market: MarketId) -> Option<OraclePrice<BlockNumber>>;
	/// Time-weighted average of the aggregates over the oracle's TWAP window.
	fn twap(market: MarketId) -> Option<FixedU128>;
	/// Estimated volatility per block: the EWMA standard deviation of the relative change between
	/// consecutive aggregates (0.01 = 1% per block).
	fn volatility(market: MarketId) -> Option<FixedU128>;
}

/// No oracle: no market has a price.
impl<BlockNumber> PriceFeed<BlockNumber> for () {
	fn price(_: MarketId) -> Option<OraclePrice<BlockNumber>> {
		None
	}
	fn twap(_: MarketId) -> Option<FixedU128> {
		None
	}
	fn volatility(_: MarketId) -> Option<FixedU128> {
		None
	}
}

/// A new oracle aggregate: what the oracle knows when it closes a round, handed to
/// [`OnPriceUpdate`] so that its listeners need not read the oracle back.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct Aggregate<BlockNumber> {
	/// The round's median price of one unit of the base asset in the quote currency.
	pub price: FixedU128,
	/// The oracle round that made it.
	pub round: u32,
	/// The block in which it was made (the current block when it is handed over).
	pub block: BlockNumber,
	/// The volatility estimate with this aggregate included (as [`PriceFeed::volatility`]).
	pub volatility: FixedU128,
	/// The feeders' disagreement in the round (as [`OraclePrice::spread`]).
	pub spread: Perbill,
	/// Whether that spread is beyond the oracle's governed bound: a round the feeders did not
	/// agree on, which must not trigger liquidations on its own.
	pub wide: bool,
}

/// Called by the oracle in the block that made a new aggregate, after it is stored (so
/// `PriceFeed` already returns it). The breakers check their bands; the margin engine re-checks
/// the accounts exposed to the market, at the aggregate it is handed.
pub trait OnPriceUpdate<BlockNumber> {
	fn on_price_update(market: MarketId, aggregate: &Aggregate<BlockNumber>);
	/// Upper bound of the weight of one `on_price_update`: the oracle charges it to the report
	/// that completes the quorum, so it must be a bound, not an estimate.
	fn max_weight() -> Weight;
}

/// Every member of the tuple is told, in order; the bound is the sum of their bounds.
#[impl_trait_for_tuples::impl_for_tuples(8)]
impl<BlockNumber> OnPriceUpdate<BlockNumber> for Tuple {
	fn on_price_update(market: MarketId, aggregate: &Aggregate<BlockNumber>) {
		for_tuples!( #( Tuple::on_price_update(market, aggregate); )* );
	}
	fn max_weight() -> Weight {
		let mut weight = Weight::zero();
		for_tuples!( #( weight = weight.saturating_add(Tuple::max_weight()); )* );
		weight
	}
}
