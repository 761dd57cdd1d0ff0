//! Storage and runtime-API types of the margin engine.

use bulwark_primitives::{Balance, MarketId, SignedBalance, SiloId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use scale_info::TypeInfo;
use sp_runtime::{traits::Get, FixedI128, FixedPointNumber, FixedU128, Permill};

/// Positions of at least `min_size` units need `factor` times the margin fractions. By size,
/// not value: what a liquidation must sell (and the price impact it meets) is the size, and a
/// tier that does not move with the price keeps each position's place in the liquidation index
/// ([`crate::index`]) fixed between its own changes.
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
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SizeTier {
	pub min_size: u128,
	pub factor: FixedU128,
}

/// Governance-set parameters of a market. Sizes are in the market's size unit, money in the
/// silo's collateral unit, fractions as fixed-point numbers (0.05 = 5%).
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[scale_info(skip_type_params(MaxTiers))]
#[serde(rename_all = "camelCase", deny_unknown_fields, bound = "")]
pub struct MarketParams<MaxTiers: Get<u32>> {
	/// Collateral units one size unit is worth per unit of oracle price (e.g. BTC in satoshi
	/// against a 6-decimal dollar: 10^6 / 10^8 = 0.01).
	pub value_scale: FixedU128,
	/// Highest value-to-equity ratio a trade may open.
	pub max_leverage: FixedU128,
	/// Base initial margin fraction: what opening or increasing needs.
	pub initial_margin: FixedU128,
	/// Base maintenance margin fraction: below it a position is liquidatable.
	pub maintenance_margin: FixedU128,
	/// `k`: the volatility add-on is `k` times the oracle's per-block EWMA volatility.
	pub volatility_factor: FixedU128,
	/// Most the volatility add-on may rise per block.
	pub max_margin_step: FixedU128,
	/// Bigger positions need more margin; ascending thresholds, factors at least 1.
	pub size_tiers: BoundedVec<SizeTier, MaxTiers>,
	/// Smallest trade and smallest position left open: dust is refused.
	pub min_size: u128,
	/// Smallest value, at the fill price, a position left open may have: with `min_size`, what
	/// keeps a market's positions (and its liquidation index) bounded by money, not by a count.
	pub min_position_value: Balance,
	/// Largest position one account may hold.
	pub max_position_size: u128,
	/// Open-interest caps per side.
	pub max_long_size: u128,
	pub max_short_size: u128,
	/// A side's open interest, valued at the oracle price, may not grow beyond this multiple of
	/// what the silo's pool holds beyond its traders' claims: a shrinking pool cannot be left
	/// backing more risk than it can (0.5 = half the pool per side).
	pub max_open_interest_to_pool: FixedU128,
	/// The skew at which the price impact reaches 100% and the funding rate its maximum.
	pub skew_scale: u128,
	/// Cap on the premium of any skew (reached at `max_price_impact * skew_scale`); a trade pays
	/// the average of the capped premium over the skew it walks through.
	pub max_price_impact: FixedU128,
	/// Largest funding rate per block.
	pub max_funding_rate: FixedU128,
	/// Most the funding rate may change per block.
	pub max_funding_velocity: FixedU128,
	/// Of the value traded, to the silo (pool and insurance by its fee split).
	pub trading_fee: Permill,
	/// Of the value liquidated, to the silo's insurance fund.
	pub liquidation_penalty: Permill,
	/// Of the value liquidated, to the keeper.
	pub keeper_reward: Permill,
}

/// What the market's positions add up to, kept so that nothing loops over positions.
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
pub struct OpenInterest {
	pub long_size: u128,
	pub short_size: u128,
	/// Sum of the longs' and the shorts' entry values.
	pub long_entry: Balance,
	pub short_entry: Balance,
	/// Per side, the sum of `size * funding index at the last change` (see
	/// [`crate::math::funding_basis`]): what each side owes in funding, without a loop.
	pub long_basis: SignedBalance,
	pub short_basis: SignedBalance,
	/// Per side, the margin its positions hold: what the side can pay of a loss.
	pub long_margin: Balance,
	pub short_margin: Balance,
}

impl OpenInterest {
	/// Long size minus short size.
	pub fn skew(&self) -> SignedBalance {
		(self.long_size as SignedBalance).saturating_sub(self.short_size as SignedBalance)
	}
}

/// One side of a market (all its longs, or all its shorts) as the silo's pool sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SideMark {
	/// What closing the whole side now would realize, funding included (positive: the pool
	/// pays).
	pub pnl: SignedBalance,
	/// The margin the side's positions hold.
	pub margin: Balance,
}

