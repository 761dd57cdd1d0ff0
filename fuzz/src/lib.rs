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
//! - the crate `bulwark-fuzz-host` (`fuzz/host`): the storage blocks run on (a sorted map for
//!   reads, a trie for roots) and the externalities around it, built without coverage.
//!
//! The chain is built once per process. Each input runs on a copy of block 1's state; each of
//! its blocks is committed when it ends (its root computed from its own changes, as a node
//! does), and the copy is dropped afterwards, so every input starts from the same block 1.

pub mod actions;
pub mod chain;
pub mod seeds;
#[cfg(test)]
mod state_tests;

pub use actions::{decode, encode, Action, Governance};

use bulwark_fuzz_host::Host;
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
	/// Block 1's state (each input starts from a fork of it), and the blocks' externalities.
	host: Host,
	start_driver: chain::Driver,
}

impl Chain {
	fn new() -> Self {
		let mut ext = sp_io::TestExternalities::new(Default::default());
		let start_driver = ext.execute_with(chain::setup);
		ext.commit_all().expect("block 1 commits");
		let host = Host::new(std::mem::take(&mut ext.backend), ext.state_version);
		Self { host, start_driver }
	}
}

impl chain::Blocks for Chain {
	fn execute<R>(&mut self, f: impl FnOnce() -> R) -> R {
		// The host takes a `dyn FnMut`, so that its externalities are compiled in its crate.
		let (mut f, mut result) = (Some(f), None);
		self.host.execute(&mut || result = f.take().map(|f| f()));
		result.expect("the host runs what it is given")
	}

	fn commit(&mut self, state_root: sp_core::H256) {
		self.host.commit(state_root);
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
		chain.host.reset();
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
		chain.host.check_state = true;
		let mut blocks = 0;
		for (_, actions) in seeds::seeds() {
			chain.host.reset();
			let mut driver = chain.start_driver.clone();
			chain::run(&mut chain, &mut driver, actions);
			blocks += driver.blocks();
		}
		assert!(blocks > 100, "{blocks} blocks");
	}

	/// The seed that sends USDB straight to silo 1's account gets it there: the sweep books
	/// exactly what was sent (250 USDB). The wound-down silo, emptied to the unit (the last LP
	/// out takes the pool's rounding), closes with its account empty.
	#[test]
	fn the_seeds_sweep_what_they_send_and_close_the_wound_down_silo() {
		use pallet_collateral_silos::{Ends, SiloEnd};
		let mut chain = Chain::new();
		let mut run_seed = |name: &str| {
			let (_, actions) =
				seeds::seeds().into_iter().find(|(seed, _)| *seed == name).expect("a seed");
			chain.host.reset();
			let mut driver = chain.start_driver.clone();
			chain::run(&mut chain, &mut driver, actions);
			let (end, held) = chain::Blocks::execute(&mut chain, || {
				let account = bulwark_runtime::CollateralSilos::account_of(chain::JELLY_SILO);
				(
					Ends::<bulwark_runtime::Runtime>::get(chain::JELLY_SILO),
					bulwark_runtime::Assets::balance(bulwark_runtime::USDB_ASSET_ID, account),
				)
			});
			(driver.swept(), driver.taken_last_out(), end, held)
		};
		let (swept, taken, end, _) = run_seed("lp-in-and-out");
		assert_eq!((swept, taken, end), (250 * bulwark_runtime::USDB, (0, 0), None));
		let (swept, (sent, rounding), end, held) =
			run_seed("dead-feed-settled-and-silo-wound-down");
		// The two LPs' requests were rounded down by a unit between them.
		assert_eq!((swept, sent, rounding, held), (0, 0, 1, 0));
		assert!(matches!(end, Some(SiloEnd::Closed { .. })), "{end:?}");
	}
}
