//! The books the margin engine keeps through [`SiloLedger`]: locking and releasing margin,
//! realizing profit and loss, fees and liquidation pay-outs, and the loss waterfall (the trader's
//! margin, then the silo's insurance fund, then the silo's LPs). Also [`SiloHealth`], the
//! breakers' view of a silo's insurance fund and pool.

use crate::{math, Config, Error, Event, Margin, MarginAccount, Pallet, SiloBooks, Silos};
use bulwark_primitives::{
	Balance, LossSettlement, OnSiloEvent, ProfitSettlement, SiloHealth, SiloId, SiloLedger,
	TradingStatus,
};
use frame_support::pallet_prelude::*;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// Applies `f` to a silo and a trader's margin, writing both only if `f` succeeds.
	fn with_margin<R>(
		silo: SiloId,
		who: &T::AccountId,
		f: impl FnOnce(&mut SiloBooks, &mut MarginAccount) -> Result<R, DispatchError>,
	) -> Result<R, DispatchError> {
		let mut state = Self::silo(silo)?;
		let mut account = Margin::<T>::get(silo, who);
		let result = f(&mut state.books, &mut account)?;
		Margin::<T>::insert(silo, who, account);
		Silos::<T>::insert(silo, state);
		Ok(result)
	}

	/// A loss no trader's margin pays: the silo's insurance fund pays into the pool as far as it
	/// goes; what is left the pool never receives, so the silo's LPs bear it.
	fn waterfall(books: &mut SiloBooks, unpaid: Balance) -> Result<LossSettlement, DispatchError> {
		let from_insurance = unpaid.min(books.insurance);
		books.insurance.saturating_reduce(from_insurance);
		books.pool = books.pool.checked_add(from_insurance).ok_or(Error::<T>::Overflow)?;
		let socialized = unpaid.saturating_sub(from_insurance);
		books.socialized_loss = books.socialized_loss.saturating_add(socialized);
		Ok(LossSettlement { from_margin: 0, from_insurance, socialized })
	}

	/// Tells the LPs' loss and the breakers of a loss beyond a trader's margin.
	fn after_bad_debt(silo: SiloId, settlement: &LossSettlement) {
		if !settlement.socialized.is_zero() {
			Self::deposit_event(Event::LossSocialized { silo, amount: settlement.socialized });
		}
		let bad_debt = settlement.from_insurance.saturating_add(settlement.socialized);
		if !bad_debt.is_zero() {
			T::OnSiloEvent::on_bad_debt(silo, bad_debt);
		}
	}
}

impl<T: Config> SiloLedger<T::AccountId> for Pallet<T> {
	fn free_margin(silo: SiloId, who: &T::AccountId) -> Balance {
		Margin::<T>::get(silo, who).free
	}

	fn locked_margin(silo: SiloId, who: &T::AccountId) -> Balance {
		Margin::<T>::get(silo, who).locked
	}

	fn lock_margin(silo: SiloId, who: &T::AccountId, amount: Balance) -> DispatchResult {
		// A silo that winds down backs no new position.
		ensure!(!Self::ending(silo), Error::<T>::SiloEnding);
		Self::with_margin(silo, who, |books, account| {
			ensure!(account.free >= amount, Error::<T>::InsufficientFreeMargin);
			account.free.saturating_reduce(amount);
			account.locked.saturating_accrue(amount);
			books.trader_free.saturating_reduce(amount);
			books.trader_locked.saturating_accrue(amount);
			Ok(())
		})
	}

	fn release_margin(silo: SiloId, who: &T::AccountId, amount: Balance) -> DispatchResult {
		Self::with_margin(silo, who, |books, account| {
			ensure!(account.locked >= amount, Error::<T>::InsufficientLockedMargin);
			account.locked.saturating_reduce(amount);
			account.free.saturating_accrue(amount);
			books.trader_locked.saturating_reduce(amount);
			books.trader_free.saturating_accrue(amount);
			Ok(())
		})
	}

	fn realize_profit(
		silo: SiloId,
		who: &T::AccountId,
		profit: Balance,
	) -> Result<ProfitSettlement, DispatchError> {
		let mut state = Self::silo(silo)?;
		let mut account = Margin::<T>::get(silo, who);
		// Claims already waiting keep their call on the pool: a new profit is paid only from what
		// the pool holds beyond them, so it never jumps the line, and a pool that can pay both
		// pays it at once (a queue of dust claims cannot delay anyone's pay-out). And never more
		// than what the window's profit allowance leaves beyond the claims waiting (which it
		// pays first): the rest waits as a claim, in order.
		let available = state.books.pool.saturating_sub(state.books.claims);
		let allowance = T::Status::profit_allowance(silo)
			.map_or(Balance::MAX, |allowance| allowance.saturating_sub(state.books.claims));
		let paid = profit.min(available).min(allowance);
		let claimed = profit.saturating_sub(paid);
		state.books.pool.saturating_reduce(paid);
		state.books.trader_free =
			state.books.trader_free.checked_add(paid).ok_or(Error::<T>::Overflow)?;
		account.free = account.free.checked_add(paid).ok_or(Error::<T>::Overflow)?;
		Self::deposit_event(Event::ProfitRealized { silo, who: who.clone(), paid, claimed });
		if !claimed.is_zero() {
			Self::record_claim(silo, &mut state, who, claimed)?;
		}
		Margin::<T>::insert(silo, who, account);
		Silos::<T>::insert(silo, state);
		if !paid.is_zero() {
			T::OnSiloEvent::on_profit_paid(silo, paid);
		}
		Ok(ProfitSettlement { paid, claimed })
	}

