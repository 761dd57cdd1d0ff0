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
//!   unrealized profit, [`Pallet::deleverage`] closes the positions of the market with the
//!   most profit per unit at the oracle price with one haircut that closes the gap
//!   (auto-deleveraging), in that silo only.
//! - A profit the pool cannot pay now is never lost: it becomes the trader's claim in the silo's
//!   books, paid before any LP may leave. A reduction at a price the breakers flag fills no
//!   better than the flag allows, and what it would have paid beyond that is held, then paid
//!   once the price has held for a governed window, at the lower of the TWAP and the last
//!   price for a long, the higher for a short (nothing if it reverted). The silos price LP shares from the engine's marks of
//!   each market side ([`PositionMarks`]): at what closing the side would realize, winners never
//!   netted against losers.
//! - Each new oracle aggregate (handed over through `OnPriceUpdate` with its price, round,
//!   block and volatility; the engine does not read the oracle back) looks at the first
//!   position of each of the market's liquidation books (the position index, [`crate::index`])
//!   and, if one is due, watches the market for the next block's pass. Nothing visits every
//!   position: a market holds as many as money opens (`min_size`, `min_position_value`).
//!
//! ## Where each rule lives
//!
//! - `lib.rs`: config, storage, events, errors, genesis, hooks, the thin calls, and
//!   [`Pallet::do_try_state`] (the engine's invariants).
//! - `markets.rs`: market creation, the bounds of market parameters
//!   ([`Pallet::ensure_valid_params`]), and which price each action may use (Fresh for new
//!   risk, per side what the breakers trust to liquidate, the last usable one to reduce, the
//!   last known for views).
//! - `funding.rs`: the funding index and the volatility add-on, accrued to the current block.
//! - `risk.rs`: a position's health ([`Pallet::health`]) and its initial and maintenance
//!   requirements.
//! - `trading.rs`: `trade` / `close_position`: the fill, PnL and funding settlement, fees,
//!   margin release, open-interest caps, and how positions are stored.
//! - `index.rs`: the position index (liquidation books per side and size tier, deleverage
//!   books per side) and how a position's places follow it; `frontier.rs`: the order in which
//!   the pass, the keepers and the views take liquidatable positions (silos in turns, most
//!   underwater first within a silo).
//! - `held.rs`: profit held back from reductions at flagged prices, judged in `on_poll` once
//!   the price has held ([`Pallet::held_profit_pass`]).
//! - `liquidation.rs`: watching a market after an aggregate, the `on_poll` pass
//!   ([`Pallet::liquidation_pass`]), `liquidate`, its pool validation, and `deleverage`.
//! - `views.rs`: what [`runtime_api::PerpetualMarginApi`] serves: account health, the
//!   liquidatable positions, the stress test, the traders' net PnL per silo.
//! - `impls.rs`: the primitives traits it implements (`OnPriceUpdate`, `PositionMarks`).
//! - `math.rs`: every formula (value, impact, PnL, funding, margin fractions, liquidation size
//!   and price, the index's keys), storage-free and unit-tested; `types.rs`: the stored and reported
//!   types, [`Health`] and the fill; `extension.rs`: the `PrioritizeLiquidations` transaction
//!   extension; `owner_lane.rs`: the `OwnerLane` extension (owners' risk-reducing calls above
//!   every tip); `offchain.rs`: the validators' keeper submissions.
//!
//! ## Liquidations first
//!
//! A position found liquidatable by the price aggregate of block N is liquidated at the start of
//! block N+1, however full the transaction pool is:
//! 1. Protocol: `on_poll` (after the inherents, before any transaction) liquidates the due
//!    positions of the watched markets in the [`Frontier`]'s order, up to
//!    [`Config::MaxLiquidationsPerBlock`] within its benchmarked weight. No transaction is
//!    involved; the keeper reward goes to the insurance fund with the penalty.
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
mod frontier;
mod funding;
pub mod held;
mod impls;
pub mod index;
mod liquidation;
mod markets;
pub mod math;
pub mod migrations;
mod offchain;
pub mod owner_lane;
mod risk;
pub mod runtime_api;
pub mod settlement;
mod trading;
pub mod types;
mod views;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use extension::PrioritizeLiquidations;
pub use frontier::Frontier;
pub use index::{Book, BookId, Place};
pub use owner_lane::OwnerLane;
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

