//! Writes the seed corpus, `fuzz/corpus/runtime/<seed>`, from `seeds.rs`.
fn main() -> std::io::Result<()> {
	let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/runtime");
	std::fs::create_dir_all(&dir)?;
	for (name, actions) in bulwark_fuzz::seeds::seeds() {
		std::fs::write(dir.join(name), bulwark_fuzz::encode(&actions))?;
	}
	Ok(())
}
