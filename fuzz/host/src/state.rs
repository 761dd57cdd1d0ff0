//! The storage the fuzzer's blocks run on: every key and value in a sorted map, for reads and
//! iteration, beside the same state as a trie, for each block's storage root.
//!
//! Why: an execution is dozens of blocks, and after each one every pallet's `try_state` walks
//! its storage. Read through a trie, each `get` walks from the root and each `next_key` seeks
//! and steps through decoded nodes: about half of an execution's time. A map answers both at
//! once. The trie still computes every block's storage root (the header's) from the block's
//! changes, exactly as a node does; a test (`bulwark-fuzz`'s `lib.rs`) checks after every block
//! that the map and the trie hold the same pairs.
//!
//! Child tries: the runtime has none; their calls go to the trie, and iterating one is an error.

use sp_core::{Blake2Hasher, H256};
use sp_state_machine::{
	Backend, BackendTransaction, InMemoryBackend, IterArgs, StorageIterator, StorageKey,
	StorageValue, TrieBackendBuilder, UsageInfo,
};
use sp_storage::{ChildInfo, StateVersion};
use sp_trie::{MerkleValue, PrefixedMemoryDB};
use std::{collections::BTreeMap, ops::Bound};

pub type Hashing = Blake2Hasher;
type Error = String;

/// The state after some block: its pairs, and its trie.
pub struct FlatState {
	values: BTreeMap<StorageKey, StorageValue>,
	trie: InMemoryBackend<Hashing>,
}

impl core::fmt::Debug for FlatState {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "FlatState({} pairs, root {:?})", self.values.len(), self.trie.root())
	}
}

impl FlatState {
	/// The state `trie` holds. The trie gets no cache: it only computes roots, and a cache's
	/// upkeep (a new one per block, its root changed) costs more than the node decoding it
	/// saves (measured).
	pub fn new(trie: InMemoryBackend<Hashing>) -> Self {
		Self { values: pairs_of(&trie), trie }
	}

	/// Commits a block: its changed pairs, and its trie nodes under its new root.
	pub fn commit(&mut self, changes: sp_state_machine::StorageChanges<Hashing>) {
		// An overlay can list a child trie with no change in it (a clear of an empty one, a
		// rolled-back write): only a change is out of bounds.
		assert!(
			changes.child_storage_changes.iter().all(|(_, changes)| changes.is_empty()),
			"the runtime has no child tries"
		);
		for (key, value) in changes.main_storage_changes {
			match value {
				Some(value) => self.values.insert(key, value),
				None => self.values.remove(&key),
			};
		}
		self.trie.apply_transaction(changes.transaction_storage_root, changes.transaction);
	}

	/// A copy to run an input on.
	pub fn fork(&self) -> Self {
		let nodes = self.trie.backend_storage().clone();
		Self {
			values: self.values.clone(),
			trie: TrieBackendBuilder::new(nodes, *self.trie.root()).build(),
		}
	}

	/// Every key, in order.
	pub fn keys(&self) -> impl Iterator<Item = &StorageKey> {
		self.values.keys()
	}

	/// Whether the map holds exactly the trie's pairs.
	pub fn map_is_trie(&self) -> bool {
		pairs_of(&self.trie) == self.values
	}
}

/// Every pair the trie holds.
fn pairs_of(trie: &InMemoryBackend<Hashing>) -> BTreeMap<StorageKey, StorageValue> {
	trie.pairs(Default::default())
		.expect("an in-memory trie iterates")
		.map(|pair| pair.expect("an in-memory trie reads"))
		.collect()
}

/// Iterates the map: from `start` (inclusive or not), while keys have the prefix.
pub struct FlatIter {
	prefix: Option<StorageKey>,
	from: Bound<StorageKey>,
	done: bool,
}

impl StorageIterator<Hashing> for FlatIter {
	type Backend = FlatState;
	type Error = Error;

	fn next_key(&mut self, state: &FlatState) -> Option<Result<StorageKey, Error>> {
		self.next_pair(state).map(|pair| pair.map(|(key, _)| key))
	}

	fn next_pair(
		&mut self,
		state: &FlatState,
	) -> Option<Result<(StorageKey, StorageValue), Error>> {
		if self.done {
			return None;
		}
		let next = state.values.range((self.from.clone(), Bound::Unbounded)).next();
		match next {
			Some((key, value))
				if self.prefix.as_ref().is_none_or(|prefix| key.starts_with(prefix)) =>
			{
				self.from = Bound::Excluded(key.clone());
				Some(Ok((key.clone(), value.clone())))
			},
			_ => {
				self.done = true;
				None
			},
		}
	}

