//! # Collateral silos
//!
//! Isolated vaults. A silo holds one collateral asset (a pallet-assets asset, through the
//! `fungibles` traits) in an account of its own, derived from the pallet id and the silo id, and
//! keeps the books of whose it is: traders' free and locked margin, the LP pool that is the
//! counterparty to the silo's markets, the silo's insurance fund, and withdrawals waiting in the
//! silo's rate-limit queue.
//!
//! A loss in one silo is paid inside that silo or not at all: every operation names exactly one
//! silo, so no code path can move value between silos.
//!
//! - Governance ([`Config::AdminOrigin`]) creates silos and sets their parameters.
//! - Traders deposit and withdraw margin; the margin engine locks and releases it and settles
//!   PnL, fees and liquidations through [`SiloLedger`](bulwark_primitives::SiloLedger).
//! - A winner's profit is never lost: what the pool cannot pay when a position closes becomes
//!   the trader's claim, paid oldest first from the pool at the start of later blocks, before
//!   any LP may take anything out.
//! - LPs add liquidity for shares priced at the pool less the claims and what the winning
//!   market sides are owed, plus what the losing sides' margin can pay ([`Config::Marks`]), with a
//!   minimum of shares they accept. They leave in two steps: a request, whose shares keep bearing
//!   the pool's gains and losses for `lp_cooldown` blocks, then a claim paid at the lower of the
//!   shares' value then and at the request (unrealized losses count for nothing), and only from
//!   what the pool holds beyond the claims and the reserve (what the winners could be owed after
//!   `reserve_move`). Every silo has [`LOCKED_SHARES`] that nobody owns.
//! - Withdrawals obey the breakers ([`Config::Status`]): Normal pays at once; RateLimited pays
//!   at most a share of the pool per window and queues the rest, paid in order at the start of
//!   later blocks (a request is not split into a part smaller than the silo's minimum amount
//!   while a whole window allows at least that); Frozen pays nothing.
//!
//! ## Where each rule lives
//!
//! - `lib.rs`: configuration, storage, events, errors, genesis, hooks, the calls (origin checks
//!   only) and `do_try_state`, the invariants every silo keeps.
//! - `silos.rs`: a silo's account, looking it up, the bounds on its parameters, creating it and
//!   replacing its parameters.
//! - `deposits.rs`: what comes in: the asset, minimum and cap checks, margin deposits, insurance
//!   funding, sweeping a surplus.
//! - `liquidity.rs`: LP shares minted, withdrawal requests, their claims and cancellations.
//! - `claims.rs`: traders' claims on the pool: recorded in order, paid in order.
//! - `tripwire.rs`: the per-block check of every silo's books against its account and its pool
//!   against its reserve, which trips the silo's own breakers on a mismatch.
//! - `withdrawals.rs`: what leaves: margin withdrawals, the breakers' withdrawal status, the
//!   rate-limit window, the queue and its per-block pay-out.
//! - `ledger.rs`: `SiloLedger` for the margin engine (margin, PnL, fees, liquidations, the loss
//!   waterfall) and `SiloHealth` for the breakers.
//! - `math.rs`: the pure arithmetic (share prices, the fee split, the window allowance).
//! - `types.rs`: a silo, its parameters and books, margin accounts, queue entries, the window.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod math;
pub mod migrations;
pub mod types;
pub mod weights;

