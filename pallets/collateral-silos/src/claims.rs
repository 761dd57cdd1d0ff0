//! Traders' claims on a silo's pool. A close whose profit the pool cannot pay in full records
//! the rest as the trader's claim, numbered in the order claims arise; at the start of every
//! block the pool pays them, oldest first, from whatever it holds (fees, traders' losses, new
//! liquidity), before the withdrawal queue and before any LP may take anything out (LP value
//! and the reserve count every unpaid claim as the pool's debt). What the pool cannot pay the
//! silo's insurance fund pays: it is the silo's backstop, and an empty pool owing claims has no
//! LP value left to protect. So a claim is never stranded while the silo holds anything to pay
//! it with, and `fund_insurance` can always pay one. Closes and claims together are paid no more
//! per window than the breakers' profit allowance ([`TradingStatus::profit_allowance`]): a pump
//! that makes one trader's profit the whole pool pays it out over many windows, while the
//! breakers, which count the payouts as a drain, rate-limit the silo's withdrawals.
//!
//! Profit *held* back from a close at a price the breakers flag is the other kind of claim: not
//! due yet, owed at most its amount once the margin engine judges that the price has held
//! (then realized as profit like any other, within the allowance, the rest a claim in order),
//! and less, or nothing, if it reverted. Until then the pool pays none of it, but an LP's
//! withdrawal, the reserve and the open-interest cap count all of it as debt
//! ([`Pallet::owed`]); a deposit counts none of it (priced against the depositor both ways).

use crate::{
	ClaimCursors, Config, Error, Event, HeldProfit, Margin, Pallet, ProfitClaim, ProfitClaims,
	Silo, SiloBooks, Silos,
};
use bulwark_primitives::{
	Balance, OnSiloEvent, ProfitSettlement, SiloId, SiloLedger, TradingStatus,
};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::traits::{Saturating, Zero};

impl<T: Config> Pallet<T> {
	/// What the silo's pool owes traders: their claims and the profit held back (at the most
	/// it can be). Withdrawals and the reserve count it as debt (and the margin engine's
	/// open-interest cap); a deposit, settlement payouts and auto-deleveraging do not: it is
	/// not due, and once judged its worth joins the claims, in order.
	pub fn owed(silo: SiloId, books: &SiloBooks) -> Balance {
		books.claims.saturating_add(HeldProfit::<T>::get(silo))
	}

	/// Holds back `amount` of `who`'s profit (see the module docs).
	pub(crate) fn do_hold_profit(
		silo: SiloId,
		who: &T::AccountId,
		amount: Balance,
	) -> DispatchResult {
		ensure!(Silos::<T>::contains_key(silo), Error::<T>::UnknownSilo);
		let held = HeldProfit::<T>::get(silo).checked_add(amount).ok_or(Error::<T>::Overflow)?;
		HeldProfit::<T>::insert(silo, held);
		Self::deposit_event(Event::ProfitHeld { silo, who: who.clone(), amount });
		Ok(())
	}

	/// Judges `held` of the silo's held profit: `pay` of it (at most `held`) realized as `who`'s
	/// profit, the rest the pool's again.
	pub(crate) fn do_release_held_profit(
		silo: SiloId,
		who: &T::AccountId,
		held: Balance,
		pay: Balance,
	) -> Result<ProfitSettlement, DispatchError> {
		let total = HeldProfit::<T>::get(silo);
		let left = total.checked_sub(held).ok_or(Error::<T>::HeldProfitShort)?;
		let pay = pay.min(held);
		// The only step that can fail goes first, so a failure changes nothing.
		let settlement = if pay.is_zero() {
			ProfitSettlement::default()
		} else {
			<Self as SiloLedger<T::AccountId>>::realize_profit(silo, who, pay)?
		};
		if left.is_zero() {
			HeldProfit::<T>::remove(silo);
		} else {
			HeldProfit::<T>::insert(silo, left);
		}
		Self::deposit_event(Event::HeldProfitReleased { silo, who: who.clone(), held, paid: pay });
		Ok(settlement)
	}

	/// Records `amount` owed to `who` as the silo's newest claim. The caller writes `state`.
	pub(crate) fn record_claim(
		silo: SiloId,
		state: &mut Silo<T::AssetId, BlockNumberFor<T>>,
		who: &T::AccountId,
		amount: Balance,
	) -> DispatchResult {
		let mut cursor = ClaimCursors::<T>::get(silo);
		let claim = cursor.next;
		cursor.next = cursor.next.checked_add(1).ok_or(Error::<T>::Overflow)?;
		state.books.claims = state.books.claims.checked_add(amount).ok_or(Error::<T>::Overflow)?;
		ProfitClaims::<T>::insert(silo, claim, ProfitClaim { who: who.clone(), amount });
		ClaimCursors::<T>::insert(silo, cursor);
		Self::deposit_event(Event::ProfitClaimed { silo, who: who.clone(), claim, amount });
		Ok(())
	}

	/// Pays the silo's claims, oldest first, from its pool and then its insurance fund into the
	/// owners' free margin, at most `budget` payments and within the window's profit allowance.
	/// A claim they can pay only in part is paid that part and stays first. Returns how many
	/// payments were made.
	pub(crate) fn pay_claims(silo: SiloId, budget: u32) -> u32 {
		let mut cursor = ClaimCursors::<T>::get(silo);
		if cursor.is_empty() {
			return 0;
		}
		let Some(mut state) = Silos::<T>::get(silo) else { return 0 };
		let mut allowance = T::Status::profit_allowance(silo).unwrap_or(Balance::MAX);
		let mut total = 0 as Balance;
		let mut payments = 0u32;
		while payments < budget
			&& !cursor.is_empty()
			&& !allowance.is_zero()
			&& !state.books.pool.saturating_add(state.books.insurance).is_zero()
		{
			let Some(mut claim) = ProfitClaims::<T>::get(silo, cursor.head) else {
				// A hole would be a bug; step over it rather than stall every later claim.
				cursor.head = cursor.head.saturating_add(1);
				continue;
			};
			let due = claim.amount.min(allowance);
			let from_pool = due.min(state.books.pool);
			let from_insurance = due.saturating_sub(from_pool).min(state.books.insurance);
			let part = from_pool.saturating_add(from_insurance);
			allowance.saturating_reduce(part);
			total = total.saturating_add(part);
			payments = payments.saturating_add(1);
			state.books.pool.saturating_reduce(from_pool);
			state.books.insurance.saturating_reduce(from_insurance);
			state.books.claims.saturating_reduce(part);
			state.books.trader_free = state.books.trader_free.saturating_add(part);
			Margin::<T>::mutate(silo, &claim.who, |account| {
				account.free = account.free.saturating_add(part)
			});
			claim.amount.saturating_reduce(part);
			Self::deposit_event(Event::ClaimPaid {
				silo,
				who: claim.who.clone(),
				claim: cursor.head,
				amount: part,
				from_insurance,
			});
			if claim.amount.is_zero() {
				ProfitClaims::<T>::remove(silo, cursor.head);
				cursor.head = cursor.head.saturating_add(1);
			} else {
				ProfitClaims::<T>::insert(silo, cursor.head, claim);
			}
		}
		ClaimCursors::<T>::insert(silo, cursor);
		Silos::<T>::insert(silo, state);
		if !total.is_zero() {
			T::OnSiloEvent::on_profit_paid(silo, total);
		}
		payments
	}
}
