//! What the oracle is to the rest of the runtime: the [`PriceFeed`] the margin engine and the
//! breakers read (with staleness decided at read time too), and the session handler through
//! which the feeders follow the validator set.

use super::*;
use bulwark_primitives::{OraclePrice, PriceFeed};

impl<T: Config> PriceFeed<BlockNumberFor<T>> for Pallet<T> {
	fn price(market: MarketId) -> Option<OraclePrice<BlockNumberFor<T>>> {
		let stored = Prices::<T>::get(market)?;
		let now = frame_system::Pallet::<T>::block_number();
		let age = now.saturating_sub(stored.updated_at);
		// Stale is decided here too, not only by the start-of-block pass, so no caller ever sees
		// Fresh for a price older than the limit.
		let status =
			if age >= Params::<T>::get().stale_after { PriceStatus::Stale } else { stored.status };
		Some(OraclePrice {
			price: stored.price,
			updated_at: stored.updated_at,
			age,
			status,
			spread: stored.spread,
		})
	}

	fn twap(market: MarketId) -> Option<FixedU128> {
		Prices::<T>::get(market).map(|price| price.twap)
	}

	fn volatility(market: MarketId) -> Option<FixedU128> {
		Prices::<T>::get(market).map(|price| math::volatility(price.variance))
	}
}

impl<T: Config> sp_runtime::BoundToRuntimeAppPublic for Pallet<T> {
	type Public = T::AuthorityId;
}

/// The feeders follow the validator set: pallet-session hands over the validators' oracle keys
/// at genesis and whenever the set changes. (`add_feeder` / `remove_feeder` remain for an
/// emergency; the next change of the validator set replaces what they did.)
impl<T: Config> frame_support::traits::OneSessionHandler<T::AccountId> for Pallet<T> {
	type Key = T::AuthorityId;

	fn on_genesis_session<'a, I>(validators: I)
	where
		I: 'a + Iterator<Item = (&'a T::AccountId, T::AuthorityId)>,
	{
		Self::follow_validators(validators.map(|(_, key)| key));
	}

	fn on_new_session<'a, I>(changed: bool, validators: I, _queued: I)
	where
		I: 'a + Iterator<Item = (&'a T::AccountId, T::AuthorityId)>,
	{
		if changed {
			Self::follow_validators(validators.map(|(_, key)| key));
		}
	}

	fn on_disabled(_validator_index: u32) {}
}
