#!/usr/bin/env python3
"""Measures the oracle on a running dev node fed by scripts/run-price-feeds.sh.

For each trial it changes BTC-USD on all three price servers at a random moment within a block,
notes the node's best block, and waits for the aggregate to show the new price. Prints, per trial
and summed up, how many blocks the change took to reach the chain (block of the aggregate minus
the best block when the price changed). Standard library only.

Usage: scripts/measure-oracle.py [trials] [rpc url]   (defaults: 10, http://127.0.0.1:9944)
"""
import json
import random
import sys
import time
import urllib.request

# twox128("PriceOracle") ++ twox128("Prices"); then twox64(market) ++ market (u32 LE).
PRICES_PREFIX = "fba2853da7a9de2ebc969125af457403b3c23035bf2835b2650cfc2d17cef06a"
FEEDS = ["http://127.0.0.1:8101", "http://127.0.0.1:8102", "http://127.0.0.1:8103"]
FIXED = 10**18


def rpc(url, method, params):
    body = json.dumps({"id": 1, "jsonrpc": "2.0", "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    answer = json.loads(urllib.request.urlopen(request, timeout=10).read())
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return answer["result"]


def best_block(url):
    return int(rpc(url, "chain_getHeader", [])["number"], 16)


def btc_price(url):
    """(price, round, updated_at) of market 0, or None before the first aggregate."""
    keys = rpc(url, "state_getKeysPaged", ["0x" + PRICES_PREFIX, 16, None])
    for key in keys:
        if key.endswith("00000000"):  # market 0
            raw = bytes.fromhex(rpc(url, "state_getStorage", [key])[2:])
            price = int.from_bytes(raw[0:16], "little")
            round_ = int.from_bytes(raw[16:20], "little")
            updated_at = int.from_bytes(raw[20:24], "little")
            return price, round_, updated_at
    return None


def set_price(price):
    for feed in FEEDS:
        urllib.request.urlopen(f"{feed}/control/set?market=BTC-USD&price={price}", timeout=5).read()


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    url = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:9944"
    latencies = []
    for trial in range(trials):
        time.sleep(random.uniform(0.5, 6.5))  # a random moment within the 6 s slot
        target = 60_000 + trial * 100 + random.randint(1, 99)
        set_price(target)
        changed_at = best_block(url)
        deadline = time.time() + 120
        while time.time() < deadline:
            current = btc_price(url)
            if current and current[0] == target * FIXED:
                latencies.append(current[2] - changed_at)
                print(f"trial {trial + 1}: price {target} set at best #{changed_at}, "
                      f"aggregated in #{current[2]} (round {current[1]}): "
                      f"{current[2] - changed_at} block(s)")
                break
            time.sleep(0.5)
        else:
            print(f"trial {trial + 1}: price {target} never reached the chain")
            sys.exit(1)
    latencies.sort()
    print(f"blocks from a served price change to the on-chain aggregate over {trials} trials: "
          f"min {latencies[0]}, median {latencies[len(latencies) // 2]}, max {latencies[-1]}")


if __name__ == "__main__":
    main()
