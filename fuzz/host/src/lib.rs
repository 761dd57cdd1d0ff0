//! The fuzzer's host side: the storage its blocks run on ([`FlatState`]) and the externalities
//! the runtime reaches it through ([`Host`]).
//!
//! Why a crate of its own: the fuzz build instruments only the code under test for coverage
//! (`scripts/fuzz-rustc.sh`), and Rust compiles generic code in the crate that uses it. Were the
//! `Ext`, overlay and trie code instantiated in `bulwark-fuzz` (which must be covered: its calls
//! instantiate much of the runtime), every storage read and root would count edges too. Here
//! they are compiled once, without coverage, behind [`Host`]'s non-generic methods.

mod state;

pub use state::{FlatState, Hashing};

use sp_core::H256;
use sp_state_machine::{InMemoryBackend, OverlayedChanges};
use sp_storage::StateVersion;

/// A chain's state from some first block on, and the changes of the block being built.
pub struct Host {
	/// The first block's state: [`Host::reset`] goes back to a fork of it.
	start: FlatState,
	/// The state blocks run on, and the changes of the block being built.
	state: FlatState,
	overlay: OverlayedChanges<Hashing>,
	extensions: sp_externalities::Extensions,
	state_version: StateVersion,
	/// Tests: check after each commit that the map holds the trie's pairs.
	pub check_state: bool,
}

impl Host {
	/// A host whose first block's state is `trie`, committed with `state_version`.
	pub fn new(trie: InMemoryBackend<Hashing>, state_version: StateVersion) -> Self {
		let start = FlatState::new(trie);
		let state = start.fork();
		Self {
			start,
			state,
			overlay: Default::default(),
			extensions: Default::default(),
			state_version,
			check_state: false,
		}
	}

	/// Back to the first block's state, nothing pending.
	pub fn reset(&mut self) {
		self.overlay = Default::default();
		self.state = self.start.fork();
	}

	/// Runs `f` with the externalities over the state and the pending changes (`sp_io`'s calls
	/// reach them). Not generic, so that what it runs is compiled here.
	pub fn execute(&mut self, f: &mut dyn FnMut()) {
		let mut ext =
			sp_state_machine::Ext::new(&mut self.overlay, &self.state, Some(&mut self.extensions));
		sp_externalities::set_and_run_with_externalities(&mut ext, f)
	}

	/// Commits the pending changes as a block whose header names `state_root`.
	///
	/// Panics if their root is not `state_root`: something wrote to the state after the block's
	/// header was made.
	pub fn commit(&mut self, state_root: H256) {
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
