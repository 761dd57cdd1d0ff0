//! Leaving a silo: margin withdrawals, and the breakers' rules for everything that leaves
//! (Normal pays at once; RateLimited pays at most the window's share of the pool, those already
//! waiting first, and queues the rest; Frozen pays nothing), the rate-limit window, and the
//! queue, paid oldest first at the start of later blocks.

use crate::{
	math, Config, Error, Event, Margin, Pallet, QueuedWithdrawal, RateWindow, RateWindows, Silo,
	Silos, SilosWithQueue, WithdrawalQueue,
};
use bulwark_primitives::{Balance, OnSiloEvent, SiloId, TradingStatus, WithdrawalStatus};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungibles::{Inspect, Mutate},
		tokens::Preservation,
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Takes `amount` off `who`'s free margin and sends it out of the silo
	/// ([`Self::leave_silo`]). The body of [`Pallet::withdraw_margin`].
	pub(crate) fn do_withdraw_margin(
		who: T::AccountId,
		silo: SiloId,
		amount: Balance,
	) -> DispatchResult {
		let mut state = Self::silo(silo)?;
		let mut account = Margin::<T>::get(silo, &who);
		// Below the minimum only as the whole of it out of a silo that winds down: nothing can
		// come in there to lift it over, and the silo closes only once it is out.
		let all_out_of_ending = Self::ending(silo) && amount == account.free;
		ensure!(
			amount >= state.params.min_amount || (all_out_of_ending && !amount.is_zero()),
			Error::<T>::AmountBelowMinimum
		);
		ensure!(account.free >= amount, Error::<T>::InsufficientFreeMargin);
		account.free.saturating_reduce(amount);
		state.books.trader_free.saturating_reduce(amount);

		let pool = state.books.pool;
		let paid = Self::leave_silo(silo, &mut state, &who, amount, pool)?;
		Margin::<T>::insert(silo, &who, account);
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::MarginWithdrawn { silo, who, amount, paid });
		Ok(())
	}

	/// The rate-limit window as of `now`: a new one opens, on the pool as it is, when the last
	/// has run its length.
	fn current_window(
		silo: SiloId,
		pool: Balance,
		state: &Silo<T::AssetId, BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> RateWindow<BlockNumberFor<T>> {
		let window = RateWindows::<T>::get(silo);
		if window.start.is_zero()
			|| now >= window.start.saturating_add(state.params.withdrawal_window)
		{
			RateWindow { start: now, base: pool, paid: 0 }
		} else {
			window
		}
	}

	/// Sends `amount`, already taken off the books in `state`, out of the silo as its
	/// withdrawal status allows; queues the rest. A rate-limit window that opens now opens on
	/// `pool_before`, the pool as it was before the books were changed. Returns what was paid
	/// now (dust the last one out also takes is told apart: [`Self::pay_out`]). The caller
	/// writes `state`.
	pub(crate) fn leave_silo(
		silo: SiloId,
		state: &mut Silo<T::AssetId, BlockNumberFor<T>>,
		who: &T::AccountId,
		amount: Balance,
		pool_before: Balance,
	) -> Result<Balance, DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let mut window = Self::current_window(silo, pool_before, state, now);
		let mut queue = WithdrawalQueue::<T>::get(silo);
		let pay_now = match T::Status::withdrawal_status(silo) {
			WithdrawalStatus::Frozen => return Err(Error::<T>::WithdrawalsFrozen.into()),
			WithdrawalStatus::Normal => amount,
			// A silo that winds down backs no position: a run on it harms no one (each share
			// is worth the same, claims are paid first), so the rate limit does not apply.
			WithdrawalStatus::RateLimited if Self::ending(silo) => amount,
			// Those already waiting go first.
			WithdrawalStatus::RateLimited if !queue.is_empty() => 0,
			WithdrawalStatus::RateLimited => {
				let (window_limit, allows) =
					math::window_limits(state.params.withdrawal_limit, window.base, window.paid);
				math::payable_part(amount, allows, window_limit, state.params.min_amount)
			},
		};
		let queued = amount.saturating_sub(pay_now);
		if !queued.is_zero() {
			queue
				.try_push(QueuedWithdrawal { who: who.clone(), amount: queued })
				.map_err(|_| Error::<T>::WithdrawalQueueFull)?;
			SilosWithQueue::<T>::try_mutate(|silos| -> DispatchResult {
				if !silos.contains(&silo) {
					// At most one entry per silo and at most MaxSilos silos: never full here.
					silos.try_push(silo).map_err(|_| Error::<T>::TooManySilos)?;
				}
				Ok(())
			})?;
			state.books.queued =
				state.books.queued.checked_add(queued).ok_or(Error::<T>::Overflow)?;
			WithdrawalQueue::<T>::insert(silo, queue);
			Self::deposit_event(Event::WithdrawalQueued { silo, who: who.clone(), amount: queued });
		}
		let sent = if pay_now.is_zero() { 0 } else { Self::pay_out(silo, state, who, pay_now)? };
		window.paid = window.paid.saturating_add(sent);
		RateWindows::<T>::insert(silo, window);
		if !sent.is_zero() {
			T::OnSiloEvent::on_withdrawal(silo, sent);
		}
		Ok(pay_now)
	}

	/// Sends `amount`, already taken off the books in `state`, from the silo's account to
	/// `who`. Returns what was sent: `amount`, or more for the last one out of a silo that
	/// winds down.
	///
	/// The account keeps the asset's minimum balance while it holds anything more. In a silo
	/// that winds down, a payment that would leave it less (dust it could neither keep nor pay
	/// out) is refused while the books owe anyone else ([`Error::LeavesDustBehind`]: they leave
	/// first); once they owe no one, it is the last one out and takes all the account holds:
	/// the LPs' rounding left in the pool (it belongs to no share any more) and any surplus
	/// not swept. Without that, the last claim would be refused and the silo never close.
	pub(crate) fn pay_out(
		silo: SiloId,
		state: &mut Silo<T::AssetId, BlockNumberFor<T>>,
		who: &T::AccountId,
		amount: Balance,
	) -> Result<Balance, DispatchError> {
		let account = Self::account_of(silo);
		let keep_alive = |amount| {
			T::Assets::transfer(state.asset, &account, who, amount, Preservation::Preserve)
		};
		if !Self::ending(silo) {
			return keep_alive(amount);
		}
		let balance = T::Assets::balance(state.asset, &account);
		let rest = balance.saturating_sub(amount);
		if rest >= T::Assets::minimum_balance(state.asset) {
			return keep_alive(amount);
		}
		ensure!(
			rest.is_zero() || Self::owes_no_one(silo, &state.books),
			Error::<T>::LeavesDustBehind
		);
		T::Assets::transfer(state.asset, &account, who, balance, Preservation::Expendable)?;
		if !rest.is_zero() {
			// The account held at least its books (the tripwire's rule), which hold nothing
			// but the pool now: the pool is within the rest; the remainder was surplus.
			let from_pool = state.books.pool.min(rest);
			state.books.pool.saturating_reduce(from_pool);
			Self::deposit_event(Event::DustPaidOut {
				silo,
				who: who.clone(),
				from_pool,
				surplus: rest.saturating_sub(from_pool),
			});
		}
		Ok(balance)
	}

	/// Pays a silo's queue, oldest first, at most `budget` payouts; stops at a payment the silo
	/// itself cannot make ([`Self::silo_cannot_pay`]), and sends one its owner cannot receive
	/// back to their free margin. Returns how many payouts were tried.
	pub(crate) fn pay_queue(silo: SiloId, now: BlockNumberFor<T>, budget: u32) -> u32 {
		let Some(mut state) = Silos::<T>::get(silo) else { return 0 };
		let mut window = Self::current_window(silo, state.books.pool, &state, now);
		// What a whole window allows, and what this one still does.
		let (window_limit, mut allowance) = match T::Status::withdrawal_status(silo) {
			WithdrawalStatus::Frozen => return 0,
			WithdrawalStatus::Normal => (Balance::MAX, Balance::MAX),
			// As in `leave_silo`: no rate limit in a silo that winds down. Its pool empties as
			// its LPs leave, and a window measured on an empty pool would allow nothing.
			WithdrawalStatus::RateLimited if Self::ending(silo) => (Balance::MAX, Balance::MAX),
			WithdrawalStatus::RateLimited => {
				math::window_limits(state.params.withdrawal_limit, window.base, window.paid)
			},
		};
		let mut queue = WithdrawalQueue::<T>::get(silo).into_inner();
		let mut payouts = 0u32;
		while payouts < budget && !allowance.is_zero() {
			let Some(front) = queue.first_mut() else { break };
			// A part that would be dust waits for the next window (`math::payable_part`).
			let part =
				math::payable_part(front.amount, allowance, window_limit, state.params.min_amount);
			if part.is_zero() {
				break;
			}
			payouts = payouts.saturating_add(1);
			let who = front.who.clone();
			// Off the books before it is paid, as `pay_out` expects; back on if it fails.
			state.books.queued.saturating_reduce(part);
			let delivered = frame_support::storage::with_storage_layer(|| {
				Self::pay_out(silo, &mut state, &who, part)
			});
			match delivered {
				Ok(sent) => {
					front.amount.saturating_reduce(part);
					allowance.saturating_reduce(part);
					window.paid = window.paid.saturating_add(sent);
					Self::deposit_event(Event::QueuedWithdrawalPaid { silo, who, amount: part });
					T::OnSiloEvent::on_withdrawal(silo, sent);
				},
				// The silo cannot pay now (its account, or the whole asset, frozen by the
				// asset's issuer): no one's fault in the queue, which waits in its order for a
				// later block.
				Err(error) if Self::silo_cannot_pay(error) => {
					state.books.queued = state.books.queued.saturating_add(part);
					break;
				},
				// Undeliverable to its owner (or, in a silo that winds down, it would leave dust
				// while someone behind it is owed): back to their free margin, where they can
				// withdraw it in a form the asset accepts, or once the others are out.
				Err(_) => {
					let returned = front.amount;
					state.books.queued = state.books.queued.saturating_add(part);
					state.books.queued.saturating_reduce(returned);
					state.books.trader_free = state.books.trader_free.saturating_add(returned);
					Margin::<T>::mutate(silo, &who, |account| {
						account.free = account.free.saturating_add(returned)
					});
					front.amount = 0;
					Self::deposit_event(Event::QueuedWithdrawalReturned {
						silo,
						who,
						amount: returned,
					});
				},
			}
			if front.amount.is_zero() {
				queue.remove(0);
			}
		}
		if queue.is_empty() {
			WithdrawalQueue::<T>::remove(silo);
			SilosWithQueue::<T>::mutate(|silos| silos.retain(|s| *s != silo));
		} else {
			// The queue only shrank: it still fits its bound.
			WithdrawalQueue::<T>::insert(silo, BoundedVec::truncate_from(queue));
		}
		RateWindows::<T>::insert(silo, window);
		Silos::<T>::insert(silo, state);
		payouts
	}

	/// Whether a payment out of a silo failed on the silo's side, so that the queue should
	/// wait rather than send its front back: the silo's account frozen or blocked, or the whole
	/// asset frozen (all refuse to send as `Frozen`; a payee's account can only refuse to
	/// receive, as `Blocked`, `BelowMinimum` or `CannotCreate`). Not `LeavesDustBehind`: the
	/// one owed the dust may be behind in the same queue, which would then wait for ever.
	fn silo_cannot_pay(error: DispatchError) -> bool {
		error == sp_runtime::TokenError::Frozen.into()
	}
}