/// The market's funding and adaptive-margin state, advanced lazily: whenever the market is
/// touched, by exactly the blocks since the last touch.
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
pub struct Accrual<BlockNumber> {
	/// Funding rate per block (positive: longs pay).
	pub funding_rate: FixedI128,
	/// Cumulative funding per size unit, in collateral units.
	pub funding_index: FixedI128,
	/// The unit price the next blocks of funding are paid at (the last one seen).
	pub unit_price: FixedU128,
	/// The volatility add-on to the margin fractions now, and the one it moves toward.
	pub volatility_margin: FixedU128,
	pub volatility_target: FixedU128,
	/// The block the above describe.
	pub at: BlockNumber,
}

/// A market: its silo, parameters, open interest and accrual.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
#[scale_info(skip_type_params(MaxTiers))]
pub struct Market<MaxTiers: Get<u32>, BlockNumber: core::fmt::Debug + Clone + PartialEq + Eq> {
	pub silo: SiloId,
	pub params: MarketParams<MaxTiers>,
	pub open_interest: OpenInterest,
	pub accrual: Accrual<BlockNumber>,
}

/// One account's isolated position in one market.
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
pub struct Position {
	/// The position's size in the market's size units (BTC-USD: satoshi, 10^-8 BTC), positive
	/// long, negative short. Not `size`: Polkadot.js renames a struct field `size` (it collides
	/// with `Map.size`), so every client would read it under another name.
	pub size_units: SignedBalance,
	/// What the position's size cost (long) or fetched (short) at its fills.
	pub entry: Balance,
	/// Margin locked in the silo for this position only.
	pub margin: Balance,
	/// The market's funding index when funding was last settled.
	pub funding_index: FixedI128,
}

/// A position's health, as the runtime API reports it. Money is in the silo's collateral units
/// (USDB: 10^-6 dollar), sizes in the market's size units, `liquidation_price` in oracle terms
/// (quote per base unit: dollars per BTC, 18 decimals).
///
/// Example: 0.01 BTC long (`size_units` 1,000,000) bought at $67,000 has `entry` 670,000,000
/// (670 USDB = 1,000,000 units x the unit price 670: $67,000 x `value_scale` 0.01).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct PositionHealth {
	pub market: MarketId,
	pub silo: SiloId,
	/// Positive long, negative short, in size units.
	pub size_units: SignedBalance,
	/// What the size cost (long) or fetched (short) at its fills, collateral units.
	pub entry: Balance,
	/// Margin locked for this position, collateral units.
	pub margin: Balance,
	/// Margin plus unrealized PnL less funding owed, at the oracle price.
	pub equity: SignedBalance,
	/// Unrealized PnL at the oracle price, before funding.
	pub pnl: SignedBalance,
	/// Funding owed since the last settlement (positive: the trader pays).
	pub funding_owed: SignedBalance,
	pub initial_requirement: Balance,
	pub maintenance_requirement: Balance,
	/// Oracle price at which the position becomes liquidatable; `None` if none does.
	pub liquidation_price: Option<FixedU128>,
	pub liquidatable: bool,
}

/// What a price shock would do to a silo.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Default)]
pub struct SiloStress {
	pub silo: SiloId,
	/// Sum of the negative equity of every position the shock leaves below zero.
	pub bad_debt: Balance,
	/// How many positions the shock would make liquidatable.
	pub liquidatable: u32,
	/// Traders' net unrealized PnL after the shock (positive: the pool owes them).
	pub trader_pnl: SignedBalance,
	pub insurance: Balance,
	pub pool: Balance,
	/// Bad debt the insurance fund cannot pay: the LPs' loss.
	pub uncovered: Balance,
}

