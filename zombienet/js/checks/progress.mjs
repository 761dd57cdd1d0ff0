// Best and finalized blocks on this node advance by at least `blocks` (default 5) more: the
// network goes on (in test 6, while one validator is frozen).
import { best, connect, finalized, log, waitFor } from './common.mjs';

export default async function progress({ node, wsUri, args }) {
  const blocks = Number(args[0] ?? 5);
  const api = await connect(wsUri);
  try {
    const [startBest, startFinal] = [await best(api), await finalized(api)];
    await waitFor(`${blocks} more finalized blocks on ${node}`, async () => (await finalized(api)) >= startFinal + blocks, 30 * blocks);
    log(`${node}: best ${startBest} -> ${await best(api)}, finalized ${startFinal} -> ${await finalized(api)}`);
    return 0;
  } finally {
    await api.disconnect();
  }
}
