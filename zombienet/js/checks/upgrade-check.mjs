// Test 5, before the upgrade: the upgrade checked on the network's own state. Takes the state
// of the finalized head (every top-level key and value, through state_getKeysPaged and
// state_queryStorageAt), writes it to the network's directory, and runs bulwark-upgrade-check
// on it (BULWARK_UPGRADE_CHECK, built by scripts/upgrade-check.sh with try-runtime): the
// runtime's migrations with their pre/post checks, the state decoded whole, every pallet's
// try_state, no storage left under a name the runtime no longer declares, and a second run
// that changes nothing. Resolves 0 when the binary exits 0.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { WsProvider } from '@polkadot/api';
import { log } from './common.mjs';

const PAGE = 1000;

export default async function upgradeCheck({ wsUri, tmpDir }) {
  const binary = process.env.BULWARK_UPGRADE_CHECK;
  if (!binary) throw new Error('BULWARK_UPGRADE_CHECK is not set (zombienet/run.sh sets it)');
  // Raw JSON-RPC: the values exactly as stored, no type registry in between.
  const provider = new WsProvider(wsUri);
  await provider.isReady;
  let file;
  try {
    const hash = await provider.send('chain_getFinalizedHead', []);
    const number = parseInt((await provider.send('chain_getHeader', [hash])).number, 16);
    const { specVersion } = await provider.send('state_getRuntimeVersion', [hash]);
    const keys = [];
    for (;;) {
      const page = await provider.send('state_getKeysPaged', ['0x', PAGE, keys.at(-1) ?? '0x', hash]);
      keys.push(...page);
      if (page.length < PAGE) break;
    }
    const top = [];
    for (let i = 0; i < keys.length; i += PAGE) {
      const [set] = await provider.send('state_queryStorageAt', [keys.slice(i, i + PAGE), hash]);
      for (const [key, value] of set.changes) if (value !== null) top.push([key, value]);
    }
    if (top.length !== keys.length) throw new Error(`${keys.length} keys, ${top.length} values`);
    file = path.join(tmpDir ?? '/tmp', `state-${number}.json`);
    writeFileSync(file, JSON.stringify({ block: number, hash, specVersion, top }));
    log(`state of finalized block ${number} (${top.length} keys, spec ${specVersion}) in ${file}`);
  } finally {
    await provider.disconnect();
  }
  const run = spawnSync(binary, [file], { encoding: 'utf8', timeout: 240_000 });
  for (const line of `${run.stdout}${run.stderr}`.trim().split('\n')) log(line);
  if (run.status !== 0) throw new Error(`bulwark-upgrade-check exited ${run.status ?? run.signal}`);
  return 0;
}
