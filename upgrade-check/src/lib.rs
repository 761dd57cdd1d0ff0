//! The upgrade check: this runtime's upgrade, run natively over a snapshot of a live chain's
//! state before the chain is asked to apply it.
//!
//! - [`Snapshot`]: a chain's top-level state at one block, as
//!   `zombienet/js/checks/upgrade-check.mjs` writes it (JSON, hex keys and values).
//! - [`orphans`]: keys under a pallet's prefix that no storage item of this runtime declares.
//!   `try_decode_entire_state` decodes every item the runtime *declares*; an item renamed
//!   without a migration leaves its entries under the old name, where nothing reads them (the
//!   new name reads empty): only a walk of the keys finds them.
//! - `main.rs` (with `try-runtime`): every migration with its pre/post checks, the state decoded
//!   whole and every pallet's `try_state` (`Executive::try_runtime_upgrade`), then the orphans,
//!   then a second run that must leave the state root as it was (idempotence).

use std::collections::{BTreeMap, BTreeSet};

use bulwark_runtime::AllPalletsWithSystem;
use frame_support::traits::{PalletsInfoAccess, StorageInfoTrait};
use sp_io::hashing::twox_128;

/// A chain's top-level state at one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
	pub block: u32,
	pub hash: String,
	pub spec_version: u32,
	pub top: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// `0x`-prefixed hex to bytes.
pub fn from_hex(text: &str) -> Result<Vec<u8>, String> {
	let digits = text.strip_prefix("0x").ok_or_else(|| format!("`{text}`: no 0x prefix"))?;
	if digits.len() % 2 != 0 {
		return Err(format!("`{text}`: odd number of hex digits"));
	}
	(0..digits.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|e| format!("`{text}`: {e}")))
		.collect()
}

/// Reads a snapshot: `{"block": N, "hash": "0x..", "specVersion": N, "top": [["0xkey",
/// "0xvalue"], ...]}`.
pub fn parse_snapshot(json: &str) -> Result<Snapshot, String> {
	let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
	let number = |field: &str| {
		value[field]
			.as_u64()
			.and_then(|n| u32::try_from(n).ok())
			.ok_or_else(|| format!("`{field}`: not a block number"))
	};
	let pairs = value["top"].as_array().ok_or("`top`: not an array")?;
	let mut top = BTreeMap::new();
	for pair in pairs {
		let (Some(key), Some(data)) = (pair[0].as_str(), pair[1].as_str()) else {
			return Err(format!("`top`: {pair} is not [key, value]"));
		};
		if top.insert(from_hex(key)?, from_hex(data)?).is_some() {
			return Err(format!("`top`: {key} twice"));
		}
	}
	Ok(Snapshot {
		block: number("block")?,
		hash: value["hash"].as_str().ok_or("`hash`: not a string")?.to_string(),
		spec_version: number("specVersion")?,
		top,
	})
}

/// The snapshot as externalities. Child tries are not in a snapshot (this chain has none):
/// their roots' keys are left out, as a trie built from top-level pairs cannot hold them.
pub fn externalities(snapshot: &Snapshot) -> sp_io::TestExternalities {
	let top = snapshot
		.top
		.iter()
		.filter(|(key, _)| {
			!key.starts_with(sp_core::storage::well_known_keys::CHILD_STORAGE_KEY_PREFIX)
		})
		.map(|(key, value)| (key.clone(), value.clone()))
		.collect();
	sp_io::TestExternalities::new(sp_core::storage::Storage {
		top,
		children_default: Default::default(),
	})
}

/// Keys no storage item of this runtime declares, under one 32-byte prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
	/// The pallet whose prefix the key starts with, if any.
	pub pallet: Option<String>,
	/// The key's first 32 bytes (pallet and item hashes).
	pub prefix: Vec<u8>,
	pub keys: u32,
}

/// Every key of the current externalities that is neither a well-known key (`:code`,
/// `:heappages`, ...: they start with `:`) nor under a storage item or pallet version this
/// runtime declares, grouped by prefix.
pub fn orphans() -> Vec<Orphan> {
	// Each pallet's prefix, and under it its storage version's key.
	let pallets: BTreeMap<[u8; 16], String> = AllPalletsWithSystem::infos()
		.into_iter()
		.map(|pallet| (twox_128(pallet.name.as_bytes()), pallet.name.to_string()))
		.collect();
	let declared: BTreeSet<Vec<u8>> = AllPalletsWithSystem::storage_info()
		.into_iter()
		.map(|info| info.prefix[..32].to_vec())
		.chain(pallets.keys().map(|prefix| [*prefix, twox_128(b":__STORAGE_VERSION__:")].concat()))
		.collect();
	let mut found: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
	let mut key = Vec::new();
	while let Some(next) = sp_io::storage::next_key(&key) {
		key = next;
		if key.starts_with(b":") {
			continue;
		}
		let prefix = key[..key.len().min(32)].to_vec();
		if prefix.len() < 32 || !declared.contains(&prefix) {
			*found.entry(prefix).or_default() += 1;
		}
	}
	found
		.into_iter()
		.map(|(prefix, keys)| Orphan {
			pallet: prefix
				.get(..16)
				.and_then(|half| <[u8; 16]>::try_from(half).ok())
				.and_then(|half| pallets.get(&half).cloned()),
			prefix,
			keys,
		})
		.collect()
}