/// How liquidations reach blocks. Fixed at genesis: no call changes it.
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
	serde::Serialize,
	serde::Deserialize,
)]
pub enum LiquidationMode {
	/// The protocol liquidates what is due at the start of every block, validators' offchain
	/// workers submit the rest, and a verified liquidation is Operational at the top pool
	/// priority.
	#[default]
	Prioritized,
	/// None of that: a liquidation is a signed keeper's Normal transaction competing on fees with
	/// every other. Only for measuring what the layers are worth; no real chain should run it.
	Unprioritized,
}

/// A position's numbers at a price.
#[derive(Clone, Copy, Debug)]
pub struct Health {
	pub pnl: SignedBalance,
	pub funding: SignedBalance,
	pub equity: SignedBalance,
	pub notional: Balance,
	pub initial_fraction: FixedU128,
	pub maintenance_fraction: FixedU128,
	pub initial: Balance,
	pub maintenance: Balance,
}

impl Health {
	pub fn liquidatable(&self) -> bool {
		self.equity < self.maintenance.min(SignedBalance::MAX as u128) as SignedBalance
	}

	/// Equity as a multiple of the maintenance requirement: below one is liquidatable, below
	/// zero is bad debt. Orders positions from the most underwater.
	pub fn coverage(&self) -> FixedI128 {
		let maintenance = self.maintenance.min(SignedBalance::MAX as u128) as SignedBalance;
		FixedI128::checked_from_rational(self.equity, maintenance.max(1))
			.unwrap_or(FixedI128::from_inner(if self.equity < 0 { i128::MIN } else { i128::MAX }))
	}
}

/// A position after a fill: the parts of a trade's settlement that do not depend on who pays.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fill {
	pub(crate) size_units: SignedBalance,
	pub(crate) entry: Balance,
	/// Units of the old position closed.
	pub(crate) closing: u128,
	/// Price PnL of the closed part less the funding settled.
	pub(crate) realized: SignedBalance,
	pub(crate) funding: SignedBalance,
}

/// The unit prices liquidations act on in a market, one per side: they differ only while the
/// breakers hold a move back or after they confirmed one (each side at the price kinder to its
/// owners).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SidePrices {
	pub long: FixedU128,
	pub short: FixedU128,
}

impl SidePrices {
	/// One price for both sides.
	pub fn both(price: FixedU128) -> Self {
		SidePrices { long: price, short: price }
	}

	/// The price of longs (`long`) or shorts.
	pub fn of(&self, long: bool) -> FixedU128 {
		if long {
			self.long
		} else {
			self.short
		}
	}
}

/// The governed rules for a market whose feed is gone ([`crate::settlement`]).
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
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettlementRules<BlockNumber> {
	/// A market whose oracle price has been Stale for this many blocks is settled by the
	/// protocol, without a referendum.
	pub settle_after_stale: BlockNumber,
	/// From this many Stale blocks on (and before settlement), an owner may close a position
	/// whole at the outage price.
	pub exit_after_stale: BlockNumber,
	/// The outage price's penalty band: a long leaves at the lower of the TWAP and the last
	/// price less this share, a short at the higher of them plus it. Never better than
	/// settlement, which is at the TWAP itself: staying is never worse than leaving.
	pub exit_band: Permill,
}

/// Why a market is being settled.
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
)]
pub enum SettlementReason {
	/// Governance (`settle_market`, on the risk-parameters track).
	Governance,
	/// The market's price was Stale for `settle_after_stale` blocks.
	StaleFeed,
}

/// Where a settlement stands. Positions are closed in two walks so that every winner is paid
/// the same share of its profit: first the losers (their losses enter the pool, their bad debt
/// goes down the waterfall) while the winners' profit is counted, then the winners, each paid
/// `payout` of its profit.
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
)]
pub enum SettlementPhase {
	/// Walking the side's deleverage book (longs, then shorts): closing losers, counting
	/// winners' profit.
	ClosingLosers { long: bool },
	/// Closing the winners, each paid `payout` of its profit.
	PayingWinners,
	/// Every position is closed and the market removed.
	Settled,
}