use alloc::{collections::BTreeMap, vec::Vec};
use bulwark_primitives::{
	Balance, LiquidationBacklog, MarketId, MarketStatus, OnPriceUpdate, PoolMarks, PositionMarks,
	PriceFeed, PriceStatus, SignedBalance, SiloHealth, SiloId, SiloLedger, TradeAction,
	TradingStatus,
};
use frame_support::{pallet_prelude::*, weights::WeightMeter};
use frame_system::{offchain::CreateAuthorizedTransaction, pallet_prelude::*};
use sp_runtime::{
	traits::{One, SaturatedConversion, Saturating, Zero},
	transaction_validity::TransactionValidityWithRefund,
	FixedI128, FixedPointNumber, FixedU128, Permill,
};

const LOG_TARGET: &str = "runtime::perpetual-margin";

/// Blocks a verified liquidation may wait in the pool before it must be submitted again.
pub const LIQUIDATION_LONGEVITY: u64 = 5;
/// `InvalidTransaction::Custom` code of a liquidation whose position is not liquidatable (or
/// does not exist, or whose price the breakers do not trust).
pub const NOT_LIQUIDATABLE: u8 = 1;

/// The most positions in one market the benchmarks of the price-update check and the pass
/// measure (their `n`); their weights are charged at it, an upper bound as long as the
/// benchmarks show no growth with `n`.
pub const BENCHMARKED_POSITIONS: u32 = 100_000;

/// Largest size any parameter may allow: keeps every value product far from overflow.
pub const MAX_SIZE: u128 = 1 << 100;

