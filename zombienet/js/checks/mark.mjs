// Notes this node's finalized block in the network's temporary directory, for `kept-state`.
import { writeFile } from 'node:fs/promises';
import { connect, finalized, log } from './common.mjs';

export default async function mark({ node, wsUri, tmpDir }) {
  const api = await connect(wsUri);
  try {
    const number = await finalized(api);
    await writeFile(`${tmpDir}/mark-${node}`, String(number));
    log(`${node}: finalized ${number} before the restart`);
    return 0;
  } finally {
    await api.disconnect();
  }
}