mod claims;
mod deposits;
mod ledger;
mod liquidity;
mod silos;
mod tripwire;
mod withdrawals;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use bulwark_primitives::{Balance, OnSiloEvent, PositionMarks, SiloId, TradingStatus};
use frame_support::{
	pallet_prelude::*,
	traits::fungibles::{Inspect, Mutate},
	PalletId,
};
use frame_system::pallet_prelude::*;

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
		/// Identifier of a collateral asset.
		type AssetId: Parameter + Member + Copy + MaxEncodedLen + MaybeSerializeDeserialize;
		/// The collateral assets.
		type Assets: Mutate<Self::AccountId, AssetId = Self::AssetId, Balance = Balance>;
		/// Creates silos and sets their parameters (governance).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Derives each silo's account.
		#[pallet::constant]
		type PalletId: Get<PalletId>;
		/// How many silos may exist.
		#[pallet::constant]
		type MaxSilos: Get<u32>;
		/// How many withdrawals may wait in one silo's queue.
		#[pallet::constant]
		type MaxQueuedWithdrawals: Get<u32>;
		/// How many queued withdrawals are paid per block in each silo. Per silo, so that one
		/// silo's queue can never hold up another's.
		#[pallet::constant]
		type MaxPayoutsPerSilo: Get<u32>;
		/// The breakers' withdrawal status of each silo.
		type Status: TradingStatus;
		/// What each silo's open positions are worth against its pool.
		type Marks: PositionMarks;
		/// Told of every payout and every bad debt (the breakers).
		type OnSiloEvent: OnSiloEvent;
		type WeightInfo: WeightInfo;
		/// Sets up benchmarks: an asset to hold and a way to rate-limit a silo.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchHelper: benchmarking::BenchmarkHelper<Self::AssetId, Self::AccountId>;
	}

	/// Every silo, by id.
	#[pallet::storage]
	pub type Silos<T: Config> =
		StorageMap<_, Twox64Concat, SiloId, Silo<T::AssetId, BlockNumberFor<T>>, OptionQuery>;

	/// The id the next silo gets.
	#[pallet::storage]
	pub type NextSiloId<T> = StorageValue<_, SiloId, ValueQuery>;

	/// Traders' margin, per silo.
	#[pallet::storage]
	pub type Margin<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SiloId,
		Blake2_128Concat,
		T::AccountId,
		MarginAccount,
		ValueQuery,
	>;

	/// LPs' shares of each silo's pool.
	#[pallet::storage]
	pub type LpShares<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SiloId,
		Blake2_128Concat,
		T::AccountId,
		Balance,
		ValueQuery,
	>;

	/// Withdrawals waiting for room in each rate-limited silo, oldest first.
	#[pallet::storage]
	pub type WithdrawalQueue<T: Config> = StorageMap<
		_,
		Twox64Concat,
		SiloId,
		BoundedVec<QueuedWithdrawal<T::AccountId>, T::MaxQueuedWithdrawals>,
		ValueQuery,
	>;

	/// Silos whose queue is not empty: the only ones the per-block payout looks at.
	#[pallet::storage]
	pub type SilosWithQueue<T: Config> =
		StorageValue<_, BoundedVec<SiloId, T::MaxSilos>, ValueQuery>;

	/// Traders' claims on each silo's pool, numbered in the order they arose.
	#[pallet::storage]
	pub type ProfitClaims<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SiloId,
		Twox64Concat,
		u64,
		ProfitClaim<T::AccountId>,
		OptionQuery,
	>;

	/// Which of each silo's claims are unpaid: `head..next`.
	#[pallet::storage]
	pub type ClaimCursors<T: Config> = StorageMap<_, Twox64Concat, SiloId, ClaimCursor, ValueQuery>;

	/// Traders' profit held back at prices the breakers flagged, per silo: owed at most this
	/// much once the prices have held (the margin engine judges each and releases it), counted
	/// with the claims as the pool's debt meanwhile. Part of the silo's books, kept apart from
	/// [`SiloBooks`] so that their layout (and every stored silo) stays as it is.
	#[pallet::storage]
	pub type HeldProfit<T: Config> = StorageMap<_, Twox64Concat, SiloId, Balance, ValueQuery>;

	/// LPs' withdrawal requests waiting for their cooldown, one per LP and silo.
	#[pallet::storage]
	pub type LpWithdrawals<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SiloId,
		Blake2_128Concat,
		T::AccountId,
		LpWithdrawal<BlockNumberFor<T>>,
		OptionQuery,
	>;

	/// Silos whose books were found to differ from their account (their breakers tripped).
	#[pallet::storage]
	pub type BooksMismatched<T: Config> = StorageMap<_, Twox64Concat, SiloId, (), OptionQuery>;

	/// Silos whose pool held less than their claims and reserve at the end of the last block
	/// (the breakers were told).
	#[pallet::storage]
	pub type ReserveShort<T: Config> = StorageMap<_, Twox64Concat, SiloId, (), OptionQuery>;

	/// Silos winding down or closed ([`crate::Pallet::wind_down`]).
	#[pallet::storage]
	pub type Ends<T: Config> =
		StorageMap<_, Twox64Concat, SiloId, SiloEnd<BlockNumberFor<T>>, OptionQuery>;

	/// What left each silo in its current rate-limit window.
	#[pallet::storage]
	pub type RateWindows<T: Config> =
		StorageMap<_, Twox64Concat, SiloId, RateWindow<BlockNumberFor<T>>, ValueQuery>;

	/// Silos that exist from genesis: (collateral asset, parameters), ids from 0 in order.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		pub silos: alloc::vec::Vec<(T::AssetId, SiloParams<BlockNumberFor<T>>)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (asset, params) in &self.silos {
				assert!(T::Assets::asset_exists(*asset), "genesis silo asset must exist");
				assert!(
					Pallet::<T>::ensure_valid_params(*asset, params).is_ok(),
					"genesis silo parameters must be valid"
				);
				let silo = NextSiloId::<T>::get();
				assert!(silo < T::MaxSilos::get(), "more genesis silos than MaxSilos");
				Silos::<T>::insert(
					silo,
					Silo { asset: *asset, params: params.clone(), books: SiloBooks::new() },
				);
				NextSiloId::<T>::put(silo.saturating_add(1));
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The silo winds down: its insurance fund (`insurance_to_pool`) joined the pool, which
		/// its LPs now leave pro rata without a cooldown; nothing new comes in.
		SiloWindingDown {
			silo: SiloId,
			insurance_to_pool: Balance,
		},
		/// The wound-down silo is empty and closed; `dust` is what the locked shares hold.
		SiloClosed {
			silo: SiloId,
			dust: Balance,
		},
		SiloCreated {
			silo: SiloId,
			asset: T::AssetId,
			account: T::AccountId,
		},
		SiloParamsSet {
			silo: SiloId,
		},
		MarginDeposited {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
		},
		/// `amount` left the trader's free margin: `paid` now, the rest queued.
		MarginWithdrawn {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
			paid: Balance,
		},
		InsuranceFunded {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
		},
		LiquidityAdded {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
			shares: Balance,
		},
		/// An LP asked to leave: `shares` wait until `ready_at`, worth `value` now.
		LiquidityWithdrawalRequested {
			silo: SiloId,
			who: T::AccountId,
			shares: Balance,
			value: Balance,
			ready_at: BlockNumberFor<T>,
		},
		/// The request's shares went back to the LP.
		LiquidityWithdrawalCancelled {
			silo: SiloId,
			who: T::AccountId,
			shares: Balance,
		},
		/// `shares` burnt for `amount`: `paid` now, the rest queued; `shares_left` still wait
		/// for room above the reserve.
		LiquidityRemoved {
			silo: SiloId,
			who: T::AccountId,
			shares: Balance,
			amount: Balance,
			paid: Balance,
			shares_left: Balance,
		},
		WithdrawalQueued {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
		},
		QueuedWithdrawalPaid {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
		},
		/// A queued payout could not be delivered (e.g. below the asset's minimum balance for a
		/// new account): it went back to the owner's free margin.
		QueuedWithdrawalReturned {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
		},
		/// A trader's profit: `paid` into free margin now, `claimed` recorded as their claim.
		ProfitRealized {
			silo: SiloId,
			who: T::AccountId,
			paid: Balance,
			claimed: Balance,
		},
		/// The pool could not pay a trader's profit in full: `amount` is owed to them as claim
		/// number `claim`, paid in order before any LP withdrawal.
		ProfitClaimed {
			silo: SiloId,
			who: T::AccountId,
			claim: u64,
			amount: Balance,
		},
		/// Profit of `who`'s close at a flagged price held back: at most `amount`, judged once
		/// the price has held.
		ProfitHeld {
			silo: SiloId,
			who: T::AccountId,
			amount: Balance,
		},
		/// A held profit was judged: `paid` of `held` realized as profit (see `ProfitRealized`
		/// for what the pool paid at once), the rest stays the pool's.
		HeldProfitReleased {
			silo: SiloId,
			who: T::AccountId,
			held: Balance,
			paid: Balance,
		},
		/// `amount` of claim number `claim` paid into the trader's free margin, of which
		/// `from_insurance` by the insurance fund (the pool had nothing left).
		ClaimPaid {
			silo: SiloId,
			who: T::AccountId,
			claim: u64,
			amount: Balance,
			from_insurance: Balance,
		},
		/// The silo's account holds less than its books say: its breakers were tripped
		/// (withdrawals frozen, no new risk) until governance lifts them.
		BooksMismatch {
			silo: SiloId,
			held: Balance,
			books: Balance,
		},
		LossRealized {
			silo: SiloId,
			who: T::AccountId,
			from_margin: Balance,
			from_insurance: Balance,
			socialized: Balance,
		},
		/// A debt no trader's margin pays any more went down the waterfall.
		BadDebtCovered {
			silo: SiloId,
			from_insurance: Balance,
			socialized: Balance,
		},
		/// The silo's LPs absorbed a loss the trader's margin and the insurance fund could not.
		LossSocialized {
			silo: SiloId,
			amount: Balance,
		},
		FeeCharged {
			silo: SiloId,
			who: T::AccountId,
			to_pool: Balance,
			to_insurance: Balance,
		},
		LiquidationPaid {
			silo: SiloId,
			who: T::AccountId,
			keeper: T::AccountId,
			penalty: Balance,
			reward: Balance,
		},
		/// Assets sent straight to the silo's account (outside its books) moved to its
		/// insurance fund.
		SurplusSwept {
			silo: SiloId,
			amount: Balance,
		},
		/// The last payment out of a wound-down silo emptied its account: `who` also received
		/// what it would have kept below the asset's minimum balance, `from_pool` (the LPs'
		/// rounding, owned by no share left) and `surplus` (sent to the account, not swept).
		DustPaidOut {
			silo: SiloId,
			who: T::AccountId,
			from_pool: Balance,
			surplus: Balance,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No silo has this id.
		UnknownSilo,
		/// The asset does not exist.
		UnknownAsset,
		/// The asset is not this silo's collateral.
		WrongAsset,
		/// `MaxSilos` silos exist already.
		TooManySilos,
		/// Parameters out of bounds: a zero window, limit or minimum, a cooldown beyond a day, a
		/// per-account cap above the total cap, or a minimum below the asset's own minimum
		/// balance.
		InvalidParams,
		/// Below the silo's minimum amount.
		AmountBelowMinimum,
		/// More than the trader's free margin.
		InsufficientFreeMargin,
		/// More than the trader's locked margin.
		InsufficientLockedMargin,
		/// The silo's deposit cap would be exceeded.
		TotalCapExceeded,
		/// The trader's deposit cap would be exceeded.
		AccountCapExceeded,
		/// The silo's withdrawals are frozen.
		WithdrawalsFrozen,
		/// The silo's withdrawal queue is full.
		WithdrawalQueueFull,
		/// More shares than the LP holds.
		InsufficientShares,
		/// The amount buys or is worth no share or no unit.
		ZeroShares,
		/// The pool has shares but no value: no share price exists.
		PoolInsolvent,
		/// The operation would overflow a balance.
		Overflow,
		/// The silo's account holds no more than its books say.
		NoSurplus,
		/// Fewer shares, or a smaller amount, than the caller's limit.
		BelowCallerLimit,
		/// No withdrawal request of the caller's in this silo.
		NoWithdrawalRequest,
		/// The request's cooldown has not ended.
		CooldownNotOver,
		/// The request's claim window (as long as its cooldown) is over: cancel and ask again.
		RequestExpired,
		/// The pool holds no more than its claims and reserve: the request waits.
		ReserveRequired,
		/// A market still trades against the silo's pool (settle it first), or margin is locked
		/// in it.
		MarketsOpen,
		/// The silo is winding down or closed: nothing new comes in.
		SiloEnding,
		/// The silo is not winding down.
		NotWindingDown,
		/// Margin, claims, queued payments or LP shares remain in the silo.
		SiloNotEmpty,
		/// A release of more profit than the silo holds back.
		HeldProfitShort,
		/// The payment would leave the wound-down silo's account less than the asset's minimum
		/// balance while others are still owed it: they leave first (the last one out takes
		/// what is left).
		LeavesDustBehind,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// First pays traders' claims, oldest first, as far as each silo's pool goes; then
		/// queued withdrawals, oldest first, as each silo's status and window allow. At most
		/// `MaxPayoutsPerSilo` of each per silo, so the work is bounded by
		/// `MaxSilos * MaxPayoutsPerSilo` of each. Also reserves the weight of `on_finalize`.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let existing = NextSiloId::<T>::get();
			let mut most_claims = 0u32;
			for silo in 0..existing {
				most_claims = most_claims.max(Self::pay_claims(silo, T::MaxPayoutsPerSilo::get()));
			}
			// Per silo that paid claims: the breakers' allowance read and their notice.
			let claims_weight = T::WeightInfo::pay_claims(existing, most_claims).saturating_add(
				T::OnSiloEvent::max_weight().saturating_mul(2).saturating_mul(existing.into()),
			);
			// Per silo: its marks and up to two notices to the breakers.
			let checks_weight = T::WeightInfo::check_books(existing).saturating_add(
				T::Marks::marks_weight()
					.saturating_add(T::OnSiloEvent::max_weight().saturating_mul(2))
					.saturating_mul(existing.into()),
			);
			let silos = SilosWithQueue::<T>::get();
			// The benchmark has every one of `s` silos make `p` payouts; charging the busiest
			// silo's count for all of them can only overestimate.
			let mut most_payouts = 0u32;
			for silo in silos.iter() {
				let done = Self::pay_queue(*silo, now, T::MaxPayoutsPerSilo::get());
				most_payouts = most_payouts.max(done);
			}
			// Every payout also tells `OnSiloEvent`.
			let payouts = (silos.len() as u64).saturating_mul(u64::from(most_payouts));
			T::WeightInfo::pay_queued(silos.len() as u32, most_payouts)
				.saturating_add(T::OnSiloEvent::max_weight().saturating_mul(payouts))
				.saturating_add(claims_weight)
				.saturating_add(checks_weight)
		}

		/// The tripwire ([`Pallet::check_books`]): every silo's account against its books, its
		/// pool against its claims and reserve, after everything else in the block.
		fn on_finalize(_: BlockNumberFor<T>) {
			for silo in 0..NextSiloId::<T>::get() {
				Self::check_books(silo);
			}
		}

		fn integrity_test() {
			assert!(T::MaxSilos::get() > 0, "MaxSilos must be positive");
			assert!(T::MaxQueuedWithdrawals::get() > 0, "MaxQueuedWithdrawals must be positive");
			assert!(T::MaxPayoutsPerSilo::get() > 0, "MaxPayoutsPerSilo must be positive");
			// An AccountId too short for `modl` + pallet id + silo id would give every silo the
			// same account, and the books of one silo would hold another's assets.
			assert!(
				Self::account_of(0) != Self::account_of(1)
					&& Self::account_of(1)
						!= Self::account_of(T::MaxSilos::get().saturating_sub(1))
					|| T::MaxSilos::get() <= 2,
				"each silo needs an account of its own: AccountId is too short"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Creates a silo for `asset` with `params`.
		///
		/// Origin: [`Config::AdminOrigin`]. Creates the silo's books (all zero) and its account
		/// id; the account needs no deposit because the asset is held there.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_silo())]
		pub fn create_silo(
			origin: OriginFor<T>,
			asset: T::AssetId,
			params: SiloParams<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_create_silo(asset, params)
		}

		/// Replaces a silo's parameters.
		///
		/// Origin: [`Config::AdminOrigin`]. Changes only the parameters: balances already above
		/// a lowered cap stay, but cannot grow.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_silo_params())]
		pub fn set_silo_params(
			origin: OriginFor<T>,
			silo: SiloId,
			params: SiloParams<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_silo_params(silo, params)
		}

		/// Moves `amount` of the silo's collateral `asset` from the caller into the silo, as
		/// free margin.
		///
		/// Origin: signed (any trader). `asset` must be the silo's: it guards against a
		/// mistyped silo id. Changes the caller's asset balance, their margin and the silo's
		/// books.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::deposit_margin())]
		pub fn deposit_margin(
			origin: OriginFor<T>,
			silo: SiloId,
			asset: T::AssetId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deposit_margin(who, silo, asset, amount)
		}

		/// Withdraws `amount` of the caller's free margin.
		///
		/// Origin: signed (the trader). Locked margin and unrealized profit are never
		/// withdrawable. At least the silo's `min_amount`, but in a wound-down silo all of the
		/// caller's free margin may leave (nothing can come in to lift it over the minimum).
		/// Normal: paid at once. RateLimited: queued whole behind earlier requests if any wait;
		/// else paid up to what the window still allows and the rest queued, but a part
		/// smaller than `min_amount` is not paid (all of it queues for the next window) unless
		/// a whole window allows less than that. Queued amounts are paid in order at the start
		/// of later blocks ([`Event::QueuedWithdrawalPaid`]). A wound-down silo is not rate
		/// limited. Frozen: refused. The last one out of a wound-down silo also takes its
		/// account's dust (see [`Event::DustPaidOut`]).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_margin().saturating_add(T::OnSiloEvent::max_weight()))]
		pub fn withdraw_margin(
			origin: OriginFor<T>,
			silo: SiloId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_margin(who, silo, amount)
		}

		/// Adds `amount` to the silo's pool for newly minted shares, at least `min_shares`.
		///
		/// Origin: signed (any LP). Shares are priced at the pool less the traders' claims and
		/// what the winning market sides are owed, plus what the losing sides' margin can pay
		/// (against the depositor), rounded down. Refused while the pool owes more than it has
		/// and can collect (`PoolInsolvent`). Changes the caller's asset balance and shares, the
		/// pool and the shares outstanding.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::add_liquidity().saturating_add(T::Marks::marks_weight()))]
		pub fn add_liquidity(
			origin: OriginFor<T>,
			silo: SiloId,
			asset: T::AssetId,
			amount: Balance,
			min_shares: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_add_liquidity(who, silo, asset, amount, min_shares)
		}

		/// Asks to take `shares` out of the pool after the silo's `lp_cooldown`.
		///
		/// Origin: signed (the LP). The shares leave the caller's balance into their request
		/// (one per LP and silo: a second request adds to it and restarts its cooldown) and
		/// keep bearing the pool's gains and losses. Records what they are worth now, at the
		/// withdrawal price (the pool less claims and winners' profit, unrealized losses not
		/// counted), which caps what the claim will pay.
		#[pallet::call_index(5)]
		#[pallet::weight(
			T::WeightInfo::request_liquidity_withdrawal().saturating_add(T::Marks::marks_weight())
		)]
		pub fn request_liquidity_withdrawal(
			origin: OriginFor<T>,
			silo: SiloId,
			shares: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_withdrawal(who, silo, shares)
		}

		/// Gives back the shares of the caller's withdrawal request.
		///
		/// Origin: signed (the LP). Removes the request.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::cancel_liquidity_withdrawal())]
		pub fn cancel_liquidity_withdrawal(origin: OriginFor<T>, silo: SiloId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_withdrawal(who, silo)
		}

		/// Pays the caller's withdrawal request once its cooldown is over and before its claim
		/// window (as long as the cooldown, at least a block) ends, at least `min_amount`.
		///
		/// Origin: signed (the LP). Pays the lower of the shares' value now and at the request,
		/// and only what the pool holds beyond the traders' claims and its reserve; the shares
		/// of what could not be paid stay in the request. Burns the shares paid for (rounded
		/// up), then leaves the silo as [`Self::withdraw_margin`] does for the breaker status.
		#[pallet::call_index(9)]
		#[pallet::weight(
			T::WeightInfo::claim_liquidity_withdrawal()
				.saturating_add(T::Marks::marks_weight())
				.saturating_add(T::OnSiloEvent::max_weight())
		)]
		pub fn claim_liquidity_withdrawal(
			origin: OriginFor<T>,
			silo: SiloId,
			min_amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim_withdrawal(who, silo, min_amount)
		}

		/// Gives `amount` to the silo's insurance fund. Nothing is returned for it.
		///
		/// Origin: signed (anyone: the treasury, a market maker, a well-wisher).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::fund_insurance())]
		pub fn fund_insurance(
			origin: OriginFor<T>,
			silo: SiloId,
			asset: T::AssetId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_fund_insurance(who, silo, asset, amount)
		}

		/// Books what was sent straight to the silo's account, outside any call of this
		/// pallet, into the silo's insurance fund, so the books again match the account.
		///
		/// Origin: [`Config::AdminOrigin`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::sweep_surplus())]
		pub fn sweep_surplus(origin: OriginFor<T>, silo: SiloId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_sweep_surplus(silo)
		}

		/// Winds `silo` down once no market trades against its pool (the margin engine settled
		/// them all) and no margin is locked in it.
		///
		/// Origin: [`Config::AdminOrigin`]. Moves the insurance fund into the pool (there is no
		/// loss left for it to cover: its LPs bore the risk it backed), so the LPs share both pro
		/// rata; from then on no deposit, liquidity or insurance comes in and no margin is locked,
		/// an LP's withdrawal request is ready at once (claims are still paid first), and traders
		/// withdraw their free margin as before (and all of it, even below the minimum).
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::wind_down().saturating_add(T::Marks::marks_weight()))]
		pub fn wind_down(origin: OriginFor<T>, silo: SiloId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_wind_down(silo)
		}

		/// Closes a wound-down silo that is empty: no trader margin, claims, queued payments,
		/// withdrawal requests or LP shares but the locked ones.
		///
		/// Origin: signed (anyone). Marks the silo closed; what its locked shares hold (the
		/// pool's dust, unless the last one out took it with the rest of the account) stays in
		/// its account.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::close_silo())]
		pub fn close_silo(origin: OriginFor<T>, silo: SiloId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_close_silo(silo)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The solvency invariants of every silo:
	/// - the silo's account holds at least its books (`SiloBooks::held`; more: sent to it);
	/// - traders' free margins add up to the books' `trader_free` and their locked margins to
	///   `trader_locked`, without overflow;
	/// - LPs' shares, the shares in withdrawal requests (which add up to `pending_shares`) and
	///   the [`LOCKED_SHARES`] add up to the books' `total_shares`;
	/// - every holder's shares (LPs' and requests'), at the withdrawal price, are worth no more
	///   together than the pool's value;
	/// - the claims `head..next` exist, none is empty, none outside exists, and they add up to
	///   the books' `claims`;
	/// - the pool holds its claims and reserve, or the tripwire found it short at the end of the
	///   block and told the breakers ([`ReserveShort`]);
	/// - no entry in the silo's withdrawal queue is empty, and the entries add up to the books'
	///   `queued`, without overflow;
	/// - the payout index ([`SilosWithQueue`]) lists the silo exactly when its queue is not
	///   empty;
	/// - a silo that winds down or is closed exists, has no locked margin and no insurance fund
	///   (it joined the pool); a closed one holds nothing but its locked shares' pool.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use sp_runtime::traits::Zero;

		for (silo, end) in Ends::<T>::iter() {
			let books = Silos::<T>::get(silo).ok_or("an unknown silo is ending")?.books;
			ensure!(books.trader_locked.is_zero(), "margin locked in an ending silo");
			ensure!(books.insurance.is_zero(), "an insurance fund in an ending silo");
			if matches!(end, SiloEnd::Closed { .. }) {
				ensure!(
					books.trader_free.is_zero()
						&& books.claims.is_zero()
						&& HeldProfit::<T>::get(silo).is_zero()
						&& books.queued.is_zero()
						&& books.total_shares == LOCKED_SHARES,
					"a closed silo is not empty"
				);
			}
		}
		for (silo, _) in HeldProfit::<T>::iter() {
			ensure!(Silos::<T>::contains_key(silo), "held profit in an unknown silo");
		}
		for (silo, state) in Silos::<T>::iter() {
			let books = &state.books;
			let held = T::Assets::balance(state.asset, &Self::account_of(silo));
			ensure!(held >= books.held(), "silo account holds less than its books say");
			let (mut free, mut locked) = (0u128, 0u128);
			for (_, account) in Margin::<T>::iter_prefix(silo) {
				free = free.checked_add(account.free).ok_or("trader free margin overflows")?;
				locked =
					locked.checked_add(account.locked).ok_or("trader locked margin overflows")?;
			}
			ensure!(free == books.trader_free, "traders' free margin differs from books");
			ensure!(locked == books.trader_locked, "traders' locked margin differs from books");
			let marks = T::Marks::marks(silo, state.params.reserve_move);
			let owed = Self::owed(silo, books);
			let value = math::pool_value_for_withdrawal(books.pool, owed, &marks);
			let worth_of = |held| {
				math::amount_for_shares(held, books.total_shares, value).unwrap_or(Balance::MAX)
			};
			let mut worth = 0u128;
			let mut shares = LOCKED_SHARES;
			for (_, held) in LpShares::<T>::iter_prefix(silo) {
				shares = shares.checked_add(held).ok_or("LP shares overflow")?;
				worth = worth.saturating_add(worth_of(held));
			}
			let mut pending = 0u128;
			for (_, request) in LpWithdrawals::<T>::iter_prefix(silo) {
				ensure!(!request.shares.is_zero(), "empty withdrawal request");
				pending = pending.checked_add(request.shares).ok_or("requests overflow")?;
				worth = worth.saturating_add(worth_of(request.shares));
			}
			ensure!(worth <= value, "shares worth more than the pool");
			ensure!(pending == books.pending_shares, "requested shares differ from books");
			ensure!(
				shares.checked_add(pending) == Some(books.total_shares),
				"LP shares, requests and locked shares differ from the total"
			);
			let cursor = ClaimCursors::<T>::get(silo);
			let mut claims = 0u128;
			let mut count = 0u64;
			for (number, claim) in ProfitClaims::<T>::iter_prefix(silo) {
				ensure!(
					number >= cursor.head && number < cursor.next,
					"a claim outside the unpaid range"
				);
				ensure!(!claim.amount.is_zero(), "an empty claim");
				claims = claims.checked_add(claim.amount).ok_or("claims overflow")?;
				count += 1;
			}
			ensure!(count == cursor.next - cursor.head, "a claim of the unpaid range is missing");
			ensure!(claims == books.claims, "claims differ from the books");
			ensure!(
				books.pool >= math::reserve_requirement(owed, &marks)
					|| ReserveShort::<T>::contains_key(silo),
				"pool below its claims and reserve while withdrawals are Normal"
			);
			let queue = WithdrawalQueue::<T>::get(silo);
			let mut queued = 0u128;
			for entry in queue.iter() {
				ensure!(!entry.amount.is_zero(), "empty entry in a withdrawal queue");
				queued = queued.checked_add(entry.amount).ok_or("queue overflows")?;
			}
			ensure!(queued == books.queued, "queued withdrawals differ from books");
			ensure!(
				SilosWithQueue::<T>::get().contains(&silo) != queue.is_empty(),
				"payout index out of step with the queue"
			);
		}
		Ok(())
	}
}
