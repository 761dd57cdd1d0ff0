//! # Perpetual margin engine
//!
//! Traders hold long and short perpetual positions against their silo's LP pool, at the oracle
//! price plus a price impact that grows with the skew a trade creates (the model of Synthetix
//! perps v2 and GMX v2). Each position is isolated: margin is locked in the silo for it alone,
//! and its losses beyond that margin go down the silo's waterfall (insurance fund, then the LPs)
//! without touching the trader's other positions.
//!
//! - Governance ([`Config::AdminOrigin`]) creates markets (market id = the oracle feed's id) in
//!   a silo and tunes them: leverage, margin fractions, size tiers, open-interest caps, price
//!   impact, funding, fees, liquidation penalty and keeper reward.
//! - Traders [`Pallet::trade`] (open, increase, reduce, close, flip; an acceptable-price limit
//!   on every trade; reduce-only orders), [`Pallet::close_position`], and move margin in and out
//!   of a position. No trade on a Stale price; the breakers ([`Config::Status`]) decide what a
//!   market and silo allow.
//! - Funding: a rate per block driven by the skew, whose change per block is capped, accrued
//!   into a cumulative index per market whenever the market is touched (exactly the blocks
//!   since the last touch, no loop over positions), settled when a position changes.
//! - Adaptive margin: margin fractions are the base plus `k` times the oracle's EWMA volatility,
//!   times the size tier's factor; the volatility add-on rises by at most a step per block.
//! - Anyone may [`Pallet::liquidate`] a position whose equity is below its maintenance
//!   requirement: it is closed at the oracle price, partially (back to initial margin) where that
//!   works, else fully; the keeper is paid first, then the penalty to the insurance fund; a
//!   shortfall goes down the silo's waterfall. When the silo's pool cannot back the traders'
//!   unrealized profit, [`Pallet::deleverage`] closes the most profitable, most leveraged
//!   positions of the market at the oracle price (auto-deleveraging), in that silo only.
//! - Each new price re-checks the market's positions and queues the liquidatable ones, most
//!   underwater first, in a bounded queue.
//!
//! ## Liquidations first
//!
//! A position found liquidatable by the price aggregate of block N is liquidated at the start of
//! block N+1, however full the transaction pool is:
//! 1. Protocol: `on_poll` (after the inherents, before any transaction) liquidates the queue,
//!    oldest first, up to [`Config::MaxLiquidationsPerBlock`] within its benchmarked weight. No
//!    transaction is involved; the keeper reward goes to the insurance fund with the penalty.
//! 2. Keepers: each validator's offchain worker submits [`Pallet::liquidate`] as a general
//!    transaction authorized by the call itself (no signer, no fee) for every liquidatable
//!    position the next pass will not reach. The pool admits it only if the position is
//!    liquidatable, at [`Config::LiquidationPriority`], one per position (`provides` tag).
//!    Signed keepers may call it too: Operational, free when it liquidates, charged when it does
//!    not; [`PrioritizeLiquidations`] gives a verified one the same priority and tag.
//! 3. Block: liquidations are Operational, so the 25% of every block that normal transactions
//!    cannot use is theirs (the runtime's limits).
//!
//! The genesis-only [`LiquidationMode::Unprioritized`] turns all of this off, to measure it.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod extension;
pub mod math;
mod offchain;
pub mod runtime_api;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use extension::PrioritizeLiquidations;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use alloc::{collections::BTreeMap, vec::Vec};
use bulwark_primitives::{
	Balance, MarketId, MarketStatus, OnPriceUpdate, PriceFeed, PriceStatus, SignedBalance,
	SiloHealth, SiloId, SiloLedger, TradeAction, TradingStatus, UnrealizedPnl,
};
use frame_support::{pallet_prelude::*, weights::WeightMeter};
use frame_system::{offchain::CreateAuthorizedTransaction, pallet_prelude::*};
use sp_runtime::{
	traits::{One, SaturatedConversion, Saturating, Zero},
	transaction_validity::TransactionValidityWithRefund,
	FixedI128, FixedPointNumber, FixedU128,
};

const LOG_TARGET: &str = "runtime::perpetual-margin";

/// Blocks a verified liquidation may wait in the pool before it must be submitted again.
pub const LIQUIDATION_LONGEVITY: u64 = 5;
/// `InvalidTransaction::Custom` code of a liquidation whose position is not liquidatable (or
/// does not exist, or whose price the breakers do not trust).
pub const NOT_LIQUIDATABLE: u8 = 1;

/// Largest size any parameter may allow: keeps every value product far from overflow.
pub const MAX_SIZE: u128 = 1 << 100;

