// Measures the owner lane under congestion: while a flood of tipped transfers keeps the pool
// beyond block capacity, how many blocks an owner's `addMargin` and then `closePosition` wait to
// be included, and whether the oracle's reports still land in every block.
//
//   node owner-lane.mjs [--url ws://127.0.0.1:9944] [--owners 20] [--rate 1200]
//       [--flood-accounts 2000] [--tip-bwk 1] [--expect-within 2]
//
// Against a dev node (Alice the only validator and feeder) whose oracle reads the loopback price
// servers (scripts/run-price-feeds.sh). Opens one 0.01 BTC long per owner (//owner/i), starts a
// flood of `transfer_keep_alive`s each tipping `tip-bwk` BWK, and three blocks into it has every
// owner sign `addMargin` at once; once those are in, `closePosition`. As a baseline in the same
// run, as many other accounts (//control/i) submit an untipped transfer with the `addMargin`s:
// what an owner's call would face without the lane. A call's wait is the block that included it
// minus the best block when it was submitted. With --expect-within N it exits 1 unless every
// owner's call got in within N blocks and every block of the flood held an oracle report.
import { best, BTC, connect, countFloodAndReports, ensureTrading, fundedSenders, keyring, oraclePrice, parseArgs, send, sendAll, sleep, startFlood, transfersPerSender, USDB, unitPriceLimit, USDB_ASSET, waitForBlock } from './lib.mjs';

const args = parseArgs();
const url = args.url ?? 'ws://127.0.0.1:9944';
const owners = Number(args.owners ?? 20);
const rate = Number(args.rate ?? 1200);
const floodAccounts = Number(args['flood-accounts'] ?? 2000);
const tip = BigInt(Math.round(Number(args['tip-bwk'] ?? 1) * 1000)) * 10n ** 9n;
const expectWithin = args['expect-within'] === undefined ? null : Number(args['expect-within']);
const SIZE = 1_000_000n; // 0.01 BTC
const FLOOD_SECONDS = 90;

const api = await connect(url);
const [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((uri) => keyring.addFromUri(uri));

// 1. A Fresh BTC price, an open market, liquidity.
let price = null;
for (let i = 0; i < 60 && price === null; i++) {
  const record = await oraclePrice(api, BTC);
  price = record?.status === 'Fresh' ? record.price : null;
  if (price === null) await sleep(2000);
}
if (price === null) throw new Error('no Fresh BTC price: are the price servers running?');
await ensureTrading(api, BTC, alice);
const silo = await api.query.collateralSilos.silos(0);
if (silo.unwrap().books.pool.toBigInt() < 200_000n * USDB) {
  await send(api.tx.collateralSilos.addLiquidity(0, USDB_ASSET, 500_000n * USDB, 0), charlie);
}

// 2. The owners, each long 0.01 BTC on 200 USDB of its 1,000 deposited.
const pairs = Array.from({ length: owners }, (_, i) => keyring.addFromUri(`//owner/${i}`));
const controls = Array.from({ length: owners }, (_, i) => keyring.addFromUri(`//control/${i}`));
await sendAll(api, [
  ...pairs.flatMap((p) => [
    api.tx.balances.transferKeepAlive(p.address, 10n * 10n ** 12n),
    api.tx.assets.transferKeepAlive(USDB_ASSET, p.address, 2_000n * USDB),
  ]),
  ...controls.map((c) => api.tx.balances.transferKeepAlive(c.address, 10n * 10n ** 12n)),
], alice);
const limit = unitPriceLimit(price * 1.01); // USDB units per satoshi, FixedU128
await Promise.all(pairs.map((p) => sendAll(api, [
  api.tx.collateralSilos.depositMargin(0, USDB_ASSET, 1_000n * USDB),
  api.tx.perpetualMargin.trade(BTC, SIZE, 200n * USDB, limit, false),
], p)));
console.log(`${owners} owners long 0.01 BTC at ${price}`);

// 3. Follow every block: flood transfers, oracle reports, the owners' calls.
const submitted = new Map(); // extrinsic hash -> { kind, at }
const waits = { addMargin: [], closePosition: [], untippedTransfer: [] };
const blocks = [];
let flooding = false;
let handled = Promise.resolve();
const unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
  handled = handled.then(async () => {
    const number = header.number.toNumber();
    const block = await api.rpc.chain.getBlock(header.hash);
    const { transfers, reports } = countFloodAndReports(block);
    let lane = 0;
    for (const xt of block.block.extrinsics) {
      const entry = submitted.get(xt.hash.toHex());
      if (!entry) continue;
      waits[entry.kind].push(number - entry.at);
      submitted.delete(xt.hash.toHex());
      lane++;
    }
    blocks.push({ number, transfers, reports, lane, flooding });
    console.log(`#${number} transfers ${transfers} oracle reports ${reports} owner calls ${lane}${flooding ? ' (flood)' : ''}`);
  }).catch((e) => console.error(`block ${header.number}: ${e.message}`));
});

