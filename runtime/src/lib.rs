//! The Bulwark runtime.
//!
//! A standalone chain (Aura authoring, GRANDPA finality) for perpetual futures. This crate wires
//! the FRAME pallets together, fixes the block limits (6 s blocks, normal transactions at most 75%
//! of a block so operational work always has room) and exposes the runtime APIs that the node,
//! Polkadot.js and keepers call.

#![cfg_attr(not(feature = "std"), no_std)]
// `impl_runtime_apis!` and `#[frame_support::runtime]` expand to large recursive types.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

/// This runtime as its own next version: the same code with `spec_version` one higher (feature
/// `next-spec-version`), which upgrade tests enact. Not built for benchmarking nodes.
#[cfg(all(feature = "std", not(feature = "runtime-benchmarks")))]
pub mod next_spec_version {
	include!(concat!(env!("OUT_DIR"), "/bulwark_runtime_next"));
}

extern crate alloc;

pub mod configs;
pub mod genesis_config_presets;
pub mod governance;
pub mod priority;
#[cfg(test)]
mod tests;
pub mod weights;

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, Block as BlockT, IdentifyAccount, NumberFor, Verify},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult, MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Block number: u32 lasts 800 years at 6 s blocks.
pub type BlockNumber = u32;
/// Transaction signature: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;
/// An account is identified by the public key of its signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of the native token BWK and of pallet-assets assets, in the smallest unit.
pub type Balance = u128;
/// Identifier of an asset in pallet-assets (collateral stablecoins).
pub type AssetId = u32;
/// Per-account transaction counter.
pub type Nonce = u32;
/// Block and state hash.
pub type Hash = sp_core::H256;

/// BWK has 12 decimals.
pub const BWK: Balance = 1_000_000_000_000;
pub const MILLI_BWK: Balance = BWK / 1_000;
pub const MICRO_BWK: Balance = MILLI_BWK / 1_000;
/// An account holding less BWK than this is reaped. Kept well above a transfer's fee so dust
/// accounts cannot be used to bloat state cheaply.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_BWK;

/// The development collateral stablecoin "USDB": pallet-assets id and decimals.
pub const USDB_ASSET_ID: AssetId = 1;
pub const USDB_DECIMALS: u8 = 6;
pub const USDB: Balance = 1_000_000;

/// Target block time. Changing it on a live chain breaks Aura: it is fixed at genesis.
pub const MILLISECS_PER_BLOCK: u64 = 6_000;
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// Types the node can use without knowing the runtime's call and extension types.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// The keys a validator registers: `author_rotateKeys` generates all of them at once.
		pub struct SessionKeys {
			pub aura: Aura,
			pub grandpa: Grandpa,
			/// The price oracle's feeder key (key type `orcl`).
			pub oracle: PriceOracle,
		}
	}

	/// What a validator's oracle key is derived with from the seed its other keys come from:
	/// `--alice` puts `//Alice//oracle` in the keystore as the feeder key, beside `//Alice` for
	/// Aura. The key that signs price reports is then never the one that authors blocks (nor a
	/// well-known account), and a leak of one does not give away the other.
	pub const ORACLE_KEY_DERIVATION: &str = "//oracle";

	type OracleKey = <PriceOracle as sp_runtime::BoundToRuntimeAppPublic>::Public;

	/// A validator's session keys, from `seed` (a secret URI) when given, else random: Aura and
	/// GRANDPA from the seed itself, the oracle key from the seed with
	/// [`ORACLE_KEY_DERIVATION`] appended. With the proof that `owner` holds them.
	pub fn generate_session_keys(
		owner: &[u8],
		seed: Option<Vec<u8>>,
	) -> sp_runtime::traits::GeneratedSessionKeys<
		SessionKeys,
		(
			<AuraId as sp_runtime::RuntimeAppPublic>::ProofOfPossession,
			<GrandpaId as sp_runtime::RuntimeAppPublic>::ProofOfPossession,
			<OracleKey as sp_runtime::RuntimeAppPublic>::ProofOfPossession,
		),
	> {
		use sp_runtime::RuntimeAppPublic;
		let oracle_seed = seed.clone().map(|mut seed| {
			seed.extend_from_slice(ORACLE_KEY_DERIVATION.as_bytes());
			seed
		});
		let mut keys = SessionKeys {
			aura: AuraId::generate_pair(seed.clone()),
			grandpa: GrandpaId::generate_pair(seed),
			oracle: OracleKey::generate_pair(oracle_seed),
		};
		// The keys were generated in the keystore a moment ago, so it holds their secrets.
		let proof = keys.create_ownership_proof(owner).expect("the keystore holds the new keys");
		sp_runtime::traits::GeneratedSessionKeys { keys, proof }
	}
}

