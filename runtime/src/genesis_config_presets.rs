//! Genesis presets: `development` (one validator, Alice) and `local_testnet` (Alice and Bob).
//!
//! The node's `--chain dev` and `--chain local` are built from these; `build-spec` writes them
//! out. Both endow the well-known dev accounts with BWK and with the dev collateral stablecoin
//! USDB (pallet-assets id 1, 6 decimals), and keep sudo (Alice) for convenience.

use crate::{
	AccountId, AssetsConfig, AuraConfig, BalancesConfig, CollateralSilosConfig, GrandpaConfig,
	RuntimeGenesisConfig, SudoConfig, BWK, MINUTES, USDB, USDB_ASSET_ID, USDB_DECIMALS,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use pallet_collateral_silos::SiloParams;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::Permill;

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

fn genesis(
	authorities: Vec<(AuraId, GrandpaId)>,
	root: AccountId,
	endowed: Vec<AccountId>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.iter().cloned().map(|account| (account, DEV_ENDOWMENT)).collect(),
		},
		aura: AuraConfig {
			authorities: authorities.iter().map(|(aura, _)| aura.clone()).collect(),
		},
		grandpa: GrandpaConfig {
			authorities: authorities.iter().map(|(_, grandpa)| (grandpa.clone(), 1)).collect(),
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
		sudo: SudoConfig { key: Some(root) },
	})
}

fn authority(aura: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AuraId, GrandpaId) {
	(aura.public().into(), grandpa.public().into())
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
