//! A coverage-guided fuzzer over the whole Bulwark runtime, in the manner of SRLabs'
//! substrate-runtime-fuzzer: the fuzzer's bytes become blocks of signed transactions from many
//! accounts across every Bulwark pallet, governance (sudo), balances and assets, oracle rounds
//! with honest, lying and silent feeders, keeper and protocol liquidations with valid
//! authorization, and time passing; after every block every invariant is checked
//! ([`chain::check_invariants`]).
//!
//! - `actions.rs`: what the bytes mean ([`Action`]), decoding that never rejects a first byte.
//! - `chain.rs`: the chain (the `local_testnet` preset and a block 1 that lists a second silo),
//!   how blocks are built, and the invariants.
//! - `seeds.rs`: the seed corpus, as the Rust that writes it.
//!
//! The chain is built once per process; each input runs inside a storage transaction that is
//! rolled back afterwards, so every input starts from the same block 1 (and runs fast).

pub mod actions;
pub mod chain;
pub mod seeds;

pub use actions::{decode, encode, Action, Governance};

use std::{
	cell::RefCell,
	sync::atomic::{AtomicU64, Ordering},
};

/// Blocks built by every execution so far in this process (for `throughput`).
static BLOCKS_RUN: AtomicU64 = AtomicU64::new(0);

/// How many blocks the executions in this process have built.
pub fn blocks_run() -> u64 {
	BLOCKS_RUN.load(Ordering::Relaxed)
}

thread_local! {
	static CHAIN: RefCell<(sp_io::TestExternalities, chain::Driver)> = RefCell::new({
		let mut ext = sp_io::TestExternalities::new(Default::default());
		let driver = ext.execute_with(chain::setup);
		ext.commit_all().expect("block 1 commits");
		with_trie_cache(&mut ext);
		(ext, driver)
	});
}

/// Puts a trie cache (the one a node's state has) in front of block 1's state: every input
/// reads that same state, and without a cache each read walks the trie from its root and decodes
/// every node on the way. The state under the cache never changes (inputs write to the overlay
/// and roll back), so what it caches stays true.
fn with_trie_cache(ext: &mut sp_io::TestExternalities) {
	use sp_trie::cache::{CacheSize, SharedTrieCache};
	let shared = SharedTrieCache::new(CacheSize::new(256 << 20), None);
	let root = *ext.backend.root();
	let storage = ext.backend.backend_storage().clone();
	ext.backend = sp_state_machine::TrieBackendBuilder::new(storage, root)
		.with_cache(shared.local_cache_trusted())
		.build();
}

/// Runs the program `data` encodes from block 1 and checks every invariant after every block;
/// panics on a violated one. The chain is left as it was.
pub fn run(data: &[u8]) {
	let actions = decode(data);
	CHAIN.with(|chain| {
		let (ext, start) = &mut *chain.borrow_mut();
		ext.execute_with(|| {
			sp_io::storage::start_transaction();
			let mut driver = start.clone();
			chain::run(&mut driver, actions);
			BLOCKS_RUN.fetch_add(driver.blocks().into(), Ordering::Relaxed);
			sp_io::storage::rollback_transaction();
		});
	});
}
