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
//! - `state.rs`: the storage blocks run on (a sorted map for reads, a trie for roots).
//!
//! The chain is built once per process. Each input runs on a copy of block 1's state; each of
//! its blocks is committed when it ends (its root computed from its own changes, as a node
//! does), and the copy is dropped afterwards, so every input starts from the same block 1.

pub mod actions;
pub mod chain;
pub mod seeds;
mod state;

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

/// The chain every input starts from (block 1), and the externalities inputs run in.
struct Chain {
	/// The state after block 1: each input starts from a fork of it.
	start: state::FlatState,
	start_driver: chain::Driver,
	/// The state this input runs on, and the changes of the block being built.
	state: state::FlatState,
	overlay: sp_state_machine::OverlayedChanges<state::Hashing>,
	extensions: sp_externalities::Extensions,
	state_version: sp_storage::StateVersion,
	/// Tests: check after each block that the map holds the trie's pairs.
	check_state: bool,
}

impl Chain {
	fn new() -> Self {
		let mut ext = sp_io::TestExternalities::new(Default::default());
		let start_driver = ext.execute_with(chain::setup);
		ext.commit_all().expect("block 1 commits");
		// No trie cache: the trie only computes roots, and a cache's upkeep (a new one per
		// block, its root changed) costs more than the node decoding it saves (measured).
		let start = state::FlatState::new(std::mem::take(&mut ext.backend));
		let state = start.fork();
		Self {
			start,
			start_driver,
			state,
			overlay: Default::default(),
			extensions: Default::default(),
			state_version: ext.state_version,
			check_state: false,
		}
	}

	/// Back to block 1, nothing pending.
	fn reset(&mut self) {
		self.overlay = Default::default();
		self.state = self.start.fork();
	}
}

impl chain::Blocks for Chain {
	fn execute<R>(&mut self, f: impl FnOnce() -> R) -> R {
		let mut ext =
			sp_state_machine::Ext::new(&mut self.overlay, &self.state, Some(&mut self.extensions));
		sp_externalities::set_and_run_with_externalities(&mut ext, f)
	}

	fn commit(&mut self, state_root: sp_core::H256) {
		let changes = self
			.overlay
			.drain_storage_changes(&self.state, self.state_version)
			.expect("a block's changes drain");
		assert_eq!(
			changes.transaction_storage_root, state_root,
			"the state changed after the block's header was made"
		);
		self.state.commit(changes);
		if self.check_state {
			assert!(self.state.map_is_trie(), "the map holds the trie's pairs");
		}
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
		let mut driver = chain.start_driver.clone();
		chain::run(chain, &mut driver, actions);
		BLOCKS_RUN.fetch_add(driver.blocks().into(), Ordering::Relaxed);
	});
}

#[cfg(test)]
mod tests {
	use super::*;

	/// After every block of every seed, the map the blocks read holds exactly the trie's pairs
	/// (the trie whose root each block's header commits to).
	#[test]
	fn after_every_block_the_map_holds_the_tries_pairs() {
		let mut chain = Chain::new();
		chain.check_state = true;
		let mut blocks = 0;
		for (_, actions) in seeds::seeds() {
			chain.reset();
			let mut driver = chain.start_driver.clone();
			chain::run(&mut chain, &mut driver, actions);
			blocks += driver.blocks();
		}
		assert!(blocks > 100, "{blocks} blocks");
	}
}
