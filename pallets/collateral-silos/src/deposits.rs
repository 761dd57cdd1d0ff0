//! What comes into a silo: the checks on every deposit (the silo's own asset, no dust, the
//! silo's and the trader's caps), the transfer into the silo's account, traders' margin
//! deposits, gifts to the insurance fund, and sweeping into that fund what was sent to the
//! silo's account outside its books.

use crate::{Config, Error, Event, Margin, Pallet, Silo, Silos};
use bulwark_primitives::{Balance, SiloId};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungibles::{Inspect, Mutate},
		tokens::Preservation,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	/// A silo about to receive `amount` of `asset`: it must exist, hold that asset, and the
	/// amount must not be dust.
	pub(crate) fn silo_for_deposit(
		silo: SiloId,
		asset: T::AssetId,
		amount: Balance,
	) -> Result<Silo<T::AssetId, BlockNumberFor<T>>, DispatchError> {
		let state = Self::silo(silo)?;
		ensure!(!Self::ending(silo), Error::<T>::SiloEnding);
		ensure!(state.asset == asset, Error::<T>::WrongAsset);
		ensure!(amount >= state.params.min_amount, Error::<T>::AmountBelowMinimum);
		Ok(state)
	}

	/// The silo's deposit cap (trader margin plus pool) leaves room for `amount` more.
	pub(crate) fn ensure_total_cap(
		state: &Silo<T::AssetId, BlockNumberFor<T>>,
		amount: Balance,
	) -> DispatchResult {
		let total = state.books.deposits().checked_add(amount).ok_or(Error::<T>::Overflow)?;
		ensure!(total <= state.params.max_total_deposits, Error::<T>::TotalCapExceeded);
		Ok(())
	}

	/// Moves `amount` of `asset` from `who` into the silo's account. All of `who`'s balance may
	/// come in; a part must leave `who` at least the asset's minimum balance
	/// (`Token(NotExpendable)` otherwise): the asset would reap the account and the remainder
	/// would vanish from every account while its supply still counted it.
	pub(crate) fn pull_in(
		asset: T::AssetId,
		who: &T::AccountId,
		silo: SiloId,
		amount: Balance,
	) -> DispatchResult {
		let preservation = if T::Assets::balance(asset, who) == amount {
			Preservation::Expendable
		} else {
			Preservation::Preserve
		};
		T::Assets::transfer(asset, who, &Self::account_of(silo), amount, preservation).map(|_| ())
	}

	/// Credits `amount` to `who`'s free margin within the caps and pulls it in. The body of
	/// [`Pallet::deposit_margin`].
	pub(crate) fn do_deposit_margin(
		who: T::AccountId,
		silo: SiloId,
		asset: T::AssetId,
		amount: Balance,
	) -> DispatchResult {
		let mut state = Self::silo_for_deposit(silo, asset, amount)?;
		let mut account = Margin::<T>::get(silo, &who);
		let account_total = account.total().checked_add(amount).ok_or(Error::<T>::Overflow)?;
		ensure!(account_total <= state.params.max_account_deposit, Error::<T>::AccountCapExceeded);
		Self::ensure_total_cap(&state, amount)?;
		account.free = account.free.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		state.books.trader_free =
			state.books.trader_free.checked_add(amount).ok_or(Error::<T>::Overflow)?;

		Self::pull_in(asset, &who, silo, amount)?;
		Margin::<T>::insert(silo, &who, account);
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::MarginDeposited { silo, who, amount });
		Ok(())
	}

	/// Adds `amount` to the silo's insurance fund and pulls it in. The body of
	/// [`Pallet::fund_insurance`].
	pub(crate) fn do_fund_insurance(
		who: T::AccountId,
		silo: SiloId,
		asset: T::AssetId,
		amount: Balance,
	) -> DispatchResult {
		let mut state = Self::silo_for_deposit(silo, asset, amount)?;
		state.books.insurance =
			state.books.insurance.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		Self::pull_in(asset, &who, silo, amount)?;
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::InsuranceFunded { silo, who, amount });
		Ok(())
	}

	/// Books the silo account's balance above its books into the insurance fund. The body of
	/// [`Pallet::sweep_surplus`].
	pub(crate) fn do_sweep_surplus(silo: SiloId) -> DispatchResult {
		let mut state = Self::silo(silo)?;
		let balance = T::Assets::balance(state.asset, &Self::account_of(silo));
		let surplus = balance.saturating_sub(state.books.held());
		ensure!(!surplus.is_zero(), Error::<T>::NoSurplus);
		// An ending silo has no insurance fund: what is found goes to its LPs.
		if Self::ending(silo) {
			state.books.pool = state.books.pool.saturating_add(surplus);
		} else {
			state.books.insurance = state.books.insurance.saturating_add(surplus);
		}
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::SurplusSwept { silo, amount: surplus });
		Ok(())
	}
}
