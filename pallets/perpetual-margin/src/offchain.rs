//! The keeper layer: each validator's offchain worker submits, as unsigned transactions
//! authorized by [`Call::liquidate`] itself, the liquidations that the next block's protocol
//! pass will not reach (positions the queue had no room for, or that funding or a volatility
//! step made liquidatable without a new price).

use super::*;
use frame_system::offchain::SubmitTransaction;

/// Most positions one worker run looks at: the views' own cap.
const SCAN_LIMIT: u32 = 1_000;

impl<T: Config> Pallet<T> {
	pub(crate) fn submit_keeper_liquidations() {
		if Mode::<T>::get() != LiquidationMode::Prioritized || !sp_io::offchain::is_validator() {
			return;
		}
		let reached: Vec<(T::AccountId, MarketId)> = LiquidationQueue::<T>::get()
			.into_iter()
			.take(T::MaxLiquidationsPerBlock::get() as usize)
			.collect();
		let due = Self::liquidatable(0, SCAN_LIMIT)
			.into_iter()
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