// 4. The flood, every transfer tipping `tip`.
const amount = 10n ** 9n;
const perSender = transfersPerSender(FLOOD_SECONDS, floodAccounts);
await fundedSenders(api, alice, floodAccounts, perSender, amount, tip);
const floodRun = startFlood({ url, accounts: floodAccounts, dest: bob.address, perSender, amount, rate, seconds: FLOOD_SECONDS, tip });
const { count, seconds: signing } = await floodRun.signed;
console.log(`flooding ${count} transfers tipping ${Number(tip) / 1e12} BWK each (signed in ${signing.toFixed(0)} s) at ${rate}/s for ${FLOOD_SECONDS} s`);
flooding = true;
floodRun.go();
const floodStart = await best(api);

// 5. Three blocks in, every owner adds margin at once; when all are in, every owner closes.
const submitAll = async (kind, makeTx, signers = pairs) => {
  const at = await best(api);
  await Promise.all(signers.map(async (p) => {
    const nonce = (await api.rpc.system.accountNextIndex(p.address)).toNumber();
    const tx = makeTx();
    await tx.signAsync(p, { nonce });
    submitted.set(tx.hash.toHex(), { kind, at });
    await api.rpc.author.submitExtrinsic(tx).catch((e) => console.error(`${kind} ${p.address}: ${e.message}`));
  }));
  console.log(`${kind}: ${owners} submitted at best block ${at}`);
};
const allIn = (kind) => waits[kind].length === owners;
await waitForBlock(api, (n) => n >= floodStart + 3);
await Promise.all([
  submitAll('addMargin', () => api.tx.perpetualMargin.addMargin(BTC, 50n * USDB)),
  submitAll('untippedTransfer', () => api.tx.balances.transferKeepAlive(bob.address, 10n ** 9n), controls),
]);
await waitForBlock(api, (n) => allIn('addMargin') || n >= floodStart + 13, 120_000);
await submitAll('closePosition', () => api.tx.perpetualMargin.closePosition(BTC, 0));
const closedBy = await best(api);
await waitForBlock(api, (n) => allIn('closePosition') || n >= closedBy + 10, 120_000);
const stats = await floodRun.done;
flooding = false;
const floodEnd = await best(api);
await sleep(6000);
unsubscribe();
await handled;

// 6. Report.
const during = blocks.filter((b) => b.number > floodStart && b.number <= floodEnd);
console.log(`flood: ${stats.submitted} submitted in ${stats.seconds.toFixed(0)} s (${(stats.submitted / stats.seconds).toFixed(0)}/s), ${stats.accepted} accepted, ${stats.retried} sent again for want of room in the pool, ${stats.refused} refused`);
console.log(`blocks ${floodStart + 1}..${floodEnd}: transfers per block ${during.map((b) => b.transfers).join(' ')}`);
console.log(`oracle reports per block: ${during.map((b) => b.reports).join(' ')}`);
const within = (kind, n) => waits[kind].filter((w) => w <= n).length;
const histogram = (kind) => {
  const counts = new Map();
  for (const w of waits[kind]) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([w, c]) => `+${w}: ${c}`).join(', ');
};
for (const kind of ['addMargin', 'closePosition', 'untippedTransfer']) {
  console.log(`${kind}: included ${waits[kind].length} of ${owners}; blocks waited ${histogram(kind)}`);
}
const reportsEveryBlock = during.length > 0 && during.every((b) => b.reports > 0);
const saturated = during.filter((b) => b.transfers >= 2000).length;
console.log(`RESULT owners=${owners} add_margin_within_2=${within('addMargin', 2)} close_within_2=${within('closePosition', 2)} untipped_transfers_within_2=${within('untippedTransfer', 2)} reports_every_block=${reportsEveryBlock} full_blocks=${saturated}/${during.length}`);
await api.disconnect();
const ok = within('addMargin', expectWithin ?? 0) === owners && within('closePosition', expectWithin ?? 0) === owners && reportsEveryBlock;
process.exit(expectWithin !== null && !ok ? 1 : 0);
