//! The breakers' parameters and state.

use bulwark_primitives::{Balance, MarketStatus, WithdrawalStatus};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::FixedU128;

/// Parameters of every automatic trigger. Set by governance, bounds checked on set.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct BreakerParams<BlockNumber> {
	/// A market Stale for this many blocks goes from ReduceOnly to Halted (M).
	pub halt_after_stale: BlockNumber,
	/// An aggregate that moves more than this fraction (0.2 = 20%) from any aggregate of the last
	/// `band_window` blocks (X, W) puts the market in ReduceOnly for `band_cooldown` blocks.
	pub band_max_move: FixedU128,
	pub band_window: BlockNumber,
	pub band_cooldown: BlockNumber,
	/// An insurance fund below this fraction of its target (Y) stops new risk in the silo's
	/// markets. Zero disables the trigger.
	pub insurance_floor: FixedU128,
	/// Withdrawals above this fraction of the silo's pool (Z) within `withdrawal_window` blocks
	/// rate-limit the silo.
	pub withdrawal_max_share: FixedU128,
	pub withdrawal_window: BlockNumber,
	/// Bad debt in a silo rate-limits its withdrawals for this many blocks (as dYdX gates them).
	pub bad_debt_window: BlockNumber,
	/// A breaker steps down one level only after its condition stayed clear this long (R).
	pub recovery_blocks: BlockNumber,
	/// Liquidations, and owners reducing or closing, act on an oracle price at most this old
	/// (in any level but Halted, where neither acts).
	pub liquidation_max_price_age: BlockNumber,
	/// Realized profit a silo's pool pays out per `withdrawal_window`, as a fraction of the pool
	/// at the window's start (or now, if larger); the rest waits as the traders' claims, in
	/// order. Profit paid also
	/// counts toward the withdrawal surge, so a pool drained by profit rate-limits the silo as
	/// one drained by withdrawals does.
	pub profit_max_share: FixedU128,
}

/// Why a breaker moved.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Reason {
	/// The oracle has no fresh price.
	OracleStale,
	/// The oracle has had no fresh price for longer than `halt_after_stale`.
	OracleStaleTooLong,
	/// An aggregate moved beyond the band.
	PriceBand,
	/// The silo's insurance fund is below its floor.
	InsuranceLow,
	/// Withdrawals beyond the window's share of the pool.
	WithdrawalSurge,
	/// Bad debt in the silo.
	BadDebt,
	/// The guardian tripped it.
	Guardian,
	/// Its condition stayed clear for `recovery_blocks`.
	Recovered,
	/// Governance lifted it.
	Lifted,
	// New reasons go last: stored reasons keep their encoding.
	/// The silo's pool holds less than its traders' claims and its reserve.
	ReserveShortfall,
	/// The silo's account holds less than its books say: an accounting bug or an asset moved
	/// behind its back. Only governance lifts it.
	BooksMismatch,
	/// An aggregate moved beyond the band of the last one and of the TWAP: held for a second.
	UnconfirmedMove,
	/// The feeders disagreed beyond the oracle's bound in the round that made the aggregate.
	WideRound,
	/// The pool paid out the window's whole allowance of realized profit.
	ProfitDrain,
	/// The oracle's price is Degraded: made by fewer feeders than its quorum.
	OracleDegraded,
}

/// One market's breaker.
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
#[scale_info(skip_type_params(MaxSamples))]
#[codec(mel_bound(BlockNumber: MaxEncodedLen))]
pub struct MarketBreaker<
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxSamples: Get<u32>,
> {
	/// The level the automatic triggers hold.
	pub automatic: MarketStatus,
	/// The guardian's level: stays until governance lifts it.
	pub manual: MarketStatus,
	/// Why the last move happened.
	pub reason: Option<Reason>,
	/// Since when the oracle's price is Stale.
	pub stale_since: Option<BlockNumber>,
	/// Until when a band trip holds.
	pub band_until: Option<BlockNumber>,
	/// Since when every condition above the current automatic level is clear.
	pub clear_since: Option<BlockNumber>,
	/// The aggregates of the last band window: (block, price).
	pub samples: BoundedVec<(BlockNumber, FixedU128), MaxSamples>,
}

