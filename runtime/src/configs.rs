//! Configuration of every pallet in the runtime.

use crate::{
	governance::{GovernanceOrigin, TripOrigin},
	opaque::SessionKeys,
	AccountId, AssetId, Assets, Aura, Balance, Balances, Block, BlockNumber, CircuitBreaker,
	CollateralSilos, Hash, Nonce, PalletInfo, PerpetualMargin, PriceOracle, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, System,
	Timestamp, TxExtension, UncheckedExtrinsic, ValidatorSet, BWK, EXISTENTIAL_DEPOSIT, MICRO_BWK,
	SLOT_DURATION, VERSION,
};
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{
		AsEnsureOriginWithArg, ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf,
	},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, IdentityFee, Weight,
	},
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureRoot, EnsureSigned,
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::Bounded, transaction_validity::TransactionPriority, FixedPointNumber, Perbill,
	Perquintill,
};
use sp_version::RuntimeVersion;

/// Normal (user) transactions may use at most this share of a block's weight and length. The
/// remaining 25% is kept for operational work: liquidations, oracle reports, breaker trips.
pub const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// Maximum encoded size of a block.
pub const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// 2 s of compute in a 6 s slot: the rest is for import, propagation and finality.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(MAX_BLOCK_LENGTH)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * MAX_BLOCK_LENGTH
		})
		.build();
	/// The generic Substrate SS58 prefix, so Polkadot.js and subkey show addresses out of the box.
	pub const SS58Prefix: u16 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores state in ParityDb.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
	/// New code goes through the upgrade guard: it waits while the chain-wide emergency holds
	/// or a liquidation waits (pallet-circuit-breaker, `upgrade.rs`).
	type OnSetCode = CircuitBreaker;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	/// One block per slot: a second block in the same slot is an equivocation.
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	/// Fees react to congestion: above 25% of normal capacity they rise, below they fall.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
	pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_rational(1, 10u128);
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	/// Operational transactions pay 5x the tip-derived priority boost.
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	/// One micro-BWK per byte: block space is the scarcer resource under a flood.
	type LengthToFee = ConstantMultiplier<Balance, ConstU128<MICRO_BWK>>;
	type FeeMultiplierUpdate = TargetedFeeAdjustment<
		Self,
		TargetBlockFullness,
		AdjustmentVariable,
		MinimumMultiplier,
		MaximumMultiplier,
	>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Creating an asset reserves 100 BWK, so the asset registry cannot be spammed.
	pub const AssetDeposit: Balance = 100 * BWK;
	pub const AssetAccountDeposit: Balance = BWK / 100;
	pub const AssetMetadataDepositBase: Balance = BWK;
	pub const AssetMetadataDepositPerByte: Balance = BWK / 100;
	pub const AssetApprovalDeposit: Balance = BWK / 100;
	pub const AssetStringLimit: u32 = 50;
}

/// Collateral stablecoins. Anyone may create an asset against a deposit; which assets back a
/// silo is decided by governance when the silo is created.
impl pallet_assets::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type RemoveItemsLimit = ConstU32<1000>;
	type AssetId = AssetId;
	type AssetIdParameter = codec::Compact<AssetId>;
	type ReserveData = ();
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type AssetDeposit = AssetDeposit;
	type AssetAccountDeposit = AssetAccountDeposit;
	type MetadataDepositBase = AssetMetadataDepositBase;
	type MetadataDepositPerByte = AssetMetadataDepositPerByte;
	type ApprovalDeposit = AssetApprovalDeposit;
	type StringLimit = AssetStringLimit;
	type Freezer = ();
	type Holder = ();
	type Extra = ();
	type CallbackHandle = ();
	type AssetIdAllocator = ();
	type WeightInfo = pallet_assets::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

parameter_types! {
	pub const SilosPalletId: frame_support::PalletId = frame_support::PalletId(*b"bwk/silo");
}

