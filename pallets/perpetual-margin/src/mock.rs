//! A test runtime: System, Balances, Assets, the real collateral silos (so every unit of value
//! is accounted for by their books) and the margin engine, with oracle prices and breaker
//! statuses set by each test.

use crate as pallet_perpetual_margin;
use bulwark_primitives::{
	MarketId, MarketStatus, OraclePrice, PriceFeed, PriceStatus, SiloId, TradingStatus,
	WithdrawalStatus,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{AsEnsureOriginWithArg, ConstU128, ConstU32, ConstU64},
	PalletId,
};
use frame_system::{EnsureRoot, EnsureSigned};
use sp_runtime::{BuildStorage, FixedU128, Permill};
use std::{cell::RefCell, collections::BTreeMap};

pub type AccountId = u128;
type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Assets = pallet_assets;
	#[runtime::pallet_index(3)]
	pub type CollateralSilos = pallet_collateral_silos;
	#[runtime::pallet_index(4)]
	pub type PerpetualMargin = pallet_perpetual_margin;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<u128>;
}

/// What the mock's transactions carry: the runtime's two extensions that matter here.
pub type Extension = (frame_system::AuthorizeCall<Test>, crate::PrioritizeLiquidations<Test>);
pub type Extrinsic = sp_runtime::generic::UncheckedExtrinsic<AccountId, RuntimeCall, (), Extension>;
pub const LIQUIDATION_PRIORITY: u64 = u64::MAX;

impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> frame_system::offchain::CreateTransaction<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type Extension = Extension;
	fn create_transaction(call: RuntimeCall, extension: Extension) -> Extrinsic {
		Extrinsic::new_transaction(call, extension)
	}
}

impl<LocalCall> frame_system::offchain::CreateAuthorizedTransaction<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	fn create_extension() -> Extension {
		(frame_system::AuthorizeCall::new(), crate::PrioritizeLiquidations::new())
	}
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = u128;
	type ExistentialDeposit = ConstU128<1>;
	type AccountStore = System;
}

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type Balance = u128;
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type Freezer = ();
	type Holder = ();
}

thread_local! {
	static PRICES: RefCell<BTreeMap<MarketId, (FixedU128, u64, PriceStatus)>> = const { RefCell::new(BTreeMap::new()) };
	static VOLATILITY: RefCell<BTreeMap<MarketId, FixedU128>> = const { RefCell::new(BTreeMap::new()) };
	static MARKET_STATUS: RefCell<BTreeMap<MarketId, MarketStatus>> = const { RefCell::new(BTreeMap::new()) };
	static NO_NEW_RISK: RefCell<Vec<SiloId>> = const { RefCell::new(Vec::new()) };
	static PRICE_UNUSABLE: RefCell<Vec<MarketId>> = const { RefCell::new(Vec::new()) };
}

/// The oracle, as the test sets it.
pub struct MockPrices;
impl MockPrices {
	/// A Fresh price made in the current block.
	pub fn set(market: MarketId, price: FixedU128) {
		let now = System::block_number();
		PRICES.with(|p| p.borrow_mut().insert(market, (price, now, PriceStatus::Fresh)));
	}
	pub fn set_stale(market: MarketId) {
		PRICES.with(|p| {
			if let Some(entry) = p.borrow_mut().get_mut(&market) {
				entry.2 = PriceStatus::Stale;
			}
		});
	}
	pub fn set_volatility(market: MarketId, volatility: FixedU128) {
		VOLATILITY.with(|v| v.borrow_mut().insert(market, volatility));
	}
}
impl PriceFeed<u64> for MockPrices {
	fn price(market: MarketId) -> Option<OraclePrice<u64>> {
		let now = System::block_number();
		PRICES.with(|p| {
			p.borrow().get(&market).map(|(price, at, status)| OraclePrice {
				price: *price,
				updated_at: *at,
				age: now.saturating_sub(*at),
				status: *status,
			})
		})
	}
	fn twap(market: MarketId) -> Option<FixedU128> {
		Self::price(market).map(|p| p.price)
	}
	fn volatility(market: MarketId) -> Option<FixedU128> {
		VOLATILITY.with(|v| v.borrow().get(&market).copied())
	}
}

/// The breakers, as the test sets them.
pub struct MockStatus;
impl MockStatus {
	pub fn set_market(market: MarketId, status: MarketStatus) {
		MARKET_STATUS.with(|s| s.borrow_mut().insert(market, status));
	}
	pub fn refuse_new_risk(silo: SiloId) {
		NO_NEW_RISK.with(|s| s.borrow_mut().push(silo));
	}
	pub fn price_unusable(market: MarketId) {
		PRICE_UNUSABLE.with(|s| s.borrow_mut().push(market));
	}
}
impl TradingStatus for MockStatus {
	fn market_status(market: MarketId) -> MarketStatus {
		MARKET_STATUS.with(|s| s.borrow().get(&market).copied().unwrap_or_default())
	}
	fn withdrawal_status(_: SiloId) -> WithdrawalStatus {
		WithdrawalStatus::Normal
	}
	fn silo_accepts_new_risk(silo: SiloId) -> bool {
		!NO_NEW_RISK.with(|s| s.borrow().contains(&silo))
	}
	fn liquidation_price_usable(market: MarketId) -> bool {
		!PRICE_UNUSABLE.with(|s| s.borrow().contains(&market))
	}
}

