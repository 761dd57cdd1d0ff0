// This node has caught up with `reference` (another node's name): its best and finalized
// blocks reach the reference's, as they were when the check started.
import { best, connect, finalized, log, waitFor } from './common.mjs';

export default async function catchup({ node, wsUri, nodes, args }) {
  const reference = await connect(nodes[args[0]]);
  const api = await connect(wsUri);
  try {
    const [targetBest, targetFinal] = [await best(reference), await finalized(reference)];
    await waitFor(`${node} at ${targetBest}/${targetFinal}`, async () =>
      (await best(api)) >= targetBest && (await finalized(api)) >= targetFinal, 180);
    log(`${node} caught up: best ${await best(api)}, finalized ${await finalized(api)} (${args[0]} had ${targetBest}/${targetFinal})`);
    return 0;
  } finally {
    await Promise.all([api.disconnect(), reference.disconnect()]);
  }
}
