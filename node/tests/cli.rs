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

/// A test's own directory under the system's temp dir, removed when the test passes and kept
/// (for its files and the node's database) when it fails.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
	type Target = Path;
	fn deref(&self) -> &Path {
		&self.0
	}
}

impl Drop for TempDir {
	fn drop(&mut self) {
		if !std::thread::panicking() {
			let _ = std::fs::remove_dir_all(&self.0);
		}
	}
}

fn tempdir(name: &str) -> TempDir {
	let dir = std::env::temp_dir().join(format!("bulwark-node-test-{}-{name}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	std::fs::create_dir_all(&dir).expect("temp dir");
	TempDir(dir)
}

/// `scripts/staging-spec.py`: a staging chain from a validator's own keys. It refuses a
/// well-known key and an oracle key equal to an Aura key; the spec it writes holds exactly the
/// given validator, guardian and endowment (no dev account, no USDB holder, no sudo key); and a
/// node with those keys in its keystore authors blocks on it.
#[test]
fn a_staging_spec_from_a_validators_own_keys_authors_blocks() {
	use std::io::BufRead;
	let dir = tempdir("staging");
	let generated = stdout_json(&node(&["key", "generate", "--output-type", "json"]));
	let phrase = generated["secretPhrase"].as_str().expect("a phrase").to_string();
	let uri = |path: &str| format!("{phrase}{path}");
	let public = |scheme: &str, path: &str| {
		let inspected =
			node(&["key", "inspect", "--output-type", "json", "--scheme", scheme, &uri(path)]);
		stdout_json(&inspected)["ss58PublicKey"].as_str().expect("ss58").to_string()
	};
	let account = public("sr25519", "");
	let aura = public("sr25519", "//aura");
	let grandpa = public("ed25519", "//grandpa");
	let oracle = public("sr25519", "//oracle");
	let guardian = public("sr25519", "//guardian");
	let out = dir.join("spec");
	let staging_spec = |validator: String, extra: &[&str]| {
		Command::new("python3")
			.arg(repo_root().join("scripts/staging-spec.py"))
			.args(["--node", NODE, "--out"])
			.arg(&out)
			.args(["--validator", &validator, "--guardian", &guardian])
			.args(extra)
			.output()
			.expect("python3 runs")
	};
	let lab = ["--allow-sudo-runtime"];
	let refused_with = |output: Output, message: &str| {
		assert!(!output.status.success());
		let stderr = String::from_utf8_lossy(&output.stderr);
		assert!(stderr.contains(message), "expected {message:?}: {stderr}");
	};
	let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
	let keys = format!("{account},{aura},{grandpa},{oracle}");
	refused_with(
		staging_spec(format!("{account},{alice},{grandpa},{oracle}"), &lab),
		"validator 0 Aura key 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY is the well-known dev key //Alice (sr25519)",
	);
	refused_with(
		staging_spec(keys.clone(), &["--allow-sudo-runtime", "--endow", &format!("{alice}=5")]),
		"endowed account 0 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY is the well-known dev key //Alice",
	);
	refused_with(
		staging_spec(format!("{account},{aura},{grandpa},{aura}"), &lab),
		"every key must be distinct",
	);
	refused_with(
		staging_spec(keys.clone(), &["--allow-sudo-runtime", "--validator-bwk", "100"]),
		"no account could place a root referendum's decision deposit",
	);
	// This node is the default build: its runtime has sudo, which staging refuses.
	refused_with(staging_spec(keys.clone(), &[]), "this node's runtime has sudo");
	let written = staging_spec(keys, &lab);
	assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));

	let spec: Value =
		serde_json::from_slice(&std::fs::read(out.join("staging.json")).unwrap()).unwrap();
	let patch = &spec["genesis"]["runtimeGenesis"]["patch"];
	assert_eq!(patch["validatorSet"]["validators"], serde_json::json!([account]));
	assert_eq!(
		patch["session"]["keys"],
		serde_json::json!([[account, account, {"aura": aura, "grandpa": grandpa, "oracle": oracle}]])
	);
	assert_eq!(patch["guardians"]["members"], serde_json::json!([guardian]));
	// 11,000 BWK for the validator (a root referendum's deposit, the keys' deposit, fees), 100 for
	// the guardian; no dev account.
	assert_eq!(
		patch["balances"]["balances"],
		serde_json::json!([
			[account, 11_000_000_000_000_000u128],
			[guardian, 100_000_000_000_000u128]
		])
	);
	assert_eq!(patch["assets"]["accounts"], serde_json::json!([]));
	assert_eq!(patch["sudo"], serde_json::json!({ "key": null }), "a lab spec keeps sudo keyless");

	let raw = out.join("staging-raw.json");
	let raw = raw.to_str().expect("utf-8 path");
	let base = dir.join("node");
	let base = base.to_str().expect("utf-8 path");
	for (scheme, key_type, path) in [
		("sr25519", "aura", "//aura"),
		("ed25519", "gran", "//grandpa"),
		("sr25519", "orcl", "//oracle"),
	] {
		let suri = uri(path);
		let inserted = node(&[
			"key",
			"insert",
			"--base-path",
			base,
			"--chain",
			raw,
			"--scheme",
			scheme,
			"--key-type",
			key_type,
			"--suri",
			&suri,
		]);
		assert!(inserted.status.success(), "{}", String::from_utf8_lossy(&inserted.stderr));
	}
	let node_key = node(&["key", "generate-node-key", "--base-path", base, "--chain", raw]);
	assert!(node_key.status.success(), "{}", String::from_utf8_lossy(&node_key.stderr));
	let mut child = Command::new(NODE)
		.args(["--chain", raw, "--base-path", base, "--validator", "--force-authoring"])
		.args(["--port", "30999", "--rpc-port", "19955", "--no-prometheus", "--no-telemetry"])
		.args(["--no-mdns", "--no-risk-metrics"])
		.stdout(Stdio::null())
		.stderr(Stdio::piped())
		.spawn()
		.expect("bulwark-node starts");
	let stderr = child.stderr.take().expect("piped");
	let (lines, received) = std::sync::mpsc::channel();
	std::thread::spawn(move || {
		for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
			if lines.send(line).is_err() {
				break;
			}
		}
	});
	let deadline = Instant::now() + Duration::from_secs(90);
	let mut log = Vec::new();
	let authored = loop {
		let left = deadline.saturating_duration_since(Instant::now());
		match received.recv_timeout(left) {
			Ok(line) => {
				let done = line.contains("Pre-sealed block for proposal at 2.");
				log.push(line);
				if done {
					break true;
				}
			},
			Err(_) => break false,
		}
	};
	let _ = child.kill();
	let _ = child.wait();
	assert!(
		authored,
		"the validator authored no block 2 on its staging chain:\n{}",
		log.join("\n")
	);
}