impl<B: Clone + PartialEq + Eq + core::fmt::Debug, S: Get<u32>> Default for MarketBreaker<B, S> {
	fn default() -> Self {
		MarketBreaker {
			automatic: MarketStatus::Normal,
			manual: MarketStatus::Normal,
			reason: None,
			stale_since: None,
			band_until: None,
			clear_since: None,
			samples: BoundedVec::new(),
		}
	}
}

/// Which prices a market's liquidations may act on: the oracle's last aggregate, unless it moved
/// beyond the band without a second aggregate to confirm it, or came from a round the feeders
/// did not agree on ([`crate::math::next_guard`] has the rule).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct PriceGuard {
	/// The last trusted aggregate: a move is confirmed against it.
	pub reference: FixedU128,
	/// The last aggregate, trusted or not.
	pub last: FixedU128,
	/// An aggregate held (beyond the band, or wide), waiting for the next to confirm it.
	pub pending: Option<FixedU128>,
	/// The price liquidations of longs use, and of shorts.
	pub long: FixedU128,
	pub short: FixedU128,
	/// While the market is flagged: where the move that flagged it started (the aggregate of
	/// the band window farthest from the flagging one), which with the TWAP bounds owners'
	/// reductions ([`bulwark_primitives::TradingStatus::fill_bounds`]).
	pub anchor: Option<FixedU128>,
	/// Aggregates held in a row (at most [`crate::math::MAX_HELD_AGGREGATES`]).
	pub held: u32,
}

/// One silo's breakers: withdrawals and new risk.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct SiloBreaker<BlockNumber> {
	/// The withdrawal level the automatic triggers hold.
	pub withdrawals: WithdrawalStatus,
	/// The guardian's withdrawal level: stays until governance lifts it.
	pub manual_withdrawals: WithdrawalStatus,
	pub withdrawals_reason: Option<Reason>,
	pub withdrawals_clear_since: Option<BlockNumber>,
	/// The current withdrawal window: its first block, the pool then, and what left since.
	pub window_start: BlockNumber,
	pub window_pool: Balance,
	pub window_withdrawn: Balance,
	/// Until when bad debt holds withdrawals rate-limited.
	pub bad_debt_until: Option<BlockNumber>,
	/// New risk stopped automatically (insurance low) or by the guardian.
	pub risk_blocked: bool,
	pub manual_risk_blocked: bool,
	pub risk_clear_since: Option<BlockNumber>,
}

/// A market's status as the runtime API reports it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct MarketReport {
	pub market: bulwark_primitives::MarketId,
	/// What the margin engine obeys: the most restrictive of the levels below.
	pub status: MarketStatus,
	pub automatic: MarketStatus,
	pub manual: MarketStatus,
	pub emergency: bool,
	pub reason: Option<Reason>,
	/// The prices its liquidations act on, and the aggregate held back, if any.
	pub guard: Option<PriceGuard>,
	/// How far the feeders disagreed in the round of the last aggregate (none: no price yet).
	pub spread: Option<sp_runtime::Perbill>,
	/// Whether owners' reductions are bounded now (a band trip in force, an aggregate held).
	pub flagged: bool,
}

/// A silo's status as the runtime API reports it.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct SiloReport {
	pub silo: bulwark_primitives::SiloId,
	pub withdrawals: WithdrawalStatus,
	pub accepts_new_risk: bool,
	pub reason: Option<Reason>,
}

/// What holds a runtime upgrade back (the upgrade guard, [`crate::Pallet::upgrade_blocker`]).
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum UpgradeBlocker {
	/// The chain-wide emergency is declared.
	Emergency,
	/// A position the protocol would liquidate now is still open: a new runtime's first
	/// blocks (migrations, a changed engine) should not be the ones that work off a backlog.
	LiquidationBacklog,
}

/// A runtime upgrade held back by the guard: its code waits in [`crate::DeferredCode`].
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct DeferredUpgrade<Hash, BlockNumber> {
	/// The hash of the code (the runtime's hasher, as `system.authorizeUpgrade` takes it).
	pub code_hash: Hash,
	/// The block whose call would have applied it.
	pub since: BlockNumber,
	/// What held it back at the last look.
	pub blocker: UpgradeBlocker,
}
