//! The storage the fuzzer's blocks run on: every key and value in a sorted map, for reads and
//! iteration, beside the same state as a trie, for each block's storage root.
//!
//! Why: an execution is dozens of blocks, and after each one every pallet's `try_state` walks
//! its storage. Read through a trie, each `get` walks from the root and each `next_key` seeks
//! and steps through decoded nodes: about half of an execution's time. A map answers both at
//! once. The trie still computes every block's storage root (the header's) from the block's
//! changes, exactly as a node does; a test (`lib.rs`) checks after every block that the map and
//! the trie hold the same pairs.
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
	/// The state `trie` holds.
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

	fn pairs<B: Backend<Hashing>>(state: &B, args: IterArgs) -> Vec<(StorageKey, StorageValue)> {
		state.pairs(args).expect("iterates").map(|pair| pair.expect("reads")).collect()
	}

	/// Block 1's state, as a trie and as the map beside its trie.
	fn block_one() -> (InMemoryBackend<Hashing>, FlatState) {
		let mut ext = sp_io::TestExternalities::new(Default::default());
		ext.execute_with(crate::chain::setup);
		ext.commit_all().expect("commits");
		let trie = std::mem::take(&mut ext.backend);
		let flat = FlatState::new(trie.clone());
		(trie, flat)
	}

	/// What the runtime sees through `Ext` with changes pending: a write, a limited then a
	/// whole `clear_prefix` (which iterates the backend), every pair by `next_key`, and the
	/// storage root. The map and the trie must answer alike.
	#[test]
	fn through_the_externalities_the_map_answers_as_the_trie_does() {
		type Removal = (Option<Vec<u8>>, u32, u32, u32);
		type Seen = ([Removal; 2], Vec<(StorageKey, Option<StorageValue>)>, Vec<u8>);
		fn run<B: Backend<Hashing>>(state: &B) -> Seen {
			let mut overlay = sp_state_machine::OverlayedChanges::default();
			let mut ext = sp_state_machine::Ext::new(&mut overlay, state, None);
			sp_externalities::set_and_run_with_externalities(&mut ext, || {
				let accounts = frame_support::storage::storage_prefix(b"System", b"Account");
				let other = frame_support::storage::storage_prefix(b"Assets", b"Account");
				sp_io::storage::set(&[&accounts[..], b"new"].concat(), b"pending");
				let clear = |prefix: &[u8], limit| {
					let result =
						frame_support::storage::unhashed::clear_prefix(prefix, limit, None);
					(result.maybe_cursor, result.backend, result.unique, result.loops)
				};
				let removals = [clear(&accounts, Some(3)), clear(&other, Some(1000))];
				let mut pairs = Vec::new();
				let mut key = Vec::new();
				while let Some(next) = sp_io::storage::next_key(&key) {
					pairs.push((
						next.clone(),
						sp_io::storage::get(&next).map(|value| value.to_vec()),
					));
					key = next;
				}
				(removals, pairs, sp_io::storage::root(StateVersion::V1))
			})
		}
		let (trie, flat) = block_one();
		let (from_map, from_trie) = (run(&flat), run(&trie));
		assert_eq!(from_map, from_trie);
	}

	/// Iterating the map gives what iterating the trie gives, for any prefix and start, and
	/// `next_key` agrees too: on the chain's block 1 (a few thousand pairs).
	#[test]
	fn the_map_iterates_as_the_trie_does() {
		let (trie, flat) = block_one();
		assert!(flat.map_is_trie());
		let mut keys: Vec<StorageKey> = flat.values.keys().cloned().collect();
		assert!(keys.len() > 100, "{} keys", keys.len());
		// And keys that are not there: before the first, past the last, between two, and a
		// prefix nothing has.
		let absent = |key: &[u8], byte: u8| [key, &[byte]].concat();
		let last = keys.last().cloned().expect("keys");
		keys = keys.into_iter().step_by(7).collect();
		keys.extend([
			vec![],
			vec![0],
			absent(&last, 0),
			absent(&last, 0xff),
			absent(&keys[3], 0),
			vec![0xff; 40],
		]);
		for key in &keys {
			for prefix_len in [0, 1, 16, 32, key.len()] {
				let prefix = &key[..prefix_len.min(key.len())];
				for start in [None, Some(&key[..]), Some(&key[..prefix_len.min(key.len()) / 2])] {
					for (exclusive, with_prefix) in [(false, true), (true, true), (false, false)] {
						let args = || {
							let mut args = IterArgs::default();
							args.prefix = with_prefix.then_some(prefix);
							args.start_at = start;
							args.start_at_exclusive = exclusive;
							args
						};
						assert_eq!(pairs(&flat, args()), pairs(&trie, args()), "{key:?}");
					}
				}
			}
			assert_eq!(flat.next_storage_key(key), trie.next_storage_key(key));
			assert_eq!(flat.storage(key), trie.storage(key));
			assert_eq!(flat.storage_hash(key), trie.storage_hash(key));
			assert_eq!(flat.exists_storage(key), trie.exists_storage(key));
		}
		let mut forged = flat.fork();
		forged.values.insert(b"not in the trie".to_vec(), vec![1]);
		assert!(!forged.map_is_trie());
	}
}
