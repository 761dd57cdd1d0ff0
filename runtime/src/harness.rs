//! Native helpers (`std` only, never in the Wasm) shared by the runtime's tests and the
//! whole-runtime fuzzer (`fuzz/`): a preset's whole genesis config, and a block started as
//! the node starts it.

use crate::{
	genesis_config_presets, BlockNumber, Executive, Header, RuntimeCall, RuntimeGenesisConfig,
	System, UncheckedExtrinsic, SLOT_DURATION,
};
use codec::Encode;
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_runtime::{
	generic::{Digest, DigestItem},
	traits::Header as _,
};

/// Deep-merges `patch` into `base`, as the node does when it applies a preset to the defaults.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (key, value) in patch {
				merge(base.entry(key).or_insert(serde_json::Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// The genesis config of preset `name`: the defaults with the preset merged in, as the node
/// builds a chain spec from it. `None` for an unknown preset.
pub fn preset_config(name: &str) -> Option<RuntimeGenesisConfig> {
	let patch = genesis_config_presets::get_preset(&name.into())?;
	let patch: serde_json::Value = serde_json::from_slice(&patch).expect("presets are JSON");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	merge(&mut config, patch);
	Some(serde_json::from_value(config).expect("the preset fits RuntimeGenesisConfig"))
}

/// Starts block `number` in Aura slot `slot` the way the node does: initialize (the slot in the
/// digest, the parent's hash), then the timestamp inherent at the slot's start. The next
/// `apply_extrinsic` of a transaction runs `on_poll` first.
pub fn start_block(number: BlockNumber, slot: u64) {
	let digest =
		Digest { logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(slot).encode())] };
	let parent = System::block_hash(number - 1);
	Executive::initialize_block(&Header::new(
		number,
		Default::default(),
		Default::default(),
		parent,
		digest,
	));
	let timestamp =
		UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set {
			now: slot * SLOT_DURATION,
		}));
	assert_eq!(Executive::apply_extrinsic(timestamp), Ok(Ok(())), "the timestamp inherent");
}

/// The parameters of a thin market whose coin is priced near a cent (JELLY, listed by
/// governance in the replays and the fuzzer): DOT's dev market, for positions of up to 10^7
/// coins, open interest up to 10^8 coins a side, no size tiers.
pub fn thin_market_params() -> pallet_perpetual_margin::MarketParamsOf<crate::Runtime> {
	let mut params = genesis_config_presets::dev_markets()[2].2.clone();
	let coin = 100_000_000u128;
	params.max_position_size = 10_000_000 * coin;
	params.max_long_size = 100_000_000 * coin;
	params.max_short_size = 100_000_000 * coin;
	params.skew_scale = 1_000_000_000 * coin;
	params.size_tiers = Default::default();
	params
}

/// A dev validator's oracle key pair, whose public key is
/// [`dev_oracle_key`](genesis_config_presets::dev_oracle_key): what signs its price reports.
pub fn oracle_pair(validator: sp_keyring::Sr25519Keyring) -> sp_core::sr25519::Pair {
	use sp_core::Pair;
	let uri = format!("{}{}", validator.to_seed(), crate::opaque::ORACLE_KEY_DERIVATION);
	sp_core::sr25519::Pair::from_string(&uri, None).expect("a valid dev key URI")
}