/// Isolated collateral vaults, administered by governance (Root or the risk-parameters track);
/// the breakers set the withdrawal status, the margin engine prices LP shares with the traders'
/// unrealized PnL.
impl pallet_collateral_silos::Config for Runtime {
	type AssetId = AssetId;
	type Assets = Assets;
	type AdminOrigin = GovernanceOrigin;
	type PalletId = SilosPalletId;
	type MaxSilos = ConstU32<32>;
	type MaxQueuedWithdrawals = ConstU32<256>;
	type MaxPayoutsPerSilo = ConstU32<16>;
	type Status = CircuitBreaker;
	type Marks = PerpetualMargin;
	type OnSiloEvent = CircuitBreaker;
	type WeightInfo = crate::weights::pallet_collateral_silos::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchHelper = SilosBenchHelper;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct SilosBenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_collateral_silos::benchmarking::BenchmarkHelper<AssetId, AccountId>
	for SilosBenchHelper
{
	fn asset() -> AssetId {
		crate::USDB_ASSET_ID
	}
	fn fund(asset: AssetId, who: &AccountId, amount: Balance) {
		use frame_support::traits::fungibles::Mutate;
		let _ = <Assets as Mutate<AccountId>>::mint_into(asset, who, amount);
	}
	fn rate_limit(silo: bulwark_primitives::SiloId) {
		let root = || RuntimeOrigin::root();
		let _ = crate::CircuitBreaker::track_silo(root(), silo);
		let _ = crate::CircuitBreaker::trip_silo(
			root(),
			silo,
			bulwark_primitives::WithdrawalStatus::RateLimited,
			false,
		);
	}
}

#[cfg(feature = "sudo")]
impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

pub use crate::priority::{
	LIQUIDATION_PRIORITY, MAX_TIP_PRIORITY, ORACLE_REPORT_PRIORITY, OWNER_LANE_PRIORITY,
};

parameter_types! {
	pub const OracleReportPriority: TransactionPriority = ORACLE_REPORT_PRIORITY;
	pub const LiquidationPriority: TransactionPriority = LIQUIDATION_PRIORITY;
	pub const OwnerLanePriority: TransactionPriority = OWNER_LANE_PRIORITY;
}

/// Positions the protocol liquidates at the start of each block, shared by the silos in turns:
/// as many benchmarked worst-case liquidations (each with the silo's marks read over all 16
/// markets) as fit, with all 16 markets watched, every market's aggregate and every market's
/// degraded close, in the 25% of a block that normal transactions cannot use. The runtime's test
/// `the_protocol_pass_takes_as_many_as_fit_the_operational_reserve` computes it from the weights
/// and fails with the new figure whenever they change.
pub const MAX_LIQUIDATIONS_PER_BLOCK: u32 = 403;

impl pallet_price_oracle::Config for Runtime {
	type AuthorityId = pallet_price_oracle::crypto::Public;
	type AdminOrigin = GovernanceOrigin;
	// The feeders follow the validator set (the session hands over their oracle keys); Root may
	// still add or remove one in an emergency, until the set next changes.
	type FeederOrigin = EnsureRoot<AccountId>;
	type UnixTime = Timestamp;
	// The breakers first: a band trip is in place before the engine re-checks the market.
	type OnPriceUpdate = (CircuitBreaker, PerpetualMargin);
	type ReportPriority = OracleReportPriority;
	type MaxFeeders = ConstU32<32>;
	type MaxMarkets = ConstU32<16>;
	type MaxSources = ConstU32<8>;
	type MaxUrlLen = ConstU32<256>;
	type MaxPathLen = ConstU32<64>;
	type WeightInfo = crate::weights::pallet_price_oracle::WeightInfo<Runtime>;
}

impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = UncheckedExtrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> frame_system::offchain::CreateTransaction<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	type Extension = TxExtension;
	fn create_transaction(call: RuntimeCall, extension: TxExtension) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_transaction(call, extension)
	}
}

/// What an offchain worker's authorized transaction (an oracle report) carries: immortal, no
/// nonce, no tip. The checks that need a signer skip it; `AuthorizeCall` validates it.
impl<LocalCall> frame_system::offchain::CreateAuthorizedTransaction<LocalCall> for Runtime
where
	RuntimeCall: From<LocalCall>,
{
	fn create_extension() -> TxExtension {
		crate::tx_extension(0)
	}
}

impl pallet_circuit_breaker::Config for Runtime {
	type Prices = PriceOracle;
	type SiloHealth = CollateralSilos;
	// Governance or the guardians trip; only governance lifts or changes parameters.
	type TripOrigin = TripOrigin;
	type LiftOrigin = GovernanceOrigin;
	type AdminOrigin = GovernanceOrigin;
	type Liquidations = PerpetualMargin;
	// Forcing a deferred upgrade through (or dropping it) is Root's: the upgrade itself is.
	type UpgradeOrigin = EnsureRoot<AccountId>;
	// A liquidation backlog holds an upgrade back for an hour at most.
	type MaxUpgradeDeferral = ConstU32<{ 60 * crate::MINUTES }>;
	type MaxMarkets = ConstU32<16>;
	type MaxSilos = ConstU32<32>;
	type MaxBandSamples = ConstU32<64>;
	type WeightInfo = crate::weights::pallet_circuit_breaker::WeightInfo<Runtime>;
}

