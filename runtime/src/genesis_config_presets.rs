//! Genesis presets: `development` (one validator, Alice), `local_testnet` (four: Alice, Bob,
//! Charlie, Dave) and `staging` (the same four, and no sudo).
//!
//! The node's `--chain dev`, `--chain local` and `--chain staging` are built from these;
//! `build-spec` writes them out. All endow the well-known dev accounts with BWK and with the dev
//! collateral stablecoin USDB (pallet-assets id 1, 6 decimals). The validators' keys are in the
//! session pallet (Aura, GRANDPA and the oracle follow it); `dev` and `local` keep sudo (Alice)
//! for convenience, and Alice owns USDB there (she can mint, burn and freeze it). `staging` is
//! governed only by referenda and its guardians, and USDB belongs to the keyless
//! [`governance_account`]: no key signs for it, so only Root (a referendum) can mint, burn or
//! freeze USDB (`assets.forceAssetStatus` hands the roles over). Its validators and guardians
//! are well-known dev keys: replace them with the operators' before it leaves a lab.

use crate::{
	opaque::SessionKeys, AccountId, AssetsConfig, BalancesConfig, CircuitBreakerConfig,
	CollateralSilosConfig, GuardiansConfig, PerpetualMarginConfig, PriceOracleConfig, Runtime,
	RuntimeGenesisConfig, SessionConfig, ValidatorSetConfig, BWK, MINUTES, USDB, USDB_ASSET_ID,
	USDB_DECIMALS,
};
use alloc::{vec, vec::Vec};
use bulwark_primitives::MarketId;
use frame_support::build_struct_json_patch;
use pallet_collateral_silos::SiloParams;
use pallet_price_oracle::{FeedConfig, FeedOf, Source};
use serde_json::Value;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{FixedPointNumber, FixedU128, Perbill, Permill};

/// The account that owns what governance owns (USDB on the staging chain): derived from a
/// pallet id, no key signs for it; only Root acts in its stead.
pub fn governance_account() -> AccountId {
	use sp_runtime::traits::AccountIdConversion;
	frame_support::PalletId(*b"bwk/govn").into_account_truncating()
}

/// BWK given to every endowed dev account.
pub const DEV_ENDOWMENT: u128 = 1_000_000 * BWK;
/// USDB given to every endowed dev account.
pub const DEV_USDB_ENDOWMENT: u128 = 1_000_000 * USDB;
/// Smallest USDB balance an account may hold: one cent.
pub const USDB_MIN_BALANCE: u128 = USDB / 100;

/// Silo 0 of the dev and local chains: USDB collateral.
pub fn usdb_silo_params() -> SiloParams<crate::BlockNumber> {
	SiloParams {
		max_total_deposits: 100_000_000 * USDB,
		max_account_deposit: 1_000_000 * USDB,
		// One dollar: below it a deposit or withdrawal is dust.
		min_amount: USDB,
		insurance_target: 1_000_000 * USDB,
		insurance_fee_share: Permill::from_percent(30),
		// While rate-limited: 10% of the pool per hour.
		withdrawal_limit: Permill::from_percent(10),
		withdrawal_window: 60 * MINUTES,
		// An LP's withdrawal waits ten minutes, priced at the lower of its value then and now.
		lp_cooldown: 10 * MINUTES,
		// The pool keeps what the winners would be owed after a 25% move against it.
		reserve_move: Permill::from_percent(25),
	}
}

/// The markets of the dev and local chains.
pub const BTC_USD: MarketId = 0;
pub const ETH_USD: MarketId = 1;
pub const DOT_USD: MarketId = 2;

/// Loopback ports of the three price-feed servers the dev and local chains read
/// (`bulwark-price-feed`, see `zombienet/README.md`): each answers like one real exchange API.
pub const PRICE_FEED_PORTS: [u16; 3] = [8101, 8102, 8103];

