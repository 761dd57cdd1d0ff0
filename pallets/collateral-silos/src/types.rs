//! Storage types of the silos pallet.

use bulwark_primitives::Balance;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Permill;

/// Governance-set parameters of a silo.
#[derive(
	Clone,
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
pub struct SiloParams<BlockNumber> {
	/// Cap on everything deposited: trader margin plus the LP pool.
	pub max_total_deposits: Balance,
	/// Cap on one trader's margin (free plus locked).
	pub max_account_deposit: Balance,
	/// Smallest deposit, withdrawal or liquidity change: dust is refused.
	pub min_amount: Balance,
	/// The insurance fund's target size; below a share of it the breakers stop new risk.
	pub insurance_target: Balance,
	/// Share of every fee that goes to the insurance fund; the rest goes to the pool.
	pub insurance_fee_share: Permill,
	/// While withdrawals are RateLimited: share of the pool that may leave per window.
	pub withdrawal_limit: Permill,
	/// Length of a rate-limit window, in blocks.
	pub withdrawal_window: BlockNumber,
	/// Blocks an LP's withdrawal request waits before it can be claimed, and then the length of
	/// its claim window (at least a block), so leaving is decided a cooldown ahead, never in the
	/// block a winner's close or a loss is seen coming.
	pub lp_cooldown: BlockNumber,
	/// The adverse price move the pool's reserve covers: liquidity may leave only while the pool
	/// keeps the traders' claims plus what the winners would be owed after this move of every
	/// market against the pool.
	pub reserve_move: Permill,
}

/// The silo's books. Together they account for every unit in the silo's account.
#[derive(
	Clone,
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
pub struct SiloBooks {
	/// Sum of traders' free margin.
	pub trader_free: Balance,
	/// Sum of traders' locked margin (backing open positions).
	pub trader_locked: Balance,
	/// The LP pool: the counterparty to the silo's markets.
	pub pool: Balance,
	/// The silo's own insurance fund.
	pub insurance: Balance,
	/// LP shares outstanding.
	pub total_shares: Balance,
	/// Withdrawals waiting in the rate-limit queue, already taken off their owners' books.
	pub queued: Balance,
	/// Losses the LPs absorbed since genesis (a record, not a balance).
	pub socialized_loss: Balance,
	/// Traders' realized profit the pool could not pay yet: their claims, owed by the pool and
	/// paid before anything else leaves it (a debt, not held).
	pub claims: Balance,
	/// Of `total_shares`, those waiting in LPs' withdrawal requests.
	pub pending_shares: Balance,
}

impl SiloBooks {
	/// A new silo's books: nothing held, the locked shares outstanding.
	pub fn new() -> Self {
		Self { total_shares: LOCKED_SHARES, ..Default::default() }
	}

	/// Everything the silo's account must hold (free + locked + pool + insurance + queued).
	pub fn held(&self) -> Balance {
		self.trader_free
			.saturating_add(self.trader_locked)
			.saturating_add(self.pool)
			.saturating_add(self.insurance)
			.saturating_add(self.queued)
	}

	/// What counts against the silo's deposit cap.
	pub fn deposits(&self) -> Balance {
		self.trader_free.saturating_add(self.trader_locked).saturating_add(self.pool)
	}
}

/// Shares that exist from a silo's creation and belong to nobody: the pool always has holders,
/// so no first depositor takes what accrued before them, and inflating the share price costs
/// the inflater a thousand times what it could take (with the virtual unit in
/// [`crate::math::shares_for_deposit`]).
pub const LOCKED_SHARES: Balance = 1_000;

/// One silo: its collateral asset, parameters and books.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Silo<AssetId, BlockNumber> {
	pub asset: AssetId,
	pub params: SiloParams<BlockNumber>,
	pub books: SiloBooks,
}

/// A trader's margin in one silo.
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
pub struct MarginAccount {
	pub free: Balance,
	pub locked: Balance,
}

impl MarginAccount {
	pub fn total(&self) -> Balance {
		self.free.saturating_add(self.locked)
	}
}

/// A withdrawal waiting for room in a rate-limited silo.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct QueuedWithdrawal<AccountId> {
	pub who: AccountId,
	pub amount: Balance,
}

/// A trader's claim on a silo's pool: realized profit the pool could not pay when it was due.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ProfitClaim<AccountId> {
	pub who: AccountId,
	/// What is still owed.
	pub amount: Balance,
}

/// A silo's claims are numbered in the order they arose: `head` is the oldest unpaid, `next`
/// the number the next one gets; claims `head..next` exist.
pub type ClaimCursor = bulwark_primitives::QueueCursor;

/// An LP's request to leave a silo's pool: its shares stop being theirs to move, keep bearing
/// the pool's gains and losses, and are paid at the lower of their value now and at the end of
/// the cooldown.
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
pub struct LpWithdrawal<BlockNumber> {
	pub shares: Balance,
	/// What the shares were worth when requested (the withdrawal price, rounded down).
	pub value: Balance,
	/// First block the request may be claimed in.
	pub ready_at: BlockNumber,
}

/// How much left a rate-limited silo in the current window.
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
pub struct RateWindow<BlockNumber> {
	/// Block the window opened in.
	pub start: BlockNumber,
	/// The pool when the window opened: the limit is a share of it.
	pub base: Balance,
	/// What left the silo in this window.
	pub paid: Balance,
}

/// How a silo ends ([`crate::Pallet::wind_down`]).
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
pub enum SiloEnd<BlockNumber> {
	/// No market trades against the pool any more: nothing new comes in, LPs leave without a
	/// cooldown, traders withdraw their margin.
	WindingDown { since: BlockNumber },
	/// Empty (but for the dead shares' dust): nothing happens in it any more.
	Closed { at: BlockNumber },
}
