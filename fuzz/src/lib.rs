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

use std::cell::RefCell;

thread_local! {
	static CHAIN: RefCell<(sp_io::TestExternalities, chain::Driver)> = RefCell::new({
		let mut ext = sp_io::TestExternalities::new(Default::default());
		let driver = ext.execute_with(chain::setup);
		ext.commit_all().expect("block 1 commits");
		(ext, driver)
	});
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
			sp_io::storage::rollback_transaction();
		});
	});
}
