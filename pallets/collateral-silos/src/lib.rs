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
//!   PnL, fees and liquidations through [`SiloLedger`].
//! - LPs add and remove liquidity for shares priced at the pool's value net of the traders'
//!   unrealized PnL ([`Config::TraderPnl`]), rounded against the one who asks.
//! - Withdrawals obey the breakers ([`Config::Status`]): Normal pays at once; RateLimited pays
//!   at most a share of the pool per window and queues the rest, paid in order at the start of
//!   later blocks; Frozen pays nothing.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod math;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use bulwark_primitives::{
	Balance, LossSettlement, OnSiloEvent, ProfitSettlement, SiloHealth, SiloId, SiloLedger,
	TradingStatus, UnrealizedPnl, WithdrawalStatus,
};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungibles::{Inspect, Mutate},
		tokens::Preservation,
	},
	PalletId,
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::{AccountIdConversion, Saturating, Zero};

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// Pallet storage version; bumped with every migration.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

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
		/// The traders' net unrealized PnL against each silo's pool.
		type TraderPnl: UnrealizedPnl;
		/// Told of every payout and every bad debt (the breakers).
		type Events: OnSiloEvent;
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
					Silo { asset: *asset, params: params.clone(), books: Default::default() },
				);
				NextSiloId::<T>::put(silo.saturating_add(1));
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
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
		/// `shares` burnt for `amount`: `paid` now, the rest queued.
		LiquidityRemoved {
			silo: SiloId,
			who: T::AccountId,
			shares: Balance,
			amount: Balance,
			paid: Balance,
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
		ProfitRealized {
			silo: SiloId,
			who: T::AccountId,
			paid: Balance,
			unpaid: Balance,
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
		/// The pool could not pay a trader's profit: the margin engine must deleverage.
		PoolShortfall {
			silo: SiloId,
			unpaid: Balance,
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
		/// Parameters out of bounds: a zero window, limit or minimum, a per-account cap above
		/// the total cap, or a minimum below the asset's own minimum balance.
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
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Pays queued withdrawals, oldest first, as each silo's status and window allow; at
		/// most `MaxPayoutsPerSilo` per silo, so the work is bounded by
		/// `MaxSilos * MaxPayoutsPerSilo` payouts.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			let silos = SilosWithQueue::<T>::get();
			// The benchmark has every one of `s` silos make `p` payouts; charging the busiest
			// silo's count for all of them can only overestimate.
			let mut most_payouts = 0u32;
			for silo in silos.iter() {
				let done = Self::pay_queue(*silo, now, T::MaxPayoutsPerSilo::get());
				most_payouts = most_payouts.max(done);
			}
			// Every payout also tells `Events`.
			let payouts = (silos.len() as u64).saturating_mul(u64::from(most_payouts));
			T::WeightInfo::pay_queued(silos.len() as u32, most_payouts)
				.saturating_add(T::Events::max_weight().saturating_mul(payouts))
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
			ensure!(T::Assets::asset_exists(asset), Error::<T>::UnknownAsset);
			Self::ensure_valid_params(asset, &params)?;
			let silo = NextSiloId::<T>::get();
			ensure!(silo < T::MaxSilos::get(), Error::<T>::TooManySilos);

			Silos::<T>::insert(silo, Silo { asset, params, books: Default::default() });
			NextSiloId::<T>::put(silo.saturating_add(1));
			Self::deposit_event(Event::SiloCreated {
				silo,
				asset,
				account: Self::account_of(silo),
			});
			Ok(())
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
			let mut state = Self::silo(silo)?;
			Self::ensure_valid_params(state.asset, &params)?;
			state.params = params;
			Silos::<T>::insert(silo, state);
			Self::deposit_event(Event::SiloParamsSet { silo });
			Ok(())
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
			let mut state = Self::silo_for_deposit(silo, asset, amount)?;
			let mut account = Margin::<T>::get(silo, &who);
			let account_total = account.total().checked_add(amount).ok_or(Error::<T>::Overflow)?;
			ensure!(
				account_total <= state.params.max_account_deposit,
				Error::<T>::AccountCapExceeded
			);
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

		/// Withdraws `amount` of the caller's free margin.
		///
		/// Origin: signed (the trader). Locked margin and unrealized profit are never
		/// withdrawable. Normal: paid at once. RateLimited: paid up to the window's allowance,
		/// the rest queued. Frozen: refused.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::withdraw_margin().saturating_add(T::Events::max_weight()))]
		pub fn withdraw_margin(
			origin: OriginFor<T>,
			silo: SiloId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut state = Self::silo(silo)?;
			ensure!(amount >= state.params.min_amount, Error::<T>::AmountBelowMinimum);
			let mut account = Margin::<T>::get(silo, &who);
			ensure!(account.free >= amount, Error::<T>::InsufficientFreeMargin);
			account.free.saturating_reduce(amount);
			state.books.trader_free.saturating_reduce(amount);

			let paid = Self::leave_silo(silo, &mut state, &who, amount)?;
			Margin::<T>::insert(silo, &who, account);
			Silos::<T>::insert(silo, state);
			Self::deposit_event(Event::MarginWithdrawn { silo, who, amount, paid });
			Ok(())
		}

		/// Adds `amount` to the silo's pool for newly minted shares.
		///
		/// Origin: signed (any LP). Shares are priced at the pool's value net of the traders'
		/// unrealized PnL (their losses counted, against the depositor), rounded down.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::add_liquidity())]
		pub fn add_liquidity(
			origin: OriginFor<T>,
			silo: SiloId,
			asset: T::AssetId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut state = Self::silo_for_deposit(silo, asset, amount)?;
			Self::ensure_total_cap(&state, amount)?;
			let value =
				math::pool_value_for_deposit(state.books.pool, T::TraderPnl::net_trader_pnl(silo));
			let shares = math::shares_for_deposit(amount, state.books.total_shares, value)
				.ok_or(Error::<T>::PoolInsolvent)?;
			ensure!(!shares.is_zero(), Error::<T>::ZeroShares);
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

		/// Burns `shares` of the caller for their part of the pool.
		///
		/// Origin: signed (the LP). Paid at the pool's value less the traders' unrealized
		/// profit (their unrealized losses not counted), rounded down; then as
		/// [`Self::withdraw_margin`] for the breaker status.
		#[pallet::call_index(5)]
		#[pallet::weight(
			T::WeightInfo::remove_liquidity().saturating_add(T::Events::max_weight())
		)]
		pub fn remove_liquidity(
			origin: OriginFor<T>,
			silo: SiloId,
			shares: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut state = Self::silo(silo)?;
			let held = LpShares::<T>::get(silo, &who);
			ensure!(!shares.is_zero(), Error::<T>::ZeroShares);
			ensure!(held >= shares, Error::<T>::InsufficientShares);
			let value = math::pool_value_for_withdrawal(
				state.books.pool,
				T::TraderPnl::net_trader_pnl(silo),
			);
			let amount = math::amount_for_shares(shares, state.books.total_shares, value)
				.ok_or(Error::<T>::InsufficientShares)?;
			ensure!(amount >= state.params.min_amount, Error::<T>::AmountBelowMinimum);
			// Leave first: a window that opens now opens on the pool as it was.
			let paid = Self::leave_silo(silo, &mut state, &who, amount)?;
			state.books.pool = state.books.pool.checked_sub(amount).ok_or(Error::<T>::Overflow)?;
			state.books.total_shares.saturating_reduce(shares);

			LpShares::<T>::insert(silo, &who, held.saturating_sub(shares));
			Silos::<T>::insert(silo, state);
			Self::deposit_event(Event::LiquidityRemoved { silo, who, shares, amount, paid });
			Ok(())
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
			let mut state = Self::silo_for_deposit(silo, asset, amount)?;
			state.books.insurance =
				state.books.insurance.checked_add(amount).ok_or(Error::<T>::Overflow)?;
			Self::pull_in(asset, &who, silo, amount)?;
			Silos::<T>::insert(silo, state);
			Self::deposit_event(Event::InsuranceFunded { silo, who, amount });
			Ok(())
		}

		/// Books what was sent straight to the silo's account, outside any call of this
		/// pallet, into the silo's insurance fund, so the books again match the account.
		///
		/// Origin: [`Config::AdminOrigin`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::sweep_surplus())]
		pub fn sweep_surplus(origin: OriginFor<T>, silo: SiloId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			let mut state = Self::silo(silo)?;
			let balance = T::Assets::balance(state.asset, &Self::account_of(silo));
			let surplus = balance.saturating_sub(state.books.held());
			ensure!(!surplus.is_zero(), Error::<T>::NoSurplus);
			state.books.insurance = state.books.insurance.saturating_add(surplus);
			Silos::<T>::insert(silo, state);
			Self::deposit_event(Event::SurplusSwept { silo, amount: surplus });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The account that holds a silo's collateral.
	pub fn account_of(silo: SiloId) -> T::AccountId {
		T::PalletId::get().into_sub_account_truncating(silo)
	}

	fn silo(silo: SiloId) -> Result<Silo<T::AssetId, BlockNumberFor<T>>, DispatchError> {
		Silos::<T>::get(silo).ok_or_else(|| Error::<T>::UnknownSilo.into())
	}

	/// A silo about to receive `amount` of `asset`: it must exist, hold that asset, and the
	/// amount must not be dust.
	fn silo_for_deposit(
		silo: SiloId,
		asset: T::AssetId,
		amount: Balance,
	) -> Result<Silo<T::AssetId, BlockNumberFor<T>>, DispatchError> {
		let state = Self::silo(silo)?;
		ensure!(state.asset == asset, Error::<T>::WrongAsset);
		ensure!(amount >= state.params.min_amount, Error::<T>::AmountBelowMinimum);
		Ok(state)
	}

	/// The silo's deposit cap (trader margin plus pool) leaves room for `amount` more.
	fn ensure_total_cap(
		state: &Silo<T::AssetId, BlockNumberFor<T>>,
		amount: Balance,
	) -> DispatchResult {
		let total = state.books.deposits().checked_add(amount).ok_or(Error::<T>::Overflow)?;
		ensure!(total <= state.params.max_total_deposits, Error::<T>::TotalCapExceeded);
		Ok(())
	}

	/// Moves `amount` of `asset` from `who` into the silo's account.
	fn pull_in(
		asset: T::AssetId,
		who: &T::AccountId,
		silo: SiloId,
		amount: Balance,
	) -> DispatchResult {
		T::Assets::transfer(asset, who, &Self::account_of(silo), amount, Preservation::Expendable)
			.map(|_| ())
	}

	fn ensure_valid_params(
		asset: T::AssetId,
		params: &SiloParams<BlockNumberFor<T>>,
	) -> DispatchResult {
		ensure!(
			!params.withdrawal_window.is_zero()
				&& !params.withdrawal_limit.is_zero()
				&& !params.min_amount.is_zero()
				&& params.min_amount >= T::Assets::minimum_balance(asset)
				&& params.min_amount <= params.max_account_deposit
				&& params.max_account_deposit <= params.max_total_deposits,
			Error::<T>::InvalidParams
		);
		Ok(())
	}

	/// The rate-limit window as of `now`: a new one opens, on the pool as it is, when the last
	/// has run its length.
	fn current_window(
		silo: SiloId,
		state: &Silo<T::AssetId, BlockNumberFor<T>>,
		now: BlockNumberFor<T>,
	) -> RateWindow<BlockNumberFor<T>> {
		let window = RateWindows::<T>::get(silo);
		if window.start.is_zero()
			|| now >= window.start.saturating_add(state.params.withdrawal_window)
		{
			RateWindow { start: now, base: state.books.pool, paid: 0 }
		} else {
			window
		}
	}

	/// Sends `amount`, already taken off its owner's books, out of the silo as its withdrawal
	/// status allows; queues the rest. Returns what was paid now. The caller writes `state`.
	fn leave_silo(
		silo: SiloId,
		state: &mut Silo<T::AssetId, BlockNumberFor<T>>,
		who: &T::AccountId,
		amount: Balance,
	) -> Result<Balance, DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let mut window = Self::current_window(silo, state, now);
		let mut queue = WithdrawalQueue::<T>::get(silo);
		let pay_now = match T::Status::withdrawal_status(silo) {
			WithdrawalStatus::Frozen => return Err(Error::<T>::WithdrawalsFrozen.into()),
			WithdrawalStatus::Normal => amount,
			// Those already waiting go first.
			WithdrawalStatus::RateLimited if !queue.is_empty() => 0,
			WithdrawalStatus::RateLimited => amount.min(math::window_allowance(
				state.params.withdrawal_limit,
				window.base,
				window.paid,
			)),
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
		if !pay_now.is_zero() {
			T::Assets::transfer(
				state.asset,
				&Self::account_of(silo),
				who,
				pay_now,
				Preservation::Expendable,
			)?;
			window.paid = window.paid.saturating_add(pay_now);
		}
		RateWindows::<T>::insert(silo, window);
		if !pay_now.is_zero() {
			T::Events::on_withdrawal(silo, pay_now);
		}
		Ok(pay_now)
	}

	/// Pays a silo's queue, oldest first, at most `budget` payouts. Returns how many were made.
	fn pay_queue(silo: SiloId, now: BlockNumberFor<T>, budget: u32) -> u32 {
		let Some(mut state) = Silos::<T>::get(silo) else { return 0 };
		let mut window = Self::current_window(silo, &state, now);
		let mut allowance = match T::Status::withdrawal_status(silo) {
			WithdrawalStatus::Frozen => return 0,
			WithdrawalStatus::Normal => Balance::MAX,
			WithdrawalStatus::RateLimited => {
				math::window_allowance(state.params.withdrawal_limit, window.base, window.paid)
			},
		};
		let mut queue = WithdrawalQueue::<T>::get(silo).into_inner();
		let mut payouts = 0u32;
		while payouts < budget && !allowance.is_zero() {
			let Some(front) = queue.first_mut() else { break };
			let part = front.amount.min(allowance);
			// A partial payment smaller than the minimum would be dust: wait for more room.
			if part < front.amount && part < state.params.min_amount {
				break;
			}
			payouts = payouts.saturating_add(1);
			let asset = state.asset;
			let who = front.who.clone();
			let delivered = frame_support::storage::with_storage_layer(|| {
				T::Assets::transfer(
					asset,
					&Self::account_of(silo),
					&who,
					part,
					Preservation::Expendable,
				)
			});
			if delivered.is_ok() {
				state.books.queued.saturating_reduce(part);
				front.amount.saturating_reduce(part);
				allowance.saturating_reduce(part);
				window.paid = window.paid.saturating_add(part);
				Self::deposit_event(Event::QueuedWithdrawalPaid { silo, who, amount: part });
				T::Events::on_withdrawal(silo, part);
			} else {
				// Undeliverable: back to the owner's free margin, where they can withdraw it
				// in a form the asset accepts.
				let returned = front.amount;
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
			T::Events::on_bad_debt(silo, bad_debt);
		}
	}

	/// The solvency invariants of every silo:
	/// - the silo's account holds exactly what its books say;
	/// - traders' margins add up to the books' totals, LP shares to the shares outstanding,
	///   queued withdrawals to the books' queued amount;
	/// - the payout index lists exactly the silos with a queue.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		for (silo, state) in Silos::<T>::iter() {
			let held = T::Assets::balance(state.asset, &Self::account_of(silo));
			ensure!(held == state.books.held(), "silo account balance differs from its books");
			let (mut free, mut locked) = (0u128, 0u128);
			for (_, account) in Margin::<T>::iter_prefix(silo) {
				free = free.checked_add(account.free).ok_or("trader free margin overflows")?;
				locked =
					locked.checked_add(account.locked).ok_or("trader locked margin overflows")?;
			}
			ensure!(free == state.books.trader_free, "traders' free margin differs from books");
			ensure!(
				locked == state.books.trader_locked,
				"traders' locked margin differs from books"
			);
			let mut shares = 0u128;
			for (_, held) in LpShares::<T>::iter_prefix(silo) {
				shares = shares.checked_add(held).ok_or("LP shares overflow")?;
			}
			ensure!(shares == state.books.total_shares, "LP shares differ from the total");
			let queue = WithdrawalQueue::<T>::get(silo);
			let mut queued = 0u128;
			for entry in queue.iter() {
				ensure!(!entry.amount.is_zero(), "empty entry in a withdrawal queue");
				queued = queued.checked_add(entry.amount).ok_or("queue overflows")?;
			}
			ensure!(queued == state.books.queued, "queued withdrawals differ from books");
			ensure!(
				SilosWithQueue::<T>::get().contains(&silo) != queue.is_empty(),
				"payout index out of step with the queue"
			);
		}
		Ok(())
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
		let settlement = Self::with_margin(silo, who, |books, account| {
			let paid = profit.min(books.pool);
			books.pool.saturating_reduce(paid);
			books.trader_free = books.trader_free.checked_add(paid).ok_or(Error::<T>::Overflow)?;
			account.free = account.free.checked_add(paid).ok_or(Error::<T>::Overflow)?;
			Ok(ProfitSettlement { paid, unpaid: profit.saturating_sub(paid) })
		})?;
		Self::deposit_event(Event::ProfitRealized {
			silo,
			who: who.clone(),
			paid: settlement.paid,
			unpaid: settlement.unpaid,
		});
		if !settlement.unpaid.is_zero() {
			Self::deposit_event(Event::PoolShortfall { silo, unpaid: settlement.unpaid });
		}
		Ok(settlement)
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
}
