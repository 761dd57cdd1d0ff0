// Test 6: a validator restarted in the middle of a flood recovers and keeps authoring.
//   "start,<seconds>,<rate>"  (on the node that takes the flood, not the one restarted): funds
//       the flood senders, signs, and starts submitting `rate` transfers a second for `seconds`
//       in the background of zombienet's process; resolves once blocks are full of them.
//   "after,<restarted node>": while the flood still runs, the restarted validator imports the
//       network's head again and authors a block of its own (its Aura key in the pre-digest),
//       full of flood transfers; then waits for the flood's end and reports its figures.
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
  const state = { stats: null, error: null };
  // Settles either way, so a failed flood is reported by `after`, never left unhandled.
  state.done = run.done.then((stats) => (state.stats = stats), (error) => (state.error = error));
  running = state;
  // Blocks full of flood transfers before the restart.
  const full = await waitFor('a block full of flood transfers', async () => {
    const block = await api.rpc.chain.getBlock();
    const { transfers } = countFloodAndReports(block);
    return transfers >= 1000 ? { number: block.block.header.number.toNumber(), transfers } : undefined;
  }, 90, 500);
  log(`flooding ${count} signed transfers at ${rate}/s for ${seconds} s; block ${full.number} holds ${full.transfers} of them`);
}

async function after(api, nodes, restarted) {
  if (!running) throw new Error('no flood is running (run "flood-restart,start" first)');
  const expected = keyring.addFromUri(`//${restarted[0].toUpperCase()}${restarted.slice(1)}`).address;
  // The network's head now, after the restart: a block of the restarted node's above it was
  // authored after the restart (its own blocks from before are at or below it).
  const floor = await best(api);
  const restartedApi = await connect(nodes[restarted]);
  try {
    let authored = null;
    await waitFor(`${restarted} to author a block above ${floor} in the flood`, async () => {
      if (running.stats !== null || running.error !== null) {
        throw new Error(`the flood ended before ${restarted} authored a block above ${floor}: ${running.error ?? 'done'}`);
      }
      // The author from the block's Aura slot and the session's validators.
      const header = await restartedApi.derive.chain.getHeader(await restartedApi.rpc.chain.getBlockHash());
      if (header.number.toNumber() > floor && header.author?.toString() === expected) {
        const block = await restartedApi.rpc.chain.getBlock(header.hash);
        authored = { number: block.block.header.number.toNumber(), ...countFloodAndReports(block) };
        return true;
      }
      return undefined;
    }, 150, 500);
    log(`${restarted}, restarted in the flood, authored block ${authored.number}: ${authored.transfers} flood transfers, ${authored.reports} oracle reports`);
    if (authored.transfers < 100) throw new Error(`${restarted}'s block ${authored.number} held only ${authored.transfers} transfers while the flood ran`);
  } finally {
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
