//! The host's map against its trie on the chain's real block 1 (these need the runtime, which
//! `bulwark-fuzz-host` does not depend on).

use bulwark_fuzz_host::{FlatState, Hashing};
use sp_state_machine::{Backend, InMemoryBackend, IterArgs, StorageKey, StorageValue};
use sp_storage::StateVersion;

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
				let result = frame_support::storage::unhashed::clear_prefix(prefix, limit, None);
				(result.maybe_cursor, result.backend, result.unique, result.loops)
			};
			let removals = [clear(&accounts, Some(3)), clear(&other, Some(1000))];
			let mut pairs = Vec::new();
			let mut key = Vec::new();
			while let Some(next) = sp_io::storage::next_key(&key) {
				pairs.push((next.clone(), sp_io::storage::get(&next).map(|value| value.to_vec())));
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
	let mut keys: Vec<StorageKey> = flat.keys().cloned().collect();
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
}
