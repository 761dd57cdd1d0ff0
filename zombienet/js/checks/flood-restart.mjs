// Test 6: a validator restarted in the middle of a flood recovers and keeps authoring.
//   "start,<seconds>,<rate>"  (on the node that takes the flood, not the one restarted): funds
//       the flood senders, signs, and starts submitting `rate` transfers a second for `seconds`
//       in the background of zombienet's process; resolves once blocks are full of them.
//   "after,<restarted node>": the restarted validator imports the network's head again (its
//       block is above the head at the restart) and authors a block of its own (its Aura key in
//       the pre-digest) holding at least 100 flood transfers, which the flooded node imports too
//       (on its best chain or a fork: which one is reported), while the flood runs or from its
//       backlog within 8 blocks of its end; thinner blocks, authored before the flood refilled
//       its pool, are logged and waited past, four at most. The flood then stops (it is given
//       more time than that takes; it also stops if the check fails) and its figures are
//       reported.
// The flood's state lives in this module, which zombienet's process keeps between the two.
import { best, connect, countFloodAndReports, fundedSenders, keyring, log, startFlood, transfersPerSender, waitFor } from './common.mjs';

let running = null;

async function start(api, url, seconds, rate) {
  if (running) throw new Error('a flood is already running');
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const accounts = 600;
  const amount = 10n ** 9n;
  const perSender = transfersPerSender(seconds, accounts);
  await fundedSenders(api, alice, accounts, perSender, amount);
  const run = startFlood({ url, accounts, dest: bob.address, perSender, amount, rate, seconds });
  const { count } = await run.signed;
  run.go();
  const state = { stats: null, error: null, stop: run.stop };
  // Settles either way, so a failed flood is reported by `after`, never left unhandled.
  state.done = run.done.then((stats) => (state.stats = stats), (error) => (state.error = error));
  running = state;
  // Blocks full of flood transfers before the restart.
  const full = await waitFor('a block full of flood transfers', async () => {
    const block = await api.rpc.chain.getBlock();
    const { transfers } = countFloodAndReports(block);
    return transfers >= 1000 ? { number: block.block.header.number.toNumber(), transfers } : undefined;
  }, 90, 500).catch(async (error) => {
    // Say what the pool answered the flood (it ends within its `seconds`).
    await state.done;
    running = null;
    const stats = state.stats && { ...state.stats, refusals: Object.fromEntries(state.stats.refusals) };
    throw new Error(`${error.message}; the flood: ${state.error ?? JSON.stringify(stats)}`);
  });
  log(`flooding ${count} signed transfers at ${rate}/s for ${seconds} s; block ${full.number} holds ${full.transfers} of them`);
}

