#!/usr/bin/env python3
"""Generates a staging chain spec from the validators' own keys.

Starts from the runtime's `staging` preset (`bulwark-node build-spec --chain staging`: USDB owned
by governance, no sudo key) and replaces everything well-known in it:

- the validators and their session keys (Aura, GRANDPA, oracle): one `--validator` each, the
  public keys each operator generated on their own machine (see README, "Joining a staging
  chain");
- the guardians (`--guardian`, at least one);
- the endowments: the dev accounts' BWK and USDB are dropped; each validator gets
  `--validator-bwk` BWK (default 11,000: the session keys' deposit, fees, and a root
  referendum's 10,000 BWK decision deposit), each guardian `--guardian-bwk` (default 100, for
  motions' fees), `--endow ACCOUNT=BWK` adds others. USDB starts with no holders: governance, its
  owner, mints it.

It refuses any key derivable from the public dev phrase the way dev keys are (the phrase,
//Alice .. //Two and their //stash, each bare or with //aura, //grandpa or //oracle, sr25519 or
ed25519), for every role including endowed accounts; any key used twice (an oracle key equal to
an Aura key); a genesis in which no account could open a root referendum; and a node whose runtime has sudo, unless `--allow-sudo-runtime` (a lab chain built from a dev
node). Writes `<out>/staging.json` (plain) and `<out>/staging-raw.json` (what nodes start from).

Usage:
  scripts/staging-spec.py --out DIR --validator ACCOUNT,AURA,GRANDPA,ORACLE [...] \\
      --guardian ACCOUNT [...] [--endow ACCOUNT=BWK ...] [--validator-bwk N] [--guardian-bwk N]
      [--node BIN]
Keys are SS58 addresses or 0x-hex public keys. The node binary is --node, else $BULWARK_NODE.
"""

import argparse
import json
import os
import subprocess
import sys

BWK = 10**12
# What a root-track referendum's decision deposit holds (runtime/src/governance/tracks.rs).
ROOT_DECISION_DEPOSIT_BWK = 10_000
DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"
WELL_KNOWN = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie", "One", "Two"]
# The derivations the README and the presets use for session keys, applied to every dev seed.
KEY_PATHS = ["", "//aura", "//grandpa", "//oracle"]


def fail(message):
    print(f"staging-spec: {message}", file=sys.stderr)
    sys.exit(1)


def public_key(node, scheme, key):
    """`key` (SS58, hex public key or secret URI) under `scheme`: its hex public key (what the
    checks compare) and its SS58 form (what a chain spec holds), from one `key inspect`."""
    # `--public` reads a hex public key; an SS58 address or a secret URI goes as it is.
    args = [node, "key", "inspect", "--output-type", "json", "--scheme", scheme]
    args += ["--public", key] if key.startswith("0x") else [key]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"not a {scheme} key: {key} ({result.stderr.strip().splitlines()[-1:]})")
    inspected = json.loads(result.stdout)
    return inspected["publicKey"].lower(), inspected["ss58PublicKey"]


