#!/usr/bin/env bash
# Installs the npm packages package-lock.json pins (zombienet, @polkadot/api) into
# zombienet/node_modules, only when the lock changed since the last install here.
set -euo pipefail
cd "$(dirname "$0")"
if ! cmp -s package-lock.json node_modules/.bulwark-installed-lock.json 2>/dev/null; then
	npm ci --no-audit --no-fund >/dev/null
	cp package-lock.json node_modules/.bulwark-installed-lock.json
fi