/// `0x` and the bytes in hex.
pub fn to_hex(bytes: &[u8]) -> String {
	let digits: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
	format!("0x{digits}")
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::BuildStorage;

	fn dev_chain() -> sp_io::TestExternalities {
		let config =
			bulwark_runtime::harness::preset_config(sp_genesis_builder::DEV_RUNTIME_PRESET)
				.expect("the dev preset");
		sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"))
	}

	fn item(pallet: &str, item: &str) -> Vec<u8> {
		[twox_128(pallet.as_bytes()), twox_128(item.as_bytes())].concat()
	}

	#[test]
	fn a_genesis_state_has_no_orphans() {
		dev_chain().execute_with(|| assert_eq!(orphans(), vec![]));
	}

	#[test]
	fn an_item_renamed_without_a_migration_leaves_orphans_that_are_found() {
		dev_chain().execute_with(|| {
			// The dev chain's three markets, as if the code now called `Markets` something
			// else: their entries stay under the old name.
			let markets = item("PerpetualMargin", "Markets");
			let mut moved = 0;
			let mut key = markets.clone();
			while let Some(next) =
				sp_io::storage::next_key(&key).filter(|k| k.starts_with(&markets))
			{
				let value = sp_io::storage::get(&next).expect("a value");
				let renamed = [item("PerpetualMargin", "OldMarkets"), next[32..].to_vec()].concat();
				sp_io::storage::set(&renamed, &value);
				sp_io::storage::clear(&next);
				moved += 1;
				key = next;
			}
			assert_eq!(moved, 3, "the dev chain's three markets");
			// A key under no pallet at all, and one too short to name an item.
			sp_io::storage::set(&item("Nobody", "Nothing"), b"x");
			sp_io::storage::set(&twox_128(b"PerpetualMargin"), b"x");
			let found = orphans();
			let of = |prefix: Vec<u8>| found.iter().find(|o| o.prefix == prefix).cloned();
			assert_eq!(
				of(item("PerpetualMargin", "OldMarkets")),
				Some(Orphan {
					pallet: Some("PerpetualMargin".into()),
					prefix: item("PerpetualMargin", "OldMarkets"),
					keys: 3
				})
			);
			assert_eq!(of(item("Nobody", "Nothing")).map(|o| (o.pallet, o.keys)), Some((None, 1)));
			assert_eq!(
				of(twox_128(b"PerpetualMargin").to_vec()).map(|o| (o.pallet, o.keys)),
				Some((Some("PerpetualMargin".into()), 1))
			);
			assert_eq!(found.len(), 3, "{found:?}");
		});
	}

	#[test]
	fn snapshots_parse_and_bad_ones_are_refused() {
		let good = r#"{"block": 7, "hash": "0xab", "specVersion": 107,
			"top": [["0x3a636f6465", "0x0061736d"], ["0x01", "0x"]]}"#;
		let snapshot = parse_snapshot(good).expect("parses");
		assert_eq!(snapshot.block, 7);
		assert_eq!(snapshot.spec_version, 107);
		assert_eq!(snapshot.top.get(&b":code"[..]), Some(&vec![0, 0x61, 0x73, 0x6d]));
		assert_eq!(snapshot.top.get(&vec![1]), Some(&vec![]));
		for bad in [
			r#"{"block": 7, "hash": "0xab", "specVersion": 1, "top": [["01", "0x"]]}"#,
			r#"{"block": 7, "hash": "0xab", "specVersion": 1, "top": [["0x1", "0x"]]}"#,
			r#"{"block": 7, "hash": "0xab", "specVersion": 1, "top": [["0xzz", "0x"]]}"#,
			r#"{"block": 7, "hash": "0xab", "specVersion": 1, "top": [["0x01"]]}"#,
			r#"{"block": 7, "hash": "0xab", "specVersion": 1, "top": [["0x01", "0x"], ["0x01", "0x"]]}"#,
			r#"{"block": -1, "hash": "0xab", "specVersion": 1, "top": []}"#,
			r#"{"hash": "0xab", "specVersion": 1, "top": []}"#,
			"not json",
		] {
			assert!(parse_snapshot(bad).is_err(), "{bad}");
		}
	}
}
