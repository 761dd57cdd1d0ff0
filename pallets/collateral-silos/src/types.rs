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
}

impl SiloBooks {
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
