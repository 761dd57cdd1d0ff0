//! Feeders: who may report. Governance adds and removes feeder keys (the set stays sorted, each
//! key once, never empty, at most `MaxFeeders`); the set follows the validator set whenever
//! pallet-session hands over a new one (see [`crate::impls`]).

use super::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_add_feeder(feeder: T::AuthorityId) -> DispatchResult {
		let mut feeders = Feeders::<T>::get();
		let index = match feeders.binary_search(&feeder) {
			Ok(_) => return Err(Error::<T>::AlreadyFeeder.into()),
			Err(index) => index,
		};
		feeders.try_insert(index, feeder.clone()).map_err(|_| Error::<T>::TooManyFeeders)?;
		Feeders::<T>::put(feeders);
		Self::deposit_event(Event::FeederAdded { feeder });
		Ok(())
	}

	/// Removes `feeder` from the set, unless it is the last one.
	pub(crate) fn do_remove_feeder(feeder: T::AuthorityId) -> DispatchResult {
		let mut feeders = Feeders::<T>::get();
		let index = feeders.binary_search(&feeder).map_err(|_| Error::<T>::NotFeeder)?;
		ensure!(feeders.len() > 1, Error::<T>::LastFeeder);
		feeders.remove(index);
		Feeders::<T>::put(feeders);
		Self::deposit_event(Event::FeederRemoved { feeder });
		Ok(())
	}

	/// Makes `keys` the feeder set (sorted, each once, at most `MaxFeeders`).
	pub(crate) fn follow_validators(keys: impl Iterator<Item = T::AuthorityId>) {
		let mut keys: Vec<T::AuthorityId> = keys.collect();
		keys.sort();
		keys.dedup();
		let feeders = BoundedVec::<_, T::MaxFeeders>::truncate_from(keys);
		if feeders != Feeders::<T>::get() {
			let count = feeders.len() as u32;
			Feeders::<T>::put(feeders);
			Self::deposit_event(Event::FeedersFollowValidators { feeders: count });
		}
	}
}
