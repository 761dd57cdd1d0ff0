#!/usr/bin/env python3
"""Checks of ops/ beyond promtool's own (scripts/test-ops.sh runs them; Python 3 stdlib only).

  check-ops.py names       every bulwark_* name in the rules, their tests and the dashboard is
                           in ops/metrics.txt, and the dashboard shows every name listed there
  check-ops.py dashboard   the dashboard's structure (datasource variable, market and silo
                           variables, panels, ids, layout) and that every query parses as PromQL
  check-ops.py mutants     each rule's tests can fail: every mutant of the rule file (an alert
                           that never fires, a `for:` removed, a comparison made strict or loose,
                           == made !=) must fail `promtool test rules`

Each prints one line saying what it checked, or the problems and exits 1.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

OPS = os.path.dirname(os.path.abspath(__file__))
METRICS = os.path.join(OPS, "metrics.txt")
RULES = os.path.join(OPS, "prometheus", "bulwark-alerts.yml")
TESTS = os.path.join(OPS, "prometheus", "bulwark-alerts.test.yml")
DASHBOARD = os.path.join(OPS, "grafana", "bulwark-dashboard.json")

NAME = re.compile(r"\bbulwark_[a-z0-9_]*[a-z0-9]\b")
COMPARISON = re.compile(r" (>=|<=|==|!=|>|<) ")
MUTATED = {">=": ">", ">": ">=", "<=": "<", "<": "<=", "==": "!=", "!=": "=="}


def fail(problems):
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    sys.exit(1)


def listed_names():
    names, problems = [], []
    with open(METRICS) as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if not re.fullmatch(r"bulwark_[a-z0-9_]+", parts[0]) or len(parts) < 2:
                problems.append(f"metrics.txt:{number}: want `bulwark_<name> <description>`: {line}")
            elif parts[0] in names:
                problems.append(f"metrics.txt:{number}: {parts[0]} listed twice")
            else:
                names.append(parts[0])
    if problems:
        fail(problems)
    return names


def names():
    known = set(listed_names())
    problems = []
    with open(RULES) as f:
        rules = f.read()
    with open(DASHBOARD) as f:
        dashboard = f.read()
    board = json.loads(dashboard)
    queried = set()
    for panel in board.get("panels", []):
        for target in panel.get("targets", []):
            queried |= set(NAME.findall(target.get("expr", "")))
    for variable in board.get("templating", {}).get("list", []):
        queried |= set(NAME.findall(str(variable.get("query", ""))))
    with open(TESTS) as f:
        tested = re.findall(r"series:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)", f.read())
    used = {
        "bulwark-alerts.yml": set(NAME.findall(rules)),
        "bulwark-dashboard.json": set(NAME.findall(dashboard)),
        "bulwark-alerts.test.yml": {n for n in tested if n.startswith("bulwark_")},
    }
    for where, found in used.items():
        for name in sorted(found - known):
            problems.append(f"{where}: {name} is not in ops/metrics.txt")
    for name in sorted(known - queried):
        problems.append(f"bulwark-dashboard.json: no panel queries {name}")
    if problems:
        fail(problems)
    print(f"names: {len(known)} in metrics.txt; rules use {len(used['bulwark-alerts.yml'])}, "
          f"their tests {len(used['bulwark-alerts.test.yml'])}, the dashboard's queries all of them")


def dashboard():
    with open(DASHBOARD) as f:
        board = json.load(f)
    problems = []
    if not 36 <= board.get("schemaVersion", 0) <= 41:
        problems.append(f"schemaVersion {board.get('schemaVersion')}, want about 39")
    variables = {v.get("name"): v for v in board.get("templating", {}).get("list", [])}
    ds = variables.get("DS_PROMETHEUS", {})
    if ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no datasource variable DS_PROMETHEUS of type prometheus")
    for name, label in (("market", "market"), ("silo", "silo")):
        query = variables.get(name, {}).get("query", "")
        if not re.fullmatch(rf"label_values\(bulwark_[a-z_]+(\{{[^}}]*\}})?, {label}\)", str(query)):
            problems.append(f"variable {name}: want label_values(<bulwark series>, {label}), got {query!r}")
    want_ds = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
    ids, exprs = set(), []
    for panel in board.get("panels", []):
        title = panel.get("title", "?")
        if panel.get("id") in ids:
            problems.append(f"panel {title!r}: id {panel.get('id')} used twice")
        ids.add(panel.get("id"))
        grid = panel.get("gridPos", {})
        if not (grid.get("w", 0) > 0 and grid.get("h", 0) > 0 and grid.get("x", -1) >= 0
                and grid.get("x", 0) + grid.get("w", 0) <= 24 and grid.get("y", -1) >= 0):
            problems.append(f"panel {title!r}: gridPos {grid}")
        if panel.get("type") == "row":
            continue
        if panel.get("datasource") != want_ds:
            problems.append(f"panel {title!r}: datasource {panel.get('datasource')}")
        if not panel.get("targets"):
            problems.append(f"panel {title!r}: no queries")
        for target in panel.get("targets", []):
            if target.get("datasource") != want_ds or not target.get("refId"):
                problems.append(f"panel {title!r}: query {target.get('refId')} without datasource or refId")
            exprs.append((title, target.get("expr", "")))
    # Every query must parse: promtool checks them as recording rules, with the dashboard's
    # variables replaced by values.
    values = {"$__rate_interval": "1m", "$instance": "127.0.0.1:9615", "$market": ".*", "$silo": ".*"}
    rules = []
    for n, (title, expr) in enumerate(exprs):
        for variable, value in values.items():
            expr = expr.replace(variable, value)
        if "$" in expr:
            problems.append(f"panel {title!r}: unknown variable in {expr}")
        rules.append({"record": f"dashboard:query_{n}", "expr": expr})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dashboard-queries.yml")
        with open(path, "w") as f:
            json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)  # JSON is YAML
        run = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
        if run.returncode != 0:
            problems.append("queries do not parse:\n" + run.stdout + run.stderr)
    if problems:
        fail(problems)
    panels = sum(1 for p in board["panels"] if p.get("type") != "row")
    print(f"dashboard: {panels} panels, {len(exprs)} queries parse, variables DS_PROMETHEUS, "
          f"{', '.join(n for n in variables if n != 'DS_PROMETHEUS')}")


def rule_blocks(lines):
    """(alert name, first line, end line) of every alerting rule, in order."""
    starts = [i for i, line in enumerate(lines) if re.match(r"\s*- (alert|record|name):", line)]
    blocks = []
    for k, start in enumerate(starts):
        match = re.match(r"\s*- alert:\s*(\S+)", lines[start])
        if match:
            end = starts[k + 1] if k + 1 < len(starts) else len(lines)
            blocks.append((match.group(1), start, end))
    return blocks


def expr_lines(lines, start, end):
    """Indices of the lines of a rule's `expr: |-` block."""
    for i in range(start, end):
        match = re.match(r"(\s*)expr:\s*\|-?\s*$", lines[i])
        if match:
            indent = len(match.group(1))
            body = []
            for j in range(i + 1, end):
                if lines[j].strip() and len(lines[j]) - len(lines[j].lstrip()) <= indent:
                    break
                if lines[j].strip():
                    body.append(j)
            return body
    raise SystemExit(f"rule at line {start + 1}: write its expr as a `|-` block")