async function after(api, nodes, restarted) {
  if (!running) throw new Error('no flood is running (run "flood-restart,start" first)');
  const expected = keyring.addFromUri(`//${restarted[0].toUpperCase()}${restarted.slice(1)}`).address;
  // The network's head now, after the restart: a block of the restarted node's above it was
  // authored after the restart (its own blocks from before are at or below it).
  const floor = await best(api);
  // Its RPC may not listen yet a few seconds after the restart: `connect` retries until it does.
  const restartedApi = await connect(nodes[restarted]);
  // Every block the restarted node imports, forks included, its own among them. Under the
  // flood on two cores a full block can take longer to build than a slot (4-9 s against 6 s),
  // so the next validator builds on the same parent and the network keeps one of the two: a
  // full block of the restarted node's may be valid, imported by all and still lose its height
  // (CI, 2026-12-07: every height from 50 to 60 had two or three blocks; bob authored 2,141,
  // 2,392, 2,400 and 1,895 transfers in blocks 55, 57, 58 and 60, each imported by the three
  // other validators and each second at its height, while the check only looked at bob's best
  // block). So the check follows all heads, not the best one.
  const heads = [];
  let unsubscribe = () => {};
  // Raw: a node answers null for a block it does not have (decoded, polkadot-js would throw).
  const importedBy = async (hash) => (await api.rpc.chain.getHeader.raw(hash)) !== null;
  try {
    unsubscribe = await restartedApi.rpc.chain.subscribeAllHeads((header) => heads.push(header));
    // Its first block may come before the flood has refilled its pool (a slot right after the
    // restart): such thin blocks are logged, and it must author a full one while the flood runs.
    const thin = [];
    // Full blocks of its own, waiting for the node the flood is sent to (`api`) to import them:
    // a block the network never took would not show the node authoring again.
    const full = [];
    // A restarted node's pool refills slowly: the transfers gossiped to it carry nonces past
    // the ones it missed, and wait in its bounded future queue until periodic propagation
    // fills the gaps. Its first full block may so come from the flood's backlog, seconds after
    // the last submission (CI saw 21 and 28 transfers in its first two slots, 1,332 in the
    // third, one second after the flood's end): a block of at least 100 flood transfers is
    // authored under the flood's load either way. A failed flood still stops the wait.
    // The backlog is drained within a few blocks; two of the restarted node's slots among
    // four validators (8 blocks) past the flood's end is the most it is given. The flood lasts
    // long enough for four of its slots after the restart, and stops once it has its block.
    const MAX_THIN = 4;
    let floodEnded = null;
    const listed = (blocks) => blocks.map(({ number, transfers }) => `${number} (${transfers})`).join(', ') || 'none';
    const state = () => `its thin blocks: ${listed(thin)}; ` +
      `its full blocks not imported by the flooded node: ${listed(full)}`;
    const waited = () => `${restarted} to author a block above ${floor} full of the flood (${state()})`;
    const authored = await waitFor(waited, async () => {
      // The blocks imported since the last look first, so a block that qualifies is never
      // lost to a limit checked in the same look.
      while (heads.length > 0) {
        const header = heads.shift();
        const hash = header.hash.toHex();
        const number = header.number.toNumber();
        if (number <= floor) continue;
        // The author from the block's Aura slot and the session's validators. A fork's block
        // is read within a second of its import, long before finality prunes it; one that is
        // gone all the same is skipped, and said so.
        let block;
        try {
          const { author } = await restartedApi.derive.chain.getHeader(hash);
          if (author?.toString() !== expected) continue;
          block = await restartedApi.rpc.chain.getBlock(hash);
          // A body it no longer has is answered null, which polkadot-js decodes as block 0.
          if (block.block.header.number.toNumber() !== number) throw new Error('no body');
        } catch (error) {
          log(`block ${number} (${hash}) could no longer be read from ${restarted}, skipped: ${error.message}`);
          continue;
        }
        const counts = countFloodAndReports(block);
        if (counts.transfers >= 100) full.push({ number, hash, ...counts });
        else thin.push({ number, transfers: counts.transfers });
      }
      for (const block of full) {
        if (await importedBy(block.hash)) return block;
      }
      if (thin.length > MAX_THIN) {
        throw new Error(`${restarted} authored ${thin.length} blocks above ${floor} without 100 flood transfers (${state()})`);
      }
      if (running.error !== null) {
        throw new Error(`the flood failed before ${restarted} authored a full block above ${floor} (${state()}): ${running.error.message ?? running.error}`);
      }
      if (running.stats !== null) {
        const head = await best(api);
        floodEnded ??= head;
        if (head > floodEnded + 8) {
          throw new Error(`${restarted} authored no full block above ${floor} by block ${head}, 8 past the flood's end (${state()})`);
        }
      }
      return undefined;
    }, 150, 500);
    // Whether it is on the flooded node's best chain when checked (a sibling may still
    // overtake it): reported, not required (see `heads` above).
    const canonical = (await api.rpc.chain.getBlockHash(authored.number)).toHex() === authored.hash;
    const when = floodEnded === null ? 'while the flood ran' : `from the flood's backlog (submissions ended at block ${floodEnded})`;
    log(`${restarted}, restarted in the flood, authored block ${authored.number} ${when}: ${authored.transfers} flood transfers, ` +
      `${authored.reports} oracle reports, imported by the flooded node ${canonical ? '' : 'not '}on its best chain when checked` +
      `${thin.length ? ` (before it, while its pool refilled: ${listed(thin)})` : ''}`);
  } finally {
    // Posted to a worker that has ended, the message is dropped.
    running.stop();
    unsubscribe();
    await restartedApi.disconnect();
  }
  await running.done;
  const { stats, error } = running;
  running = null;
  if (error) throw new Error(`the flood failed: ${error.message ?? error}`);
  log(`the flood: ${JSON.stringify({ ...stats, refusals: Object.fromEntries(stats.refusals) })}`);
}

export default async function floodRestart({ wsUri, nodes, args }) {
  const [phase, ...rest] = args;
  const api = await connect(wsUri);
  try {
    if (phase === 'start') await start(api, wsUri, Number(rest[0] ?? 120), Number(rest[1] ?? 1200));
    else if (phase === 'after') await after(api, nodes, rest[0]);
    else throw new Error(`unknown phase ${phase}`);
    return 0;
  } finally {
    await api.disconnect();
  }
}
