//! # Validator set
//!
//! The chain's validators, chosen by governance. Governance ([`Config::AdminOrigin`]) adds and
//! removes validators; pallet-session asks this pallet, as its `SessionManager`, for the set to
//! queue at each session rotation, and hands it to Aura, GRANDPA and the price oracle (whose
//! feeders are the validators' oracle keys). A change made during session `s` is queued at the
//! end of `s` and active from session `s + 2`: the session pallet always queues one session
//! ahead, so every node learns of a new authority set a whole session before it signs.
//!
//! A validator is added only once it has registered its session keys (`session.setKeys`), so
//! the set never holds an account that cannot author or vote. The set never shrinks below
//! [`Config::MinValidators`]: governance cannot halt the chain by removing everyone.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, traits::Contains};
use frame_system::pallet_prelude::*;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Adds and removes validators (governance).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Accounts that have registered session keys: only they may become validators.
		type HasSessionKeys: Contains<Self::AccountId>;
		/// The set never shrinks below this.
		#[pallet::constant]
		type MinValidators: Get<u32>;
		/// Nor grows above this (at most the consensus pallets' `MaxAuthorities`).
		#[pallet::constant]
		type MaxValidators: Get<u32>;
		type WeightInfo: WeightInfo;
		/// Registers session keys for benchmark accounts.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// The validators governance chose, sorted. Queued by pallet-session at the next rotation.
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// Whether `Validators` changed since pallet-session last asked for it.
	#[pallet::storage]
	pub type Changed<T: Config> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The validators of session 0; pallet-session's genesis must hold their keys.
		pub validators: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let mut validators = self.validators.clone();
			validators.sort();
			validators.dedup();
			assert_eq!(validators.len(), self.validators.len(), "genesis validator listed twice");
			// An empty set builds (FRAME's default genesis); a chain needs validators, and the
			// presets give them.
			let validators: BoundedVec<_, _> =
				validators.try_into().expect("more genesis validators than MaxValidators");
			Validators::<T>::put(validators);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` joins the set at the session after next.
		ValidatorAdded { who: T::AccountId },
		/// `who` leaves the set at the session after next.
		ValidatorRemoved { who: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is a validator already.
		AlreadyValidator,
		/// The account is not a validator.
		NotValidator,
		/// The account has not registered session keys (`session.setKeys`).
		NoSessionKeys,
		/// `MaxValidators` validators exist.
		TooManyValidators,
		/// Removing would leave fewer than `MinValidators`.
		TooFewValidators,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MinValidators::get() > 0, "MinValidators must be positive");
			assert!(
				T::MinValidators::get() <= T::MaxValidators::get(),
				"MinValidators above MaxValidators"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Adds `who` to the validator set from the session after next.
		///
		/// Origin: [`Config::AdminOrigin`] (governance). `who` must have registered session keys
		/// and not be a validator already; the set must have room.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator(T::MaxValidators::get()))]
		pub fn add_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(T::HasSessionKeys::contains(&who), Error::<T>::NoSessionKeys);
			let mut validators = Validators::<T>::get();
			let index = validators.binary_search(&who).err().ok_or(Error::<T>::AlreadyValidator)?;
			validators.try_insert(index, who.clone()).map_err(|_| Error::<T>::TooManyValidators)?;
			Validators::<T>::put(validators);
			Changed::<T>::put(true);
			Self::deposit_event(Event::ValidatorAdded { who });
			Ok(())
		}

		/// Removes `who` from the validator set from the session after next.
		///
		/// Origin: [`Config::AdminOrigin`] (governance). The set must keep `MinValidators`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator(T::MaxValidators::get()))]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			let mut validators = Validators::<T>::get();
			let index = validators.binary_search(&who).map_err(|_| Error::<T>::NotValidator)?;
			ensure!(
				validators.len() as u32 > T::MinValidators::get(),
				Error::<T>::TooFewValidators
			);
			validators.remove(index);
			Validators::<T>::put(validators);
			Changed::<T>::put(true);
			Self::deposit_event(Event::ValidatorRemoved { who });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The set is sorted and unique, within its bounds. Built with `std` too (not only
	/// `try-runtime`), so that the pallet's tests and the runtime's check it after every block.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let validators = Validators::<T>::get();
		ensure!(
			validators.windows(2).all(|pair| pair[0] < pair[1]),
			"validators not sorted and unique"
		);
		ensure!(validators.len() as u32 >= T::MinValidators::get(), "below MinValidators");
		Ok(())
	}
}

/// pallet-session's source of validators: the governance-chosen set, whenever it changed.
impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(_new_index: u32) -> Option<Vec<T::AccountId>> {
		Changed::<T>::take().then(|| Validators::<T>::get().into_inner())
	}

	fn new_session_genesis(_new_index: u32) -> Option<Vec<T::AccountId>> {
		Some(Validators::<T>::get().into_inner())
	}

	fn end_session(_end_index: u32) {}

	fn start_session(_start_index: u32) {}
}
