// Floods a node on loopback with signed balance transfers from many accounts, above block
// capacity, for a bounded time, and reports per block what got in: transfers, oracle reports,
// and the inclusion latency (in blocks) of chosen transfers. Stops by itself.
//
//   node flood.mjs [--url ws://127.0.0.1:9944] [--seconds 30] [--rate 1200] [--accounts 2000]
//
// 1200 transfers/s is 3x what a 6 s block holds (2396 `transfer_keep_alive` in the 75% normal
// share, from `benchmark extrinsic`). Transactions are signed before the flood starts (immortal
// era, explicit nonces, in a worker thread), so the client's signing speed does not bound the
// rate; the flood keeps the pool full of ready transfers for its whole length (lib.mjs `flood`).
import { best as bestBlock, connect, countFloodAndReports, fundedSenders, keyring, parseArgs, sleep, startFlood, transfersPerSender } from './lib.mjs';

const args = parseArgs();
const url = args.url ?? 'ws://127.0.0.1:9944';
const seconds = Number(args.seconds ?? 30);
const rate = Number(args.rate ?? 1200);
const accounts = Number(args.accounts ?? 2000);
const CHOSEN_EVERY = 500; // every 500th transfer is followed to its block
const DRAIN_SECONDS = 60; // after the flood, wait at most this long for the pool to drain

const api = await connect(url);
const [alice, bob] = [keyring.addFromUri('//Alice'), keyring.addFromUri('//Bob')];

// 1. Fund the senders from Alice (0.01 BWK per transfer is far above the real fee), then sign
//    everything up front in a worker thread (this thread keeps following the chain).
const perSender = transfersPerSender(seconds, accounts);
const amount = 10n ** 9n; // 0.001 BWK moved by each flood transfer
await fundedSenders(api, alice, accounts, perSender, amount);
console.log(`funded ${accounts} senders`);
let best = await bestBlock(api);
const chosen = new Map(); // hash -> block number at submission
const run = startFlood({
  url,
  accounts,
  dest: bob.address,
  perSender,
  amount,
  rate,
  seconds,
  chosenEvery: CHOSEN_EVERY,
  onChosen: (hash) => chosen.set(hash, best),
});
const { count, seconds: signing } = await run.signed;
console.log(`signed ${count} transfers in ${signing.toFixed(1)} s`);

// 2. Watch blocks: transfers, oracle reports, chosen transfers' inclusion.
const latencies = [];
const blocks = [];
let flooding = true;
const unsubscribe = await api.rpc.chain.subscribeNewHeads(async (header) => {
  const block = await api.rpc.chain.getBlock(header.hash);
  const { transfers, reports } = countFloodAndReports(block);
  for (const xt of block.block.extrinsics) {
    const hash = xt.hash.toHex();
    if (chosen.has(hash)) {
      latencies.push(header.number.toNumber() - chosen.get(hash));
      chosen.delete(hash);
    }
  }
  blocks.push({ number: header.number.toNumber(), transfers, reports, flooding });
  console.log(`#${header.number} transfers ${transfers} oracle reports ${reports}${flooding ? ' (flood)' : ''}`);
});

// 3. Flood at the rate for the duration; the pool refuses what it cannot hold.
const bestTicker = setInterval(async () => (best = await bestBlock(api)), 1000);
run.go();
const stats = await run.done;
flooding = false;
clearInterval(bestTicker);
console.log(`submitted ${stats.submitted} in ${stats.seconds.toFixed(1)} s (${(stats.submitted / stats.seconds).toFixed(0)}/s): ${stats.accepted} accepted, ${stats.retried} sent again for want of room in the pool, ${stats.refused} refused`);
for (const [reason, times] of stats.refusals) console.log(`  refused ${times}: ${reason}`);

// 4. Let the pool drain (bounded), then report.
const drainEnd = Date.now() + DRAIN_SECONDS * 1000;
while (Date.now() < drainEnd && chosen.size > 0) await sleep(1000);
unsubscribe();
const during = blocks.filter((b) => b.flooding);
console.log(`blocks during the flood: ${during.length}; transfers per block max ${Math.max(0, ...during.map((b) => b.transfers))}`);
console.log(`oracle reports per block during the flood: ${during.map((b) => b.reports).join(' ')}`);
latencies.sort((a, b) => a - b);
if (latencies.length) {
  console.log(`chosen transfers included: ${latencies.length}, latency in blocks min ${latencies[0]} median ${latencies[Math.floor(latencies.length / 2)]} max ${latencies[latencies.length - 1]}; not included: ${chosen.size}`);
}
await api.disconnect();
process.exit(0);