/// The margin engine: traders against each silo's pool. Markets are created and tuned by
/// governance (Root or the risk-parameters track).
impl pallet_perpetual_margin::Config for Runtime {
	type Prices = PriceOracle;
	type Status = CircuitBreaker;
	type Ledger = CollateralSilos;
	type AdminOrigin = GovernanceOrigin;
	type MaxMarkets = ConstU32<16>;
	type MaxTiers = ConstU32<8>;
	type MaxDeleveragePerCall = ConstU32<8>;
	type MaxLiquidationsPerBlock = ConstU32<MAX_LIQUIDATIONS_PER_BLOCK>;
	type LiquidationPriority = LiquidationPriority;
	type OwnerLanePriority = OwnerLanePriority;
	type MaxKeeperSubmissions = ConstU32<16>;
	// 256 closes take ~2% of a block's weight; 100,000 positions settle in ~400 blocks.
	type MaxSettlementsPerBlock = ConstU32<256>;
	// Held profits fall due one window after a flagged move; 64 a block clears a flagged
	// hour's closes (a close a block per position) well inside the window that follows.
	type MaxHeldReleasesPerBlock = ConstU32<64>;
	type WeightInfo = crate::weights::pallet_perpetual_margin::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchHelper = MarginBenchHelper;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct MarginBenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_perpetual_margin::benchmarking::BenchmarkHelper<AccountId> for MarginBenchHelper {
	fn silo() -> bulwark_primitives::SiloId {
		0
	}
	fn fund(silo: bulwark_primitives::SiloId, who: &AccountId, amount: Balance) {
		use frame_support::traits::fungibles::Mutate;
		let _ = <Assets as Mutate<AccountId>>::mint_into(crate::USDB_ASSET_ID, who, amount);
		let _ = CollateralSilos::deposit_margin(
			RuntimeOrigin::signed(who.clone()),
			silo,
			crate::USDB_ASSET_ID,
			amount,
		);
	}
	fn provide_liquidity(silo: bulwark_primitives::SiloId, who: &AccountId, amount: Balance) {
		use frame_support::traits::fungibles::Mutate;
		let _ = <Assets as Mutate<AccountId>>::mint_into(crate::USDB_ASSET_ID, who, amount);
		let _ = CollateralSilos::add_liquidity(
			RuntimeOrigin::signed(who.clone()),
			silo,
			crate::USDB_ASSET_ID,
			amount,
			0,
		);
	}
	fn set_price(market: bulwark_primitives::MarketId, price: sp_runtime::FixedU128) {
		let now = frame_system::Pallet::<Runtime>::block_number();
		pallet_price_oracle::Prices::<Runtime>::insert(
			market,
			pallet_price_oracle::MarketPrice {
				price,
				round: 0,
				updated_at: now,
				timestamp: 0,
				reports: 0,
				twap: price,
				variance: Default::default(),
				status: bulwark_primitives::PriceStatus::Fresh,
				spread: Default::default(),
			},
		);
	}
}

parameter_types! {
	/// An hour per session: a validator that governance adds or removes is in or out of the
	/// authority set within two sessions.
	pub const SessionPeriod: BlockNumber = crate::HOURS;
	pub const SessionOffset: BlockNumber = 0;
	/// Held from an account while it has session keys registered.
	pub const SessionKeyDeposit: Balance = 10 * BWK;
}

/// Sessions: the validator set (from [`ValidatorSet`]) and its keys, handed to Aura, GRANDPA and
/// the oracle's feeder set at each rotation.
impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = sp_runtime::traits::ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type SessionManager = ValidatorSet;
	type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = SessionKeyDeposit;
}

/// Accounts with session keys registered: only they may become validators.
pub struct HasSessionKeys;
impl frame_support::traits::Contains<AccountId> for HasSessionKeys {
	fn contains(who: &AccountId) -> bool {
		pallet_session::NextKeys::<Runtime>::contains_key(who)
	}
}

/// The validators, chosen by Root (a root-track referendum): never fewer than one, never more
/// than the consensus pallets' 32 authorities.
impl pallet_validator_set::Config for Runtime {
	type AdminOrigin = EnsureRoot<AccountId>;
	type HasSessionKeys = HasSessionKeys;
	type MinValidators = ConstU32<1>;
	type MaxValidators = ConstU32<32>;
	type WeightInfo = crate::weights::pallet_validator_set::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchHelper = ValidatorSetBenchHelper;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct ValidatorSetBenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_validator_set::benchmarking::BenchmarkHelper<AccountId> for ValidatorSetBenchHelper {
	fn register_keys(who: &AccountId) {
		// The keys' content does not matter to the validator set, only that they are registered.
		let keys = SessionKeys {
			aura: sp_core::sr25519::Public::from_raw([1; 32]).into(),
			grandpa: sp_core::ed25519::Public::from_raw([1; 32]).into(),
			oracle: sp_core::sr25519::Public::from_raw([1; 32]).into(),
		};
		pallet_session::NextKeys::<Runtime>::insert(who, keys);
	}
}
