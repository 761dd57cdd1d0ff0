//! The silos themselves: each one's account (derived from the pallet id and the silo id),
//! looking a silo up, the bounds its parameters must keep, creating a silo and replacing its
//! parameters.

use crate::{
	Config, Ends, Error, Event, NextSiloId, Pallet, Silo, SiloBooks, SiloEnd, SiloParams, Silos,
	LOCKED_SHARES,
};
use bulwark_primitives::PositionMarks;
use bulwark_primitives::{SiloId, MAX_BLOCKS};
use frame_support::{pallet_prelude::*, traits::fungibles::Inspect};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{AccountIdConversion, Zero};

impl<T: Config> Pallet<T> {
	/// The account that holds a silo's collateral.
	pub fn account_of(silo: SiloId) -> T::AccountId {
		T::PalletId::get().into_sub_account_truncating(silo)
	}

	pub(crate) fn silo(silo: SiloId) -> Result<Silo<T::AssetId, BlockNumberFor<T>>, DispatchError> {
		Silos::<T>::get(silo).ok_or_else(|| Error::<T>::UnknownSilo.into())
	}

	/// A new silo for `asset`, with empty books but for its [`crate::LOCKED_SHARES`]. The body of [`Pallet::create_silo`].
	pub(crate) fn do_create_silo(
		asset: T::AssetId,
		params: SiloParams<BlockNumberFor<T>>,
	) -> DispatchResult {
		ensure!(T::Assets::asset_exists(asset), Error::<T>::UnknownAsset);
		Self::ensure_valid_params(asset, &params)?;
		let silo = NextSiloId::<T>::get();
		ensure!(silo < T::MaxSilos::get(), Error::<T>::TooManySilos);

		Silos::<T>::insert(silo, Silo { asset, params, books: SiloBooks::new() });
		NextSiloId::<T>::put(silo.saturating_add(1));
		Self::deposit_event(Event::SiloCreated { silo, asset, account: Self::account_of(silo) });
		Ok(())
	}

	/// Replaces a silo's parameters. The body of [`Pallet::set_silo_params`].
	pub(crate) fn do_set_silo_params(
		silo: SiloId,
		params: SiloParams<BlockNumberFor<T>>,
	) -> DispatchResult {
		let mut state = Self::silo(silo)?;
		Self::ensure_valid_params(state.asset, &params)?;
		state.params = params;
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::SiloParamsSet { silo });
		Ok(())
	}

	pub(crate) fn ensure_valid_params(
		asset: T::AssetId,
		params: &SiloParams<BlockNumberFor<T>>,
	) -> DispatchResult {
		ensure!(
			!params.withdrawal_window.is_zero()
				&& !params.withdrawal_limit.is_zero()
				&& !params.min_amount.is_zero()
				&& params.min_amount >= T::Assets::minimum_balance(asset)
				&& params.min_amount <= params.max_account_deposit
				&& params.max_account_deposit <= params.max_total_deposits
				&& params.lp_cooldown <= MAX_BLOCKS.into(),
			Error::<T>::InvalidParams
		);
		Ok(())
	}

	/// Whether the silo is winding down or closed: nothing new comes in.
	pub(crate) fn ending(silo: SiloId) -> bool {
		Ends::<T>::contains_key(silo)
	}

	/// The body of [`Pallet::wind_down`].
	pub(crate) fn do_wind_down(silo: SiloId) -> DispatchResult {
		let mut state = Self::silo(silo)?;
		ensure!(!Self::ending(silo), Error::<T>::SiloEnding);
		ensure!(
			!T::Marks::has_markets(silo) && state.books.trader_locked.is_zero(),
			Error::<T>::MarketsOpen
		);
		let insurance = core::mem::take(&mut state.books.insurance);
		state.books.pool = state.books.pool.checked_add(insurance).ok_or(Error::<T>::Overflow)?;
		Silos::<T>::insert(silo, state);
		let since = frame_system::Pallet::<T>::block_number();
		Ends::<T>::insert(silo, SiloEnd::WindingDown { since });
		Self::deposit_event(Event::SiloWindingDown { silo, insurance_to_pool: insurance });
		Ok(())
	}

	/// The body of [`Pallet::close_silo`].
	pub(crate) fn do_close_silo(silo: SiloId) -> DispatchResult {
		let state = Self::silo(silo)?;
		ensure!(
			matches!(Ends::<T>::get(silo), Some(SiloEnd::WindingDown { .. })),
			Error::<T>::NotWindingDown
		);
		ensure!(Self::owes_no_one(silo, &state.books), Error::<T>::SiloNotEmpty);
		let at = frame_system::Pallet::<T>::block_number();
		Ends::<T>::insert(silo, SiloEnd::Closed { at });
		Self::deposit_event(Event::SiloClosed { silo, dust: state.books.pool });
		Ok(())
	}

	/// Whether no one has a claim on `books` any more: no trader margin, claim, held profit,
	/// queued payment, withdrawal request or LP share but the locked ones, and no insurance
	/// (an ending silo has none). What the pool still holds then is dust that belongs to no one.
	pub(crate) fn owes_no_one(silo: SiloId, books: &SiloBooks) -> bool {
		books.insurance.is_zero()
			&& books.trader_free.is_zero()
			&& books.trader_locked.is_zero()
			&& books.claims.is_zero()
			&& books.queued.is_zero()
			&& books.pending_shares.is_zero()
			&& books.total_shares == LOCKED_SHARES
			&& crate::HeldProfit::<T>::get(silo).is_zero()
	}
}

#[cfg(any(feature = "std", feature = "try-runtime"))]
impl<T: Config> Pallet<T> {
	/// What `silo`'s account holds beyond its books: what was sent to it outside this pallet
	/// and not swept yet. `None` for an unknown silo or an account holding less than its books.
	/// For checks that know what was sent (tests, the fuzzer): `try_state` can only require
	/// `Some`, since anyone may send to the account.
	pub fn surplus(silo: SiloId) -> Option<crate::Balance> {
		let state = Silos::<T>::get(silo)?;
		T::Assets::balance(state.asset, &Self::account_of(silo)).checked_sub(state.books.held())
	}
}