/// Bound of a raw storage key the settlement's walk resumes after.
pub type CursorBound = frame_support::traits::ConstU32<160>;

/// A market's final settlement ([`crate::settlement`]): the one price every position closes
/// at, and what the closes paid.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Settlement<BlockNumber> {
	/// The oracle price (quote per base unit) every position closes at: the TWAP of the
	/// market's last good window, as the oracle held it when the settlement started.
	pub price: FixedU128,
	pub reason: SettlementReason,
	pub started_at: BlockNumber,
	pub phase: SettlementPhase,
	/// The raw index key the losers' walk goes on after (empty: the book's start).
	pub cursor: BoundedVec<u8, CursorBound>,
	/// The winners' profit at `price`, counted by the losers' walk.
	pub winners_profit: Balance,
	/// The share of its profit each winner is paid (1 unless the silo's pool, less the claims
	/// before them, cannot pay them all: then pro rata).
	pub payout: FixedU128,
	/// Positions closed so far.
	pub closed: u32,
	/// Winners' profit paid into free margin, owed as claims, and forfeited by the haircut.
	pub paid: Balance,
	pub claimed: Balance,
	pub forfeited: Balance,
	/// Losses beyond margin sent down the waterfall.
	pub bad_debt: Balance,
	/// The block the last position closed in.
	pub finished_at: Option<BlockNumber>,
}

impl<BlockNumber> Settlement<BlockNumber> {
	/// A settlement at `price` that starts at block `started_at`: the losers' walk from the
	/// longs' book start, nothing closed yet, a full payout until the walk fixes it.
	pub fn new(price: FixedU128, reason: SettlementReason, started_at: BlockNumber) -> Self {
		Settlement {
			price,
			reason,
			started_at,
			phase: SettlementPhase::ClosingLosers { long: true },
			cursor: BoundedVec::new(),
			winners_profit: 0,
			payout: FixedU128::from_u32(1),
			closed: 0,
			paid: 0,
			claimed: 0,
			forfeited: 0,
			bad_debt: 0,
			finished_at: None,
		}
	}
}

/// How one position was closed whole at a given price ([`crate::settlement`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct WholeClose {
	/// The close's PnL less funding.
	pub realized: SignedBalance,
	/// Of a profit: paid now, owed as a claim, forfeited by a haircut.
	pub paid: Balance,
	pub claimed: Balance,
	pub forfeited: Balance,
	/// Of a loss: beyond the position's margin, down the silo's waterfall.
	pub bad_debt: Balance,
	/// Margin released to the owner's free margin.
	pub released: Balance,
}

/// Profit held back from an owner's reduction at a price the breakers flagged
/// ([`crate::held`]): what the fill, bounded by the flag, did not pay, judged once the price
/// has held.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct HeldProfit<AccountId, BlockNumber> {
	pub who: AccountId,
	pub market: MarketId,
	pub silo: SiloId,
	/// Whether the closed part was long.
	pub long: bool,
	/// Size closed, in size units.
	pub size_units: u128,
	/// The unit price the reduction filled at (bounded by the flag) and the one it would have
	/// filled at without the flag: the held profit lies between them.
	pub filled: FixedU128,
	pub unbounded: FixedU128,
	/// The market's value scale at the close (a settlement's oracle price times it is a unit
	/// price).
	pub value_scale: FixedU128,
	/// The most it can be worth (`size` times the distance of the two prices, rounded down):
	/// what the silo holds back for it.
	pub amount: Balance,
	/// When it was held, and the first block it is judged in.
	pub since: BlockNumber,
	pub due: BlockNumber,
}

/// Held profits are numbered in the order they are held: `head` is the oldest not yet judged,
/// `next` the number the next one gets. They fall due in that order (one governed window
/// after they are held; one that must wait is held again under a new number).
pub type HeldCursor = bulwark_primitives::QueueCursor;
