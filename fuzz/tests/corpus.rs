//! The fuzzer's committed inputs, replayed on the stable toolchain in the workspace's tests:
//! the seed corpus, and every input that once failed (`fuzz/regressions/`), each now a
//! regression test. And proof that the invariants have teeth.

use bulwark_fuzz::{chain, encode, run, seeds::seeds};
use std::path::Path;

fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
	let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
	let mut files: Vec<_> = std::fs::read_dir(&dir)
		.unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
		.map(|entry| {
			let path = entry.expect("entry").path();
			let name = path.file_name().expect("name").to_string_lossy().into_owned();
			(name, std::fs::read(&path).expect("readable"))
		})
		.filter(|(name, _)| !name.starts_with('.') && name != "README.md")
		.collect();
	files.sort();
	files
}

#[test]
fn the_committed_seed_corpus_is_what_seeds_rs_writes() {
	let mut expected: Vec<_> =
		seeds().into_iter().map(|(name, actions)| (name.to_string(), encode(&actions))).collect();
	expected.sort();
	assert_eq!(
		files("corpus/runtime"),
		expected,
		"run `cargo run -p bulwark-fuzz --bin write-seeds`"
	);
}

#[test]
fn every_seed_runs_with_every_invariant_holding() {
	for (name, data) in files("corpus/runtime") {
		println!("seed {name}: {} actions", bulwark_fuzz::decode(&data).len());
		run(&data);
	}
}

#[test]
fn every_input_the_fuzzer_found_failing_now_passes() {
	for (name, data) in files("regressions") {
		println!("regression {name}: {:?}", bulwark_fuzz::decode(&data));
		run(&data);
	}
}

/// The checks catch what they claim to: USDB sent to a silo's account behind the harness's back
/// (which the silos pallet's own `try_state` accepts: anyone may send to it), USDB minted, and
/// BWK created out of nothing, each fail the check after the block.
#[test]
fn the_invariants_catch_value_created_outside_the_books() {
	use frame_support::traits::{fungibles, tokens::Preservation};
	use sp_keyring::Sr25519Keyring::Bob;
	let caught = |tamper: fn()| {
		std::panic::catch_unwind(|| {
			let mut ext = sp_io::TestExternalities::new(Default::default());
			ext.execute_with(|| {
				let driver = chain::setup();
				tamper();
				chain::check_invariants(1, &driver);
			})
		})
		.map_err(|panic| {
			panic
				.downcast_ref::<String>()
				.cloned()
				.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
				.unwrap_or_default()
		})
	};
	assert_eq!(caught(|| {}), Ok(()));
	let sent = caught(|| {
		<bulwark_runtime::Assets as fungibles::Mutate<_>>::transfer(
			bulwark_runtime::USDB_ASSET_ID,
			&Bob.to_account_id(),
			&bulwark_runtime::CollateralSilos::account_of(0),
			1,
			Preservation::Expendable,
		)
		.expect("sent");
		assert_eq!(bulwark_runtime::CollateralSilos::do_try_state(), Ok(()));
	});
	assert!(sent.as_ref().is_err_and(|message| message.contains("silo 0's account")), "{sent:?}");
	let minted = caught(|| {
		let silo = bulwark_runtime::CollateralSilos::account_of(0);
		<bulwark_runtime::Assets as fungibles::Mutate<_>>::mint_into(
			bulwark_runtime::USDB_ASSET_ID,
			&silo,
			1,
		)
		.expect("minted");
	});
	assert!(minted.as_ref().is_err_and(|message| message.contains("USDB supply")), "{minted:?}");
	let created = caught(|| {
		let who = Bob.to_account_id();
		frame_system::Account::<bulwark_runtime::Runtime>::mutate(&who, |account| {
			account.data.free += 1
		});
	});
	assert!(created.as_ref().is_err_and(|message| message.contains("BWK")), "{created:?}");
}