/// The runtime version, with `spec_version` as given: `runtime_version` needs literals.
macro_rules! runtime_version {
	($spec_version:tt) => {
		#[sp_version::runtime_version]
		pub const VERSION: RuntimeVersion = RuntimeVersion {
			spec_name: alloc::borrow::Cow::Borrowed("bulwark"),
			impl_name: alloc::borrow::Cow::Borrowed("bulwark"),
			authoring_version: 1,
			// Bump on every change of runtime logic; governance upgrades refuse a lower value.
			spec_version: $spec_version,
			impl_version: 1,
			apis: RUNTIME_API_VERSIONS,
			// Bump when the encoding of calls or transaction extensions changes.
			transaction_version: 7,
			system_version: 1,
		};
	};
}

#[cfg(not(feature = "next-spec-version"))]
runtime_version!(114);
/// The same code as its own next version, for upgrade tests (see `next_spec_version`).
#[cfg(feature = "next-spec-version")]
runtime_version!(115);

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
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	// Declared before Aura and GRANDPA: the validator set is read by the session's genesis, and
	// a session rotation hands the new authorities over before the consensus pallets' hooks run.
	#[runtime::pallet_index(14)]
	pub type ValidatorSet = pallet_validator_set;
	#[runtime::pallet_index(15)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(6)]
	pub type Assets = pallet_assets;
	/// Only in a runtime built with the `sudo` feature (the default, for dev and local
	/// networks): one built without it (staging, production) has no sudo call at all, and
	/// index 7 stays empty, so every other pallet keeps its index.
	#[cfg(feature = "sudo")]
	#[runtime::pallet_index(7)]
	pub type Sudo = pallet_sudo;

	// Governance: referenda voted with conviction, enacted by the scheduler; the guardians.
	#[runtime::pallet_index(8)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(9)]
	pub type Scheduler = pallet_scheduler;
	#[runtime::pallet_index(10)]
	pub type Referenda = pallet_referenda;
	#[runtime::pallet_index(11)]
	pub type ConvictionVoting = pallet_conviction_voting;
	#[runtime::pallet_index(12)]
	pub type GovernanceOrigins = governance::origins::pallet_governance_origins;
	#[runtime::pallet_index(13)]
	pub type Guardians = pallet_collective<Instance1>;

	// Bulwark's own pallets start at 20.
	#[runtime::pallet_index(20)]
	pub type CollateralSilos = pallet_collateral_silos;
	#[runtime::pallet_index(21)]
	pub type PriceOracle = pallet_price_oracle;
	#[runtime::pallet_index(22)]
	pub type CircuitBreaker = pallet_circuit_breaker;
	#[runtime::pallet_index(23)]
	pub type PerpetualMargin = pallet_perpetual_margin;
}

/// The guardian committee's instance of pallet-collective.
pub type GuardianCollective = pallet_collective::Instance1;