/// A feed read from the three loopback servers, each in its exchange's JSON shape: Binance's
/// ticker (`price`), Coinbase's spot price (`data.amount`) and Kraken's ticker (last trade,
/// `result.<pair>.c.0`). Two of three must answer within 5% of their median. On a real network
/// governance points these at the exchanges; an operator can override any URL for their node.
fn loopback_feed(
	symbol: &str,
	binance_symbol: &str,
	kraken_pair: &str,
	kraken_key: &str,
	band: (FixedU128, FixedU128),
) -> FeedOf<Runtime> {
	let [binance, coinbase, kraken] = PRICE_FEED_PORTS;
	let sources = vec![
		(
			alloc::format!(
				"http://127.0.0.1:{binance}/api/v3/ticker/price?symbol={binance_symbol}"
			),
			alloc::string::String::from("price"),
		),
		(
			alloc::format!("http://127.0.0.1:{coinbase}/v2/prices/{symbol}/spot"),
			alloc::string::String::from("data.amount"),
		),
		(
			alloc::format!("http://127.0.0.1:{kraken}/0/public/Ticker?pair={kraken_pair}"),
			alloc::format!("result.{kraken_key}.c.0"),
		),
	];
	FeedConfig {
		symbol: bounded(symbol.as_bytes()),
		sources: sources
			.into_iter()
			.map(|(url, path)| Source {
				url: bounded(url.as_bytes()),
				price_path: bounded(path.as_bytes()),
			})
			.collect::<Vec<_>>()
			.try_into()
			.unwrap_or_default(),
		min_sources: 2,
		max_source_deviation: Perbill::from_percent(5),
		min_price: band.0,
		max_price: band.1,
	}
}

/// Preset strings are short constants; an over-long one would show as an empty field that the
/// genesis build refuses, never as a truncated URL.
fn bounded<S: frame_support::traits::Get<u32>>(bytes: &[u8]) -> frame_support::BoundedVec<u8, S> {
	bytes.to_vec().try_into().unwrap_or_default()
}

/// BTC-USD, ETH-USD and DOT-USD with sanity bands far outside any real price.
pub fn dev_feeds() -> Vec<(MarketId, FeedOf<Runtime>)> {
	let units = FixedU128::saturating_from_integer::<u64>;
	vec![
		(
			BTC_USD,
			loopback_feed(
				"BTC-USD",
				"BTCUSDT",
				"XBTUSD",
				"XXBTZUSD",
				(units(1), units(10_000_000)),
			),
		),
		(
			ETH_USD,
			loopback_feed(
				"ETH-USD",
				"ETHUSDT",
				"ETHUSD",
				"XETHZUSD",
				(FixedU128::from_rational(1, 100), units(1_000_000)),
			),
		),
		(
			DOT_USD,
			loopback_feed(
				"DOT-USD",
				"DOTUSDT",
				"DOTUSD",
				"DOTUSD",
				(FixedU128::from_rational(1, 10_000), units(100_000)),
			),
		),
	]
}

/// One dollar of USDB collateral, as the margin engine counts money.
const DOLLARS: u128 = USDB;
/// Every dev market's size unit is 10^-8 of its base asset (a satoshi for BTC). One size unit
/// at an oracle price of P dollars is then worth P * 10^6 / 10^8 = P / 100 USDB units.
const SIZE_UNITS_PER_COIN: u128 = 100_000_000;

