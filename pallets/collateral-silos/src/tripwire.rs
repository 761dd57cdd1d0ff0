//! The tripwire: at the end of every block each silo checks the invariants of its books that
//! cost a few reads, on chain and not only in `try_state`, so that an accounting bug stops at
//! the silo it is in instead of draining it:
//! - its account holds at least what its books say (more is a surplus anyone may have sent;
//!   less is a bug or an asset moved behind its back): on a shortfall its breakers are tripped
//!   (withdrawals frozen, no new risk in its markets) until governance lifts them;
//! - its claims are recorded: the books' total is zero exactly when no claim is unpaid;
//! - its pool holds its claims, its held profit and its reserve; the breakers hear whether it
//!   does, and rate-limit
//!   the silo's withdrawals while it does not.

use crate::{math, BooksMismatched, ClaimCursors, Config, Event, Pallet, ReserveShort, Silos};
use bulwark_primitives::{OnSiloEvent, PositionMarks, SiloId};
use frame_support::traits::fungibles::Inspect;
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	/// Checks `silo`'s books (see the module docs) and tells the breakers what it found.
	pub(crate) fn check_books(silo: SiloId) {
		let Some(state) = Silos::<T>::get(silo) else { return };
		let held = T::Assets::balance(state.asset, &Self::account_of(silo));
		let books = state.books.held();
		let claims_recorded =
			ClaimCursors::<T>::get(silo).is_empty() == state.books.claims.is_zero();
		if held < books || !claims_recorded {
			// Told every block while it lasts (the breakers act once), so a breaker lifted
			// while the books still differ trips again; the event says it once.
			T::OnSiloEvent::on_books_mismatch(silo);
			if !BooksMismatched::<T>::contains_key(silo) {
				BooksMismatched::<T>::insert(silo, ());
				Self::deposit_event(Event::BooksMismatch { silo, held, books });
			}
		} else {
			BooksMismatched::<T>::remove(silo);
		}
		let marks = T::Marks::marks(silo, state.params.reserve_move);
		let required = math::reserve_requirement(Self::owed(silo, &state.books), &marks);
		let short = state.books.pool < required;
		if short {
			ReserveShort::<T>::insert(silo, ());
		} else {
			ReserveShort::<T>::remove(silo);
		}
		T::OnSiloEvent::on_reserve(silo, short);
	}
}
