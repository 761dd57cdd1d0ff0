//! Built-in chain specifications, all generated from the runtime's genesis presets.

use bulwark_runtime::WASM_BINARY;
use sc_service::ChainType;

/// A chain spec with no client extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token properties Polkadot.js shows: BWK with 12 decimals, generic SS58 prefix.
fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), "BWK".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| "the runtime Wasm was not built (SKIP_WASM_BUILD is set)".to_string())
}

/// `--dev`: one validator (Alice), instant sudo, dev accounts endowed.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Bulwark Development")
		.with_id("bulwark_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: four validators (Alice, Bob, Charlie, Dave) on one machine.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Bulwark Local Testnet")
		.with_id("bulwark_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain staging`: the local chain's four validators, guardians, and no sudo: changed only by
/// referenda. Its keys are well-known dev keys; a real network replaces them.
pub fn staging_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Bulwark Staging")
		.with_id("bulwark_staging")
		.with_chain_type(ChainType::Live)
		.with_genesis_config_preset_name(bulwark_runtime::genesis_config_presets::STAGING_PRESET)
		.with_properties(properties())
		.build())
}
