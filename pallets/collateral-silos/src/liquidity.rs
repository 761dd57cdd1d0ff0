//! The LP pool: shares minted for liquidity added and burnt for liquidity removed, priced at
//! the pool's value net of the traders' unrealized PnL ([`Config::TraderPnl`]), rounded against
//! the one who asks (the prices themselves are in [`crate::math`]). What a removal pays leaves
//! the silo as a withdrawal ([`crate::withdrawals`]).

use crate::{math, Config, Error, Event, LpShares, Pallet, Silos};
use bulwark_primitives::{Balance, SiloId, UnrealizedPnl};
use frame_support::pallet_prelude::*;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Mints shares for `amount` added to the pool and pulls it in. The body of
	/// [`Pallet::add_liquidity`].
	pub(crate) fn do_add_liquidity(
		who: T::AccountId,
		silo: SiloId,
		asset: T::AssetId,
		amount: Balance,
	) -> DispatchResult {
		let mut state = Self::silo_for_deposit(silo, asset, amount)?;
		Self::ensure_total_cap(&state, amount)?;
		let value =
			math::pool_value_for_deposit(state.books.pool, T::TraderPnl::net_trader_pnl(silo));
		let shares = math::shares_for_deposit(amount, state.books.total_shares, value)
			.ok_or(Error::<T>::PoolInsolvent)?;
		ensure!(!shares.is_zero(), Error::<T>::ZeroShares);
		state.books.pool = state.books.pool.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		state.books.total_shares =
			state.books.total_shares.checked_add(shares).ok_or(Error::<T>::Overflow)?;
		let held =
			LpShares::<T>::get(silo, &who).checked_add(shares).ok_or(Error::<T>::Overflow)?;

		Self::pull_in(asset, &who, silo, amount)?;
		LpShares::<T>::insert(silo, &who, held);
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::LiquidityAdded { silo, who, amount, shares });
		Ok(())
	}

	/// Burns `shares` for their part of the pool and sends it out of the silo. The body of
	/// [`Pallet::remove_liquidity`].
	pub(crate) fn do_remove_liquidity(
		who: T::AccountId,
		silo: SiloId,
		shares: Balance,
	) -> DispatchResult {
		let mut state = Self::silo(silo)?;
		let held = LpShares::<T>::get(silo, &who);
		ensure!(!shares.is_zero(), Error::<T>::ZeroShares);
		ensure!(held >= shares, Error::<T>::InsufficientShares);
		let value =
			math::pool_value_for_withdrawal(state.books.pool, T::TraderPnl::net_trader_pnl(silo));
		let amount = math::amount_for_shares(shares, state.books.total_shares, value)
			.ok_or(Error::<T>::InsufficientShares)?;
		ensure!(amount >= state.params.min_amount, Error::<T>::AmountBelowMinimum);
		// Leave first: a window that opens now opens on the pool as it was.
		let paid = Self::leave_silo(silo, &mut state, &who, amount)?;
		state.books.pool = state.books.pool.checked_sub(amount).ok_or(Error::<T>::Overflow)?;
		state.books.total_shares.saturating_reduce(shares);

		LpShares::<T>::insert(silo, &who, held.saturating_sub(shares));
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::LiquidityRemoved { silo, who, shares, amount, paid });
		Ok(())
	}
}
