//! The oracle's stored and transported types.

use bulwark_primitives::{MarketId, PriceStatus};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::{ConstU32, Get},
	BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{FixedU128, Perbill, Permill};

/// Longest market symbol ("BTC-USD").
pub type MaxSymbolLen = ConstU32<16>;

/// One HTTP source of a feed.
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
#[scale_info(skip_type_params(MaxUrlLen, MaxPathLen))]
#[codec(mel_bound())]
#[serde(bound = "")]
pub struct Source<MaxUrlLen: Get<u32>, MaxPathLen: Get<u32>> {
	/// `http://` or `https://` URL answered with JSON. A node operator may replace it for their own
	/// node only (offchain local storage, see the crate docs).
	pub url: BoundedVec<u8, MaxUrlLen>,
	/// Dot-separated path to the price in the JSON answer; numeric segments index arrays
	/// (`price`, `data.amount`, `result.XXBTZUSD.c.0`).
	pub price_path: BoundedVec<u8, MaxPathLen>,
}

/// How one market is priced. Set by governance.
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
#[scale_info(skip_type_params(MaxSources, MaxUrlLen, MaxPathLen))]
#[codec(mel_bound())]
#[serde(bound = "")]
pub struct FeedConfig<MaxSources: Get<u32>, MaxUrlLen: Get<u32>, MaxPathLen: Get<u32>> {
	/// Human-readable name, e.g. `BTC-USD`.
	pub symbol: BoundedVec<u8, MaxSymbolLen>,
	pub sources: BoundedVec<Source<MaxUrlLen, MaxPathLen>, MaxSources>,
	/// A node reports only if at least this many sources answered and agreed.
	pub min_sources: u32,
	/// A source further than this from the median of all sources is dropped.
	pub max_source_deviation: Perbill,
	/// Reports outside `[min_price, max_price]` are refused by the pool: a sanity band against
	/// a broken decimal point, wide enough for any real move.
	pub min_price: FixedU128,
	pub max_price: FixedU128,
}

/// Parameters shared by all feeds. Set by governance, bounds checked on set.
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
pub struct OracleParams<BlockNumber> {
	/// Quorum as a fraction of the feeders, rounded up: `numerator / denominator` (2/3).
	pub quorum_numerator: u32,
	pub quorum_denominator: u32,
	/// A market without an aggregate for this many blocks becomes Stale.
	pub stale_after: BlockNumber,
	/// A round whose first report is this old without a quorum is abandoned (its reports are
	/// dropped so old prices never mix with new ones) and the next round opens.
	pub round_timeout: BlockNumber,
	/// Blocks over which the TWAP averages.
	pub twap_window: BlockNumber,
	/// EWMA weight of the previous variance (RiskMetrics uses 94%).
	pub volatility_decay: Permill,
	/// A report further than this from the round's aggregate counts against its feeder.
	pub outlier_threshold: Perbill,
	/// Offchain workers report every this many blocks.
	pub report_interval: BlockNumber,
	/// Deadline for all of a node's HTTP requests of one run together, in milliseconds.
	pub http_deadline_ms: u32,
	/// A round whose spread (the median absolute deviation of its reports over their median) is
	/// beyond this is *wide*: still the market's price, but flagged, so that it cannot trigger
	/// liquidations on its own.
	pub max_spread: Perbill,
}

/// Bounds that `set_params` enforces. The longest window or interval is
/// [`bulwark_primitives::MAX_BLOCKS`], shared with the breakers.
pub mod bounds {
	/// The quorum's denominator is at most this (fractions finer than 1% serve no one).
	pub const MAX_QUORUM_DENOMINATOR: u32 = 100;
	/// HTTP deadline range: at least 100 ms, and well inside a 6 s block.
	pub const MIN_HTTP_DEADLINE_MS: u32 = 100;
	pub const MAX_HTTP_DEADLINE_MS: u32 = 4_000;
}

/// A market's last aggregate and the statistics derived from the aggregates.
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
pub struct MarketPrice<BlockNumber> {
	pub price: FixedU128,
	/// The round that produced it.
	pub round: u32,
	/// Block and Unix time (ms) of the aggregate.
	pub updated_at: BlockNumber,
	pub timestamp: u64,
	/// Reports in that round.
	pub reports: u32,
	pub twap: FixedU128,
	/// EWMA variance per block of relative changes; the volatility is its square root.
	pub variance: FixedU128,
	pub status: PriceStatus,
	/// How far the round's feeders disagreed: the median absolute deviation of its reports
	/// over their median ([`crate::math::spread`]).
	pub spread: Perbill,
}

/// The round a market is collecting reports for.
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
#[scale_info(skip_type_params(MaxFeeders))]
#[codec(mel_bound(AuthorityId: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct OpenRound<
	AuthorityId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxFeeders: Get<u32>,
> {
	pub round: u32,
	/// Block of the first report, which starts the round's timeout.
	pub first_report_at: Option<BlockNumber>,
	/// One price per feeder, in arrival order.
	pub reports: BoundedVec<(AuthorityId, FixedU128), MaxFeeders>,
}

/// What a feeder reports. The signature covers `(REPORT_CONTEXT, genesis hash, report)`
/// ([`crate::Pallet::report_payload`]), so it can never be replayed on another chain or as
/// anything else.
#[derive(
	Clone, PartialEq, Eq, Debug, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct PriceReport<AuthorityId> {
	pub market: MarketId,
	pub round: u32,
	pub price: FixedU128,
	pub feeder: AuthorityId,
}

/// Domain separation for report signatures.
pub const REPORT_CONTEXT: &[u8; 14] = b"bulwark/oracle";

/// A feeder's track record.
#[derive(
	Clone,
	Copy,
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
pub struct FeederStats {
	/// Reports that made it into an aggregate.
	pub reports: u32,
	/// Of those, reports further than the outlier threshold from the aggregate.
	pub outliers: u32,
}