/// Parameters of a dev market whose positions may reach `max_coins` of the base asset.
/// `leverage` sets the margin fractions: initial = 1 / leverage, maintenance = 60% of that.
fn perp_params(
	leverage: u32,
	min_coins_per_million: u128,
	max_coins: u128,
) -> pallet_perpetual_margin::MarketParamsOf<Runtime> {
	use pallet_perpetual_margin::{MarketParams, SizeTier};
	let fixed = FixedU128::saturating_from_integer::<u128>;
	MarketParams {
		value_scale: FixedU128::saturating_from_rational(USDB, SIZE_UNITS_PER_COIN),
		max_leverage: fixed(leverage.into()),
		initial_margin: FixedU128::saturating_from_rational(1, leverage),
		maintenance_margin: FixedU128::saturating_from_rational(6, 10 * leverage as u128),
		// Three times the oracle's per-block volatility on top, rising at most 0.1% per block.
		volatility_factor: fixed(3),
		max_margin_step: FixedU128::saturating_from_rational(1, 1_000),
		// A tenth and a half of the largest position need 1.5x and 2x the margin (by size: what
		// a liquidation must sell).
		size_tiers: vec![
			SizeTier {
				min_size: max_coins * SIZE_UNITS_PER_COIN / 10,
				factor: FixedU128::saturating_from_rational(3, 2),
			},
			SizeTier { min_size: max_coins * SIZE_UNITS_PER_COIN / 2, factor: fixed(2) },
		]
		.try_into()
		.unwrap_or_default(),
		min_size: min_coins_per_million * SIZE_UNITS_PER_COIN / 1_000_000,
		// No position left open below $10: with `min_size`, what bounds a market's positions.
		min_position_value: 10 * DOLLARS,
		max_position_size: max_coins * SIZE_UNITS_PER_COIN,
		max_long_size: 10 * max_coins * SIZE_UNITS_PER_COIN,
		max_short_size: 10 * max_coins * SIZE_UNITS_PER_COIN,
		// Each side's open interest within half of the silo's pool (less its claims).
		max_open_interest_to_pool: FixedU128::saturating_from_rational(1, 2),
		// A trade of 1% of this skew moves its own fill by 0.5%.
		skew_scale: 100 * max_coins * SIZE_UNITS_PER_COIN,
		max_price_impact: FixedU128::saturating_from_rational(1, 100),
		// At full skew 10^-6 per block (about 1.4% a day), reached in no less than 1000 blocks.
		max_funding_rate: FixedU128::saturating_from_rational(1, 1_000_000),
		max_funding_velocity: FixedU128::saturating_from_rational(1, 1_000_000_000),
		trading_fee: Permill::from_parts(500),
		liquidation_penalty: Permill::from_percent(1),
		keeper_reward: Permill::from_parts(2_500),
	}
}

/// The perpetual markets of the dev and local chains, all in silo 0 (USDB): BTC and ETH at up
/// to 20x, DOT at up to 10x.
pub fn dev_markets() -> Vec<(MarketId, u32, pallet_perpetual_margin::MarketParamsOf<Runtime>)> {
	vec![
		// 0.0001 BTC to 100 BTC per position.
		(BTC_USD, 0, perp_params(20, 100, 100)),
		// 0.001 ETH to 1,000 ETH.
		(ETH_USD, 0, perp_params(20, 1_000, 1_000)),
		// 1 DOT to 1,000,000 DOT.
		(DOT_USD, 0, perp_params(10, 1_000_000, 1_000_000)),
	]
}

/// The pallet's defaults, except that the insurance-floor trigger is off: dev and local chains
/// start with an empty insurance fund, which would stop all new risk from block 1. Governance
/// sets the floor once the fund is seeded.
pub fn dev_breaker_params() -> pallet_circuit_breaker::BreakerParams<crate::BlockNumber> {
	pallet_circuit_breaker::BreakerParams {
		insurance_floor: FixedU128::from_u32(0),
		..<pallet_circuit_breaker::DefaultParams<Runtime> as frame_support::traits::Get<_>>::get()
	}
}

/// The name of the staging preset (`--chain staging`).
pub const STAGING_PRESET: &str = "staging";