/// The market type this pallet stores.
pub type MarketOf<T> = Market<<T as Config>::MaxTiers, BlockNumberFor<T>>;
/// The parameters of a market.
pub type MarketParamsOf<T> = MarketParams<<T as Config>::MaxTiers>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>>
		+ CreateAuthorizedTransaction<Call<Self>>
	{
		/// Oracle prices, their status and volatility.
		type Prices: PriceFeed<BlockNumberFor<Self>>;
		/// The breakers: what each market and silo allows now.
		type Status: TradingStatus;
		/// The silos' books: margin, PnL, fees, liquidation payments, the waterfall.
		type Ledger: SiloLedger<Self::AccountId> + SiloHealth;
		/// Creates and tunes markets (governance).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		#[pallet::constant]
		type MaxMarkets: Get<u32>;
		/// Size tiers per market.
		#[pallet::constant]
		type MaxTiers: Get<u32>;
		/// Accounts with a position in one market: bounds every scan of a market.
		#[pallet::constant]
		type MaxPositionsPerMarket: Get<u32>;
		/// Length of the liquidation queue.
		#[pallet::constant]
		type MaxQueue: Get<u32>;
		/// Positions one `deleverage` call may close.
		#[pallet::constant]
		type MaxDeleveragePerCall: Get<u32>;
		/// Most positions the protocol liquidates at the start of a block (in `on_poll`). At most
		/// `MaxQueue`; the runtime keeps this many benchmarked liquidations inside the block's
		/// operational reserve.
		#[pallet::constant]
		type MaxLiquidationsPerBlock: Get<u32>;
		/// Pool priority of a liquidation whose position the pool found liquidatable.
		#[pallet::constant]
		type LiquidationPriority: Get<TransactionPriority>;
		/// Liquidations a validator's offchain worker submits per block, for the liquidatable
		/// positions the next block's protocol pass will not reach.
		#[pallet::constant]
		type MaxKeeperSubmissions: Get<u32>;
		type WeightInfo: WeightInfo;
		/// Sets up benchmarks: margin in a silo and a fresh price.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// Every market, by its oracle feed's id.
	#[pallet::storage]
	pub type Markets<T: Config> = CountedStorageMap<_, Twox64Concat, MarketId, MarketOf<T>>;

	/// Every open position, by account and market.
	#[pallet::storage]
	pub type Positions<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Twox64Concat,
		MarketId,
		Position,
		OptionQuery,
	>;

	/// The accounts with a position in each market: what the price-update check and
	/// auto-deleveraging scan, so both are bounded.
	#[pallet::storage]
	pub type Traders<T: Config> = StorageMap<
		_,
		Twox64Concat,
		MarketId,
		BoundedVec<T::AccountId, T::MaxPositionsPerMarket>,
		ValueQuery,
	>;

	/// Positions found liquidatable by a price update, oldest first. Drained by liquidations.
	#[pallet::storage]
	pub type LiquidationQueue<T: Config> =
		StorageValue<_, BoundedVec<(T::AccountId, MarketId), T::MaxQueue>, ValueQuery>;

	/// Whether the liquidation priority layers are on. Set at genesis; no call changes it.
	#[pallet::storage]
	pub type Mode<T: Config> = StorageValue<_, LiquidationMode, ValueQuery>;

	/// Markets that exist from genesis: (market id, silo, parameters), and the liquidation mode
	/// (leave it at its default, `Prioritized`, on any real chain).
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		pub markets: Vec<(MarketId, SiloId, MarketParamsOf<T>)>,
		pub liquidation_mode: LiquidationMode,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (market, silo, params) in &self.markets {
				assert!(
					Pallet::<T>::ensure_valid_params(params).is_ok(),
					"genesis market parameters must be valid"
				);
				assert!(!Markets::<T>::contains_key(market), "genesis market listed twice");
				assert!(
					Markets::<T>::count() < T::MaxMarkets::get(),
					"more markets than MaxMarkets"
				);
				Markets::<T>::insert(market, Pallet::<T>::new_market(*silo, params.clone()));
			}
			Mode::<T>::put(self.liquidation_mode);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		MarketCreated {
			market: MarketId,
			silo: SiloId,
		},
		MarketParamsSet {
			market: MarketId,
		},
		/// A trade: `size_delta` filled at `fill_price` (unit price: collateral per size unit).
		/// `realized` is the closed part's PnL less the funding settled (`funding`, positive
		/// paid by the trader).
		PositionChanged {
			who: T::AccountId,
			market: MarketId,
			size_delta: SignedBalance,
			size: SignedBalance,
			fill_price: FixedU128,
			fee: Balance,
			realized: SignedBalance,
			funding: SignedBalance,
			margin: Balance,
		},
		MarginAdded {
			who: T::AccountId,
			market: MarketId,
			amount: Balance,
		},
		MarginRemoved {
			who: T::AccountId,
			market: MarketId,
			amount: Balance,
		},
		/// `closed` units liquidated at `price`; `bad_debt` went down the silo's waterfall.
		/// `keeper` is `None` when the protocol's pass or a validator's authorized transaction
		/// liquidated: the reward then went to the insurance fund with the penalty.
		Liquidated {
			who: T::AccountId,
			market: MarketId,
			keeper: Option<T::AccountId>,
			closed: u128,
			size: SignedBalance,
			price: FixedU128,
			realized: SignedBalance,
			penalty: Balance,
			reward: Balance,
			bad_debt: Balance,
		},
		/// The silo cannot back its traders' unrealized profit: `deleverage(market)` is due.
		DeleverageNeeded {
			market: MarketId,
			silo: SiloId,
			shortfall: Balance,
		},
		/// A winning position closed by auto-deleveraging; `unpaid` is the profit the pool could
		/// not pay.
		Deleveraged {
			who: T::AccountId,
			market: MarketId,
			size: SignedBalance,
			price: FixedU128,
			paid: Balance,
			unpaid: Balance,
		},
		/// A price update found the position liquidatable.
		LiquidationQueued {
			who: T::AccountId,
			market: MarketId,
		},
		/// The pool could not pay all of a realized profit.
		ProfitUnpaid {
			who: T::AccountId,
			market: MarketId,
			amount: Balance,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No market has this id.
		UnknownMarket,
		/// A market with this id exists.
		MarketExists,
		/// `MaxMarkets` markets exist.
		TooManyMarkets,
		/// The silo does not exist.
		UnknownSilo,
		/// Parameters out of bounds (see `ensure_valid_params`).
		InvalidParams,
		/// A zero size or amount.
		Zero,
		/// Below the market's minimum size, or leaving a position below it.
		DustSize,
		/// Above the market's largest position.
		PositionTooLarge,
		/// The side's open-interest cap would be exceeded.
		OpenInterestCapExceeded,
		/// A value does not fit its type.
		Overflow,
		/// The market's oracle has no price.
		NoPrice,
		/// The oracle price is Stale: no trading on it.
		StalePrice,
		/// The market is halted by the breakers.
		MarketHalted,
		/// The breakers let this market or silo take no new risk (ReduceOnly, or an insurance
		/// fund below its floor).
		NewRiskNotAccepted,
		/// The fill price is worse than the trade's acceptable price.
		PriceLimitExceeded,
		/// Value over equity would exceed the market's maximum leverage.
		LeverageTooHigh,
		/// Equity would be below the margin requirement.
		InsufficientMargin,
		/// A reduce-only trade would increase or flip the position.
		NotReducing,
		/// The account has no position in this market.
		NoPosition,
		/// The position is liquidatable: only liquidation (or added margin) may touch it.
		PositionLiquidatable,
		/// The position's equity is not below its maintenance requirement.
		NotLiquidatable,
		/// The breakers judge the price too old to liquidate at.
		PriceUnusable,
		/// `MaxPositionsPerMarket` accounts hold positions in this market.
		TooManyPositions,
		/// The silo's pool backs its traders' unrealized profit: nothing to deleverage.
		SiloSolvent,
		/// No profitable position to deleverage in this market.
		NothingToDeleverage,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxMarkets::get() > 0, "MaxMarkets must be positive");
			assert!(T::MaxPositionsPerMarket::get() > 0, "MaxPositionsPerMarket must be positive");
			assert!(T::MaxQueue::get() > 0, "MaxQueue must be positive");
			assert!(T::MaxDeleveragePerCall::get() > 0, "MaxDeleveragePerCall must be positive");
			assert!(
				T::MaxLiquidationsPerBlock::get() <= T::MaxQueue::get(),
				"MaxLiquidationsPerBlock above MaxQueue: the pass could never use it all"
			);
		}

		/// The protocol's liquidation pass. `on_poll` runs after the inherents and before any
		/// transaction, so what the last block's prices queued is liquidated before the pool
		/// gets a say.
		fn on_poll(_: BlockNumberFor<T>, meter: &mut WeightMeter) {
			Self::drain_queue(meter);
		}

		/// Validators submit the liquidations the next block's pass will not reach.
		fn offchain_worker(_: BlockNumberFor<T>) {
			Self::submit_keeper_liquidations();
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Creates market `market` (the oracle feed it trades on) in `silo`.
		///
		/// Origin: [`Config::AdminOrigin`]. Creates the market with no open interest and its
		/// funding rate at zero.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_market())]
		pub fn create_market(
			origin: OriginFor<T>,
			market: MarketId,
			silo: SiloId,
			params: MarketParamsOf<T>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(!Markets::<T>::contains_key(market), Error::<T>::MarketExists);
			ensure!(Markets::<T>::count() < T::MaxMarkets::get(), Error::<T>::TooManyMarkets);
			ensure!(T::Ledger::pool(silo).is_some(), Error::<T>::UnknownSilo);
			Self::ensure_valid_params(&params)?;
			Markets::<T>::insert(market, Self::new_market(silo, params));
			Self::deposit_event(Event::MarketCreated { market, silo });
			Ok(())
		}

		/// Replaces a market's parameters.
		///
		/// Origin: [`Config::AdminOrigin`]. Funding is accrued to now under the old parameters
		/// first. Open positions stay; a lowered cap stops only their growth. Margin fractions
		/// apply at once: raise them in steps, or positions become liquidatable.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_market_params())]
		pub fn set_market_params(
			origin: OriginFor<T>,
			market: MarketId,
			params: MarketParamsOf<T>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			let mut state = Self::market(market)?;
			Self::ensure_valid_params(&params)?;
			let price = Self::unit_price_if_any(market, &state.params);
			Self::advance(market, &mut state, price)?;
			state.params = params;
			Markets::<T>::insert(market, state);
			Self::deposit_event(Event::MarketParamsSet { market });
			Ok(())
		}

		/// Buys (`size_delta > 0`) or sells `|size_delta|` units in `market`, first locking
		/// `margin` more of the caller's free margin in the silo for this position.
		///
		/// Origin: signed (the trader). Fills at the oracle price plus the price impact of the
		/// skew; refused if that is worse than `acceptable_price` (a buy's highest, a sell's
		/// lowest unit price). `reduce_only` refuses a trade that would increase or flip the
		/// position. Settles the position's funding; the closed part's PnL is realized (profit to
		/// free margin, loss from this position's margin), the fee is charged from it, and a
		/// reduction releases a proportional part of the margin (all of it on a close). A trade
		/// that adds risk must leave equity at the initial requirement within the leverage cap;
		/// one that reduces risk, at the maintenance requirement.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::trade(T::MaxPositionsPerMarket::get()))]
		pub fn trade(
			origin: OriginFor<T>,
			market: MarketId,
			size_delta: SignedBalance,
			margin: Balance,
			acceptable_price: FixedU128,
			reduce_only: bool,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_trade(&who, market, size_delta, margin, acceptable_price, reduce_only)
		}

		/// Closes the caller's whole position in `market`, as a reduce-only [`Self::trade`].
		///
		/// Origin: signed (the trader).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::trade(T::MaxPositionsPerMarket::get()))]
		pub fn close_position(
			origin: OriginFor<T>,
			market: MarketId,
			acceptable_price: FixedU128,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let position = Positions::<T>::get(&who, market).ok_or(Error::<T>::NoPosition)?;
			let delta = position.size.checked_neg().ok_or(Error::<T>::Overflow)?;
			Self::do_trade(&who, market, delta, 0, acceptable_price, true)
		}

		/// Locks `amount` more of the caller's free margin for their position in `market`.
		///
		/// Origin: signed (the trader). Always allowed, also for a liquidatable position and in
		/// a halted market: more margin only makes the position safer.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::add_margin())]
		pub fn add_margin(
			origin: OriginFor<T>,
			market: MarketId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::Zero);
			let state = Self::market(market)?;
			let mut position = Positions::<T>::get(&who, market).ok_or(Error::<T>::NoPosition)?;
			position.margin = position.margin.checked_add(amount).ok_or(Error::<T>::Overflow)?;
			T::Ledger::lock_margin(state.silo, &who, amount)?;
			Positions::<T>::insert(&who, market, position);
			Self::deposit_event(Event::MarginAdded { who, market, amount });
			Ok(())
		}

		/// Releases `amount` of the margin of the caller's position in `market` to their free
		/// margin.
		///
		/// Origin: signed (the trader). Needs a Fresh price; the rest must meet the initial
		/// requirement within the leverage cap with unrealized profit not counted (unrealized
		/// losses and owed funding are).
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::remove_margin())]
		pub fn remove_margin(
			origin: OriginFor<T>,
			market: MarketId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::Zero);
			let mut state = Self::market(market)?;
			let mut position = Positions::<T>::get(&who, market).ok_or(Error::<T>::NoPosition)?;
			let price = Self::fresh_unit_price(market, &state.params)?;
			Self::advance(market, &mut state, Some(price))?;
			position.margin =
				position.margin.checked_sub(amount).ok_or(Error::<T>::InsufficientMargin)?;
			let health = Self::health(&state, &position, price)?;
			let withdrawable_equity =
				math::equity(position.margin, health.pnl.min(0), health.funding)
					.ok_or(Error::<T>::Overflow)?;
			Self::ensure_initial(&state.params, &health, withdrawable_equity)?;

			T::Ledger::release_margin(state.silo, &who, amount)?;
			Positions::<T>::insert(&who, market, position);
			Markets::<T>::insert(market, state);
			Self::deposit_event(Event::MarginRemoved { who, market, amount });
			Ok(())
		}

		/// Liquidates `who`'s position in `market`.
		///
		/// Origin: signed (any keeper, paid the keeper reward), or a general transaction with no
		/// signer authorized by this call (validators' offchain workers; the reward goes to the
		/// insurance fund). The pool admits the unsigned form only for a liquidatable position,
		/// once per position. Operational; free when it liquidates, charged when it does not.
		///
		/// The position's equity must be below its maintenance requirement at the oracle price,
		/// and the breakers must judge that price recent enough. Closes at the oracle price just
		/// enough to bring the rest back to initial margin (all of it where that is not
		/// possible); pays the keeper, then the penalty to the insurance fund, from the
		/// position's margin as far as it goes; sends any shortfall down the silo's waterfall,
		/// and asks for auto-deleveraging if the silo can no longer back its traders' profit.
		#[pallet::call_index(6)]
		#[pallet::weight((
			T::WeightInfo::liquidate(T::MaxPositionsPerMarket::get()),
			Pallet::<T>::liquidation_class(),
			Pays::Yes,
		))]
		#[pallet::authorize(Pallet::<T>::authorize_liquidate)]
		#[pallet::weight_of_authorize(T::WeightInfo::check_liquidatable())]
		pub fn liquidate(
			origin: OriginFor<T>,
			who: T::AccountId,
			market: MarketId,
		) -> DispatchResultWithPostInfo {
			let keeper = match origin.into() {
				Ok(frame_system::RawOrigin::Signed(keeper)) => Some(keeper),
				Ok(frame_system::RawOrigin::Authorized) => None,
				_ => return Err(DispatchError::BadOrigin.into()),
			};
			Self::do_liquidate(keeper.as_ref(), &who, market)?;
			Ok(Pays::No.into())
		}

		/// Auto-deleverages `market`: closes, at the oracle price, the profitable positions with
		/// the highest profit share times leverage, at most `MaxDeleveragePerCall`, until the
		/// silo's pool again backs its traders' unrealized profit. Their profit is paid as far
		/// as the pool goes; the rest is lost to them (the last step of the waterfall).
		///
		/// Origin: signed (anyone). Only when the silo is short.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::deleverage(T::MaxPositionsPerMarket::get()))]
		pub fn deleverage(origin: OriginFor<T>, market: MarketId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_deleverage(market)
		}
	}
}

