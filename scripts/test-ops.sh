#!/usr/bin/env bash
# Tests of ops/: the Prometheus alert rules (promtool check and unit tests, and a mutation check
# that each rule's tests can fail), the example Prometheus configuration, the Grafana dashboard,
# and that every bulwark_* name they use is one the node exports (ops/metrics.txt).
# Needs promtool (Debian package prometheus, installed here when missing and run as root) and
# python3. Takes about 20 s, most of it the mutation check.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "promtool missing: installing the Debian package prometheus"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
	else
		echo "error: promtool not found; install it (as root: apt-get install -y prometheus) and re-run" >&2
		exit 1
	fi
fi
if ! command -v python3 >/dev/null; then
	echo "error: python3 not found (apt-get install -y python3)" >&2
	exit 1
fi

step() { echo "== $*"; }

step "promtool check rules"
promtool check rules ops/prometheus/bulwark-alerts.yml
step "promtool test rules"
(cd ops/prometheus && promtool test rules bulwark-alerts.test.yml)
step "promtool check config"
promtool check config ops/prometheus/prometheus.yml
step "dashboard JSON"
python3 -m json.tool ops/grafana/bulwark-dashboard.json >/dev/null
python3 ops/check-ops.py dashboard
step "metric names"
python3 ops/check-ops.py names
step "mutation check"
python3 ops/check-ops.py mutants

rules=$(grep -c '^ *- alert:' ops/prometheus/bulwark-alerts.yml)
alerts=$(grep '^ *- alert:' ops/prometheus/bulwark-alerts.yml | sort -u | wc -l)
checks=$(grep -c '^ *- eval_time:' ops/prometheus/bulwark-alerts.test.yml)
panels=$(python3 -c 'import json,sys; print(sum(p["type"] != "row" for p in json.load(open(sys.argv[1]))["panels"]))' ops/grafana/bulwark-dashboard.json)
echo "test-ops: OK: $alerts alerts ($rules rules), $checks alert checks pass and every mutant fails them; prometheus.yml valid; dashboard $panels panels; every bulwark_* name in ops/metrics.txt"
