// After a restart from its base path, the node started from its own database: the sync's
// starting block (the best block it had on disk when it started) is at least the finalized
// block `mark` noted before the restart. A node that lost its state starts from 0.
import { readFile } from 'node:fs/promises';
import { connect, log } from './common.mjs';

export default async function keptState({ node, wsUri, tmpDir }) {
  const marked = Number(await readFile(`${tmpDir}/mark-${node}`, 'utf8'));
  const api = await connect(wsUri); // retried while the restarted node's RPC is not up yet
  try {
    const sync = await api.rpc.system.syncState();
    const starting = sync.startingBlock.toNumber();
    log(`${node} restarted: started from block ${starting} (finalized ${marked} before), now at ${sync.currentBlock}`);
    if (starting < marked) throw new Error(`${node} started from ${starting}, below ${marked}: its state was lost`);
    return 0;
  } finally {
    await api.disconnect();
  }
}
