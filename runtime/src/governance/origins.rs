//! The origins a passed referendum dispatches with besides Root, as a pallet of its own so that
//! they are part of the runtime's origin type.

pub use pallet_governance_origins::*;

#[frame_support::pallet]
pub mod pallet_governance_origins {
	use frame_support::pallet_prelude::*;

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// What a referendum on a non-root track may do.
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	#[pallet::origin]
	pub enum Origin {
		/// Market, silo, oracle and breaker parameters, and lifting breakers: the
		/// risk-parameters track. It cannot touch code, balances or the validator set.
		RiskParameters,
	}

	/// Passes the [`Origin::RiskParameters`] origin.
	pub struct RiskParameters;
	impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for RiskParameters
	where
		O: Into<Result<Origin, O>>,
	{
		type Success = ();

		fn try_origin(origin: O) -> Result<Self::Success, O> {
			origin.into().map(|Origin::RiskParameters| ())
		}

		#[cfg(feature = "runtime-benchmarks")]
		fn try_successful_origin() -> Result<O, ()> {
			Ok(O::from(Origin::RiskParameters))
		}
	}
}