/// The market type this pallet stores.
pub type MarketOf<T> = Market<<T as Config>::MaxTiers, BlockNumberFor<T>>;
/// The parameters of a market.
pub type MarketParamsOf<T> = MarketParams<<T as Config>::MaxTiers>;
/// The settlement rules this pallet stores.
pub type SettlementRulesOf<T> = SettlementRules<BlockNumberFor<T>>;

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

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
		/// Positions one `deleverage` call may close.
		#[pallet::constant]
		type MaxDeleveragePerCall: Get<u32>;
		/// Most positions the protocol liquidates at the start of a block (in `on_poll`), shared
		/// by the silos in turns. The runtime keeps this many benchmarked liquidations inside the
		/// block's operational reserve.
		#[pallet::constant]
		type MaxLiquidationsPerBlock: Get<u32>;
		/// Pool priority of a liquidation whose position the pool found liquidatable.
		#[pallet::constant]
		type LiquidationPriority: Get<TransactionPriority>;
		/// Pool priority of an owner's risk-reducing call ([`OwnerLane`]): above what any tip
		/// buys, below oracle reports and liquidations.
		#[pallet::constant]
		type OwnerLanePriority: Get<TransactionPriority>;
		/// Liquidations a validator's offchain worker submits per block, for the liquidatable
		/// positions the next block's protocol pass will not reach.
		#[pallet::constant]
		type MaxKeeperSubmissions: Get<u32>;
		/// Most index entries the settlements of markets take per block (each closes a position
		/// or counts a winner), after the liquidation pass, within the weight left.
		#[pallet::constant]
		type MaxSettlementsPerBlock: Get<u32>;
		/// Most held profits judged per block (in `on_poll`, after the settlements, within the
		/// weight left).
		#[pallet::constant]
		type MaxHeldReleasesPerBlock: Get<u32>;
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

	/// The position index ([`crate::index`]): each position's place in its market's liquidation
	/// book (per side and size tier) and deleverage book (per side), in the books' order. No
	/// count bounds it: each entry is a position, and positions are bounded by the money they
	/// hold (`min_size`, `min_position_value`). The book and the order bytes are stored as they
	/// are (their order is the books' order); the owner is hashed, so that no one can grind
	/// account keys into a deep trie path at the head of a book.
	#[pallet::storage]
	pub type PositionIndex<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Identity, BookId>,
			NMapKey<Identity, [u8; 16]>,
			NMapKey<Blake2_128Concat, T::AccountId>,
		),
		(),
		OptionQuery,
	>;

	/// Markets where the last aggregate left a liquidation book's first position liquidatable:
	/// what the protocol's pass walks. A market leaves once its books' first positions are all
	/// healthy at a usable price.
	#[pallet::storage]
	pub type Watched<T: Config> = StorageValue<_, BoundedVec<MarketId, T::MaxMarkets>, ValueQuery>;

	/// The default settlement rules: settle after 1_200 Stale blocks (two hours of 6 s blocks),
	/// outage exits after 100, at a 5% band.
	#[pallet::type_value]
	pub fn DefaultRules<T: Config>() -> SettlementRulesOf<T> {
		SettlementRules {
			settle_after_stale: 1_200u32.into(),
			exit_after_stale: 100u32.into(),
			exit_band: Permill::from_percent(5),
		}
	}

	/// The governed rules for markets whose feed is gone ([`crate::settlement`]).
	#[pallet::storage]
	pub type Rules<T: Config> = StorageValue<_, SettlementRulesOf<T>, ValueQuery, DefaultRules<T>>;

	/// Markets being settled, in the order their settlements started: what `on_poll` works on.
	#[pallet::storage]
	pub type Settling<T: Config> = StorageValue<_, BoundedVec<MarketId, T::MaxMarkets>, ValueQuery>;

	/// Each market's settlement, in progress or done (the record stays once the market is
	/// removed, until a market with its id is created again).
	#[pallet::storage]
	pub type Settlements<T: Config> =
		StorageMap<_, Twox64Concat, MarketId, Settlement<BlockNumberFor<T>>>;

	/// The default hold of profit not paid at a flagged price: 600 blocks (an hour of 6 s
	/// blocks, the oracle's TWAP window).
	#[pallet::type_value]
	pub fn DefaultHoldWindow<T: Config>() -> BlockNumberFor<T> {
		600u32.into()
	}

	/// How long the price must hold before profit held back at a flagged price is judged
	/// ([`crate::held`]). Governed.
	#[pallet::storage]
	pub type ProfitHoldWindow<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, DefaultHoldWindow<T>>;

	/// Profit held back from reductions at flagged prices, by number, in the order held.
	#[pallet::storage]
	pub type HeldProfits<T: Config> =
		StorageMap<_, Twox64Concat, u64, HeldProfit<T::AccountId, BlockNumberFor<T>>>;

	/// Which held profits are not judged yet: `head..next`.
	#[pallet::storage]
	pub type HeldProfitCursor<T: Config> = StorageValue<_, HeldCursor, ValueQuery>;

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

	/// Units in every event: sizes (`size_delta`, `size_units`, `closed`) are in the market's
	/// size units (BTC-USD: satoshi, 10^-8 BTC); money (`margin`, `fee`, `realized`, `bad_debt`,
	/// ...) in the silo's collateral units (USDB: 10^-6 dollar); a position's `fill_price` or
	/// `price` is a *unit price*: collateral units per size unit, the oracle's price times the
	/// market's `value_scale` (BTC at $67,000, `value_scale` 0.01: 670, the `FixedU128`
	/// 670 x 10^18); `SettlementStarted`'s and `MarketSettled`'s `price` are oracle prices
	/// (dollars per coin). A size is never a field named `size`: Polkadot.js renames that one.
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
			size_units: SignedBalance,
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
		/// liquidated: the reward then went to the insurance fund with the penalty. `keeper` is
		/// `who` when the owner closed the liquidatable position (no penalty, no reward).
		Liquidated {
			who: T::AccountId,
			market: MarketId,
			keeper: Option<T::AccountId>,
			closed: u128,
			size_units: SignedBalance,
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
		/// A winning position closed by auto-deleveraging at the oracle price: of its `profit`,
		/// `paid` into free margin, `claimed` owed as the trader's claim on the silo (the pool
		/// could not pay it yet), `forfeited` the step's haircut, which closes the silo's
		/// shortfall.
		Deleveraged {
			who: T::AccountId,
			market: MarketId,
			size_units: SignedBalance,
			price: FixedU128,
			profit: Balance,
			paid: Balance,
			claimed: Balance,
			forfeited: Balance,
		},
		/// An aggregate left positions of the market liquidatable: the protocol's pass takes
		/// them from the next block.
		LiquidationsDue {
			market: MarketId,
		},
		/// The market is being settled: every position will close at `price` (oracle terms:
		/// quote per base unit: the TWAP of its last good window, or the last price of a live
		/// feed). Trading, liquidation and
		/// deleveraging in it have stopped.
		SettlementStarted {
			market: MarketId,
			price: FixedU128,
			reason: SettlementReason,
		},
		/// A position closed by its market's settlement at `price` (unit price: collateral per
		/// size unit), with no fee. Of a profit: `paid` into free margin, `claimed` owed,
		/// `forfeited` by the pro-rata haircut; of a loss: `bad_debt` beyond its margin went
		/// down the silo's waterfall. `released`: margin returned to free margin.
		PositionSettled {
			who: T::AccountId,
			market: MarketId,
			size_units: SignedBalance,
			price: FixedU128,
			realized: SignedBalance,
			paid: Balance,
			claimed: Balance,
			forfeited: Balance,
			bad_debt: Balance,
			released: Balance,
		},
		/// Every loser of the settling market is closed: its winners, with `winners_profit` in
		/// all, are each paid `payout` of their profit (1: in full).
		SettlementPayout {
			market: MarketId,
			winners_profit: Balance,
			payout: FixedU128,
		},
		/// The market's last position closed; the market is removed (its feed may be removed
		/// too). The totals of its settlement.
		MarketSettled {
			market: MarketId,
			price: FixedU128,
			closed: u32,
			paid: Balance,
			claimed: Balance,
			forfeited: Balance,
			bad_debt: Balance,
		},
		/// An owner closed a position whole during a long outage at `price` (the outage unit
		/// price, see `SettlementRules`), with no fee. A profit is paid (`paid`, `claimed`) the
		/// share the silo's pool could pay all its winners now, the rest `forfeited`.
		ExitedInOutage {
			who: T::AccountId,
			market: MarketId,
			size_units: SignedBalance,
			price: FixedU128,
			realized: SignedBalance,
			paid: Balance,
			claimed: Balance,
			forfeited: Balance,
			bad_debt: Balance,
			released: Balance,
		},
		SettlementRulesSet {
			rules: SettlementRulesOf<T>,
		},
		/// A reduction at a flagged price filled no better than the flag allows; what it would
		/// have paid beyond that is held as number `id`: at most `amount`, judged from block
		/// `due` at the TWAP of the window before (less if the price reverted).
		ProfitHeld {
			who: T::AccountId,
			market: MarketId,
			id: u64,
			amount: Balance,
			due: BlockNumberFor<T>,
		},
		/// Held profit `id` fell due while the market's price was flagged or unusable (or its
		/// judgement failed): held again as `new_id` until `due`.
		ProfitHoldExtended {
			who: T::AccountId,
			market: MarketId,
			id: u64,
			new_id: u64,
			due: BlockNumberFor<T>,
		},
		/// Held profit `id` judged at unit price `price`: `paid` of the `held` amount realized
		/// as profit (into free margin as far as the pool and its allowance go, `claimed` the
		/// trader's claim in order), the rest the pool's.
		HeldProfitJudged {
			who: T::AccountId,
			market: MarketId,
			id: u64,
			price: FixedU128,
			held: Balance,
			paid: Balance,
			claimed: Balance,
		},
		ProfitHoldWindowSet {
			window: BlockNumberFor<T>,
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
		/// The oracle price is Stale: no new risk on it.
		StalePrice,
		/// The market is halted by the breakers: no trade and no liquidation (margin may still
		/// be added).
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
		/// The position is liquidatable: only a liquidation, added margin, or its owner's
		/// `close_position` may touch it.
		PositionLiquidatable,
		/// The position's equity is not below its maintenance requirement.
		NotLiquidatable,
		/// The breakers judge the price too old to liquidate or reduce at.
		PriceUnusable,
		/// The position left open would be worth less than the market's `min_position_value`.
		PositionTooSmall,
		/// A market's size tiers cannot change while it has positions (each position's place
		/// in the liquidation index depends on its tier).
		TiersLocked,
		/// The silo's pool backs its traders' unrealized profit: nothing to deleverage.
		SiloSolvent,
		/// No profitable position to deleverage in this market.
		NothingToDeleverage,
		/// Closing this market's top winners would not make the silo's shortfall smaller.
		DeleverageIneffective,
		/// The breakers flag the market's price (a band trip in force, an aggregate held): no
		/// deleveraging at it.
		PriceFlagged,
		/// The market is being settled: its positions close at its settlement price, nothing
		/// else acts on them.
		MarketSettling,
		/// Settlement rules out of bounds (see `ensure_valid_rules`).
		InvalidSettlementRules,
		/// A profit hold window of zero blocks or beyond a day.
		InvalidHoldWindow,
		/// A market's value scale cannot change while it has positions (their entry values
		/// are collateral at the old scale).
		ValueScaleLocked,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxMarkets::get() > 0, "MaxMarkets must be positive");
			assert!(T::MaxDeleveragePerCall::get() > 0, "MaxDeleveragePerCall must be positive");
			assert!(T::MaxTiers::get() < u8::MAX as u32, "size tiers are indexed by a byte");
		}

		/// The protocol's liquidation pass. `on_poll` runs after the inherents and before any
		/// transaction, so what the last block's prices made liquidatable is liquidated before
		/// the pool gets a say.
		fn on_poll(_: BlockNumberFor<T>, meter: &mut WeightMeter) {
			Self::liquidation_pass(meter);
			Self::settlement_pass(meter);
			Self::held_profit_pass(meter);
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
			Self::do_create_market(market, silo, params)
		}

		/// Replaces a market's parameters.
		///
		/// Origin: [`Config::AdminOrigin`]. Funding is accrued to now under the old parameters
		/// first. Open positions stay; a lowered cap stops only their growth. Margin fractions
		/// apply at once: raise them in steps, or positions become liquidatable. The size tiers
		/// and the value scale cannot change while the market has positions (`TiersLocked`,
		/// `ValueScaleLocked`). Bounds: see [`Pallet::ensure_valid_params`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_market_params())]
		pub fn set_market_params(
			origin: OriginFor<T>,
			market: MarketId,
			params: MarketParamsOf<T>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_market_params(market, params)
		}

		/// Buys (`size_delta > 0`) or sells `|size_delta|` units in `market`, first locking
		/// `margin` more of the caller's free margin in the silo for this position.
		///
		/// Origin: signed (the trader). Fills at the oracle price plus the price impact of the
		/// skew; refused if that is worse than `acceptable_price` (a buy's highest, a sell's
		/// lowest unit price: collateral units per size unit, the oracle price times the
		/// market's `value_scale`; to buy BTC at no more than $67,670 with `value_scale` 0.01,
		/// 676.7, the `FixedU128` 676_700_000_000_000_000_000). `reduce_only` refuses a trade that would increase or flip the
		/// position. Settles the position's funding; the closed part's PnL is realized (profit to
		/// free margin, loss from this position's margin), the fee is charged from it, and a
		/// reduction releases a proportional part of the margin (all of it on a close). A trade
		/// that adds risk must leave equity at the initial requirement within the leverage cap;
		/// one that reduces risk, at the maintenance requirement. New risk needs a Normal market,
		/// an unflagged and Fresh price; a reduction, the price a liquidation could act on (not
		/// Halted, at most `liquidation_max_price_age` old), and while the breakers flag the
		/// price it fills no better for the trader than [`TradingStatus::fill_bounds`]. A
		/// liquidatable position may only be closed whole, as `close_position` closes it.
		#[pallet::call_index(2)]
		#[pallet::weight(Pallet::<T>::reduction_weight())]
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
		/// Origin: signed (the trader). A liquidatable position is closed whole as a liquidation
		/// would close it (at its side's liquidation price, its loss beyond its margin down the
		/// silo's waterfall), paying the trading fee as far as its margin goes instead of the
		/// penalty and keeper reward (event `Liquidated` with the owner as `keeper`): whenever a
		/// keeper may liquidate a position, its owner may close it.
		#[pallet::call_index(3)]
		#[pallet::weight(Pallet::<T>::reduction_weight())]
		pub fn close_position(
			origin: OriginFor<T>,
			market: MarketId,
			acceptable_price: FixedU128,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_close_position(&who, market, acceptable_price)
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
			Self::do_add_margin(who, market, amount)
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
			Self::do_remove_margin(who, market, amount)
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
			T::WeightInfo::liquidate()
				.saturating_add(<Pallet<T> as PositionMarks>::marks_weight()),
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

		/// Auto-deleverages `market` by one step: closes, at the oracle price, the profitable
		/// positions with the most profit per unit (each side's deleverage book, see
		/// [`crate::index`]), at most
		/// `MaxDeleveragePerCall`, each paid its profit less one haircut: their share of the
		/// shortfall the closes would leave if paid in full (measured by trying them), at most
		/// 100%. The last step of the waterfall; it closes the shortfall when their profit
		/// covers it. What is kept is paid as far as the pool goes and becomes the trader's claim
		/// beyond.
		///
		/// Origin: signed (anyone). Only when the silo is short (its claims and winners' profit
		/// beyond its pool and the losers' collectible loss), and only if the step makes the
		/// shortfall smaller (`DeleverageIneffective` otherwise, nothing changed). Changes the
		/// closed positions, their margin and the silo's pool, claims and open interest.
		#[pallet::call_index(7)]
		// The step reads the silo's marks three times (before, after the trial, after), and
		// closes its winners twice (the trial is rolled back), beyond what the benchmark of one
		// pass of closes measured.
		#[pallet::weight(T::WeightInfo::deleverage()
			.saturating_mul(2)
			.saturating_add(<Pallet<T> as PositionMarks>::marks_weight().saturating_mul(3)))]
		pub fn deleverage(origin: OriginFor<T>, market: MarketId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_deleverage(market)
		}

		/// Settles `market`: every position closes at one price over the next blocks (see
		/// [`crate::settlement`]): the oracle's TWAP of the market's last good window if its
		/// price is Stale (remove the feed first to settle a live market at its TWAP), else
		/// its last price.
		///
		/// Origin: [`Config::AdminOrigin`] (a risk-parameters referendum). The protocol starts
		/// the same settlement by itself once the price has been Stale for
		/// `settle_after_stale` blocks. Stops trading, liquidation and deleveraging in the
		/// market at once and freezes its funding; `on_poll` then closes losers, fixes the
		/// winners' payout (pro rata if the silo's pool cannot pay them all) and closes winners,
		/// releasing every margin to its owner; then removes the market.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::settle_market())]
		pub fn settle_market(origin: OriginFor<T>, market: MarketId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_settle_market(market, SettlementReason::Governance)
		}

		/// Sets the rules for markets whose feed is gone: after how many Stale blocks owners may
		/// leave at the outage price (and its band), and after how many the protocol settles.
		///
		/// Origin: [`Config::AdminOrigin`]. Bounds: both durations positive, exits before
		/// settlement, settlement within a day of blocks, a band below 100%.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_settlement_rules())]
		pub fn set_settlement_rules(
			origin: OriginFor<T>,
			rules: SettlementRulesOf<T>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_settlement_rules(rules)
		}

		/// Sets how long a market's price must hold (unflagged, usable) before profit held back
		/// at a flagged price is judged, at the oracle's TWAP then.
		///
		/// Origin: [`Config::AdminOrigin`]. Bounds: positive, at most a day of blocks
		/// (`InvalidHoldWindow`). Profits already held keep the block they fall due in; they are
		/// judged in the order held, so after a shorter window is set, new ones wait behind
		/// them.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::set_profit_hold_window())]
		pub fn set_profit_hold_window(
			origin: OriginFor<T>,
			window: BlockNumberFor<T>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			let max: BlockNumberFor<T> = bulwark_primitives::MAX_BLOCKS.into();
			ensure!(!window.is_zero() && window <= max, Error::<T>::InvalidHoldWindow);
			ProfitHoldWindow::<T>::put(window);
			Self::deposit_event(Event::ProfitHoldWindowSet { window });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// What a `trade` or `close_position` may cost: a trade, or the liquidation-like close of a
	/// liquidatable position, plus holding the profit a flagged price kept back (the engine's
	/// cursor read and written, its record and the silo's total written), which the trade
	/// benchmark, run at an unflagged price, does not take.
	pub fn reduction_weight() -> Weight {
		T::WeightInfo::trade()
			.max(T::WeightInfo::liquidate())
			.saturating_add(T::DbWeight::get().reads_writes(2, 3))
	}

	/// The engine's invariants:
	/// - each market's open interest is the sum of its positions (per side: sizes, entries,
	///   funding basis, margins);
	/// - no zero position is stored;
	/// - the position index holds, for each position, exactly its liquidation and deleverage
	///   places as its numbers give them now, and nothing else: so every liquidatable position is
	///   in its book, where its key puts it;
	/// - the watched markets exist, each once;
	/// - in each silo, each account's locked margin is the sum of its positions' margins there;
	/// - each settling market exists once, is not watched, and has its settlement in progress;
	///   once its losers are closed, each position left in it is a winner at the settlement
	///   price; a settled market is gone;
	/// - the held profits are in order and add up to each silo's ([`Self::held_try_state`]);
	/// - every market's funding accrues to now (nothing acts on a market whose accrual fails).
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut interest: BTreeMap<MarketId, OpenInterest> = BTreeMap::new();
		let mut locked: BTreeMap<(SiloId, T::AccountId), Balance> = BTreeMap::new();
		let mut places = 0u64;
		for (who, market, position) in Positions::<T>::iter() {
			let state = Markets::<T>::get(market).ok_or("position in an unknown market")?;
			ensure!(position.size_units != 0, "zero position stored");
			Self::count_position(interest.entry(market).or_default(), &position, true)
				.map_err(|_| "open interest overflows")?;
			let sum = locked.entry((state.silo, who.clone())).or_default();
			*sum = sum.checked_add(position.margin).ok_or("margin overflows")?;
			let expected = Self::index_places(market, &state.params.size_tiers, &who, &position)
				.ok_or("a position without index places")?;
			for (book, place) in expected {
				ensure!(
					PositionIndex::<T>::contains_key((book, place.0, place.1)),
					"a position is not where its numbers place it in the index"
				);
				places += 1;
			}
		}
		ensure!(
			PositionIndex::<T>::iter_keys().count() as u64 == places,
			"the index holds entries of no position"
		);
		for (market, mut state) in Markets::<T>::iter() {
			let expected = interest.get(&market).copied().unwrap_or_default();
			ensure!(state.open_interest == expected, "open interest differs from positions");
			// Every trade, liquidation and settlement accrues first: a market whose accrual
			// fails is stuck, its positions beyond reach (`ensure_valid_params`).
			Self::accrue_to_now(market, &mut state)
				.map_err(|_| "a market's funding no longer accrues")?;
		}
		let watched = Watched::<T>::get();
		for (index, market) in watched.iter().enumerate() {
			ensure!(Markets::<T>::contains_key(market), "an unknown market is watched");
			ensure!(!watched[..index].contains(market), "a market watched twice");
		}
		let settling = Settling::<T>::get();
		for (index, market) in settling.iter().enumerate() {
			ensure!(!settling[..index].contains(market), "a market settling twice");
			ensure!(Markets::<T>::contains_key(market), "an unknown market is settling");
			ensure!(!watched.contains(market), "a settling market is watched");
			let settlement =
				Settlements::<T>::get(market).ok_or("settling without a settlement")?;
			ensure!(settlement.phase != SettlementPhase::Settled, "a settled market is settling");
			if settlement.phase == SettlementPhase::PayingWinners {
				let state = Markets::<T>::get(market).ok_or("an unknown market is settling")?;
				let unit = Self::to_unit_price(settlement.price, &state.params)
					.map_err(|_| "a settlement price without a unit price")?;
				for who in Self::holders(*market) {
					let position =
						Positions::<T>::get(&who, market).ok_or("an index entry of no position")?;
					let delta = position.size_units.checked_neg().ok_or("size overflows")?;
					let fill = Self::fill(&position, delta, unit, state.accrual.funding_index)
						.map_err(|_| "a settlement fill overflows")?;
					ensure!(fill.realized > 0, "a loser left open after the losers' walk");
				}
			}
		}
		for (market, settlement) in Settlements::<T>::iter() {
			let settled = settlement.phase == SettlementPhase::Settled;
			ensure!(
				settled != settling.contains(&market),
				"a settlement neither done nor settling"
			);
			ensure!(
				!settled || !Markets::<T>::contains_key(market),
				"a settled market still exists"
			);
		}
		for ((silo, who), margin) in locked {
			ensure!(
				T::Ledger::locked_margin(silo, &who) == margin,
				"locked margin differs from the positions' margins"
			);
		}
		Self::held_try_state()
	}

	/// The held profits: numbered within `head..next` and none missing there, none empty, each
	/// due after it was held; per silo they add up to what the silo holds back (checked for
	/// every silo of a market or of a held profit).
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn held_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let cursor = HeldProfitCursor::<T>::get();
		let mut per_silo = BTreeMap::<SiloId, Balance>::new();
		for state in Markets::<T>::iter_values() {
			per_silo.entry(state.silo).or_default();
		}
		let mut count = 0u64;
		for (id, held) in HeldProfits::<T>::iter() {
			ensure!(id >= cursor.head && id < cursor.next, "a held profit outside its range");
			ensure!(!held.amount.is_zero() && held.due > held.since, "an empty held profit");
			let total = per_silo.entry(held.silo).or_default();
			*total = total.checked_add(held.amount).ok_or("held profit overflows")?;
			count += 1;
		}
		ensure!(count == cursor.next - cursor.head, "a held profit of the range is missing");
		for (silo, total) in per_silo {
			ensure!(
				T::Ledger::held_profit(silo) == total,
				"held profits differ from what the silo holds back"
			);
		}
		Ok(())
	}
}