/// A `Permill` as a fixed-point fraction.
fn fraction(part: sp_runtime::Permill) -> FixedU128 {
	FixedU128::from_rational(part.deconstruct().into(), 1_000_000)
}

/// A position's numbers at a price.
#[derive(Clone, Copy, Debug)]
pub struct Health {
	pub pnl: SignedBalance,
	pub funding: SignedBalance,
	pub equity: SignedBalance,
	pub notional: Balance,
	pub initial_fraction: FixedU128,
	pub maintenance_fraction: FixedU128,
	pub initial: Balance,
	pub maintenance: Balance,
}

impl Health {
	pub fn liquidatable(&self) -> bool {
		self.equity < self.maintenance.min(SignedBalance::MAX as u128) as SignedBalance
	}

	/// Equity as a multiple of the maintenance requirement: below one is liquidatable, below
	/// zero is bad debt. Orders positions from the most underwater.
	pub fn coverage(&self) -> FixedI128 {
		let maintenance = self.maintenance.min(SignedBalance::MAX as u128) as SignedBalance;
		FixedI128::checked_from_rational(self.equity, maintenance.max(1))
			.unwrap_or(FixedI128::from_inner(if self.equity < 0 { i128::MIN } else { i128::MAX }))
	}
}

/// A position after a fill: the parts of a trade's settlement that do not depend on who pays.
#[derive(Clone, Copy, Debug)]
struct Fill {
	size: SignedBalance,
	entry: Balance,
	/// Units of the old position closed.
	closing: u128,
	/// Price PnL of the closed part less the funding settled.
	realized: SignedBalance,
	funding: SignedBalance,
}

impl<T: Config> Pallet<T> {
	fn market(market: MarketId) -> Result<MarketOf<T>, DispatchError> {
		Markets::<T>::get(market).ok_or_else(|| Error::<T>::UnknownMarket.into())
	}

