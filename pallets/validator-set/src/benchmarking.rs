//! Benchmarks: adding to and removing from a set of `n` validators (the bounded vector is read,
//! searched and written whole).

use super::*;
use frame_benchmarking::v2::*;

/// What the benchmarks need from the runtime: an account with session keys.
pub trait BenchmarkHelper<AccountId> {
	/// Registers session keys for `who`, so that it may become a validator.
	fn register_keys(who: &AccountId);
}

fn fill<T: Config>(n: u32) {
	let mut validators: Vec<T::AccountId> = (0..n).map(|i| account("validator", i, 0)).collect();
	validators.sort();
	Validators::<T>::put(BoundedVec::truncate_from(validators));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_validator(n: Linear<1, { T::MaxValidators::get() - 1 }>) -> Result<(), BenchmarkError> {
		fill::<T>(n);
		let who: T::AccountId = account("candidate", 0, 0);
		T::BenchHelper::register_keys(&who);
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());
		assert!(Validators::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn remove_validator(
		n: Linear<{ T::MinValidators::get() + 1 }, { T::MaxValidators::get() }>,
	) -> Result<(), BenchmarkError> {
		fill::<T>(n);
		let who = Validators::<T>::get()[0].clone();
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());
		assert!(!Validators::<T>::get().contains(&who));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
