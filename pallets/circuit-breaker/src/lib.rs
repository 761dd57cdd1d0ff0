//! # Circuit breakers
//!
//! When markets go wild or inputs fail, the chain changes its own risk posture in the same block,
//! without waiting for a human, and returns to normal by itself once the danger has passed.
//!
//! - **Markets**: Normal -> ReduceOnly (closing and liquidations only) -> Halted (neither:
//!   only margin may be added).
//!   Automatic triggers: the oracle is Stale (ReduceOnly; Halted after `halt_after_stale`
//!   blocks) or Degraded (ReduceOnly, never Halted: a degraded aggregate is recent, made by fewer
//!   feeders than the quorum, and liquidations must go on at it); an aggregate moves beyond the
//!   band (ReduceOnly for `band_cooldown` blocks). Only
//!   aggregates count ([`OnPriceUpdate`]): a single feeder's report never reaches this pallet.
//! - **Silos**: withdrawals Normal -> RateLimited -> Frozen; new risk allowed or not. Automatic
//!   triggers: withdrawals beyond a share of the pool within a window, or bad debt (RateLimited);
//!   an insurance fund below its floor (no new risk). Frozen is the guardian's alone.
//! - **Chain-wide**: an emergency flag puts every market in ReduceOnly.
//! - **Recovery** with hysteresis: a breaker steps down one level only after its condition has
//!   stayed clear for `recovery_blocks`, and again after as many more.
//! - **Upgrades** wait while the emergency holds or a liquidation waits (`upgrade.rs`): the
//!   pallet is the runtime's `OnSetCode`; Root may apply a deferred upgrade at once.
//! - **Manual**: [`Config::TripOrigin`] (the guardians) can trip any breaker at once but lift
//!   none; lifting early takes [`Config::LiftOrigin`] (governance).
//! - Nothing here filters calls: oracle reports and trips are never blocked. Liquidations and
//!   owners' reductions obey one rule: a market not Halted, and a price no older than
//!   `liquidation_max_price_age` ([`TradingStatus::price_usable`]).
//! - **Price guard**: each aggregate moves the market's [`PriceGuard`]: a move beyond the band
//!   of the last aggregate and of the TWAP, or a round the feeders did not agree on, is held
//!   until a second aggregate confirms it ([`math::next_guard`]); liquidations act on what it
//!   trusts ([`TradingStatus::liquidation_price`]).
//!
//! The per-block pass looks at the tracked markets and silos only (at most `MaxMarkets` and
//! `MaxSilos`); every transition is an event with its [`Reason`].
//!
//! ## Where each rule lives
//!
//! - `lib.rs`: configuration, storage, events, errors, genesis, the per-block hook, the calls
//!   (manual trips, lifts, the emergency, parameters, watching) and the invariants
//!   ([`Pallet::do_try_state`]).
//! - `triggers.rs`: the automatic triggers and their recovery per market and silo, the
//!   withdrawal window, the effective level, watching, and the parameters' bounds.
//! - `impls.rs`: [`TradingStatus`], [`OnPriceUpdate`] (the band) and [`OnSiloEvent`] for the
//!   rest of the runtime.
//! - `views.rs`: the reports the runtime API returns.
//! - `upgrade.rs`: the upgrade guard (`frame_system::SetCode`), its start-of-block look.
//! - [`math`]: the pure rules: the hysteresis step of every breaker and the band test.
//! - [`types`]: parameters, breaker state, reasons, reports.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod impls;
pub mod math;
pub mod migrations;
pub mod runtime_api;
mod triggers;
pub mod types;
mod upgrade;
mod views;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use math::beyond_band;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use bulwark_primitives::{
	Balance, LiquidationBacklog, MarketId, MarketStatus, OnPriceUpdate, OnSiloEvent, PriceFeed,
	PriceStatus, SiloHealth, SiloId, TradingStatus, WithdrawalStatus,
};
use frame_support::{pallet_prelude::*, traits::BuildGenesisConfig};
use frame_system::pallet_prelude::*;
use sp_runtime::{
	traits::{Saturating, Zero},
	FixedPointNumber, FixedU128,
};

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// Pallet storage version; bumped with every migration.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The oracle: staleness and price age of each market.
		type Prices: PriceFeed<BlockNumberFor<Self>>;
		/// The silos: insurance fund and pool of each silo.
		type SiloHealth: SiloHealth;
		/// May trip any breaker at once, and lift none (the guardian committee; governance).
		type TripOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// May lift breakers early and end the emergency (governance).
		type LiftOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Sets parameters and which markets and silos are watched (governance).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Whether liquidations wait: an upgrade is deferred meanwhile (the margin engine).
		type Liquidations: LiquidationBacklog;
		/// May apply or drop a deferred runtime upgrade, or set code past the guard (Root).
		type UpgradeOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The longest a liquidation backlog holds an upgrade back (blocks); the emergency
		/// holds it until it ends.
		#[pallet::constant]
		type MaxUpgradeDeferral: Get<BlockNumberFor<Self>>;
		#[pallet::constant]
		type MaxMarkets: Get<u32>;
		#[pallet::constant]
		type MaxSilos: Get<u32>;
		/// Aggregates kept per market for the band; `band_window` may not exceed it.
		#[pallet::constant]
		type MaxBandSamples: Get<u32>;
		type WeightInfo: WeightInfo;
	}

	/// The watched markets' breakers.
	#[pallet::storage]
	pub type Markets<T: Config> = CountedStorageMap<
		_,
		Twox64Concat,
		MarketId,
		MarketBreaker<BlockNumberFor<T>, T::MaxBandSamples>,
		OptionQuery,
	>;

	/// The watched silos' breakers.
	#[pallet::storage]
	pub type Silos<T: Config> =
		CountedStorageMap<_, Twox64Concat, SiloId, SiloBreaker<BlockNumberFor<T>>, OptionQuery>;

	/// Silos whose pool was below its traders' claims and reserve at the end of the last block
	/// (the silos' tripwire says so): their withdrawals stay rate-limited meanwhile.
	#[pallet::storage]
	pub type ReserveShort<T: Config> = StorageMap<_, Twox64Concat, SiloId, (), OptionQuery>;

	/// The prices each watched market's liquidations may act on (see [`PriceGuard`]), moved by
	/// every aggregate. A market without one (no aggregate since it was watched) liquidates at
	/// the oracle's price.
	#[pallet::storage]
	pub type PriceGuards<T: Config> =
		StorageMap<_, Twox64Concat, MarketId, PriceGuard, OptionQuery>;

	/// Realized profit each silo's pool paid out in its current withdrawal window (reset with
	/// the window).
	#[pallet::storage]
	pub type ProfitPaid<T: Config> = StorageMap<_, Twox64Concat, SiloId, Balance, ValueQuery>;

	/// Chain-wide emergency: every market ReduceOnly.
	#[pallet::storage]
	pub type Emergency<T> = StorageValue<_, bool, ValueQuery>;

	/// A runtime upgrade the guard holds back, if any; its code is [`DeferredCode`].
	#[pallet::storage]
	pub type Deferred<T: Config> =
		StorageValue<_, DeferredUpgrade<T::Hash, BlockNumberFor<T>>, OptionQuery>;

	/// The deferred upgrade's code. Unbounded as `system.setCode`'s argument is: the block's
	/// length bounds it, and only an upgrade that governance authorized (or Root's) puts it here.
	#[pallet::storage]
	#[pallet::unbounded]
	pub type DeferredCode<T: Config> = StorageValue<_, Vec<u8>, OptionQuery>;

	#[pallet::storage]
	pub type Params<T: Config> =
		StorageValue<_, BreakerParams<BlockNumberFor<T>>, ValueQuery, DefaultParams<T>>;

	/// Halted after 50 Stale blocks (5 min); a 20% band over 10 blocks, 50 blocks of cooldown;
	/// insurance floor 50% of target; 20% of the pool per 600 blocks (1 h); bad debt gates for
	/// 600 blocks; 20 clear blocks per recovery step; liquidation prices up to 30 blocks old;
	/// 10% of the pool per window paid out as realized profit.
	#[pallet::type_value]
	pub fn DefaultParams<T: Config>() -> BreakerParams<BlockNumberFor<T>> {
		BreakerParams {
			halt_after_stale: 50u32.into(),
			band_max_move: FixedU128::from_rational(20, 100),
			band_window: 10u32.into(),
			band_cooldown: 50u32.into(),
			insurance_floor: FixedU128::from_rational(50, 100),
			withdrawal_max_share: FixedU128::from_rational(20, 100),
			withdrawal_window: 600u32.into(),
			bad_debt_window: 600u32.into(),
			recovery_blocks: 20u32.into(),
			liquidation_max_price_age: 30u32.into(),
			profit_max_share: FixedU128::from_rational(10, 100),
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A market's automatic or manual breaker moved (`reason` says which and why).
		MarketBreaker {
			market: MarketId,
			from: MarketStatus,
			to: MarketStatus,
			reason: Reason,
		},
		/// A silo's withdrawal breaker moved.
		SiloWithdrawals {
			silo: SiloId,
			from: WithdrawalStatus,
			to: WithdrawalStatus,
			reason: Reason,
		},
		/// A silo's markets stopped or resumed taking new risk.
		SiloNewRisk {
			silo: SiloId,
			accepted: bool,
			reason: Reason,
		},
		EmergencyDeclared,
		EmergencyEnded,
		ParamsSet {
			params: BreakerParams<BlockNumberFor<T>>,
		},
		/// An aggregate liquidations do not act on yet: it moved beyond the band of the last
		/// aggregate and of the TWAP (`UnconfirmedMove`), or its round was wide (`WideRound`).
		/// They keep the prices they had until the next aggregate.
		PriceHeld {
			market: MarketId,
			price: FixedU128,
			reason: Reason,
		},
		/// The guard had held as many aggregates in a row as it may: this one is trusted,
		/// whatever it is, and liquidations act on it.
		HoldReleased {
			market: MarketId,
			price: FixedU128,
		},
		/// A second aggregate confirmed the held move: liquidations of longs act on `long`, of
		/// shorts on `short` (of the two aggregates, the one kinder to each side's owners).
		MoveConfirmed {
			market: MarketId,
			long: FixedU128,
			short: FixedU128,
		},
		MarketTracked {
			market: MarketId,
		},
		MarketUntracked {
			market: MarketId,
		},
		SiloTracked {
			silo: SiloId,
		},
		SiloUntracked {
			silo: SiloId,
		},
		/// A runtime upgrade was held back: its code waits until nothing blocks it.
		UpgradeDeferred {
			code_hash: T::Hash,
			blocker: UpgradeBlocker,
		},
		/// The deferred upgrade was applied (the new runtime runs from the next block): at the
		/// end of the first block that found nothing in its way, or at once by Root (`forced`).
		DeferredUpgradeApplied {
			code_hash: T::Hash,
			since: BlockNumberFor<T>,
			forced: bool,
		},
		/// The deferred upgrade was dropped: by a newer upgrade (`replaced`), by Root, or
		/// because its stored code was missing or changed when it came to be applied.
		DeferredUpgradeDropped {
			code_hash: T::Hash,
			replaced: bool,
		},
		/// Root set new code past the guard (it runs from the next block).
		UpgradeForced {
			code_hash: T::Hash,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The market is not watched by the breakers.
		UnknownMarket,
		/// The silo is not watched by the breakers.
		UnknownSilo,
		AlreadyTracked,
		TooManyMarkets,
		TooManySilos,
		/// A trip must raise a level (Normal is not a trip).
		NothingToTrip,
		/// A window, duration or age is zero or longer than a day of blocks, or the band window
		/// exceeds `MaxBandSamples`.
		BadWindow,
		/// A fraction is above 100% (or the band or withdrawal share is zero).
		BadFraction,
		/// No runtime upgrade is deferred.
		NoDeferredUpgrade,
		/// The deferred upgrade is not the code the caller named.
		DeferredUpgradeDiffers,
	}

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		pub markets: Vec<MarketId>,
		pub silos: Vec<SiloId>,
		/// `None` keeps the defaults.
		pub params: Option<BreakerParams<BlockNumberFor<T>>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(params) = self.params {
				Pallet::<T>::ensure_valid_params(&params)
					.expect("genesis breaker params are invalid");
				Params::<T>::put(params);
			}
			for market in &self.markets {
				Pallet::<T>::do_track_market(*market).expect("genesis markets are invalid");
			}
			for silo in &self.silos {
				Pallet::<T>::do_track_silo(*silo).expect("genesis silos are invalid");
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Re-evaluates every watched market and silo: trips, and steps down after recovery.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let params = Params::<T>::get();
			let markets: Vec<MarketId> = Markets::<T>::iter_keys().collect();
			for market in &markets {
				Self::evaluate_market(*market, now, &params);
			}
			let silos: Vec<SiloId> = Silos::<T>::iter_keys().collect();
			for silo in &silos {
				Self::evaluate_silo(*silo, now, &params);
			}
			// The block's end looks at a deferred upgrade (`on_finalize`): reserved here.
			T::WeightInfo::on_initialize(markets.len() as u32, silos.len() as u32)
				.saturating_add(Self::upgrade_pass_weight())
		}

		/// A deferred upgrade is applied if nothing holds it back now: after the block's
		/// liquidation pass and transactions, so a backlog the pass has just worked off no
		/// longer counts.
		fn on_finalize(now: BlockNumberFor<T>) {
			Self::upgrade_pass(now);
		}

		fn integrity_test() {
			assert!(T::MaxMarkets::get() > 0, "MaxMarkets must be positive");
			assert!(T::MaxSilos::get() > 0, "MaxSilos must be positive");
			Pallet::<T>::ensure_valid_params(&DefaultParams::<T>::get())
				.expect("default breaker params must be valid");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Raises a market's manual breaker to `level` at once.
		///
		/// Who: [`Config::TripOrigin`] (guardians, governance). Changes: the market's manual
		/// level, which stays until [`Self::lift_market`]. Refused if it would not raise it.
		#[pallet::call_index(0)]
		pub fn trip_market(
			origin: OriginFor<T>,
			market: MarketId,
			level: MarketStatus,
		) -> DispatchResult {
			T::TripOrigin::ensure_origin(origin)?;
			let mut state = Markets::<T>::get(market).ok_or(Error::<T>::UnknownMarket)?;
			ensure!(level > state.manual, Error::<T>::NothingToTrip);
			let from = state.manual;
			state.manual = level;
			Markets::<T>::insert(market, state);
			Self::deposit_event(Event::MarketBreaker {
				market,
				from,
				to: level,
				reason: Reason::Guardian,
			});
			Ok(())
		}

		/// Raises a silo's manual withdrawal breaker to `withdrawals` and, if `block_new_risk`,
		/// stops new risk in its markets, at once.
		///
		/// Who: [`Config::TripOrigin`]. Changes: the silo's manual levels, which stay until
		/// [`Self::lift_silo`]. Refused if nothing would be raised.
		#[pallet::call_index(1)]
		pub fn trip_silo(
			origin: OriginFor<T>,
			silo: SiloId,
			withdrawals: WithdrawalStatus,
			block_new_risk: bool,
		) -> DispatchResult {
			T::TripOrigin::ensure_origin(origin)?;
			let mut state = Silos::<T>::get(silo).ok_or(Error::<T>::UnknownSilo)?;
			let raises_withdrawals = withdrawals > state.manual_withdrawals;
			let raises_risk = block_new_risk && !state.manual_risk_blocked;
			ensure!(raises_withdrawals || raises_risk, Error::<T>::NothingToTrip);
			if raises_withdrawals {
				Self::deposit_event(Event::SiloWithdrawals {
					silo,
					from: state.manual_withdrawals,
					to: withdrawals,
					reason: Reason::Guardian,
				});
				state.manual_withdrawals = withdrawals;
			}
			if raises_risk {
				state.manual_risk_blocked = true;
				Self::deposit_event(Event::SiloNewRisk {
					silo,
					accepted: false,
					reason: Reason::Guardian,
				});
			}
			Silos::<T>::insert(silo, state);
			Ok(())
		}

		/// Puts every market in ReduceOnly until governance ends it.
		///
		/// Who: [`Config::TripOrigin`]. Changes: the emergency flag.
		#[pallet::call_index(2)]
		pub fn declare_emergency(origin: OriginFor<T>) -> DispatchResult {
			T::TripOrigin::ensure_origin(origin)?;
			ensure!(!Emergency::<T>::get(), Error::<T>::NothingToTrip);
			Emergency::<T>::put(true);
			Self::deposit_event(Event::EmergencyDeclared);
			Ok(())
		}

		/// Lifts a market's breakers early: the manual level, the automatic level and a band
		/// cooldown all go to Normal. A condition still present (a Stale oracle) trips again
		/// at the next block.
		///
		/// Who: [`Config::LiftOrigin`] (governance); never the guardians.
		#[pallet::call_index(3)]
		pub fn lift_market(origin: OriginFor<T>, market: MarketId) -> DispatchResult {
			T::LiftOrigin::ensure_origin(origin)?;
			let mut state = Markets::<T>::get(market).ok_or(Error::<T>::UnknownMarket)?;
			let from = state.automatic.max(state.manual);
			state.automatic = MarketStatus::Normal;
			state.manual = MarketStatus::Normal;
			state.band_until = None;
			state.clear_since = None;
			state.reason = Some(Reason::Lifted);
			Markets::<T>::insert(market, state);
			Self::deposit_event(Event::MarketBreaker {
				market,
				from,
				to: MarketStatus::Normal,
				reason: Reason::Lifted,
			});
			Ok(())
		}

		/// Lifts a silo's breakers early: withdrawals Normal, new risk accepted, the bad-debt
		/// gate and the withdrawal window reset. A live condition trips again at the next block.
		///
		/// Who: [`Config::LiftOrigin`] (governance); never the guardians.
		#[pallet::call_index(4)]
		pub fn lift_silo(origin: OriginFor<T>, silo: SiloId) -> DispatchResult {
			T::LiftOrigin::ensure_origin(origin)?;
			let state = Silos::<T>::get(silo).ok_or(Error::<T>::UnknownSilo)?;
			let now = frame_system::Pallet::<T>::block_number();
			let from = state.withdrawals.max(state.manual_withdrawals);
			Silos::<T>::insert(silo, Self::fresh_silo(silo, now));
			Self::deposit_event(Event::SiloWithdrawals {
				silo,
				from,
				to: WithdrawalStatus::Normal,
				reason: Reason::Lifted,
			});
			Self::deposit_event(Event::SiloNewRisk {
				silo,
				accepted: true,
				reason: Reason::Lifted,
			});
			Ok(())
		}

		/// Ends the chain-wide emergency.
		///
		/// Who: [`Config::LiftOrigin`] (governance); never the guardians.
		#[pallet::call_index(5)]
		pub fn end_emergency(origin: OriginFor<T>) -> DispatchResult {
			T::LiftOrigin::ensure_origin(origin)?;
			Emergency::<T>::put(false);
			Self::deposit_event(Event::EmergencyEnded);
			Ok(())
		}

		/// Sets the triggers' parameters.
		///
		/// Who: [`Config::AdminOrigin`]. Refused with nothing changed when out of bounds.
		#[pallet::call_index(6)]
		pub fn set_params(
			origin: OriginFor<T>,
			params: BreakerParams<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::ensure_valid_params(&params)?;
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}

		/// Starts watching a market. Who: [`Config::AdminOrigin`].
		#[pallet::call_index(7)]
		pub fn track_market(origin: OriginFor<T>, market: MarketId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_track_market(market)
		}

		/// Stops watching a market; its breakers are dropped. Who: [`Config::AdminOrigin`].
		#[pallet::call_index(8)]
		pub fn untrack_market(origin: OriginFor<T>, market: MarketId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(Markets::<T>::contains_key(market), Error::<T>::UnknownMarket);
			Markets::<T>::remove(market);
			PriceGuards::<T>::remove(market);
			Self::deposit_event(Event::MarketUntracked { market });
			Ok(())
		}

		/// Starts watching a silo. Who: [`Config::AdminOrigin`].
		#[pallet::call_index(9)]
		pub fn track_silo(origin: OriginFor<T>, silo: SiloId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_track_silo(silo)
		}

		/// Stops watching a silo; its breakers are dropped. Who: [`Config::AdminOrigin`].
		#[pallet::call_index(10)]
		pub fn untrack_silo(origin: OriginFor<T>, silo: SiloId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(Silos::<T>::contains_key(silo), Error::<T>::UnknownSilo);
			Silos::<T>::remove(silo);
			ProfitPaid::<T>::remove(silo);
			Self::deposit_event(Event::SiloUntracked { silo });
			Ok(())
		}

		/// Applies the deferred runtime upgrade now, whatever holds it back (the new runtime
		/// runs from the next block).
		///
		/// Who: [`Config::UpgradeOrigin`] (Root). Changes: the runtime code; the deferred
		/// upgrade is gone ([`Event::DeferredUpgradeApplied`] with `forced`). Refused if none is
		/// deferred or it is not `code_hash` (a newer upgrade replaced what was voted on).
		#[pallet::call_index(11)]
		#[pallet::weight((Pallet::<T>::apply_weight(), DispatchClass::Operational))]
		pub fn apply_deferred_upgrade(origin: OriginFor<T>, code_hash: T::Hash) -> DispatchResult {
			T::UpgradeOrigin::ensure_origin(origin)?;
			let deferred = Deferred::<T>::get().ok_or(Error::<T>::NoDeferredUpgrade)?;
			ensure!(deferred.code_hash == code_hash, Error::<T>::DeferredUpgradeDiffers);
			Self::apply_deferred(true);
			Ok(())
		}

		/// Drops the deferred runtime upgrade (to upgrade later, it must be authorized or set
		/// again).
		///
		/// Who: [`Config::UpgradeOrigin`] (Root). Changes: the deferred upgrade and its code
		/// are gone ([`Event::DeferredUpgradeDropped`]). Refused if none is deferred.
		#[pallet::call_index(12)]
		#[pallet::weight(T::DbWeight::get().reads_writes(1, 2))]
		pub fn cancel_deferred_upgrade(origin: OriginFor<T>) -> DispatchResult {
			T::UpgradeOrigin::ensure_origin(origin)?;
			ensure!(Self::drop_deferred(false), Error::<T>::NoDeferredUpgrade);
			Ok(())
		}

		/// Sets new runtime code at once, past the guard: the fix an emergency waits for, in
		/// one referendum. Checked as `system.setCode` checks it (same spec name, a higher
		/// spec version); a deferred upgrade is dropped.
		///
		/// Who: [`Config::UpgradeOrigin`] (Root). Changes: the runtime code (it runs from the
		/// next block; [`Event::UpgradeForced`]).
		#[pallet::call_index(13)]
		#[pallet::weight((Pallet::<T>::apply_weight(), DispatchClass::Operational))]
		pub fn force_set_code(origin: OriginFor<T>, code: Vec<u8>) -> DispatchResult {
			T::UpgradeOrigin::ensure_origin(origin)?;
			frame_system::Pallet::<T>::can_set_code(&code, true).into_result()?;
			Self::drop_deferred(true);
			frame_system::Pallet::<T>::update_code_in_storage(&code);
			let code_hash = <T::Hashing as sp_runtime::traits::Hash>::hash(&code);
			Self::deposit_event(Event::UpgradeForced { code_hash });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The breakers' invariants:
	/// - at most `MaxMarkets` markets and `MaxSilos` silos are watched;
	/// - the counters of [`Markets`] and [`Silos`] equal their numbers of entries;
	/// - the stored [`Params`] are within the bounds [`Pallet::set_params`] enforces;
	/// - each market's band samples are in block order;
	/// - a market whose automatic level is Normal counts no recovery (no `clear_since`);
	/// - no silo's automatic withdrawal level is Frozen: Frozen is the guardian's alone.
	/// - a deferred upgrade's code is stored and hashes to its `code_hash`; no code is stored
	///   without one.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		ensure!(Markets::<T>::count() <= T::MaxMarkets::get(), "more markets than MaxMarkets");
		ensure!(Silos::<T>::count() <= T::MaxSilos::get(), "more silos than MaxSilos");
		ensure!(
			Markets::<T>::iter_keys().count() as u32 == Markets::<T>::count(),
			"market counter differs"
		);
		ensure!(
			Silos::<T>::iter_keys().count() as u32 == Silos::<T>::count(),
			"silo counter differs"
		);
		Self::ensure_valid_params(&Params::<T>::get())
			.map_err(|_| "stored params out of bounds")?;
		for (_, state) in Markets::<T>::iter() {
			ensure!(
				state.samples.windows(2).all(|pair| pair[0].0 <= pair[1].0),
				"band samples out of order"
			);
			ensure!(
				state.automatic != MarketStatus::Normal || state.clear_since.is_none(),
				"a Normal breaker counting recovery"
			);
		}
		for (market, guard) in PriceGuards::<T>::iter() {
			ensure!(Markets::<T>::contains_key(market), "a price guard of an unwatched market");
			ensure!(guard.short <= guard.long, "a guard's short price above its long price");
			ensure!(
				guard.pending.is_some() || (guard.short..=guard.long).contains(&guard.reference),
				"a settled guard's reference outside its prices"
			);
			ensure!(
				guard.held <= crate::math::MAX_HELD_AGGREGATES
					&& (guard.held == 0) == guard.pending.is_none(),
				"a guard's held count disagrees with what it holds"
			);
		}
		for silo in ProfitPaid::<T>::iter_keys() {
			ensure!(Silos::<T>::contains_key(silo), "profit paid recorded for an unwatched silo");
		}
		for (_, state) in Silos::<T>::iter() {
			ensure!(
				state.withdrawals != WithdrawalStatus::Frozen,
				"automatic triggers never freeze: Frozen is the guardian's"
			);
		}
		match Deferred::<T>::get() {
			Some(deferred) => ensure!(
				DeferredCode::<T>::get().is_some_and(|code| {
					<T::Hashing as sp_runtime::traits::Hash>::hash(&code) == deferred.code_hash
				}),
				"a deferred upgrade whose code is missing or differs from its hash"
			),
			None => ensure!(!DeferredCode::<T>::exists(), "deferred code without an upgrade"),
		}
		Ok(())
	}
}