	/// Operational while the priority layers are on (liquidations may use the block space
	/// normal transactions cannot); an ordinary Normal transaction otherwise.
	pub fn liquidation_class() -> DispatchClass {
		match Mode::<T>::get() {
			LiquidationMode::Prioritized => DispatchClass::Operational,
			LiquidationMode::Unprioritized => DispatchClass::Normal,
		}
	}

	/// Whether `liquidate(who, market)` would succeed now: the same price, breaker and health
	/// checks as the liquidation itself, without writing anything.
	pub fn is_liquidatable(who: &T::AccountId, market: MarketId) -> bool {
		let Some(mut state) = Markets::<T>::get(market) else { return false };
		let Some(position) = Positions::<T>::get(who, market) else { return false };
		let Ok(price) = Self::liquidation_unit_price(market, state.silo, &state.params) else {
			return false;
		};
		Self::advance(market, &mut state, Some(price)).is_ok()
			&& Self::health(&state, &position, price).is_ok_and(|health| health.liquidatable())
	}

	/// What the pool learns of a verified liquidation: the top priority, and a tag per position
	/// so that one liquidation of it, signed or not, waits in the pool at a time.
	pub fn liquidation_validity(who: &T::AccountId, market: MarketId) -> TransactionValidity {
		ValidTransaction::with_tag_prefix("BulwarkLiquidation")
			.priority(T::LiquidationPriority::get())
			.and_provides((who, market))
			// Prices move every block or two; a liquidation not in a block by then is re-checked
			// by whoever submits it again.
			.longevity(LIQUIDATION_LONGEVITY)
			.propagate(true)
			.build()
	}

	/// Pool (and block) validation of an unsigned `liquidate`: only a position liquidatable now,
	/// and only while the priority layers are on.
	fn authorize_liquidate(
		_source: TransactionSource,
		who: &T::AccountId,
		market: &MarketId,
	) -> TransactionValidityWithRefund {
		if Mode::<T>::get() != LiquidationMode::Prioritized {
			return Err(InvalidTransaction::Call.into());
		}
		if !Self::is_liquidatable(who, *market) {
			return Err(InvalidTransaction::Custom(NOT_LIQUIDATABLE).into());
		}
		Ok((Self::liquidation_validity(who, *market)?, Weight::zero()))
	}

	/// The protocol's pass: liquidates queued positions, oldest first, at most
	/// `MaxLiquidationsPerBlock` and as many as the meter's weight allows (by the benchmarked
	/// weight of the pass). A queued position that is healthy again or gone leaves the queue; one
	/// whose price the breakers judge too old moves to the back, to be tried when a price
	/// returns. Returns how many positions it liquidated.
	pub fn drain_queue(meter: &mut WeightMeter) -> u32 {
		let prioritized = Mode::<T>::get() == LiquidationMode::Prioritized;
		let queue = if prioritized { LiquidationQueue::<T>::get() } else { Default::default() };
		let mut count = T::MaxLiquidationsPerBlock::get().min(queue.len() as u32);
		while count > 0 && !meter.can_consume(T::WeightInfo::on_poll(count)) {
			count -= 1;
		}
		if meter.try_consume(T::WeightInfo::on_poll(count)).is_err() {
			return 0;
		}
		let mut liquidated = 0;
		for (who, market) in queue.into_iter().take(count as usize) {
			// A failed liquidation changes nothing: it runs in its own storage layer.
			let outcome = frame_support::storage::with_storage_layer(|| {
				Self::do_liquidate(None, &who, market)
			});
			match outcome {
				Ok(()) => liquidated += 1,
				Err(error) => {
					let entry = (who, market);
					LiquidationQueue::<T>::mutate(|queue| {
						queue.retain(|queued| *queued != entry);
						if error == Error::<T>::PriceUnusable.into() {
							// Room is certain: the entry was just taken out.
							let _ = queue.try_push(entry.clone());
						}
					});
					log::debug!(target: LOG_TARGET, "queued liquidation not done: {error:?}");
				},
			}
		}
		liquidated
	}

	fn new_market(silo: SiloId, params: MarketParamsOf<T>) -> MarketOf<T> {
		Market {
			silo,
			params,
			open_interest: Default::default(),
			accrual: Accrual {
				at: frame_system::Pallet::<T>::block_number(),
				..Default::default()
			},
			unpaid_profit: 0,
		}
	}

	/// Bounds of market parameters: a positive value scale, leverage at least 1, margin
	/// fractions `0 < maintenance < initial <= 1`, penalty plus reward below the initial
	/// fraction (so a partial liquidation can restore it), ascending tiers with non-decreasing
	/// factors of at least 1, `0 < min_size <= max_position_size <= MAX_SIZE`, caps within
	/// `MAX_SIZE`, a positive skew scale and a price impact below 100%.
	pub fn ensure_valid_params(params: &MarketParamsOf<T>) -> DispatchResult {
		let one = FixedU128::one();
		let costs = fraction(params.liquidation_penalty.saturating_add(params.keeper_reward));
		let tiers_ascend = params.size_tiers.windows(2).all(|pair| {
			pair[0].min_notional < pair[1].min_notional && pair[0].factor <= pair[1].factor
		});
		ensure!(
			!params.value_scale.is_zero()
				&& params.max_leverage >= one
				&& !params.maintenance_margin.is_zero()
				&& params.maintenance_margin < params.initial_margin
				&& params.initial_margin <= one
				&& costs < params.initial_margin
				&& tiers_ascend
				&& params.size_tiers.iter().all(|tier| tier.factor >= one)
				&& !params.min_size.is_zero()
				&& params.min_size <= params.max_position_size
				&& params.max_position_size <= MAX_SIZE
				&& params.max_long_size <= MAX_SIZE
				&& params.max_short_size <= MAX_SIZE
				&& !params.skew_scale.is_zero()
				&& params.skew_scale <= MAX_SIZE
				&& params.max_price_impact < one,
			Error::<T>::InvalidParams
		);
		Ok(())
	}

	/// Collateral units per size unit at an oracle price.
	fn to_unit_price(
		price: FixedU128,
		params: &MarketParamsOf<T>,
	) -> Result<FixedU128, DispatchError> {
		ensure!(!price.is_zero(), Error::<T>::NoPrice);
		let unit = price.checked_mul(&params.value_scale).ok_or(Error::<T>::Overflow)?;
		ensure!(!unit.is_zero(), Error::<T>::NoPrice);
		Ok(unit)
	}

	/// The unit price to trade at: Fresh only.
	fn fresh_unit_price(
		market: MarketId,
		params: &MarketParamsOf<T>,
	) -> Result<FixedU128, DispatchError> {
		let oracle = T::Prices::price(market).ok_or(Error::<T>::NoPrice)?;
		ensure!(oracle.status == PriceStatus::Fresh, Error::<T>::StalePrice);
		Self::to_unit_price(oracle.price, params)
	}

	/// The unit price to liquidate at: whatever the breakers still trust.
	fn liquidation_unit_price(
		market: MarketId,
		silo: SiloId,
		params: &MarketParamsOf<T>,
	) -> Result<FixedU128, DispatchError> {
		let oracle = T::Prices::price(market).ok_or(Error::<T>::NoPrice)?;
		ensure!(T::Status::allows(market, silo, TradeAction::Liquidate), Error::<T>::PriceUnusable);
		Self::to_unit_price(oracle.price, params)
	}

	/// The last known unit price, whatever its age: for views and accrual.
	fn unit_price_if_any(market: MarketId, params: &MarketParamsOf<T>) -> Option<FixedU128> {
		T::Prices::price(market).and_then(|oracle| Self::to_unit_price(oracle.price, params).ok())
	}