fn genesis(
	validators: Vec<(AccountId, SessionKeys)>,
	root: Option<AccountId>,
	guardians: Vec<AccountId>,
	endowed: Vec<AccountId>,
	usdb_owner: AccountId,
) -> Value {
	#[cfg_attr(not(feature = "sudo"), allow(unused_mut))]
	let mut patch = build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.iter().cloned().map(|account| (account, DEV_ENDOWMENT)).collect(),
		},
		// Session 0's validators; the session pallet hands their keys to Aura, GRANDPA and the
		// oracle (whose feeders they become).
		validator_set: ValidatorSetConfig {
			validators: validators.iter().map(|(account, _)| account.clone()).collect(),
		},
		session: SessionConfig {
			keys: validators
				.into_iter()
				.map(|(account, keys)| (account.clone(), account, keys))
				.collect(),
		},
		assets: AssetsConfig {
			// Sufficient: a trader needs no BWK to hold USDB.
			// The owner is also its issuer, admin and freezer.
			assets: vec![(USDB_ASSET_ID, usdb_owner, true, USDB_MIN_BALANCE)],
			metadata: vec![(
				USDB_ASSET_ID,
				b"Bulwark Dollar".to_vec(),
				b"USDB".to_vec(),
				USDB_DECIMALS
			)],
			accounts: endowed
				.iter()
				.cloned()
				.map(|account| (USDB_ASSET_ID, account, DEV_USDB_ENDOWMENT))
				.collect(),
		},
		collateral_silos: CollateralSilosConfig {
			silos: vec![(USDB_ASSET_ID, usdb_silo_params())]
		},
		price_oracle: PriceOracleConfig { feeds: dev_feeds() },
		circuit_breaker: CircuitBreakerConfig {
			markets: vec![BTC_USD, ETH_USD, DOT_USD],
			silos: vec![0],
			params: Some(dev_breaker_params()),
		},
		perpetual_margin: PerpetualMarginConfig { markets: dev_markets() },
		guardians: GuardiansConfig { members: guardians },
	});
	// A sudo key only where the runtime has sudo (built with the `sudo` feature).
	#[cfg(feature = "sudo")]
	{
		let sudo = build_struct_json_patch!(RuntimeGenesisConfig {
			sudo: crate::SudoConfig { key: root }
		});
		if let (Some(patch), Value::Object(sudo)) = (patch.as_object_mut(), sudo) {
			patch.extend(sudo);
		}
	}
	#[cfg(not(feature = "sudo"))]
	let _ = root;
	patch
}

/// The dev validators' oracle (feeder) keys: each seed with
/// [`ORACLE_KEY_DERIVATION`](crate::opaque::ORACLE_KEY_DERIVATION) appended (`//Alice//oracle`),
/// as the runtime's `generate_session_keys` derives them for `--alice` and friends. Public keys
/// written out, so that building a preset derives nothing and cannot fail; the runtime's test
/// `dev_oracle_keys_are_the_validators_oracle_derivations` ties them to the derivation.
pub const DEV_ORACLE_KEYS: [(Sr25519Keyring, [u8; 32]); 4] = [
	(
		Sr25519Keyring::Alice,
		[
			0x8e, 0xf5, 0xa0, 0x6b, 0x56, 0x83, 0x5e, 0x3d, 0x79, 0x7d, 0x40, 0xe6, 0x10, 0x58,
			0x36, 0x35, 0xa0, 0x97, 0xba, 0x8f, 0x4a, 0xa6, 0x24, 0xa2, 0x21, 0xba, 0x27, 0x6e,
			0x1a, 0xea, 0x02, 0x3b,
		],
	),
	(
		Sr25519Keyring::Bob,
		[
			0x4a, 0xae, 0xfa, 0x72, 0x3f, 0x94, 0xad, 0x04, 0x27, 0x4e, 0x89, 0x38, 0xaf, 0x9b,
			0xa7, 0x75, 0x3e, 0xdc, 0xba, 0xf9, 0xbe, 0xfc, 0xc9, 0x34, 0x3e, 0x2d, 0x62, 0x13,
			0x1f, 0x77, 0xf1, 0x2d,
		],
	),
	(
		Sr25519Keyring::Charlie,
		[
			0x88, 0x0a, 0x69, 0xb5, 0x13, 0x02, 0x3d, 0x2a, 0x1e, 0xeb, 0x3e, 0x46, 0xce, 0xb7,
			0x9b, 0x83, 0x1e, 0xc7, 0xca, 0xfb, 0x95, 0xa2, 0x31, 0x3b, 0x30, 0x4f, 0xd0, 0x94,
			0x40, 0x95, 0xb2, 0x5b,
		],
	),
	(
		Sr25519Keyring::Dave,
		[
			0xe8, 0xd2, 0xc1, 0x4a, 0x6a, 0x42, 0x2b, 0x79, 0xdd, 0x10, 0x2a, 0x98, 0x66, 0x6d,
			0xb6, 0x47, 0xa1, 0x77, 0xe7, 0xd6, 0x8b, 0xcd, 0x50, 0xf4, 0x0e, 0x3b, 0x23, 0x8d,
			0x83, 0x03, 0x75, 0x52,
		],
	),
];

