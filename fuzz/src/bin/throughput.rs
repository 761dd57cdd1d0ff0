//! How fast the fuzzer's executions run, without libFuzzer's instrumentation: replays every
//! input in the given directories (default: the committed seed corpus) `ROUNDS` times and
//! prints executions and blocks per second.
//!
//!   cargo run --profile release -p bulwark-fuzz --bin throughput -- [ROUNDS] [DIR...]
fn main() -> std::io::Result<()> {
	let mut args = std::env::args().skip(1);
	let rounds: u32 = args.next().and_then(|arg| arg.parse().ok()).unwrap_or(20);
	let mut dirs: Vec<std::path::PathBuf> = args.map(Into::into).collect();
	if dirs.is_empty() {
		dirs.push(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/runtime"));
	}
	let mut inputs = Vec::new();
	for dir in &dirs {
		for entry in std::fs::read_dir(dir)? {
			let path = entry?.path();
			if path.is_file() {
				inputs.push(std::fs::read(&path)?);
			}
		}
	}
	let start = std::time::Instant::now();
	bulwark_fuzz::run(&[]);
	println!("setup and an empty input: {:.1} ms", start.elapsed().as_secs_f64() * 1e3);
	let blocks_before = bulwark_fuzz::blocks_run();
	let start = std::time::Instant::now();
	for _ in 0..rounds {
		for input in &inputs {
			bulwark_fuzz::run(input);
		}
	}
	let seconds = start.elapsed().as_secs_f64();
	let executions = f64::from(rounds) * inputs.len() as f64;
	let blocks = (bulwark_fuzz::blocks_run() - blocks_before) as f64;
	println!(
		"{executions} executions of {} inputs in {seconds:.2} s: {:.1} executions/s, {:.0} blocks/s, {:.0} us/block",
		inputs.len(),
		executions / seconds,
		blocks / seconds,
		seconds * 1e6 / blocks
	);
	Ok(())
}
