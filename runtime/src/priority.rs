//! The pool's priority bands, highest first: verified liquidations, oracle reports, an owner's
//! risk-reducing calls ([`pallet_perpetual_margin::OwnerLane`]), then everything else by tip.
//! Tip priority is capped below the owner lane ([`CappedTip`]): pallet-transaction-payment
//! scales a tip by how many such transactions fit a block and saturates, so without the cap a
//! tip of a few thousand BWK would reach `u64::MAX` and tie a liquidation.

use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{
		DispatchInfoOf, DispatchOriginOf, Dispatchable, Implication, PostDispatchInfoOf,
		TransactionExtension, ValidateResult,
	},
	transaction_validity::{
		TransactionPriority, TransactionSource, TransactionValidity, TransactionValidityError,
	},
	DispatchResult, Weight,
};

/// A verified liquidation: above everything.
pub const LIQUIDATION_PRIORITY: TransactionPriority = TransactionPriority::MAX;
/// Oracle reports: just below liquidations.
pub const ORACLE_REPORT_PRIORITY: TransactionPriority = TransactionPriority::MAX - 1;
/// An owner's add margin, close or reduce-only trade: above any tip, below reports (whose band
/// it cannot reach even with the highest tip added: `2^63 + 2^62 - 1 < u64::MAX - 1`).
pub const OWNER_LANE_PRIORITY: TransactionPriority = 1 << 63;
/// The most priority a tip buys.
pub const MAX_TIP_PRIORITY: TransactionPriority = (1 << 62) - 1;

/// The wrapped extension (the runtime wraps `ChargeTransactionPayment`) with its priority capped
/// at [`MAX_TIP_PRIORITY`]. Everything else, its encoding and its metadata included, is the
/// inner extension's: wallets see and sign exactly what they did.
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq)]
pub struct CappedTip<Inner>(pub Inner);

/// The inner extension's type: in the metadata (and so to every wallet) the extension is
/// exactly the one it wraps.
impl<Inner: TypeInfo + 'static> TypeInfo for CappedTip<Inner> {
	type Identity = Inner;
	fn type_info() -> scale_info::Type {
		Inner::type_info()
	}
}

impl<Inner: core::fmt::Debug> core::fmt::Debug for CappedTip<Inner> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CappedTip({:?})", self.0)
	}
}

impl<Call, Inner> TransactionExtension<Call> for CappedTip<Inner>
where
	Call: Dispatchable,
	Inner: TransactionExtension<Call>,
{
	const IDENTIFIER: &'static str = Inner::IDENTIFIER;
	type Implicit = Inner::Implicit;
	type Val = Inner::Val;
	type Pre = Inner::Pre;

	fn implicit(&self) -> Result<Self::Implicit, TransactionValidityError> {
		self.0.implicit()
	}

	fn metadata() -> alloc::vec::Vec<sp_runtime::traits::TransactionExtensionMetadata> {
		Inner::metadata()
	}

	fn weight(&self, call: &Call) -> Weight {
		self.0.weight(call)
	}

	fn validate(
		&self,
		origin: DispatchOriginOf<Call>,
		call: &Call,
		info: &DispatchInfoOf<Call>,
		len: usize,
		self_implicit: Self::Implicit,
		inherited_implication: &impl Implication,
		source: TransactionSource,
	) -> ValidateResult<Self::Val, Call> {
		let (mut validity, val, origin) = self.0.validate(
			origin,
			call,
			info,
			len,
			self_implicit,
			inherited_implication,
			source,
		)?;
		validity.priority = validity.priority.min(MAX_TIP_PRIORITY);
		Ok((validity, val, origin))
	}

	fn prepare(
		self,
		val: Self::Val,
		origin: &DispatchOriginOf<Call>,
		call: &Call,
		info: &DispatchInfoOf<Call>,
		len: usize,
	) -> Result<Self::Pre, TransactionValidityError> {
		self.0.prepare(val, origin, call, info, len)
	}

	fn post_dispatch_details(
		pre: Self::Pre,
		info: &DispatchInfoOf<Call>,
		post_info: &PostDispatchInfoOf<Call>,
		len: usize,
		result: &DispatchResult,
	) -> Result<Weight, TransactionValidityError> {
		Inner::post_dispatch_details(pre, info, post_info, len, result)
	}

	fn post_dispatch(
		pre: Self::Pre,
		info: &DispatchInfoOf<Call>,
		post_info: &mut PostDispatchInfoOf<Call>,
		len: usize,
		result: &DispatchResult,
	) -> Result<(), TransactionValidityError> {
		Inner::post_dispatch(pre, info, post_info, len, result)
	}

	fn bare_validate(call: &Call, info: &DispatchInfoOf<Call>, len: usize) -> TransactionValidity {
		Inner::bare_validate(call, info, len)
	}

	fn bare_validate_and_prepare(
		call: &Call,
		info: &DispatchInfoOf<Call>,
		len: usize,
	) -> Result<(), TransactionValidityError> {
		Inner::bare_validate_and_prepare(call, info, len)
	}

	fn bare_post_dispatch(
		info: &DispatchInfoOf<Call>,
		post_info: &mut PostDispatchInfoOf<Call>,
		len: usize,
		result: &DispatchResult,
	) -> Result<(), TransactionValidityError> {
		Inner::bare_post_dispatch(info, post_info, len, result)
	}
}
