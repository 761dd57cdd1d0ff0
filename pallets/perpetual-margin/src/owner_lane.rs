//! [`OwnerLane`]: the transaction extension that gives an owner's risk-reducing calls their own
//! lane in the pool, above every ordinary transaction whatever its tip, so that under a flood an
//! owner can still add margin or close while a keeper could liquidate them.

use crate::{Call, Config, Positions};
use bulwark_primitives::MarketId;
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{Get, IsSubType, OriginTrait},
	DefaultNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{DispatchInfoOf, TransactionExtension, ValidateResult},
	transaction_validity::ValidTransaction,
	Weight,
};

type CallOf<T> = <T as frame_system::Config>::RuntimeCall;

/// Which risk-reducing call: each has its own slot per position in the pool.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode)]
pub enum LaneCall {
	AddMargin,
	/// `close_position`, or a `trade` with `reduce_only` that shrinks the position.
	Reduce,
}

/// For a signed call that only reduces its signer's risk in a market where the signer has a
/// position (`add_margin`, `close_position`, a reduce-only `trade` that shrinks it): the lane's
/// priority ([`Config::OwnerLanePriority`], above what any tip buys and below oracle reports and
/// liquidations) and a `provides` tag per (owner, market, call kind), so at most one of each
/// kind per position waits in the pool: the lane cannot be flooded from one position, and it
/// pays its fee like any transaction. Anything else passes unchanged. It carries no data:
/// wallets need not know it.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct OwnerLane<T>(PhantomData<T>);

impl<T> OwnerLane<T> {
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for OwnerLane<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "OwnerLane")
	}
}

impl<T: Config + Send + Sync> OwnerLane<T>
where
	CallOf<T>: IsSubType<Call<T>>,
{
	/// The market and kind of a call that only reduces `who`'s risk there, if it is one and
	/// `who` has a position to reduce.
	pub fn lane_call(who: &T::AccountId, call: &CallOf<T>) -> Option<(MarketId, LaneCall)> {
		let (market, kind, delta) = match call.is_sub_type()? {
			Call::add_margin { market, .. } => (*market, LaneCall::AddMargin, None),
			Call::close_position { market, .. } => (*market, LaneCall::Reduce, None),
			Call::trade { market, size_delta, reduce_only: true, .. } => {
				(*market, LaneCall::Reduce, Some(*size_delta))
			},
			_ => return None,
		};
		let position = Positions::<T>::get(who, market)?;
		if let Some(delta) = delta {
			let shrinks = delta != 0
				&& (delta > 0) != (position.size_units > 0)
				&& delta.unsigned_abs() <= position.size_units.unsigned_abs();
			if !shrinks {
				return None;
			}
		}
		Some((market, kind))
	}
}

impl<T: Config + Send + Sync> TransactionExtension<CallOf<T>> for OwnerLane<T>
where
	CallOf<T>: IsSubType<Call<T>>,
{
	const IDENTIFIER: &'static str = "OwnerLane";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	/// The position read, for the margin engine's calls only.
	fn weight(&self, call: &CallOf<T>) -> Weight {
		match call.is_sub_type() {
			Some(Call::add_margin { .. } | Call::close_position { .. } | Call::trade { .. }) => {
				T::DbWeight::get().reads(1)
			},
			_ => Weight::zero(),
		}
	}

	fn validate(
		&self,
		origin: <T as frame_system::Config>::RuntimeOrigin,
		call: &CallOf<T>,
		_info: &DispatchInfoOf<CallOf<T>>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Encode,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, CallOf<T>> {
		let lane = origin
			.as_signer()
			.and_then(|who| Self::lane_call(who, call).map(|lane| (who.clone(), lane)));
		let validity = match lane {
			Some((who, (market, kind))) => ValidTransaction::with_tag_prefix("BulwarkOwnerLane")
				.priority(T::OwnerLanePriority::get())
				.and_provides((who, market, kind))
				.build()?,
			None => ValidTransaction::default(),
		};
		Ok((validity, (), origin))
	}

	impl_tx_ext_default!(CallOf<T>; prepare);
}
