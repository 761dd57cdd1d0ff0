//! The upgrade guard: a runtime upgrade is not applied while the chain is under stress.
//!
//! The pallet is the runtime's `frame_system::Config::OnSetCode`, so every new code reaches it,
//! whether from `system.setCode` (Root) or from `system.applyAuthorizedUpgrade` (anyone, with
//! code governance authorized). While the chain-wide emergency holds or a liquidation waits
//! ([`UpgradeBlocker`]), the code is stored, [`Event::UpgradeDeferred`] says why, and the call
//! succeeds: the authorization is used up, so nobody can put the same megabytes into block
//! after block for free (a guard that *refused* the call would have left it standing, and an
//! unsigned call refused at dispatch costs its sender nothing).
//!
//! Each block's end looks again, after the block's liquidation pass and transactions, and the
//! first block that finds nothing in the way applies the code
//! ([`Event::DeferredUpgradeApplied`]; the new runtime runs from the next block). A liquidation
//! backlog holds an upgrade for at most [`Config::MaxUpgradeDeferral`] blocks: a position kept
//! at the edge of liquidation, or one whose liquidation keeps failing, cannot hold back the
//! upgrade that may be its fix; only the emergency (governance and the guardians) holds it
//! longer. Root applies a deferred upgrade at once ([`Pallet::apply_deferred_upgrade`], naming
//! its hash so it forces what it voted for), drops it ([`Pallet::cancel_deferred_upgrade`]), or
//! sets new code past the guard in one call ([`Pallet::force_set_code`]). A newer upgrade
//! replaces a deferred one ([`Event::DeferredUpgradeDropped`]).

use super::*;
use frame_system::SetCode;
use sp_runtime::traits::Hash;

impl<T: Config> SetCode<T> for Pallet<T> {
	fn set_code(code: Vec<u8>) -> DispatchResult {
		Self::do_set_code(code);
		Ok(())
	}
}

impl<T: Config> Pallet<T> {
	/// What holds an upgrade back in block `now`, if anything: the emergency first, then a
	/// liquidation waiting, unless the upgrade has waited `MaxUpgradeDeferral` blocks since
	/// `since`.
	pub fn upgrade_blocker(
		since: BlockNumberFor<T>,
		now: BlockNumberFor<T>,
	) -> Option<UpgradeBlocker> {
		if Emergency::<T>::get() {
			Some(UpgradeBlocker::Emergency)
		} else if now.saturating_sub(since) < T::MaxUpgradeDeferral::get()
			&& T::Liquidations::waiting()
		{
			Some(UpgradeBlocker::LiquidationBacklog)
		} else {
			None
		}
	}

	/// Applies `code` now if nothing is in the way, else stores it for later; a deferred
	/// upgrade it replaces is dropped.
	pub(crate) fn do_set_code(code: Vec<u8>) {
		Self::drop_deferred(true);
		let now = frame_system::Pallet::<T>::block_number();
		match Self::upgrade_blocker(now, now) {
			None => frame_system::Pallet::<T>::update_code_in_storage(&code),
			Some(blocker) => {
				let code_hash = T::Hashing::hash(&code);
				Deferred::<T>::put(DeferredUpgrade { code_hash, since: now, blocker });
				DeferredCode::<T>::put(code);
				Self::deposit_event(Event::UpgradeDeferred { code_hash, blocker });
			},
		}
	}

	/// Forgets the deferred upgrade, if any (`replaced`: by a newer one, else dropped).
	pub(crate) fn drop_deferred(replaced: bool) -> bool {
		let Some(deferred) = Deferred::<T>::take() else { return false };
		DeferredCode::<T>::kill();
		Self::deposit_event(Event::DeferredUpgradeDropped {
			code_hash: deferred.code_hash,
			replaced,
		});
		true
	}

	/// Applies the deferred upgrade, if any and if its stored code is still the code it was
	/// deferred with: code missing or changed behind the guard's back (a storage kill, a bad
	/// migration) is dropped, never written (an empty `:code` would stop the chain).
	pub(crate) fn apply_deferred(forced: bool) -> bool {
		let Some(deferred) = Deferred::<T>::take() else { return false };
		match DeferredCode::<T>::take() {
			Some(code) if T::Hashing::hash(&code) == deferred.code_hash => {
				frame_system::Pallet::<T>::update_code_in_storage(&code);
				Self::deposit_event(Event::DeferredUpgradeApplied {
					code_hash: deferred.code_hash,
					since: deferred.since,
					forced,
				});
				true
			},
			_ => {
				Self::deposit_event(Event::DeferredUpgradeDropped {
					code_hash: deferred.code_hash,
					replaced: false,
				});
				false
			},
		}
	}

	/// The look at a deferred upgrade at the end of block `now`: applied when nothing is in the
	/// way.
	pub(crate) fn upgrade_pass(now: BlockNumberFor<T>) {
		let Some(mut deferred) = Deferred::<T>::get() else { return };
		match Self::upgrade_blocker(deferred.since, now) {
			Some(blocker) => {
				if blocker != deferred.blocker {
					deferred.blocker = blocker;
					Deferred::<T>::put(deferred);
				}
			},
			None => {
				Self::apply_deferred(false);
			},
		}
	}

	/// What [`Self::upgrade_pass`] may cost, reserved at the block's start: one read when
	/// nothing is deferred, else the look and the application.
	pub(crate) fn upgrade_pass_weight() -> Weight {
		let db = T::DbWeight::get();
		if !Deferred::<T>::exists() {
			return db.reads(1);
		}
		db.reads_writes(3, 1)
			.saturating_add(T::Liquidations::waiting_weight())
			.saturating_add(Self::apply_weight())
	}

	/// Applying an upgrade: what `system.setCode` costs (frame-system's benchmark), plus the
	/// two items taken here.
	pub(crate) fn apply_weight() -> Weight {
		<<T as frame_system::Config>::SystemWeightInfo as frame_system::WeightInfo>::set_code()
			.saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
}