/// The address format: an account id or an index.
pub type Address = MultiAddress<AccountId, ()>;
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// The checks every signed transaction goes through, in order.
pub type TxExtension = (
	// First: a call with its own authorization (an oracle report signed by a feeder key) is
	// validated by that call, and the checks below that need a signer let it through.
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	// A signed liquidation the pool finds due gets the top priority (and shares its `provides`
	// tag with the validators' unsigned ones); everything else passes unchanged.
	pallet_perpetual_margin::PrioritizeLiquidations<Runtime>,
	// An owner's add margin, close or reduce-only trade: the lane above every tip.
	pallet_perpetual_margin::OwnerLane<Runtime>,
	// Fees and tips, the tip's priority capped below the owner lane (same encoding and
	// metadata as `ChargeTransactionPayment`).
	priority::CappedTip<pallet_transaction_payment::ChargeTransactionPayment<Runtime>>,
	// Paired, as tuples implement the traits a block needs (`Debug`, `Eq`) only up to twelve
	// elements; a nested tuple encodes and lists its extensions as if flat. `mode = 1` signs the
	// hash of this runtime's metadata too (RFC-78: what a Ledger or a metadata-checking wallet
	// shows is what the chain decodes); `mode = 0` (Polkadot.js's default) signs none.
	(
		frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
		frame_system::WeightReclaim<Runtime>,
	),
);
/// An immortal, tip-free `TxExtension` with `nonce`: what the oracle's authorized reports carry
/// (the checks that need a signer skip them), and what the node's benchmarks and the tests sign.
pub fn tx_extension(nonce: Nonce) -> TxExtension {
	(
		frame_system::AuthorizeCall::<Runtime>::new(),
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(generic::Era::Immortal),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_perpetual_margin::PrioritizeLiquidations::<Runtime>::new(),
		pallet_perpetual_margin::OwnerLane::<Runtime>::new(),
		priority::CappedTip(pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(
			0,
		)),
		(
			frame_metadata_hash_extension::CheckMetadataHash::<Runtime>::new(false),
			frame_system::WeightReclaim::<Runtime>::new(),
		),
	)
}
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Storage migrations this runtime runs when it replaces an older one (`on_runtime_upgrade`,
/// before any pallet's hooks). Each is a `VersionedMigration` from a pallet's storage version to
/// the next, with try-runtime `pre_upgrade`/`post_upgrade` checks, and a no-op once its pallet
/// is past its version.
/// - silos 0 -> 1: LP cooldown and reserve move in the parameters, claims and pending shares in
///   the books, the locked shares;
/// - margin 1 -> 2: size tiers by size, the minimum position value, the position index built,
///   the trader lists and liquidation queue removed. (Margin 0 -> 1 ran with spec 101 and is
///   removed: no chain of this runtime is at version 0.)
/// - oracle 0 -> 1: each price gains its round's spread, the parameters the bound on it;
/// - breakers 0 -> 1: the parameters gain the cap on profit paid out per window.
type Migrations = (
	pallet_collateral_silos::migrations::MigrateV0ToV1<Runtime>,
	pallet_perpetual_margin::migrations::MigrateV1ToV2<Runtime>,
	pallet_price_oracle::migrations::MigrateV0ToV1<Runtime>,
	pallet_circuit_breaker::migrations::MigrateV0ToV1<Runtime>,
);

pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[cfg(feature = "runtime-benchmarks")]
mod benches {
	frame_benchmarking::define_benchmarks!(
		[frame_benchmarking, BaselineBench::<Runtime>]
		[frame_system, SystemBench::<Runtime>]
		[pallet_balances, Balances]
		[pallet_assets, Assets]
		[pallet_timestamp, Timestamp]
		[pallet_sudo, Sudo]
		[pallet_collateral_silos, CollateralSilos]
		[pallet_price_oracle, PriceOracle]
		[pallet_circuit_breaker, CircuitBreaker]
		[pallet_perpetual_margin, PerpetualMargin]
		[pallet_validator_set, ValidatorSet]
	);
}

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			opaque::generate_session_keys(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			opaque::SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			// Equivocation reports need key-ownership proofs from pallet-session's historical
			// store, which arrives with the managed validator set.
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_circuit_breaker::runtime_api::CircuitBreakerApi<Block> for Runtime {
		fn market_statuses() -> Vec<pallet_circuit_breaker::MarketReport> {
			CircuitBreaker::market_reports()
		}
		fn silo_statuses() -> Vec<pallet_circuit_breaker::SiloReport> {
			CircuitBreaker::silo_reports()
		}
		fn emergency() -> bool {
			pallet_circuit_breaker::Emergency::<Runtime>::get()
		}
	}

	impl pallet_perpetual_margin::runtime_api::PerpetualMarginApi<Block, AccountId> for Runtime {
		fn account_health(who: AccountId) -> Vec<pallet_perpetual_margin::PositionHealth> {
			PerpetualMargin::account_health(&who)
		}
		fn liquidatable(start: u32, count: u32) -> Vec<(AccountId, bulwark_primitives::MarketId)> {
			PerpetualMargin::liquidatable(start, count)
		}
		fn stress_test(
			market: Option<bulwark_primitives::MarketId>,
			shock: sp_runtime::FixedI128,
		) -> Vec<pallet_perpetual_margin::SiloStress> {
			PerpetualMargin::stress_test(market, shock)
		}
		fn settlement(
			market: bulwark_primitives::MarketId,
		) -> Option<pallet_perpetual_margin::Settlement<u32>> {
			pallet_perpetual_margin::Settlements::<Runtime>::get(market)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			genesis_config_presets::preset_names()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::{baseline::Pallet as BaselineBench, BenchmarkList};
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);

			let storage_info = AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{baseline::Pallet as BaselineBench, BenchmarkBatch};
			use frame_support::traits::WhitelistedStorageKeys;
			use frame_system_benchmarking::Pallet as SystemBench;

			impl frame_system_benchmarking::Config for Runtime {}
			impl frame_benchmarking::baseline::Config for Runtime {}

			let whitelist: Vec<_> = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks)
				.unwrap_or_else(|e| panic!("try_runtime_upgrade failed: {e:?}"));
			(weight, configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			Executive::try_execute_block(block, state_root_check, signature_check, select)
				.unwrap_or_else(|e| panic!("try_execute_block failed: {e:?}"))
		}
	}
}

/// Native helpers for the runtime's tests and the fuzzer (never in the Wasm).
#[cfg(feature = "std")]
pub mod harness;
