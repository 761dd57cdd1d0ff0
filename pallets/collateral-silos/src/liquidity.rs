//! The LP pool: shares minted for liquidity added; leaving in two steps, a request that waits
//! the silo's `lp_cooldown` with its shares still in the pool, then a claim paid at the lower
//! of the shares' value at the request and now, from what the pool holds beyond the traders'
//! claims and its reserve. Prices come from [`crate::math`] over the margin engine's marks
//! ([`Config::Marks`]), rounded against the one who asks. What a claim pays leaves the silo as
//! a withdrawal ([`crate::withdrawals`]).

use crate::{math, Config, Error, Event, LpShares, LpWithdrawals, Pallet, Silo, Silos};
use bulwark_primitives::{Balance, PositionMarks, SiloId};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// What the pool is worth to someone leaving it, and the most that may leave it now (what
	/// it holds beyond the claims and the reserve).
	fn withdrawal_terms(
		silo: SiloId,
		state: &Silo<T::AssetId, BlockNumberFor<T>>,
	) -> (Balance, Balance) {
		let marks = T::Marks::marks(silo, state.params.reserve_move);
		let books = &state.books;
		let owed = Self::owed(silo, books);
		let value = math::pool_value_for_withdrawal(books.pool, owed, &marks);
		let room = books.pool.saturating_sub(math::reserve_requirement(owed, &marks));
		(value, room)
	}

	/// The shares a withdrawal is priced against: all of them, the locked ones included; in a
	/// silo that winds down (no deposit can come in, so no share price can be pushed), only
	/// the LPs', so the last one out takes the pool to zero and the silo can close empty.
	fn priced_shares(silo: SiloId, state: &Silo<T::AssetId, BlockNumberFor<T>>) -> Balance {
		if Self::ending(silo) {
			state.books.total_shares.saturating_sub(crate::LOCKED_SHARES)
		} else {
			state.books.total_shares
		}
	}

	/// Mints shares for `amount` added to the pool and pulls it in. The body of
	/// [`Pallet::add_liquidity`].
	pub(crate) fn do_add_liquidity(
		who: T::AccountId,
		silo: SiloId,
		asset: T::AssetId,
		amount: Balance,
		min_shares: Balance,
	) -> DispatchResult {
		let mut state = Self::silo_for_deposit(silo, asset, amount)?;
		Self::ensure_total_cap(&state, amount)?;
		let marks = T::Marks::marks(silo, state.params.reserve_move);
		// Held profit is not counted here: a deposit pays as if it will be paid nothing. Were
		// it counted, a deposit made while a pump's profit is held would buy shares cheaply and
		// take the other LPs' part when the pump reverts.
		let value = math::pool_value_for_deposit(state.books.pool, state.books.claims, &marks)
			.ok_or(Error::<T>::PoolInsolvent)?;
		let shares = math::shares_for_deposit(amount, state.books.total_shares, value)
			.ok_or(Error::<T>::Overflow)?;
		ensure!(!shares.is_zero(), Error::<T>::ZeroShares);
		ensure!(shares >= min_shares, Error::<T>::BelowCallerLimit);
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

	/// Moves `shares` into the caller's withdrawal request. The body of
	/// [`Pallet::request_liquidity_withdrawal`].
	pub(crate) fn do_request_withdrawal(
		who: T::AccountId,
		silo: SiloId,
		shares: Balance,
	) -> DispatchResult {
		let mut state = Self::silo(silo)?;
		let held = LpShares::<T>::get(silo, &who);
		ensure!(!shares.is_zero(), Error::<T>::ZeroShares);
		ensure!(held >= shares, Error::<T>::InsufficientShares);
		let (pool_value, _) = Self::withdrawal_terms(silo, &state);
		let value = math::amount_for_shares(shares, Self::priced_shares(silo, &state), pool_value)
			.ok_or(Error::<T>::InsufficientShares)?;
		// A request worth nothing could never be paid (the claim pays at most this value): the
		// pool owes its winners and claimants all it holds, or the shares are dust.
		ensure!(!value.is_zero(), Error::<T>::ZeroShares);
		let now = frame_system::Pallet::<T>::block_number();
		// A silo that winds down has no risk left to run from: no cooldown.
		let cooldown = if Self::ending(silo) { Zero::zero() } else { state.params.lp_cooldown };
		let ready_at = now.saturating_add(cooldown);
		let mut request = LpWithdrawals::<T>::get(silo, &who).unwrap_or_default();
		// Shares already requested keep the lower of their value then and now: adding to a
		// request cannot lift the cap of what was asked for earlier.
		let earlier =
			math::amount_for_shares(request.shares, Self::priced_shares(silo, &state), pool_value)
				.ok_or(Error::<T>::InsufficientShares)?
				.min(request.value);
		request.shares = request.shares.checked_add(shares).ok_or(Error::<T>::Overflow)?;
		request.value = earlier.checked_add(value).ok_or(Error::<T>::Overflow)?;
		request.ready_at = ready_at;
		state.books.pending_shares =
			state.books.pending_shares.checked_add(shares).ok_or(Error::<T>::Overflow)?;

		LpShares::<T>::insert(silo, &who, held.saturating_sub(shares));
		LpWithdrawals::<T>::insert(silo, &who, request);
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::LiquidityWithdrawalRequested {
			silo,
			who,
			shares,
			value,
			ready_at,
		});
		Ok(())
	}

	/// Gives the request's shares back. The body of [`Pallet::cancel_liquidity_withdrawal`].
	pub(crate) fn do_cancel_withdrawal(who: T::AccountId, silo: SiloId) -> DispatchResult {
		let mut state = Self::silo(silo)?;
		let request = LpWithdrawals::<T>::get(silo, &who).ok_or(Error::<T>::NoWithdrawalRequest)?;
		let held = LpShares::<T>::get(silo, &who)
			.checked_add(request.shares)
			.ok_or(Error::<T>::Overflow)?;
		state.books.pending_shares.saturating_reduce(request.shares);

		LpShares::<T>::insert(silo, &who, held);
		LpWithdrawals::<T>::remove(silo, &who);
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::LiquidityWithdrawalCancelled {
			silo,
			who,
			shares: request.shares,
		});
		Ok(())
	}

	/// Pays a request whose cooldown is over, as far as the pool's room goes, and sends it out
	/// of the silo. The body of [`Pallet::claim_liquidity_withdrawal`].
	pub(crate) fn do_claim_withdrawal(
		who: T::AccountId,
		silo: SiloId,
		min_amount: Balance,
	) -> DispatchResult {
		let mut state = Self::silo(silo)?;
		let mut request =
			LpWithdrawals::<T>::get(silo, &who).ok_or(Error::<T>::NoWithdrawalRequest)?;
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now >= request.ready_at, Error::<T>::CooldownNotOver);
		// A request is claimable for as long as its cooldown (at least a block), then expires:
		// no request becomes a standing exit to be used the moment a loss is seen coming.
		let window = state.params.lp_cooldown.max(1u32.into());
		ensure!(now <= request.ready_at.saturating_add(window), Error::<T>::RequestExpired);
		let (pool_value, room) = Self::withdrawal_terms(silo, &state);
		let worth_now =
			math::amount_for_shares(request.shares, Self::priced_shares(silo, &state), pool_value)
				.ok_or(Error::<T>::InsufficientShares)?;
		// The lower of then and now: waiting out the cooldown can never pay more than the
		// shares were worth when the LP asked.
		let owed = worth_now.min(request.value);
		let amount = owed.min(room);
		ensure!(!owed.is_zero(), Error::<T>::PoolInsolvent);
		ensure!(!amount.is_zero(), Error::<T>::ReserveRequired);
		ensure!(amount >= min_amount, Error::<T>::BelowCallerLimit);
		// A part payment below the silo's minimum is dust; a whole one is always allowed.
		ensure!(amount == owed || amount >= state.params.min_amount, Error::<T>::ReserveRequired);
		let burnt =
			math::shares_for_part(request.shares, amount, owed).ok_or(Error::<T>::Overflow)?;
		// Off the books before it leaves (the last one out of a silo that winds down is told
		// by what the books still owe); a window that opens now opens on the pool as it was.
		let pool_before = state.books.pool;
		state.books.pool = pool_before.checked_sub(amount).ok_or(Error::<T>::Overflow)?;
		state.books.total_shares.saturating_reduce(burnt);
		state.books.pending_shares.saturating_reduce(burnt);
		let paid = Self::leave_silo(silo, &mut state, &who, amount, pool_before)?;
		request.shares.saturating_reduce(burnt);
		let shares_left = request.shares;
		if shares_left.is_zero() {
			LpWithdrawals::<T>::remove(silo, &who);
		} else {
			// What is left keeps its part of the value asked for, rounded down.
			request.value = math::amount_for_shares(
				shares_left,
				shares_left.saturating_add(burnt),
				request.value,
			)
			.unwrap_or_default();
			LpWithdrawals::<T>::insert(silo, &who, request);
		}
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::LiquidityRemoved {
			silo,
			who,
			shares: burnt,
			amount,
			paid,
			shares_left,
		});
		Ok(())
	}
}