	fn hold_profit(silo: SiloId, who: &T::AccountId, amount: Balance) -> DispatchResult {
		Self::do_hold_profit(silo, who, amount)
	}

	fn release_held_profit(
		silo: SiloId,
		who: &T::AccountId,
		held: Balance,
		pay: Balance,
	) -> Result<ProfitSettlement, DispatchError> {
		Self::do_release_held_profit(silo, who, held, pay)
	}

	fn held_profit(silo: SiloId) -> Balance {
		crate::HeldProfit::<T>::get(silo)
	}

	fn realize_loss(
		silo: SiloId,
		who: &T::AccountId,
		loss: Balance,
	) -> Result<LossSettlement, DispatchError> {
		let settlement = Self::with_margin(silo, who, |books, account| {
			// Waterfall: the trader's margin first, then `waterfall` for the rest.
			let from_margin = loss.min(account.locked);
			account.locked.saturating_reduce(from_margin);
			books.trader_locked.saturating_reduce(from_margin);
			books.pool = books.pool.checked_add(from_margin).ok_or(Error::<T>::Overflow)?;
			let rest = Self::waterfall(books, loss.saturating_sub(from_margin))?;
			Ok(LossSettlement { from_margin, ..rest })
		})?;
		Self::deposit_event(Event::LossRealized {
			silo,
			who: who.clone(),
			from_margin: settlement.from_margin,
			from_insurance: settlement.from_insurance,
			socialized: settlement.socialized,
		});
		Self::after_bad_debt(silo, &settlement);
		Ok(settlement)
	}

	fn cover_bad_debt(silo: SiloId, amount: Balance) -> Result<LossSettlement, DispatchError> {
		let mut state = Self::silo(silo)?;
		let settlement = Self::waterfall(&mut state.books, amount)?;
		Silos::<T>::insert(silo, state);
		Self::deposit_event(Event::BadDebtCovered {
			silo,
			from_insurance: settlement.from_insurance,
			socialized: settlement.socialized,
		});
		Self::after_bad_debt(silo, &settlement);
		Ok(settlement)
	}

	fn charge_fee(silo: SiloId, who: &T::AccountId, fee: Balance) -> DispatchResult {
		let share = Self::silo(silo)?.params.insurance_fee_share;
		let (to_pool, to_insurance) = math::split_fee(fee, share);
		Self::with_margin(silo, who, |books, account| {
			ensure!(account.locked >= fee, Error::<T>::InsufficientLockedMargin);
			account.locked.saturating_reduce(fee);
			books.trader_locked.saturating_reduce(fee);
			books.pool = books.pool.checked_add(to_pool).ok_or(Error::<T>::Overflow)?;
			books.insurance =
				books.insurance.checked_add(to_insurance).ok_or(Error::<T>::Overflow)?;
			Ok(())
		})?;
		Self::deposit_event(Event::FeeCharged { silo, who: who.clone(), to_pool, to_insurance });
		Ok(())
	}

	fn pay_liquidation(
		silo: SiloId,
		who: &T::AccountId,
		penalty: Balance,
		keeper: &T::AccountId,
		reward: Balance,
	) -> Result<(Balance, Balance), DispatchError> {
		let (penalty_paid, reward_paid) = Self::with_margin(silo, who, |books, account| {
			let penalty_paid = penalty.min(account.locked);
			account.locked.saturating_reduce(penalty_paid);
			let reward_paid = reward.min(account.locked);
			account.locked.saturating_reduce(reward_paid);
			books.trader_locked.saturating_reduce(penalty_paid.saturating_add(reward_paid));
			books.insurance =
				books.insurance.checked_add(penalty_paid).ok_or(Error::<T>::Overflow)?;
			books.trader_free =
				books.trader_free.checked_add(reward_paid).ok_or(Error::<T>::Overflow)?;
			Ok((penalty_paid, reward_paid))
		})?;
		// The trader's account is written; now the keeper's (possibly the same account).
		Margin::<T>::mutate(silo, keeper, |account| account.free.saturating_accrue(reward_paid));
		Self::deposit_event(Event::LiquidationPaid {
			silo,
			who: who.clone(),
			keeper: keeper.clone(),
			penalty: penalty_paid,
			reward: reward_paid,
		});
		Ok((penalty_paid, reward_paid))
	}
}

impl<T: Config> SiloHealth for Pallet<T> {
	fn insurance(silo: SiloId) -> Option<(Balance, Balance)> {
		Silos::<T>::get(silo).map(|state| (state.books.insurance, state.params.insurance_target))
	}
	fn pool(silo: SiloId) -> Option<Balance> {
		Silos::<T>::get(silo).map(|state| state.books.pool)
	}
	fn claims(silo: SiloId) -> Balance {
		Silos::<T>::get(silo).map_or(0, |state| state.books.claims)
	}
}
