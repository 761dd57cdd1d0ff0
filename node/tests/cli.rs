//! Black-box tests of the `bulwark-node` binary: the checked-in chain specs match what this build
//! generates, and bad input ends the node with a one-line error instead of a panic.

use serde_json::Value;
use std::{
	path::{Path, PathBuf},
	process::{Command, Output, Stdio},
	time::{Duration, Instant},
};

const NODE: &str = env!("CARGO_BIN_EXE_bulwark-node");
/// Storage key of the runtime Wasm (`:code`), left out when raw specs are compared.
const CODE_KEY: &str = "0x3a636f6465";

fn repo_root() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("node/ has a parent").to_path_buf()
}

fn node(args: &[&str]) -> Output {
	Command::new(NODE).args(args).output().expect("bulwark-node runs")
}

/// Runs the node with a deadline; a node that is still up at the deadline is killed and counts as
/// having accepted its input.
fn node_until_exit(args: &[&str], deadline: Duration) -> Option<Output> {
	let mut child = Command::new(NODE)
		.args(args)
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.expect("bulwark-node starts");
	let start = Instant::now();
	while start.elapsed() < deadline {
		if child.try_wait().expect("wait works").is_some() {
			return Some(child.wait_with_output().expect("output"));
		}
		std::thread::sleep(Duration::from_millis(100));
	}
	let _ = child.kill();
	let _ = child.wait();
	None
}

fn stdout_json(output: &Output) -> Value {
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	serde_json::from_slice(&output.stdout).expect("build-spec prints JSON")
}

fn checked_in(name: &str) -> Value {
	let path = repo_root().join("chain-specs").join(name);
	let text = std::fs::read_to_string(&path)
		.unwrap_or_else(|e| panic!("{}: {e}; run scripts/gen-chain-specs.sh", path.display()));
	serde_json::from_str(&text).expect("checked-in chain spec is JSON")
}

fn without_plain_code(mut spec: Value) -> Value {
	let runtime_genesis = &mut spec["genesis"]["runtimeGenesis"];
	assert!(runtime_genesis["code"].is_string(), "a plain spec embeds the Wasm");
	runtime_genesis["code"] = Value::Null;
	spec
}

fn without_raw_code(mut spec: Value) -> Value {
	let top = spec["genesis"]["raw"]["top"].as_object_mut().expect("a raw spec has top storage");
	assert!(top.remove(CODE_KEY).is_some(), "a raw spec embeds the Wasm");
	spec
}

/// Asserts the failure an operator should see: a non-zero exit, one `Error:` line, no panic.
/// (Log lines may come after it: the logger writes from its own thread.)
fn assert_clean_failure(output: &Output, expected_fragment: &str) {
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(!output.status.success(), "expected failure, got success; stderr:\n{stderr}");
	assert!(!stderr.contains("panicked"), "panicked:\n{stderr}");
	assert!(!stderr.contains("backtrace"), "backtrace:\n{stderr}");
	let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
	assert_eq!(errors.len(), 1, "exactly one error line expected:\n{stderr}");
	assert!(
		errors[0].contains(expected_fragment),
		"error line {:?} should mention {expected_fragment:?}",
		errors[0]
	);
}

#[test]
fn checked_in_local_spec_matches_this_build() {
	let generated =
		stdout_json(&node(&["build-spec", "--chain", "local", "--disable-default-bootnode"]));
	assert_eq!(
		without_plain_code(generated),
		without_plain_code(checked_in("local.json")),
		"chain-specs/local.json is stale: run scripts/gen-chain-specs.sh"
	);
}

#[test]
fn checked_in_raw_local_spec_matches_this_build() {
	let generated = stdout_json(&node(&[
		"build-spec",
		"--chain",
		"local",
		"--raw",
		"--disable-default-bootnode",
	]));
	assert_eq!(
		without_raw_code(generated),
		without_raw_code(checked_in("local-raw.json")),
		"chain-specs/local-raw.json is stale: run scripts/gen-chain-specs.sh"
	);
}