	/// Brings the market's funding index and volatility add-on to the current block, then
	/// records `price` for the blocks to come and the add-on's new target. Funding for the
	/// elapsed blocks is paid at the price recorded before them; the add-on moves toward the
	/// target known before them, so a volatility jump is felt one step per block.
	fn advance(
		market: MarketId,
		state: &mut MarketOf<T>,
		price: Option<FixedU128>,
	) -> Result<(), DispatchError> {
		let now = frame_system::Pallet::<T>::block_number();
		let params = &state.params;
		let accrual = &mut state.accrual;
		let blocks: u64 = now.saturating_sub(accrual.at).saturated_into();
		if blocks > 0 {
			let target = math::funding_target(
				state.open_interest.skew(),
				params.skew_scale,
				params.max_funding_rate,
			)
			.ok_or(Error::<T>::Overflow)?;
			let (rate, sum) = math::accrue_funding(
				accrual.funding_rate,
				target,
				params.max_funding_velocity,
				blocks,
			)
			.ok_or(Error::<T>::Overflow)?;
			let delta = math::index_delta(sum, accrual.unit_price).ok_or(Error::<T>::Overflow)?;
			accrual.funding_index =
				accrual.funding_index.checked_add(&delta).ok_or(Error::<T>::Overflow)?;
			accrual.funding_rate = rate;
			accrual.volatility_margin = math::next_volatility_margin(
				accrual.volatility_margin,
				accrual.volatility_target,
				params.max_margin_step,
				blocks,
			);
			accrual.at = now;
		}
		if let Some(price) = price {
			accrual.unit_price = price;
		}
		let volatility = T::Prices::volatility(market).unwrap_or_default();
		accrual.volatility_target = params.volatility_factor.saturating_mul(volatility);
		Ok(())
	}

	/// The market as it would be after `advance` now, without writing it.
	fn advanced(market: MarketId, mut state: MarketOf<T>) -> MarketOf<T> {
		let price = Self::unit_price_if_any(market, &state.params);
		if Self::advance(market, &mut state, price).is_err() {
			log::warn!(target: LOG_TARGET, "market {market}: funding accrual overflows");
		}
		state
	}

	/// A position's PnL, funding, equity and requirements at `price`, in an advanced market.
	pub fn health(
		state: &MarketOf<T>,
		position: &Position,
		price: FixedU128,
	) -> Result<Health, DispatchError> {
		let overflow = || DispatchError::from(Error::<T>::Overflow);
		let pnl = math::position_pnl(position.size, position.entry, price).ok_or_else(overflow)?;
		let index_delta = state
			.accrual
			.funding_index
			.checked_sub(&position.funding_index)
			.ok_or_else(overflow)?;
		let funding = math::funding_owed(position.size, index_delta).ok_or_else(overflow)?;
		let equity = math::equity(position.margin, pnl, funding).ok_or_else(overflow)?;
		let notional =
			math::value(position.size.unsigned_abs(), price, true).ok_or_else(overflow)?;
		let (initial_fraction, maintenance_fraction) = Self::fractions(state, notional)?;
		Ok(Health {
			pnl,
			funding,
			equity,
			notional,
			initial_fraction,
			maintenance_fraction,
			initial: math::fraction_of(notional, initial_fraction, true).ok_or_else(overflow)?,
			maintenance: math::fraction_of(notional, maintenance_fraction, true)
				.ok_or_else(overflow)?,
		})
	}

	/// Initial and maintenance fractions for a position worth `notional`.
	fn fractions(
		state: &MarketOf<T>,
		notional: Balance,
	) -> Result<(FixedU128, FixedU128), DispatchError> {
		let params = &state.params;
		let factor = math::tier_factor(&params.size_tiers, notional);
		let add_on = state.accrual.volatility_margin;
		let initial = math::margin_fraction(params.initial_margin, add_on, factor);
		let maintenance = math::margin_fraction(params.maintenance_margin, add_on, factor);
		initial.zip(maintenance).ok_or_else(|| Error::<T>::Overflow.into())
	}

	/// `equity` meets the initial requirement within the leverage cap.
	fn ensure_initial(
		params: &MarketParamsOf<T>,
		health: &Health,
		equity: SignedBalance,
	) -> DispatchResult {
		let equity = u128::try_from(equity).map_err(|_| Error::<T>::InsufficientMargin)?;
		let most = params.max_leverage.saturating_mul_int(equity);
		ensure!(health.notional <= most, Error::<T>::LeverageTooHigh);
		ensure!(equity >= health.initial, Error::<T>::InsufficientMargin);
		Ok(())
	}

	/// `position` after a fill of `delta` at `fill`, with funding settled to `index`.
	fn fill(
		position: &Position,
		delta: SignedBalance,
		fill: FixedU128,
		index: FixedI128,
	) -> Result<Fill, DispatchError> {
		let overflow = || DispatchError::from(Error::<T>::Overflow);
		let index_delta = index.checked_sub(&position.funding_index).ok_or_else(overflow)?;
		let funding = math::funding_owed(position.size, index_delta).ok_or_else(overflow)?;
		let old = position.size.unsigned_abs();
		let long = position.size > 0;
		let amount = delta.unsigned_abs();
		let closing = if position.size != 0 && (delta > 0) != long { amount.min(old) } else { 0 };
		let opening = amount.saturating_sub(closing);
		let (entry_part, price_pnl) = if closing.is_zero() {
			(0, 0)
		} else {
			let part =
				math::entry_share(position.entry, closing, old, long).ok_or_else(overflow)?;
			(part, math::price_pnl(closing, fill, part, long).ok_or_else(overflow)?)
		};
		let opened = math::value(opening, fill, delta > 0).ok_or_else(overflow)?;
		Ok(Fill {
			size: position.size.checked_add(delta).ok_or_else(overflow)?,
			entry: position
				.entry
				.saturating_sub(entry_part)
				.checked_add(opened)
				.ok_or_else(overflow)?,
			closing,
			realized: price_pnl.checked_sub(funding).ok_or_else(overflow)?,
			funding,
		})
	}

