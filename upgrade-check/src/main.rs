//! `bulwark-upgrade-check SNAPSHOT.json`: runs this runtime's upgrade over a chain's state (see
//! the library's docs) and exits 0 only if every check passes. Built with `--features
//! try-runtime` (`scripts/upgrade-check.sh`); without it, it refuses to run.

use std::process::ExitCode;

use bulwark_upgrade_check::{externalities, orphans, parse_snapshot, to_hex};

fn main() -> ExitCode {
	let Some(path) = std::env::args().nth(1) else {
		eprintln!("usage: bulwark-upgrade-check SNAPSHOT.json");
		return ExitCode::from(2);
	};
	let snapshot = match std::fs::read_to_string(&path)
		.map_err(|e| e.to_string())
		.and_then(|json| parse_snapshot(&json))
	{
		Ok(snapshot) => snapshot,
		Err(error) => {
			eprintln!("upgrade check: {path}: {error}");
			return ExitCode::from(2);
		},
	};
	let version = bulwark_runtime::VERSION;
	println!(
		"upgrade check: the chain's block {} ({}) at spec {}, {} keys; this runtime: {} spec {}",
		snapshot.block,
		snapshot.hash,
		snapshot.spec_version,
		snapshot.top.len(),
		version.spec_name,
		version.spec_version,
	);
	let started = std::time::Instant::now();
	let result = externalities(&snapshot).execute_with(|| -> Result<(), String> {
		upgrade()?;
		let orphans = orphans();
		if !orphans.is_empty() {
			let list: Vec<String> = orphans
				.iter()
				.map(|o| {
					format!(
						"{} key(s) under {} ({})",
						o.keys,
						to_hex(&o.prefix),
						o.pallet.as_deref().unwrap_or("no pallet of this runtime")
					)
				})
				.collect();
			return Err(format!(
				"storage no item of this runtime declares (renamed or removed without a \
				 migration?): {}",
				list.join("; ")
			));
		}
		println!("upgrade check: no storage outside the runtime's declared items");
		Ok(())
	});
	match result {
		Ok(()) => {
			println!("upgrade check: passed in {} ms", started.elapsed().as_millis());
			ExitCode::SUCCESS
		},
		Err(error) => {
			eprintln!("upgrade check: FAILED: {error}");
			ExitCode::FAILURE
		},
	}
}

/// Every migration with its pre/post checks, the state decoded whole, every pallet's
/// `try_state`; then the same again, which must leave the state root unchanged.
#[cfg(feature = "try-runtime")]
fn upgrade() -> Result<(), String> {
	use frame_support::traits::UpgradeCheckSelect;
	let weight = bulwark_runtime::Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
		.map_err(|e| format!("the upgrade's checks: {e:?}"))?;
	println!(
		"upgrade check: migrations, pre/post checks, the whole state decoded and every pallet's \
		 try_state passed; the upgrade weighs {} ps, {} bytes of proof",
		weight.ref_time(),
		weight.proof_size()
	);
	let root = sp_io::storage::root(sp_runtime::StateVersion::V1);
	bulwark_runtime::Executive::try_runtime_upgrade(UpgradeCheckSelect::None)
		.map_err(|e| format!("the second run: {e:?}"))?;
	let again = sp_io::storage::root(sp_runtime::StateVersion::V1);
	if again != root {
		return Err("a second run changed the state: a migration is not idempotent".into());
	}
	println!("upgrade check: a second run leaves the state root as it was (idempotent)");
	Ok(())
}

#[cfg(not(feature = "try-runtime"))]
fn upgrade() -> Result<(), String> {
	Err("built without `try-runtime`: build with scripts/upgrade-check.sh".into())
}
