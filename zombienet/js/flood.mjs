// Floods a node on loopback with signed balance transfers from many accounts, above block
// capacity, for a bounded time, and reports per block what got in: transfers, oracle reports,
// and the inclusion latency (in blocks) of chosen transfers. Stops by itself.
//
//   node flood.mjs [--url ws://127.0.0.1:9944] [--seconds 30] [--rate 1200] [--accounts 120]
//
// 1200 transfers/s is 3x what a 6 s block holds (2396 `transfer_keep_alive` in the 75% normal
// share, from `benchmark extrinsic`). Transactions are signed before the flood starts (immortal
// era, explicit nonces), so the client's signing speed does not bound the rate.
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const url = args.url ?? 'ws://127.0.0.1:9944';
const seconds = Number(args.seconds ?? 30);
const rate = Number(args.rate ?? 1200);
const accounts = Number(args.accounts ?? 120);
const CHOSEN_EVERY = 500; // every 500th transfer is followed to its block
const DRAIN_SECONDS = 60; // after the flood, wait at most this long for the pool to drain

const api = await ApiPromise.create({ provider: new WsProvider(url), throwOnConnect: true, noInitWarn: true });
const keyring = new Keyring({ type: 'sr25519' });
const alice = keyring.addFromUri('//Alice');
const bob = keyring.addFromUri('//Bob');
const senders = Array.from({ length: accounts }, (_, i) => keyring.addFromUri(`//flood/${i}`));
const bestNumber = async () => (await api.rpc.chain.getHeader()).number.toNumber();

// 1. Fund the senders from Alice (one transfer each, nonces in sequence), wait for inclusion.
const total = seconds * rate;
const perSender = Math.ceil(total / accounts);
const fee = 10n ** 10n; // 0.01 BWK per transfer is far above the real fee
const amount = 10n ** 9n; // 0.001 BWK moved by each flood transfer
const funding = BigInt(perSender) * (fee + amount) + 10n ** 13n;
let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
const fundHashes = [];
for (const sender of senders) {
  const tx = api.tx.balances.transferKeepAlive(sender.address, funding);
  fundHashes.push((await tx.signAndSend(alice, { nonce: nonce++ })).toHex());
}
process.stdout.write(`funding ${accounts} senders`);
for (;;) {
  const balances = await api.query.system.account.multi(senders.map((s) => s.address));
  if (balances.every((b) => b.data.free.toBigInt() >= funding)) break;
  process.stdout.write('.');
  await new Promise((r) => setTimeout(r, 2000));
}
console.log(' done');

// 2. Sign everything up front.
const genesisHash = api.genesisHash;
const runtimeVersion = api.runtimeVersion;
const signed = [];
const started = Date.now();
for (let n = 0; n < perSender; n++) {
  for (const sender of senders) {
    if (signed.length >= total) break;
    const tx = api.tx.balances.transferKeepAlive(bob.address, amount);
    tx.sign(sender, { nonce: n, era: 0, blockHash: genesisHash, genesisHash, runtimeVersion });
    signed.push(tx.toHex());
  }
}
console.log(`signed ${signed.length} transfers in ${((Date.now() - started) / 1000).toFixed(1)} s`);

// 3. Watch blocks: transfers, oracle reports, chosen transfers' inclusion.
const chosen = new Map(); // hash -> block number at submission
const latencies = [];
const blocks = [];
const unsubscribe = await api.rpc.chain.subscribeNewHeads(async (header) => {
  const block = await api.rpc.chain.getBlock(header.hash);
  let transfers = 0;
  let reports = 0;
  for (const xt of block.block.extrinsics) {
    const call = `${xt.method.section}.${xt.method.method}`;
    if (call === 'balances.transferKeepAlive') transfers++;
    if (call === 'priceOracle.submitReport') reports++;
    const hash = xt.hash.toHex();
    if (chosen.has(hash)) {
      latencies.push(header.number.toNumber() - chosen.get(hash));
      chosen.delete(hash);
    }
  }
  blocks.push({ number: header.number.toNumber(), transfers, reports, flooding: flooding });
  console.log(`#${header.number} transfers ${transfers} oracle reports ${reports}${flooding ? ' (flood)' : ''}`);
});

// 4. Flood at the rate for the duration; the pool refuses what it cannot hold.
let flooding = true;
let accepted = 0;
let refused = 0;
const refusals = new Map();
const floodStart = Date.now();
let next = 0;
const inFlight = new Set();
while (next < signed.length && Date.now() - floodStart < seconds * 1000) {
  const due = Math.min(signed.length, Math.floor(((Date.now() - floodStart) / 1000) * rate));
  while (next < due) {
    const index = next++;
    const submittedAt = index % CHOSEN_EVERY === 0 ? await bestNumber() : null;
    const request = api.rpc.author
      .submitExtrinsic(signed[index])
      .then((hash) => {
        accepted++;
        if (submittedAt !== null) chosen.set(hash.toHex(), submittedAt);
      })
      .catch((error) => {
        refused++;
        const reason = String(error.message).slice(0, 60);
        refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
      })
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await new Promise((r) => setTimeout(r, 20));
}
await Promise.all(inFlight);
flooding = false;
const floodSeconds = (Date.now() - floodStart) / 1000;
console.log(`submitted ${next} in ${floodSeconds.toFixed(1)} s (${(next / floodSeconds).toFixed(0)}/s): ${accepted} accepted, ${refused} refused`);
for (const [reason, count] of refusals) console.log(`  refused ${count}: ${reason}`);

// 5. Let the pool drain (bounded), then report.
const drainEnd = Date.now() + DRAIN_SECONDS * 1000;
while (Date.now() < drainEnd && chosen.size > 0) await new Promise((r) => setTimeout(r, 1000));
unsubscribe();
const during = blocks.filter((b) => b.flooding);
const full = during.filter((b) => b.transfers > 0);
console.log(`blocks during the flood: ${during.length}; transfers per block max ${Math.max(0, ...during.map((b) => b.transfers))}`);
console.log(`oracle reports per block during the flood: ${during.map((b) => b.reports).join(' ')}`);
latencies.sort((a, b) => a - b);
if (latencies.length) {
  console.log(`chosen transfers included: ${latencies.length}, latency in blocks min ${latencies[0]} median ${latencies[Math.floor(latencies.length / 2)]} max ${latencies[latencies.length - 1]}; not included: ${chosen.size}`);
}
await api.disconnect();
process.exit(0);