def well_known_keys(node):
    """Every key derivable from the public dev phrase the way dev keys and session keys are:
    the phrase itself and //Name, //Name//stash, each bare or with //aura, //grandpa or
    //oracle, in either scheme."""
    from concurrent.futures import ThreadPoolExecutor
    seeds = [DEV_PHRASE] + [f"//{name}{stash}" for name in WELL_KNOWN for stash in ["", "//stash"]]
    pairs = [(seed + path, scheme) for seed in seeds for path in KEY_PATHS for scheme in ["sr25519", "ed25519"]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        publics = list(pool.map(lambda pair: public_key(node, pair[1], pair[0])[0], pairs))
    return {public: f"{uri.replace(DEV_PHRASE, '<dev phrase>')} ({scheme})"
            for public, (uri, scheme) in zip(publics, pairs)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--validator", action="append", default=[], metavar="ACCOUNT,AURA,GRANDPA,ORACLE")
    parser.add_argument("--guardian", action="append", default=[], metavar="ACCOUNT")
    parser.add_argument("--endow", action="append", default=[], metavar="ACCOUNT=BWK")
    parser.add_argument("--validator-bwk", type=int, default=11_000)
    parser.add_argument("--guardian-bwk", type=int, default=100)
    parser.add_argument("--node", default=os.environ.get("BULWARK_NODE"))
    parser.add_argument("--allow-sudo-runtime", action="store_true")
    args = parser.parse_args()
    if not args.node:
        fail("no node binary: pass --node or set BULWARK_NODE")
    if not args.validator:
        fail("at least one --validator")
    if not args.guardian:
        fail("at least one --guardian")

    node = args.node
    known = well_known_keys(node)
    used = {}

    def checked(scheme, key, role):
        hex_key, ss58 = public_key(node, scheme, key)
        if hex_key in known:
            fail(f"{role} {key} is the well-known dev key {known[hex_key]}")
        if hex_key in used:
            fail(f"{role} {key} is also {used[hex_key]}: every key must be distinct")
        used[hex_key] = role
        return ss58

    validators = []
    for index, spec in enumerate(args.validator):
        parts = spec.split(",")
        if len(parts) != 4:
            fail(f"--validator {spec}: expected ACCOUNT,AURA,GRANDPA,ORACLE")
        account, aura, grandpa, oracle = parts
        validators.append({
            "account": checked("sr25519", account, f"validator {index} account"),
            "aura": checked("sr25519", aura, f"validator {index} Aura key"),
            "grandpa": checked("ed25519", grandpa, f"validator {index} GRANDPA key"),
            "oracle": checked("sr25519", oracle, f"validator {index} oracle key"),
        })
    guardians = [checked("sr25519", g, f"guardian {i}") for i, g in enumerate(args.guardian)]
    if args.validator_bwk < 1 or args.guardian_bwk < 1:
        fail("--validator-bwk and --guardian-bwk must be at least 1 BWK (the existential deposit)")
    # Validators pay the session keys' deposit and fees; guardians their motions' fees.
    endowed = {v["account"]: args.validator_bwk * BWK for v in validators}
    for guardian in guardians:
        endowed[guardian] = endowed.get(guardian, 0) + args.guardian_bwk * BWK
    for index, entry in enumerate(args.endow):
        account, _, amount = entry.partition("=")
        if not amount.isdigit() or int(amount) < 1:
            fail(f"--endow {entry}: expected ACCOUNT=BWK, at least 1 BWK")
        account = checked("sr25519", account, f"endowed account {index}")
        endowed[account] = endowed.get(account, 0) + int(amount) * BWK
    # Someone must be able to open a root referendum (upgrades, USDB, breakers, validators).
    if max(endowed.values()) < (ROOT_DECISION_DEPOSIT_BWK + 10) * BWK:
        fail(f"no account could place a root referendum's decision deposit ({ROOT_DECISION_DEPOSIT_BWK} BWK "
             "plus fees): raise --validator-bwk or --endow one account with more")

    result = subprocess.run([node, "build-spec", "--chain", "staging", "--disable-default-bootnode"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"build-spec failed: {result.stderr.strip()}")
    spec = json.loads(result.stdout)
    patch = spec["genesis"]["runtimeGenesis"]["patch"]
    if "sudo" in patch:
        if not args.allow_sudo_runtime:
            fail("this node's runtime has sudo: build the node for staging without it "
                 "(cargo build --release -p bulwark-node --no-default-features), or pass --allow-sudo-runtime for a lab chain")
        patch["sudo"] = {"key": None}
    patch["validatorSet"] = {"validators": [v["account"] for v in validators]}
    patch["session"] = {"keys": [[v["account"], v["account"],
                                  {"aura": v["aura"], "grandpa": v["grandpa"], "oracle": v["oracle"]}]
                                 for v in validators]}
    patch["guardians"] = {"members": guardians}
    patch["balances"] = {"balances": [[account, amount] for account, amount in endowed.items()]}
    patch["assets"]["accounts"] = []

    os.makedirs(args.out, exist_ok=True)
    plain = os.path.join(args.out, "staging.json")
    with open(plain, "w") as f:
        json.dump(spec, f, indent=2)
    raw = os.path.join(args.out, "staging-raw.json")
    with open(raw, "w") as f:
        result = subprocess.run([node, "build-spec", "--chain", plain, "--raw", "--disable-default-bootnode"],
                                stdout=f, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        fail(f"the raw spec did not build: {result.stderr.strip()}")
    print(f"staging-spec: {len(validators)} validators, {len(guardians)} guardians, "
          f"{len(endowed)} endowed accounts; wrote {plain} and {raw}")


if __name__ == "__main__":
    main()