#[test]
fn checked_in_staging_spec_matches_this_build_and_has_no_sudo() {
	let generated =
		stdout_json(&node(&["build-spec", "--chain", "staging", "--disable-default-bootnode"]));
	let patch = &generated["genesis"]["runtimeGenesis"]["patch"];
	assert_eq!(generated["chainType"], "Live");
	assert_eq!(patch["sudo"]["key"], Value::Null, "staging has no sudo key");
	assert_eq!(patch["guardians"]["members"].as_array().map(Vec::len), Some(3));
	assert_eq!(patch["validatorSet"]["validators"].as_array().map(Vec::len), Some(4));
	assert_eq!(
		without_plain_code(generated),
		without_plain_code(checked_in("staging.json")),
		"chain-specs/staging.json is stale: run scripts/gen-chain-specs.sh"
	);
}

#[test]
fn dev_spec_names_the_token() {
	let spec = stdout_json(&node(&["build-spec", "--dev", "--disable-default-bootnode"]));
	assert_eq!(spec["id"], "bulwark_dev");
	assert_eq!(spec["chainType"], "Development");
	assert_eq!(spec["properties"]["tokenSymbol"], "BWK");
	assert_eq!(spec["properties"]["tokenDecimals"], 12);
}

#[test]
fn unknown_chain_name_is_a_one_line_error() {
	let output = node(&["--chain", "no-such-chain", "--tmp"]);
	assert_clean_failure(&output, "unknown chain `no-such-chain`");
}

#[test]
fn malformed_chain_spec_file_is_a_one_line_error() {
	let dir = tempdir("malformed");
	let path = dir.join("broken.json");
	std::fs::write(&path, b"{ \"name\": \"half a chain spec\", ").expect("write");
	let output = node(&["build-spec", "--chain", path.to_str().expect("utf-8")]);
	assert_clean_failure(&output, "Error parsing spec file");
	let output = node(&["--chain", path.to_str().expect("utf-8"), "--tmp"]);
	assert_clean_failure(&output, "Error parsing spec file");
}

#[test]
fn chain_spec_whose_genesis_does_not_decode_is_refused() {
	let dir = tempdir("bad-genesis");
	let mut spec = checked_in("local.json");
	// A field the runtime's genesis config does not have.
	spec["genesis"]["runtimeGenesis"]["patch"]["balances"]["balancez"] = Value::Array(vec![]);
	let path = dir.join("bad-genesis.json");
	std::fs::write(&path, serde_json::to_vec(&spec).expect("json")).expect("write");
	let path = path.to_str().expect("utf-8");

	let output = node(&["build-spec", "--raw", "--chain", path]);
	assert_clean_failure(&output, "balancez");

	let output = node_until_exit(
		&["--chain", path, "--base-path", dir.join("db").to_str().expect("utf-8")],
		Duration::from_secs(60),
	)
	.expect("the node refuses to start instead of running");
	assert_clean_failure(&output, "balancez");
}

#[test]
fn raw_spec_with_garbage_runtime_code_is_refused() {
	let dir = tempdir("bad-code");
	let mut spec = checked_in("local-raw.json");
	spec["genesis"]["raw"]["top"][CODE_KEY] = Value::String("0xdeadbeef".into());
	let path = dir.join("bad-code.json");
	std::fs::write(&path, serde_json::to_vec(&spec).expect("json")).expect("write");

	let output = node_until_exit(
		&[
			"--chain",
			path.to_str().expect("utf-8"),
			"--base-path",
			dir.join("db").to_str().expect("utf-8"),
		],
		Duration::from_secs(60),
	)
	.expect("the node refuses to start instead of running");
	assert_clean_failure(&output, "cannot deserialize module");
}

fn tempdir(name: &str) -> PathBuf {
	let dir = std::env::temp_dir().join(format!("bulwark-node-test-{}-{name}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir).expect("temp dir");
	dir
}