def mutants(lines):
    for number, (alert, start, end) in enumerate(rule_blocks(lines), 1):
        rule = f"rule {number} ({alert}, line {start + 1})"
        body = expr_lines(lines, start, end)
        never = list(lines)
        first, last = body[0], body[-1]
        indent = len(lines[first]) - len(lines[first].lstrip())
        never[first] = " " * indent + "(" + lines[first].lstrip()
        never[last] = never[last].rstrip("\n") + ") unless on () vector(1)\n"
        yield f"{rule}: never fires", never
        for i in range(start, end):
            if re.match(r"\s*for:\s*(\S+)", lines[i]) and not re.match(r"\s*for:\s*0[smh]?\s*$", lines[i]):
                yield f"{rule}: without `{lines[i].strip()}`", lines[:i] + lines[i + 1:]
        for i in body:
            for match in COMPARISON.finditer(lines[i]):
                op = match.group(1)
                changed = list(lines)
                changed[i] = lines[i][:match.start(1)] + MUTATED[op] + lines[i][match.end(1):]
                yield f"{rule}: `{op}` made `{MUTATED[op]}`", changed


def mutation():
    with open(RULES) as f:
        lines = f.readlines()
    survivors, killed = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(TESTS, tmp)
        rules = os.path.join(tmp, os.path.basename(RULES))
        for what, mutant in mutants(lines):
            with open(rules, "w") as f:
                f.writelines(mutant)
            check = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
            if check.returncode != 0:
                fail([f"mutant is not a valid rule file ({what}):\n{check.stdout}{check.stderr}"])
            test = subprocess.run(["promtool", "test", "rules", os.path.basename(TESTS)],
                                  cwd=tmp, capture_output=True, text=True)
            if test.returncode == 0:
                survivors.append(what)
            else:
                killed += 1
    if survivors:
        fail([f"the tests still pass with the mutant: {what}" for what in survivors])
    alerts = len(rule_blocks(lines))
    print(f"mutants: all {killed} mutants of the {alerts} alerting rules fail the tests")


if __name__ == "__main__":
    commands = {"names": names, "dashboard": dashboard, "mutants": mutation}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]]()