	fn do_trade(
		who: &T::AccountId,
		market: MarketId,
		delta: SignedBalance,
		margin_in: Balance,
		acceptable_price: FixedU128,
		reduce_only: bool,
	) -> DispatchResult {
		ensure!(delta != 0, Error::<T>::Zero);
		ensure!(delta != SignedBalance::MIN, Error::<T>::Overflow);
		let mut state = Self::market(market)?;
		let params = state.params.clone();
		let amount = delta.unsigned_abs();
		ensure!(amount <= MAX_SIZE, Error::<T>::PositionTooLarge);
		let old = Positions::<T>::get(who, market).unwrap_or_default();
		let new_size = old.size.checked_add(delta).ok_or(Error::<T>::Overflow)?;
		let flips = old.size != 0 && new_size != 0 && (old.size > 0) != (new_size > 0);
		let adds_risk = new_size.unsigned_abs() > old.size.unsigned_abs() || flips;
		ensure!(!(reduce_only && adds_risk), Error::<T>::NotReducing);
		// A close may be of any size; anything else is at least the minimum and leaves at least
		// the minimum.
		ensure!(
			new_size == 0
				|| (amount >= params.min_size && new_size.unsigned_abs() >= params.min_size),
			Error::<T>::DustSize
		);
		ensure!(new_size.unsigned_abs() <= params.max_position_size, Error::<T>::PositionTooLarge);
		let action = if adds_risk { TradeAction::IncreaseRisk } else { TradeAction::ReduceRisk };
		if !T::Status::allows(market, state.silo, action) {
			return Err(if T::Status::market_status(market) == MarketStatus::Halted {
				Error::<T>::MarketHalted
			} else {
				Error::<T>::NewRiskNotAccepted
			}
			.into());
		}
		let price = Self::fresh_unit_price(market, &params)?;
		Self::advance(market, &mut state, Some(price))?;

		let mut position = old;
		position.margin = position.margin.checked_add(margin_in).ok_or(Error::<T>::Overflow)?;
		if old.size != 0 {
			let before = Self::health(&state, &position, price)?;
			ensure!(!before.liquidatable(), Error::<T>::PositionLiquidatable);
		}
		let fill_price = math::fill_price(
			price,
			state.open_interest.skew(),
			delta,
			params.skew_scale,
			params.max_price_impact,
		)
		.ok_or(Error::<T>::Overflow)?;
		let within_limit =
			if delta > 0 { fill_price <= acceptable_price } else { fill_price >= acceptable_price };
		ensure!(within_limit, Error::<T>::PriceLimitExceeded);

		let index = state.accrual.funding_index;
		let fill = Self::fill(&old, delta, fill_price, index)?;
		let traded = math::value(amount, fill_price, true).ok_or(Error::<T>::Overflow)?;
		let fee = params.trading_fee.mul_ceil(traded);
		let loss = if fill.realized < 0 { fill.realized.unsigned_abs() } else { 0 };
		let mut margin = position
			.margin
			.checked_sub(loss.saturating_add(fee))
			.ok_or(Error::<T>::InsufficientMargin)?;
		let reduces = !adds_risk;
		let release = if new_size == 0 {
			margin
		} else if reduces {
			math::mul_div(margin, fill.closing, old.size.unsigned_abs(), false)
				.ok_or(Error::<T>::Overflow)?
		} else {
			0
		};
		margin.saturating_reduce(release);
		let after = Position { size: fill.size, entry: fill.entry, margin, funding_index: index };

		let interest = Self::moved_interest(&state.open_interest, &old, &after)?;
		if interest.long_size > state.open_interest.long_size {
			ensure!(
				interest.long_size <= params.max_long_size,
				Error::<T>::OpenInterestCapExceeded
			);
		}
		if interest.short_size > state.open_interest.short_size {
			ensure!(
				interest.short_size <= params.max_short_size,
				Error::<T>::OpenInterestCapExceeded
			);
		}
		if new_size != 0 {
			let health = Self::health(&state, &after, price)?;
			if adds_risk {
				Self::ensure_initial(&params, &health, health.equity)?;
			} else {
				ensure!(!health.liquidatable(), Error::<T>::InsufficientMargin);
			}
		}
		if old.size == 0 {
			ensure!(
				Traders::<T>::decode_len(market).unwrap_or(0)
					< T::MaxPositionsPerMarket::get() as usize,
				Error::<T>::TooManyPositions
			);
		}

		// Every check passed: move the money, then write.
		let silo = state.silo;
		if !margin_in.is_zero() {
			T::Ledger::lock_margin(silo, who, margin_in)?;
		}
		Self::settle_realized(silo, who, market, &mut state, fill.realized)?;
		if !fee.is_zero() {
			T::Ledger::charge_fee(silo, who, fee)?;
		}
		if !release.is_zero() {
			T::Ledger::release_margin(silo, who, release)?;
		}
		state.open_interest = interest;
		Self::store_position(who, market, &old, &after)?;
		Markets::<T>::insert(market, state);
		Self::deposit_event(Event::PositionChanged {
			who: who.clone(),
			market,
			size_delta: delta,
			size: after.size,
			fill_price,
			fee,
			realized: fill.realized,
			funding: fill.funding,
			margin: after.margin,
		});
		Ok(())
	}

	/// Pays a realized result: a profit from the pool to free margin (what the pool cannot pay
	/// is recorded as unpaid), a loss from the position's margin (the caller made sure the
	/// margin covers it).
	fn settle_realized(
		silo: SiloId,
		who: &T::AccountId,
		market: MarketId,
		state: &mut MarketOf<T>,
		realized: SignedBalance,
	) -> Result<(Balance, Balance), DispatchError> {
		if realized > 0 {
			let settlement = T::Ledger::realize_profit(silo, who, realized.unsigned_abs())?;
			if !settlement.unpaid.is_zero() {
				state.unpaid_profit = state.unpaid_profit.saturating_add(settlement.unpaid);
				Self::deposit_event(Event::ProfitUnpaid {
					who: who.clone(),
					market,
					amount: settlement.unpaid,
				});
			}
			Ok((settlement.paid, settlement.unpaid))
		} else {
			if realized < 0 {
				T::Ledger::realize_loss(silo, who, realized.unsigned_abs())?;
			}
			Ok((0, 0))
		}
	}

	/// The market's open interest with `old` replaced by `new`.
	fn moved_interest(
		interest: &OpenInterest,
		old: &Position,
		new: &Position,
	) -> Result<OpenInterest, DispatchError> {
		let mut moved = *interest;
		Self::count_position(&mut moved, old, false)?;
		Self::count_position(&mut moved, new, true)?;
		Ok(moved)
	}

	/// Adds (or takes away) a position's contribution to its market's open interest.
	fn count_position(
		interest: &mut OpenInterest,
		position: &Position,
		add: bool,
	) -> Result<(), DispatchError> {
		if position.size == 0 {
			return Ok(());
		}
		let overflow = || DispatchError::from(Error::<T>::Overflow);
		let size = position.size.unsigned_abs();
		let basis =
			math::funding_basis(position.size, position.funding_index).ok_or_else(overflow)?;
		let (side_size, side_entry) = if position.size > 0 {
			(&mut interest.long_size, &mut interest.long_entry)
		} else {
			(&mut interest.short_size, &mut interest.short_entry)
		};
		if add {
			*side_size = side_size.checked_add(size).ok_or_else(overflow)?;
			*side_entry = side_entry.checked_add(position.entry).ok_or_else(overflow)?;
			interest.funding_basis =
				interest.funding_basis.checked_add(basis).ok_or_else(overflow)?;
		} else {
			*side_size = side_size.checked_sub(size).ok_or_else(overflow)?;
			*side_entry = side_entry.checked_sub(position.entry).ok_or_else(overflow)?;
			interest.funding_basis =
				interest.funding_basis.checked_sub(basis).ok_or_else(overflow)?;
		}
		Ok(())
	}

	/// Writes a position (removing it and its queue entry when closed) and the market's trader
	/// list.
	fn store_position(
		who: &T::AccountId,
		market: MarketId,
		old: &Position,
		new: &Position,
	) -> DispatchResult {
		if new.size == 0 {
			Positions::<T>::remove(who, market);
			Traders::<T>::mutate(market, |traders| {
				if let Some(index) = traders.iter().position(|trader| trader == who) {
					traders.swap_remove(index);
				}
			});
			LiquidationQueue::<T>::mutate(|queue| {
				queue.retain(|(account, queued)| !(account == who && *queued == market))
			});
		} else {
			if old.size == 0 {
				Traders::<T>::try_mutate(market, |traders| traders.try_push(who.clone()))
					.map_err(|_| Error::<T>::TooManyPositions)?;
			}
			Positions::<T>::insert(who, market, new);
		}
		Ok(())
	}