	fn was_complete(&self) -> bool {
		self.done
	}
}

impl Backend<Hashing> for FlatState {
	type Error = Error;
	type TrieBackendStorage = PrefixedMemoryDB<Hashing>;
	type RawIter = FlatIter;

	fn storage(&self, key: &[u8]) -> Result<Option<StorageValue>, Error> {
		Ok(self.values.get(key).cloned())
	}

	fn storage_hash(&self, key: &[u8]) -> Result<Option<H256>, Error> {
		use sp_core::Hasher;
		Ok(self.values.get(key).map(|value| Hashing::hash(value)))
	}

	fn exists_storage(&self, key: &[u8]) -> Result<bool, Error> {
		Ok(self.values.contains_key(key))
	}

	fn closest_merkle_value(&self, key: &[u8]) -> Result<Option<MerkleValue<H256>>, Error> {
		self.trie.closest_merkle_value(key)
	}

	fn child_closest_merkle_value(
		&self,
		child_info: &ChildInfo,
		key: &[u8],
	) -> Result<Option<MerkleValue<H256>>, Error> {
		self.trie.child_closest_merkle_value(child_info, key)
	}

	fn child_storage(
		&self,
		child_info: &ChildInfo,
		key: &[u8],
	) -> Result<Option<StorageValue>, Error> {
		self.trie.child_storage(child_info, key)
	}

	fn child_storage_hash(
		&self,
		child_info: &ChildInfo,
		key: &[u8],
	) -> Result<Option<H256>, Error> {
		self.trie.child_storage_hash(child_info, key)
	}

	fn next_storage_key(&self, key: &[u8]) -> Result<Option<StorageKey>, Error> {
		let after = (Bound::Excluded(key), Bound::Unbounded);
		Ok(self.values.range::<[u8], _>(after).next().map(|(key, _)| key.clone()))
	}

	fn next_child_storage_key(
		&self,
		child_info: &ChildInfo,
		key: &[u8],
	) -> Result<Option<StorageKey>, Error> {
		self.trie.next_child_storage_key(child_info, key)
	}

	fn storage_root<'a>(
		&self,
		delta: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
		state_version: StateVersion,
	) -> (H256, BackendTransaction<Hashing>) {
		self.trie.storage_root(delta, state_version)
	}

	fn child_storage_root<'a>(
		&self,
		child_info: &ChildInfo,
		delta: impl Iterator<Item = (&'a [u8], Option<&'a [u8]>)>,
		state_version: StateVersion,
	) -> (H256, bool, BackendTransaction<Hashing>) {
		self.trie.child_storage_root(child_info, delta, state_version)
	}

	fn raw_iter(&self, args: IterArgs) -> Result<FlatIter, Error> {
		if args.child_info.is_some() {
			return Err("the fuzzer's state iterates no child trie".into());
		}
		let prefix = args.prefix.map(<[u8]>::to_vec);
		// Start at `start_at`, but never before the prefix's first key.
		let from = match (args.start_at, args.prefix) {
			(Some(start), Some(prefix)) if start < prefix => Bound::Included(prefix.to_vec()),
			(Some(start), _) if args.start_at_exclusive => Bound::Excluded(start.to_vec()),
			(Some(start), _) => Bound::Included(start.to_vec()),
			(None, Some(prefix)) => Bound::Included(prefix.to_vec()),
			(None, None) => Bound::Unbounded,
		};
		Ok(FlatIter { prefix, from, done: false })
	}

	fn register_overlay_stats(&self, _stats: &sp_state_machine::StateMachineStats) {}

	fn usage_info(&self) -> UsageInfo {
		UsageInfo::empty()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A pair in the map that the trie lacks, a pair missing from the map, or a different
	/// value, is seen.
	#[test]
	fn a_map_that_differs_from_its_trie_is_seen() {
		let pairs: BTreeMap<StorageKey, StorageValue> =
			(0u8..50).map(|n| (vec![n % 7, n], vec![n; 3])).collect();
		let flat = FlatState::new((pairs, StateVersion::V1).into());
		assert!(flat.map_is_trie());
		let mut forged = flat.fork();
		forged.values.insert(b"not in the trie".to_vec(), vec![1]);
		assert!(!forged.map_is_trie());
		let mut changed = flat.fork();
		changed.values.insert(vec![0, 0], vec![1]);
		assert!(!changed.map_is_trie());
		let mut missing = flat.fork();
		assert!(missing.values.remove(&[0, 0][..]).is_some());
		assert!(!missing.map_is_trie());
	}
}