parameter_types! {
	pub const SilosPalletId: PalletId = PalletId(*b"bwk/silo");
}

impl pallet_collateral_silos::Config for Test {
	type AssetId = u32;
	type Assets = Assets;
	type AdminOrigin = EnsureRoot<AccountId>;
	type PalletId = SilosPalletId;
	type MaxSilos = ConstU32<4>;
	type MaxQueuedWithdrawals = ConstU32<4>;
	type MaxPayoutsPerSilo = ConstU32<2>;
	type Status = MockStatus;
	type TraderPnl = PerpetualMargin;
	type Events = ();
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchHelper = SilosBenchHelper;
}

impl pallet_perpetual_margin::Config for Test {
	type Prices = MockPrices;
	type Status = MockStatus;
	type Ledger = CollateralSilos;
	type AdminOrigin = EnsureRoot<AccountId>;
	type MaxMarkets = ConstU32<4>;
	type MaxTiers = ConstU32<4>;
	type MaxPositionsPerMarket = ConstU32<16>;
	type MaxQueue = ConstU32<8>;
	type MaxDeleveragePerCall = ConstU32<2>;
	type MaxLiquidationsPerBlock = ConstU32<3>;
	type LiquidationPriority = ConstU64<LIQUIDATION_PRIORITY>;
	type MaxKeeperSubmissions = ConstU32<2>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchHelper = MarginBenchHelper;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct SilosBenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_collateral_silos::benchmarking::BenchmarkHelper<u32, AccountId> for SilosBenchHelper {
	fn asset() -> u32 {
		USD
	}
	fn fund(asset: u32, who: &AccountId, amount: u128) {
		use frame_support::traits::fungibles::Mutate;
		Assets::mint_into(asset, who, amount).expect("mint");
	}
	fn rate_limit(_: SiloId) {}
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MarginBenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<AccountId> for MarginBenchHelper {
	fn silo() -> SiloId {
		SILO
	}
	fn fund(silo: SiloId, who: &AccountId, amount: u128) {
		use frame_support::traits::fungibles::Mutate;
		Assets::mint_into(USD, who, amount).expect("mint");
		CollateralSilos::deposit_margin(RuntimeOrigin::signed(*who), silo, USD, amount)
			.expect("deposit");
	}
	fn provide_liquidity(silo: SiloId, who: &AccountId, amount: u128) {
		use frame_support::traits::fungibles::Mutate;
		Assets::mint_into(USD, who, amount).expect("mint");
		CollateralSilos::add_liquidity(RuntimeOrigin::signed(*who), silo, USD, amount)
			.expect("liquidity");
	}
	fn set_price(market: MarketId, price: FixedU128) {
		MockPrices::set(market, price);
	}
}

/// The collateral asset: minimum balance 1.
pub const USD: u32 = 1;
/// What every test account starts with.
pub const START: u128 = 100_000_000;
pub const SILO: SiloId = 0;
pub const LP: AccountId = 1;

/// Silo parameters roomy enough that only the engine's own limits matter.
pub fn silo_params() -> pallet_collateral_silos::SiloParams<u64> {
	pallet_collateral_silos::SiloParams {
		max_total_deposits: u128::MAX / 4,
		max_account_deposit: u128::MAX / 8,
		min_amount: 1,
		insurance_target: 1_000_000,
		insurance_fee_share: Permill::from_percent(20),
		withdrawal_limit: Permill::from_percent(10),
		withdrawal_window: 10,
	}
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let accounts: Vec<AccountId> = (1..=20).collect();
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_assets::GenesisConfig::<Test> {
		assets: vec![(USD, 0, true, 1)],
		accounts: accounts.iter().map(|who| (USD, *who, START)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_collateral_silos::GenesisConfig::<Test> { silos: vec![(USD, silo_params())] }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		PRICES.with(|p| p.borrow_mut().clear());
		VOLATILITY.with(|v| v.borrow_mut().clear());
		MARKET_STATUS.with(|s| s.borrow_mut().clear());
		NO_NEW_RISK.with(|s| s.borrow_mut().clear());
		PRICE_UNUSABLE.with(|s| s.borrow_mut().clear());
	});
	ext
}

/// Both pallets' invariants.
pub fn check_invariants() {
	PerpetualMargin::do_try_state().expect("margin invariants hold");
	CollateralSilos::do_try_state().expect("silo invariants hold");
}

/// Runs blocks up to `n` as the executive does (start of block, then the margin engine's
/// `on_poll` with a whole block's weight), checking both pallets' invariants after each; prices
/// keep their block of origin (and so age).
pub fn run_to_block(n: u64) {
	use frame_support::{
		traits::{Hooks, OnPoll},
		weights::{Weight, WeightMeter},
	};
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		CollateralSilos::on_initialize(next);
		<PerpetualMargin as OnPoll<u64>>::on_poll(next, &mut WeightMeter::with_limit(Weight::MAX));
		check_invariants();
	}
}
