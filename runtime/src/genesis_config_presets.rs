//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (Alice and Bob).
//!
//! The node's `--chain dev` and `--chain local` are built from these; `build-spec` writes them
//! out. Both endow the well-known dev accounts with BWK and with the dev collateral stablecoin
//! USDB (pallet-assets id 1, 6 decimals), and keep sudo (Alice) for convenience.

use crate::{
	AccountId, AssetsConfig, AuraConfig, BalancesConfig, CircuitBreakerConfig,
	CollateralSilosConfig, GrandpaConfig, PriceOracleConfig, Runtime, RuntimeGenesisConfig,
	SudoConfig, BWK, MINUTES, USDB, USDB_ASSET_ID, USDB_DECIMALS,
};
use alloc::{vec, vec::Vec};
use bulwark_primitives::MarketId;
use frame_support::build_struct_json_patch;
use pallet_collateral_silos::SiloParams;
use pallet_price_oracle::{crypto::Public as OracleId, FeedConfig, FeedOf, Source};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{FixedPointNumber, FixedU128, Perbill, Permill};

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

/// The pallet's defaults, except that the insurance-floor trigger is off: dev and local chains
/// start with an empty insurance fund, which would stop all new risk from block 1. Governance
/// sets the floor once the fund is seeded.
pub fn dev_breaker_params() -> pallet_circuit_breaker::BreakerParams<crate::BlockNumber> {
	pallet_circuit_breaker::BreakerParams {
		insurance_floor: FixedU128::from_u32(0),
		..<pallet_circuit_breaker::DefaultParams<Runtime> as frame_support::traits::Get<_>>::get()
	}
}

fn genesis(
	authorities: Vec<(AuraId, GrandpaId, OracleId)>,
	root: AccountId,
	endowed: Vec<AccountId>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.iter().cloned().map(|account| (account, DEV_ENDOWMENT)).collect(),
		},
		aura: AuraConfig {
			authorities: authorities.iter().map(|(aura, ..)| aura.clone()).collect(),
		},
		grandpa: GrandpaConfig {
			authorities: authorities.iter().map(|(_, grandpa, _)| (grandpa.clone(), 1)).collect(),
		},
		assets: AssetsConfig {
			// Sufficient: a trader needs no BWK to hold USDB.
			assets: vec![(USDB_ASSET_ID, root.clone(), true, USDB_MIN_BALANCE)],
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
		price_oracle: PriceOracleConfig {
			// The initial validators feed prices.
			feeders: authorities.iter().map(|(.., oracle)| oracle.clone()).collect(),
			feeds: dev_feeds(),
		},
		circuit_breaker: CircuitBreakerConfig {
			markets: vec![BTC_USD, ETH_USD, DOT_USD],
			silos: vec![0],
			params: Some(dev_breaker_params()),
		},
		sudo: SudoConfig { key: Some(root) },
	})
}

/// A dev validator's keys: Aura and the oracle key from its sr25519 seed, GRANDPA from ed25519
/// (what `--alice` and friends put in the keystore).
fn authority(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AuraId, GrandpaId, OracleId) {
	(aura.public().into(), grandpa.public().into(), aura.public().into())
}

fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// One validator (Alice), for `--dev`.
pub fn development_config_genesis() -> Value {
	genesis(
		vec![authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		Sr25519Keyring::Alice.to_account_id(),
		dev_accounts(),
	)
}

/// Two validators (Alice and Bob), for `--chain local` and zombienet.
pub fn local_config_genesis() -> Value {
	genesis(
		vec![
			authority(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			authority(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		],
		Sr25519Keyring::Alice.to_account_id(),
		dev_accounts(),
	)
}

/// The JSON patch of a named preset.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
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
	]
}
