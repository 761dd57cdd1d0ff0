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

type Hashing = sp_core::Blake2Hasher;
type State = sp_state_machine::InMemoryBackend<Hashing>;

/// The chain every input starts from (block 1), and the externalities inputs run in.
struct Chain {
	ext: sp_io::TestExternalities,
	/// Block 1's trie nodes and root: each input starts from these.
	start_nodes: sp_trie::PrefixedMemoryDB<Hashing>,
	start_root: sp_core::H256,
	start: chain::Driver,
	/// A node's trie cache: every input reads block 1's state, and without a cache each read
	/// walks the trie from its root and decodes every node on the way. It caches by node hash
	/// and by (state root, key): what it holds stays true as blocks commit.
	cache: sp_trie::cache::SharedTrieCache<Hashing>,
}

impl Chain {
	fn new() -> Self {
		use sp_trie::cache::{CacheSize, SharedTrieCache};
		let mut ext = sp_io::TestExternalities::new(Default::default());
		let start = ext.execute_with(chain::setup);
		ext.commit_all().expect("block 1 commits");
		let start_root = *ext.backend.root();
		let start_nodes = ext.backend.backend_storage().clone();
		let cache = SharedTrieCache::new(CacheSize::new(256 << 20), None);
		Self { ext, start_nodes, start_root, start, cache }
	}

	/// A state over `nodes` at `root`, read through the cache.
	fn state(&self, nodes: sp_trie::PrefixedMemoryDB<Hashing>, root: sp_core::H256) -> State {
		sp_state_machine::TrieBackendBuilder::new(nodes, root)
			.with_cache(self.cache.local_cache_trusted())
			.build()
	}

	/// Back to block 1, nothing pending.
	fn reset(&mut self) {
		self.ext.reset_overlay();
		self.ext.backend = self.state(self.start_nodes.clone(), self.start_root);
	}
}

impl chain::Blocks for Chain {
	fn execute<R>(&mut self, f: impl FnOnce() -> R) -> R {
		self.ext.execute_with(f)
	}

	fn commit(&mut self) {
		self.ext.commit_all().expect("a block commits");
		// `commit_all` rebuilds the state without the cache: put it back.
		let root = *self.ext.backend.root();
		let nodes = std::mem::take(&mut self.ext.backend).into_storage();
		self.ext.backend = self.state(nodes, root);
	}
}

thread_local! {
	static CHAIN: RefCell<Chain> = RefCell::new(Chain::new());
}

/// Runs the program `data` encodes from block 1 and checks every invariant after every block;
/// panics on a violated one. The chain is left as it was.
pub fn run(data: &[u8]) {
	let actions = decode(data);
	CHAIN.with(|chain| {
		let chain = &mut *chain.borrow_mut();
		chain.reset();
		let mut driver = chain.start.clone();
		chain::run(chain, &mut driver, actions);
		BLOCKS_RUN.fetch_add(driver.blocks().into(), Ordering::Relaxed);
	});
}
