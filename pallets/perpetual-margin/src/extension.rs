//! [`PrioritizeLiquidations`]: the transaction extension that puts a signed keeper's liquidation
//! ahead of everything else in the pool, if and only if it would liquidate.

use crate::{Call, Config, LiquidationMode, Mode, Pallet, WeightInfo};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::TransactionSource,
	traits::{IsSubType, OriginTrait},
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

/// For a signed `liquidate` whose position the pool finds liquidatable: the top priority
/// ([`Config::LiquidationPriority`]) and the position's `provides` tag, which it shares with the
/// validators' unsigned liquidations, so that one liquidation per position waits in the pool.
/// Any other transaction, and a liquidation that would fail, passes unchanged: a failing
/// liquidation competes like any transaction and pays its fee.
///
/// Unsigned liquidations get the same from the call's own authorization; this extension leaves
/// them alone. It carries no data: wallets need not know it.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct PrioritizeLiquidations<T>(PhantomData<T>);

impl<T> PrioritizeLiquidations<T> {
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for PrioritizeLiquidations<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "PrioritizeLiquidations")
	}
}

impl<T: Config + Send + Sync> PrioritizeLiquidations<T>
where
	CallOf<T>: IsSubType<Call<T>>,
{
	/// The position a call liquidates, if it is a liquidation.
	fn liquidation(call: &CallOf<T>) -> Option<(&T::AccountId, bulwark_primitives::MarketId)> {
		match call.is_sub_type() {
			Some(Call::liquidate { who, market }) => Some((who, *market)),
			_ => None,
		}
	}
}

impl<T: Config + Send + Sync> TransactionExtension<CallOf<T>> for PrioritizeLiquidations<T>
where
	CallOf<T>: IsSubType<Call<T>>,
{
	const IDENTIFIER: &'static str = "PrioritizeLiquidations";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	/// One health check, for liquidations only.
	fn weight(&self, call: &CallOf<T>) -> Weight {
		if Self::liquidation(call).is_some() {
			T::WeightInfo::check_liquidatable()
		} else {
			Weight::zero()
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
		let validity = match Self::liquidation(call) {
			Some((who, market))
				if origin.as_signer().is_some()
					&& Mode::<T>::get() == LiquidationMode::Prioritized
					&& Pallet::<T>::is_liquidatable(who, market) =>
			{
				Pallet::<T>::liquidation_validity(who, market)?
			},
			_ => ValidTransaction::default(),
		};
		Ok((validity, (), origin))
	}

	impl_tx_ext_default!(CallOf<T>; prepare);
}