/// The oracle key of dev validator `validator` (one of [`DEV_ORACLE_KEYS`]); never its Aura key.
pub fn dev_oracle_key(validator: Sr25519Keyring) -> Option<sp_core::sr25519::Public> {
	DEV_ORACLE_KEYS
		.iter()
		.find(|(key, _)| *key == validator)
		.map(|(_, public)| sp_core::sr25519::Public::from_raw(*public))
}

/// A dev validator: its account, and its session keys as `--alice` and friends put them in the
/// keystore (Aura from its sr25519 seed, GRANDPA from its ed25519 seed, the oracle key from its
/// sr25519 seed's `//oracle` derivation: [`dev_oracle_key`]). `None` for a keyring that is not
/// one of the four dev validators.
fn validator(sr25519: Sr25519Keyring, ed25519: Ed25519Keyring) -> Option<(AccountId, SessionKeys)> {
	let keys = SessionKeys {
		aura: sr25519.public().into(),
		grandpa: ed25519.public().into(),
		oracle: dev_oracle_key(sr25519)?.into(),
	};
	Some((sr25519.to_account_id(), keys))
}

/// Alice, Bob, Charlie and Dave.
fn four_validators() -> Vec<(AccountId, SessionKeys)> {
	[
		validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
		validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
	]
	.into_iter()
	.flatten()
	.collect()
}

fn accounts(keys: &[Sr25519Keyring]) -> Vec<AccountId> {
	keys.iter().map(|key| key.to_account_id()).collect()
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// One validator (Alice), for `--dev`. Sudo: Alice; guardians: Alice, Bob, Charlie.
pub fn development_config_genesis() -> Value {
	use Sr25519Keyring::*;
	genesis(
		validator(Alice, Ed25519Keyring::Alice).into_iter().collect(),
		Some(Alice.to_account_id()),
		accounts(&[Alice, Bob, Charlie]),
		dev_accounts(),
		Alice.to_account_id(),
	)
}

/// Four validators (Alice, Bob, Charlie, Dave), for `--chain local` and zombienet. Sudo:
/// Alice; guardians: Alice, Bob, Charlie.
pub fn local_config_genesis() -> Value {
	use Sr25519Keyring::*;
	genesis(
		four_validators(),
		Some(Alice.to_account_id()),
		accounts(&[Alice, Bob, Charlie]),
		dev_accounts(),
		Alice.to_account_id(),
	)
}

/// Four validators (Alice, Bob, Charlie, Dave), guardians Eve, Ferdie and One, no sudo and USDB
/// owned by the keyless [`governance_account`]: only referenda change it.
pub fn staging_config_genesis() -> Value {
	use Sr25519Keyring::*;
	genesis(
		four_validators(),
		None,
		accounts(&[Eve, Ferdie, One]),
		dev_accounts(),
		governance_account(),
	)
}

/// The JSON patch of a named preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		STAGING_PRESET => staging_config_genesis(),
		_ => return None,
	};
	// Serializing a `Value` cannot fail; `ok()` keeps the runtime free of panics all the same.
	serde_json::to_vec(&patch).ok()
}

/// The presets this runtime knows.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(STAGING_PRESET),
	]
}
