#!/usr/bin/env python3
"""The protocol liquidation budget, from weight files generated in one benchmark run.

Usage: scripts/liquidation-budget.py <pallet_perpetual_margin.rs> <pallet_balances.rs>

Prints the ref time of one protocol liquidation (the slope of `on_poll(k)`, storage included at
ParityDb's costs), of one `transfer_keep_alive`, their ratio, and how many liquidations fit in
the 25% of a 2 s block that normal transactions cannot use (after the pass's own base cost);
how `on_price_update(n)` and `on_poll(k = 100, n)` grow with the positions in the market (n =
1,000 / 10,000 / 100,000, as ratios to 1,000); and trades against transfers per block (one
`trade` in transfers, and the ratio of how many of each fit).
"""
import re
import sys

READ_PS = 8_000_000  # ParityDbWeight: 8 us per read
WRITE_PS = 50_000_000  # 50 us per write
BLOCK_PS = 2 * 10**12  # 2 s of compute per block
RESERVE_PS = BLOCK_PS // 4  # what normal transactions cannot use
NORMAL_PS = BLOCK_PS - RESERVE_PS  # what they can
EXTRINSIC_BASE_PS = 108_157_000  # frame-support's ExtrinsicBaseWeight, charged per transaction


def function_body(source, name):
    match = re.search(r"fn %s\s*\(([^)]*)\)\s*->\s*Weight\s*\{" % name, source)
    if not match:
        sys.exit(f"no fn {name} in the weight file")
    depth, start = 1, match.end()
    for index in range(start, len(source)):
        depth += {"{": 1, "}": -1}.get(source[index], 0)
        if depth == 0:
            return source[start:index]
    sys.exit(f"fn {name} never closes")


def ref_time(body, component=None, value=0, others=None):
    """The function's ref time (picoseconds) with its component at `value` (and `others`, a
    dict of other components' values)."""
    body = re.sub(r"//[^\n]*", "", body).replace("_", "")
    total = 0
    base = re.search(r"Weight::fromparts\((\d+),\s*\d+\)", body)
    total += int(base.group(1)) if base else 0
    if component:
        for slope in re.findall(r"Weight::fromparts\((\d+),\s*0\)\.saturatingmul\(%s\.into\(\)\)" % component, body):
            total += int(slope) * value
        for kind, count in re.findall(r"DbWeight::get\(\)\.(reads|writes)\(\((\d+)u64\)\.saturatingmul\(%s\.into\(\)\)\)" % component, body):
            total += int(count) * value * (READ_PS if kind == "reads" else WRITE_PS)
    for name, other in (others or {}).items():
        total += ref_time(body, name, other) - ref_time(body)
    for kind, count in re.findall(r"DbWeight::get\(\)\.(reads|writes)\((\d+)(?:u64)?\)", body):
        total += int(count) * (READ_PS if kind == "reads" else WRITE_PS)
    return total


margin = open(sys.argv[1]).read()
balances = open(sys.argv[2]).read()
poll = function_body(margin, "on_poll")
transfer = ref_time(function_body(balances, "transfer_keep_alive"))
base = ref_time(poll, "k", 0)
one = ref_time(poll, "k", 1) - base
fits = (RESERVE_PS - base) // one
print(f"protocol liquidation (slope of on_poll): {one / 1e6:.1f} us; on_poll base {base / 1e6:.1f} us")
print(f"transfer_keep_alive: {transfer / 1e6:.1f} us")
print(f"one liquidation = {one / transfer:.2f} transfers")
print(f"liquidations that fit in the 25% operational reserve ({RESERVE_PS / 1e9:.0f} ms): {fits}")

update = function_body(margin, "on_price_update")
print("by positions in the market (n):")
for n in (1_000, 10_000, 100_000):
    check = ref_time(update, "n", n)
    passing = ref_time(poll, "k", 100, {"n": n})
    print(f"  n = {n:>7}: on_price_update {check / 1e6:.1f} us ({check / ref_time(update, 'n', 1_000):.3f}x), "
          f"on_poll(100) {passing / 1e6:.1f} us ({passing / ref_time(poll, 'k', 100, {'n': 1_000}):.3f}x)")
trade = ref_time(function_body(margin, "trade"))
trades = NORMAL_PS // (trade + EXTRINSIC_BASE_PS)
transfers = NORMAL_PS // (transfer + EXTRINSIC_BASE_PS)
print(f"trade: {trade / 1e6:.1f} us = {trade / transfer:.2f} transfers; per block (75% of 2 s, with the "
      f"extrinsic base weight): {trades} trades, {transfers} transfers, ratio {trades / transfers:.2f}")