	/// Liquidates `who`'s position in `market` for `keeper` (`None`: the protocol, whose
	/// reward goes to the insurance fund).
	fn do_liquidate(
		keeper: Option<&T::AccountId>,
		who: &T::AccountId,
		market: MarketId,
	) -> DispatchResult {
		let mut state = Self::market(market)?;
		let position = Positions::<T>::get(who, market).ok_or(Error::<T>::NoPosition)?;
		let params = state.params.clone();
		let price = Self::liquidation_unit_price(market, state.silo, &params)?;
		Self::advance(market, &mut state, Some(price))?;
		let health = Self::health(&state, &position, price)?;
		ensure!(health.liquidatable(), Error::<T>::NotLiquidatable);

		let size = position.size.unsigned_abs();
		let penalty_rate = fraction(params.liquidation_penalty);
		let reward_rate = fraction(params.keeper_reward);
		let closing = math::liquidation_close_size(
			size,
			price,
			health.equity,
			health.initial_fraction,
			penalty_rate.saturating_add(reward_rate),
			params.min_size,
		)
		.ok_or(Error::<T>::Overflow)?;
		let direction = if position.size > 0 { -1 } else { 1 };
		let delta = (closing as SignedBalance).saturating_mul(direction);
		let index = state.accrual.funding_index;
		let fill = Self::fill(&position, delta, price, index)?;

		// The position's margin pays its loss, then the keeper, then the penalty.
		let mut margin = position.margin;
		let loss = if fill.realized < 0 { fill.realized.unsigned_abs() } else { 0 };
		let loss_from_margin = loss.min(margin);
		margin.saturating_reduce(loss_from_margin);
		let bad_debt = loss.saturating_sub(loss_from_margin);
		let closed_value = math::value(closing, price, false).ok_or(Error::<T>::Overflow)?;
		let reward = params.keeper_reward.mul_floor(closed_value).min(margin);
		margin.saturating_reduce(reward);
		let mut penalty = params.liquidation_penalty.mul_floor(closed_value).min(margin);
		margin.saturating_reduce(penalty);
		// Without a keeper the reward is insurance too.
		let reward = if keeper.is_some() {
			reward
		} else {
			penalty = penalty.saturating_add(reward);
			0
		};
		let release = if fill.size == 0 { margin } else { 0 };
		margin.saturating_reduce(release);
		let after = Position { size: fill.size, entry: fill.entry, margin, funding_index: index };
		let interest = Self::moved_interest(&state.open_interest, &position, &after)?;

		let silo = state.silo;
		if fill.realized > 0 {
			Self::settle_realized(silo, who, market, &mut state, fill.realized)?;
		}
		if !loss_from_margin.is_zero() {
			T::Ledger::realize_loss(silo, who, loss_from_margin)?;
		}
		if !bad_debt.is_zero() {
			T::Ledger::cover_bad_debt(silo, bad_debt)?;
		}
		if !(penalty.is_zero() && reward.is_zero()) {
			T::Ledger::pay_liquidation(silo, who, penalty, keeper.unwrap_or(who), reward)?;
		}
		if !release.is_zero() {
			T::Ledger::release_margin(silo, who, release)?;
		}
		state.open_interest = interest;
		Self::store_position(who, market, &position, &after)?;
		LiquidationQueue::<T>::mutate(|queue| {
			queue.retain(|(account, queued)| !(account == who && *queued == market))
		});
		Markets::<T>::insert(market, state);
		Self::deposit_event(Event::Liquidated {
			who: who.clone(),
			market,
			keeper: keeper.cloned(),
			closed: closing,
			size: after.size,
			price,
			realized: fill.realized,
			penalty,
			reward,
			bad_debt,
		});
		let shortfall = Self::silo_shortfall(silo);
		if !shortfall.is_zero() {
			Self::deposit_event(Event::DeleverageNeeded { market, silo, shortfall });
		}
		Ok(())
	}

	/// How far the silo's pool falls short of its traders' net unrealized profit (at the last
	/// prices); zero when it backs them.
	pub fn silo_shortfall(silo: SiloId) -> Balance {
		let owed = Self::net_trader_pnl_in(silo, None);
		let pool = T::Ledger::pool(silo).unwrap_or_default();
		if owed > 0 {
			owed.unsigned_abs().saturating_sub(pool)
		} else {
			0
		}
	}

	fn do_deleverage(market: MarketId) -> DispatchResult {
		let mut state = Self::market(market)?;
		let params = state.params.clone();
		let silo = state.silo;
		let price = Self::liquidation_unit_price(market, silo, &params)?;
		Self::advance(market, &mut state, Some(price))?;
		Markets::<T>::insert(market, state.clone());
		ensure!(!Self::silo_shortfall(silo).is_zero(), Error::<T>::SiloSolvent);

		let mut ranked: Vec<(FixedU128, T::AccountId, Position)> = Vec::new();
		for who in Traders::<T>::get(market) {
			let Some(position) = Positions::<T>::get(&who, market) else { continue };
			let health = Self::health(&state, &position, price)?;
			let profit = health.pnl.saturating_sub(health.funding);
			if let Some(score) =
				math::adl_score(profit, position.entry, health.notional, health.equity)
			{
				ranked.push((score, who, position));
			}
		}
		ensure!(!ranked.is_empty(), Error::<T>::NothingToDeleverage);
		// Highest score first; the market's trader order breaks ties (stable sort).
		ranked.sort_by_key(|entry| core::cmp::Reverse(entry.0));

		for (_, who, position) in ranked.into_iter().take(T::MaxDeleveragePerCall::get() as usize) {
			let delta = position.size.checked_neg().ok_or(Error::<T>::Overflow)?;
			let index = state.accrual.funding_index;
			// At the oracle price the close realizes exactly the profit the score was given.
			let fill = Self::fill(&position, delta, price, index)?;
			if fill.realized <= 0 {
				continue;
			}
			let after = Position { funding_index: index, ..Default::default() };
			let (paid, unpaid) =
				Self::settle_realized(silo, &who, market, &mut state, fill.realized)?;
			if !position.margin.is_zero() {
				T::Ledger::release_margin(silo, &who, position.margin)?;
			}
			state.open_interest = Self::moved_interest(&state.open_interest, &position, &after)?;
			Self::store_position(&who, market, &position, &after)?;
			Markets::<T>::insert(market, state.clone());
			Self::deposit_event(Event::Deleveraged {
				who,
				market,
				size: position.size,
				price,
				paid,
				unpaid,
			});
			if Self::silo_shortfall(silo).is_zero() {
				break;
			}
		}
		Ok(())
	}

	/// Re-checks the positions of `market` at its new price and queues the liquidatable ones.
	fn check_market(market: MarketId) {
		let Some(mut state) = Markets::<T>::get(market) else { return };
		let Some(price) = Self::unit_price_if_any(market, &state.params) else { return };
		if Self::advance(market, &mut state, Some(price)).is_err() {
			log::warn!(target: LOG_TARGET, "market {market}: funding accrual overflows");
			return;
		}
		let mut queue = LiquidationQueue::<T>::get();
		// (equity / maintenance requirement, account) of each newly liquidatable position.
		let mut found = Vec::new();
		for who in Traders::<T>::get(market) {
			let Some(position) = Positions::<T>::get(&who, market) else { continue };
			let Ok(health) = Self::health(&state, &position, price) else { continue };
			if health.liquidatable() && !queue.contains(&(who.clone(), market)) {
				found.push((health.coverage(), who));
			}
		}
		// Most underwater first (a stable sort keeps the trader order among equals); what does
		// not fit the queue is left to the keepers.
		found.sort_by_key(|(coverage, _)| *coverage);
		let mut queued = Vec::new();
		for (_, who) in found {
			if queue.try_push((who.clone(), market)).is_err() {
				break;
			}
			queued.push((who, market));
		}
		LiquidationQueue::<T>::put(queue);
		Markets::<T>::insert(market, state);
		for (who, market) in queued {
			Self::deposit_event(Event::LiquidationQueued { who, market });
		}
	}

