//! The keeper layer: each validator's offchain worker submits, as unsigned transactions
//! authorized by [`Call::liquidate`] itself, the liquidations that the next block's protocol
//! pass will not reach (beyond its capacity, or in markets no aggregate has flagged: funding or
//! a volatility step can make a position liquidatable without a new price).

use super::*;
use frame_system::offchain::SubmitTransaction;

impl<T: Config> Pallet<T> {
	pub(crate) fn submit_keeper_liquidations() {
		if Mode::<T>::get() != LiquidationMode::Prioritized || !sp_io::offchain::is_validator() {
			return;
		}
		let next = frame_system::Pallet::<T>::block_number().saturating_add(One::one());
		let rotation = next.saturated_into::<usize>();
		// What the next block's pass takes, in its order.
		let reached: alloc::collections::BTreeSet<(T::AccountId, MarketId)> =
			Frontier::<T>::new(Watched::<T>::get(), true, rotation)
				.take(T::MaxLiquidationsPerBlock::get() as usize)
				.map(|(_, who, market)| (who, market))
				.collect();
		let due = Frontier::<T>::new(Markets::<T>::iter_keys(), true, rotation)
			.map(|(_, who, market)| (who, market))
			.filter(|entry| !reached.contains(entry))
			.take(T::MaxKeeperSubmissions::get() as usize);
		for (who, market) in due {
			let call = Call::<T>::liquidate { who, market };
			let xt = T::create_authorized_transaction(call.into());
			if SubmitTransaction::<T, Call<T>>::submit_transaction(xt).is_err() {
				// Usually another validator's copy (same tag) is in the pool already.
				log::debug!(target: LOG_TARGET, "market {market}: the pool refused a liquidation");
			}
		}
	}
}