	/// Traders' net unrealized PnL against `silo` (positive: the pool owes them), at the last
	/// prices, or with every unit price of `shocked` markets multiplied by its factor.
	fn net_trader_pnl_in(
		silo: SiloId,
		shock: Option<(Option<MarketId>, FixedU128)>,
	) -> SignedBalance {
		let mut total: SignedBalance = 0;
		for (market, state) in Markets::<T>::iter() {
			if state.silo != silo {
				continue;
			}
			let state = Self::advanced(market, state);
			let Some(mut price) = Self::unit_price_if_any(market, &state.params) else { continue };
			if let Some((target, factor)) = shock {
				if target.is_none_or(|target| target == market) {
					price = price.saturating_mul(factor);
				}
			}
			total = total.saturating_add(Self::market_pnl(&state, price).unwrap_or_default());
		}
		total
	}

	/// The net PnL of every position of a market at `price`, less the funding they owe, from
	/// the market's totals alone.
	fn market_pnl(state: &MarketOf<T>, price: FixedU128) -> Option<SignedBalance> {
		let interest = &state.open_interest;
		let longs = math::price_pnl(interest.long_size, price, interest.long_entry, true)?;
		let shorts = math::price_pnl(interest.short_size, price, interest.short_entry, false)?;
		let owed = math::funding_basis(interest.skew(), state.accrual.funding_index)?
			.checked_sub(interest.funding_basis)?;
		longs.checked_add(shorts)?.checked_sub(owed)
	}

	/// Every position of `who`, with its health at the last oracle price.
	pub fn account_health(who: &T::AccountId) -> Vec<PositionHealth> {
		let mut report = Vec::new();
		for (market, position) in Positions::<T>::iter_prefix(who) {
			let Some(state) = Markets::<T>::get(market) else { continue };
			let state = Self::advanced(market, state);
			let Some(price) = Self::unit_price_if_any(market, &state.params) else { continue };
			let Ok(health) = Self::health(&state, &position, price) else { continue };
			let liquidation_price = math::liquidation_price(
				position.size,
				position.entry,
				position.margin,
				health.funding,
				health.maintenance_fraction,
			)
			.and_then(|unit| unit.checked_div(&state.params.value_scale));
			report.push(PositionHealth {
				market,
				silo: state.silo,
				size: position.size,
				entry: position.entry,
				margin: position.margin,
				equity: health.equity,
				pnl: health.pnl,
				funding_owed: health.funding,
				initial_requirement: health.initial,
				maintenance_requirement: health.maintenance,
				liquidation_price,
				liquidatable: health.liquidatable(),
			});
		}
		report
	}

	/// The liquidatable positions at the last prices: the `count` (at most 1_000) after the
	/// first `start`, walking markets in storage order and their traders in list order.
	pub fn liquidatable(start: u32, count: u32) -> Vec<(T::AccountId, MarketId)> {
		let count = count.min(1_000) as usize;
		let mut found = Vec::new();
		let mut skipped = 0u32;
		for (market, state) in Markets::<T>::iter() {
			let state = Self::advanced(market, state);
			let Some(price) = Self::unit_price_if_any(market, &state.params) else { continue };
			for who in Traders::<T>::get(market) {
				let Some(position) = Positions::<T>::get(&who, market) else { continue };
				if !Self::health(&state, &position, price).is_ok_and(|h| h.liquidatable()) {
					continue;
				}
				if skipped < start {
					skipped += 1;
					continue;
				}
				if found.len() >= count {
					return found;
				}
				found.push((who, market));
			}
		}
		found
	}

	/// What a price shock of `shock` (-0.3 = prices 30% lower; at least -1) to `market`, or to
	/// every market if `None`, would do to each silo with markets: the bad debt (negative
	/// equity) it would leave, the positions it would make liquidatable, the traders' net PnL,
	/// and the part of the bad debt the insurance fund could not pay.
	pub fn stress_test(market: Option<MarketId>, shock: FixedI128) -> Vec<SiloStress> {
		let factor = FixedI128::one().saturating_add(shock);
		let factor = if factor.is_negative() {
			FixedU128::zero()
		} else {
			FixedU128::from_inner(factor.into_inner().unsigned_abs())
		};
		let mut silos: BTreeMap<SiloId, SiloStress> = BTreeMap::new();
		for (id, state) in Markets::<T>::iter() {
			let stress = silos
				.entry(state.silo)
				.or_insert_with(|| SiloStress { silo: state.silo, ..Default::default() });
			if market.is_some_and(|target| target != id) {
				continue;
			}
			let state = Self::advanced(id, state);
			let Some(price) = Self::unit_price_if_any(id, &state.params) else { continue };
			let shocked = price.saturating_mul(factor);
			for who in Traders::<T>::get(id) {
				let Some(position) = Positions::<T>::get(&who, id) else { continue };
				let Ok(health) = Self::health(&state, &position, shocked) else { continue };
				if health.liquidatable() {
					stress.liquidatable = stress.liquidatable.saturating_add(1);
				}
				if health.equity < 0 {
					stress.bad_debt = stress.bad_debt.saturating_add(health.equity.unsigned_abs());
				}
			}
		}
		silos
			.into_values()
			.map(|mut stress| {
				let (insurance, _) = T::Ledger::insurance(stress.silo).unwrap_or_default();
				stress.insurance = insurance;
				stress.pool = T::Ledger::pool(stress.silo).unwrap_or_default();
				stress.trader_pnl = Self::net_trader_pnl_in(stress.silo, Some((market, factor)));
				stress.uncovered = stress.bad_debt.saturating_sub(insurance);
				stress
			})
			.collect()
	}

	/// The engine's invariants:
	/// - each market's open interest is the sum of its positions (sizes, entries, funding
	///   basis), and its trader list names exactly the accounts with a position in it, once;
	/// - no zero position is stored;
	/// - in each silo, each account's locked margin is the sum of its positions' margins there;
	/// - the liquidation queue names no position twice.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut interest: BTreeMap<MarketId, OpenInterest> = BTreeMap::new();
		let mut locked: BTreeMap<(SiloId, T::AccountId), Balance> = BTreeMap::new();
		let mut holders: BTreeMap<MarketId, u32> = BTreeMap::new();
		for (who, market, position) in Positions::<T>::iter() {
			let state = Markets::<T>::get(market).ok_or("position in an unknown market")?;
			ensure!(position.size != 0, "zero position stored");
			Self::count_position(interest.entry(market).or_default(), &position, true)
				.map_err(|_| "open interest overflows")?;
			let sum = locked.entry((state.silo, who.clone())).or_default();
			*sum = sum.checked_add(position.margin).ok_or("margin overflows")?;
			ensure!(Traders::<T>::get(market).contains(&who), "trader list misses a position");
			*holders.entry(market).or_default() += 1;
		}
		for (market, state) in Markets::<T>::iter() {
			let expected = interest.get(&market).copied().unwrap_or_default();
			ensure!(state.open_interest == expected, "open interest differs from positions");
			let traders = Traders::<T>::get(market);
			ensure!(
				traders.len() as u32 == holders.get(&market).copied().unwrap_or_default(),
				"trader list differs from positions"
			);
		}
		for ((silo, who), margin) in locked {
			ensure!(
				T::Ledger::locked_margin(silo, &who) == margin,
				"locked margin differs from the positions' margins"
			);
		}
		let queue = LiquidationQueue::<T>::get();
		for (index, entry) in queue.iter().enumerate() {
			ensure!(!queue[..index].contains(entry), "position queued twice");
		}
		Ok(())
	}
}

impl<T: Config> OnPriceUpdate for Pallet<T> {
	fn on_price_update(market: MarketId, _price: FixedU128) {
		Self::check_market(market);
	}

	fn max_weight() -> Weight {
		T::WeightInfo::on_price_update(T::MaxPositionsPerMarket::get())
	}
}

impl<T: Config> UnrealizedPnl for Pallet<T> {
	fn net_trader_pnl(silo: SiloId) -> SignedBalance {
		Self::net_trader_pnl_in(silo, None)
	}
}
