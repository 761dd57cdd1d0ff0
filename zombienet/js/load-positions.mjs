// Opens N BTC positions on a dev node through real signed trades from N accounts, then crashes
// the served price and follows the protocol's liquidations block by block.
//
//   node load-positions.mjs [--url ws://127.0.0.1:9944] [--positions 20000] [--crash 0.30]
//       [--funders 40] [--window 3000] [--feeds 8101,8102,8103]
//
// Against a dev node (Alice the only validator and feeder) whose oracle reads the loopback price
// servers (scripts/run-price-feeds.sh; scripts/load-positions.sh runs it all). Accounts
// //load/i alternate long and short 0.001 BTC; the j-th long has margin for 5% + 0.5% x (j mod 80)
// of its value (20x down to about 2.2x), the shorts 20%. The crash makes the longs whose margin
// is below about a third of their value liquidatable (L of them). It prints the positions open,
// the most trades a block took next to the transfers a block takes (BLOCK_TRANSFERS, measured by
// `benchmark extrinsic`), L, and the protocol's liquidations per block after the crash's
// aggregate, and a RESULT line; it exits 1 unless all L went within
// ceil(L / MaxLiquidationsPerBlock) + 1 blocks of that aggregate.
import { BLOCK_TRANSFERS, BTC, connect, controlFeeds, ensureTrading, FEED_PORTS, keyring, oraclePrice, parseArgs, sendAll, sleep, unitPriceLimit, USDB, USDB_ASSET } from './lib.mjs';

const SIZE = 100_000n; // 0.001 BTC in satoshi
const BWK = 10n ** 12n;

const args = parseArgs();
const url = args.url ?? 'ws://127.0.0.1:9944';
const positions = Number(args.positions ?? 20000);
const crash = Number(args.crash ?? 0.3);
const funderCount = Number(args.funders ?? 40);
const window = Number(args.window ?? 3000);
const feeds = args.feeds ? args.feeds.split(',').map(Number) : FEED_PORTS;
const log = (message) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

const api = await connect(url);
const [alice, charlie, dave] = ['//Alice', '//Charlie', '//Dave'].map((uri) => keyring.addFromUri(uri));
const { genesisHash, runtimeVersion } = api;
const sign = (tx, who, nonce) => {
  tx.sign(who, { nonce, era: 0, blockHash: genesisHash, genesisHash, runtimeVersion });
  return tx.toHex();
};

/**
 * Submits pre-signed extrinsics without watching each (a node serves 1024 subscriptions per
 * connection), keeping at most `window` beyond what blocks have taken, until `done()` holds.
 * Returns the most extrinsics of `call` (section.method) one block took.
 */
async function pump(hexes, call, done) {
  let included = 0;
  let most = 0;
  const unsubscribe = await api.rpc.chain.subscribeNewHeads(async (header) => {
    const block = await api.rpc.chain.getBlock(header.hash);
    const calls = block.block.extrinsics.map((xt) => `${xt.method.section}.${xt.method.method}`);
    included += calls.filter((c) => !c.startsWith('timestamp.') && c !== 'priceOracle.submitReport').length;
    most = Math.max(most, calls.filter((c) => c === call).length);
  });
  let next = 0;
  let refused = 0;
  while (next < hexes.length) {
    const batch = [];
    while (next < hexes.length && next - included - refused < window) {
      batch.push(api.rpc.author.submitExtrinsic(hexes[next++]).catch(() => refused++));
    }
    await Promise.all(batch);
    await sleep(1000);
  }
  for (let i = 0; i < 600 && !(await done()); i++) await sleep(2000);
  unsubscribe();
  if (!(await done())) throw new Error(`${call}: not all taken (${refused} refused by the pool)`);
  return most;
}

// 1. A Fresh BTC price, a market that takes new positions, a pool deep enough for the open
//    interest (each side within half of it).
let oracle = null;
for (let i = 0; i < 60 && oracle?.status !== 'Fresh'; i++) {
  oracle = await oraclePrice(api, BTC);
  if (oracle?.status !== 'Fresh') await sleep(2000);
}
if (oracle?.status !== 'Fresh') throw new Error('no Fresh BTC price: are the price servers running?');
await ensureTrading(api, BTC, alice);
const price = oracle.price;
const notional = (price * Number(SIZE)) / 100; // USDB units: size x price x 10^6 / 10^8
const sideValue = (notional * positions) / 2;
const pool = (await api.query.collateralSilos.silos(0)).unwrap().books.pool.toBigInt();
if (pool < BigInt(Math.ceil(sideValue * 2.5))) {
  for (const lp of [charlie, dave]) await sendAll(api, [api.tx.collateralSilos.addLiquidity(0, USDB_ASSET, 900_000n * USDB, 0)], lp);
}
log(`BTC at ${price}: ${positions} positions of 0.001 BTC (${(notional / 1e6).toFixed(2)} USDB each)`);

// 2. Accounts and margins; funders (//loadfunder/f) get from Alice what their accounts need.
const margin = (i) => {
  const share = i % 2 === 0 ? 0.05 + 0.005 * ((i / 2) % 80) : 0.2;
  return BigInt(Math.ceil(notional * share * 1.02)); // +2% for the fee and the fill's impact
};
log('deriving accounts');
const traders = Array.from({ length: positions }, (_, i) => keyring.addFromUri(`//load/${i}`));
const funders = Array.from({ length: funderCount }, (_, f) => keyring.addFromUri(`//loadfunder/${f}`));
const ownedBy = (f) => traders.map((_, i) => i).filter((i) => i % funderCount === f);
const fee = BWK; // per trader, for its two transactions
await sendAll(api, funders.flatMap((funder, f) => {
  const usdb = ownedBy(f).reduce((sum, i) => sum + margin(i) + USDB, 0n);
  return [
    api.tx.balances.transferKeepAlive(funder.address, BigInt(ownedBy(f).length) * 2n * fee + 10n * BWK),
    api.tx.assets.transferKeepAlive(USDB_ASSET, funder.address, usdb + USDB),
  ];
}), alice);
log(`funded ${funderCount} funders`);

// 3. Each trader: BWK for fees and USDB for margin, from its funder.
const funding = [];
for (const [f, funder] of funders.entries()) {
  let nonce = (await api.rpc.system.accountNextIndex(funder.address)).toNumber();
  for (const i of ownedBy(f)) {
    funding.push(sign(api.tx.balances.transferKeepAlive(traders[i].address, fee), funder, nonce++));
    funding.push(sign(api.tx.assets.transferKeepAlive(USDB_ASSET, traders[i].address, margin(i) + USDB), funder, nonce++));
  }
}
const lastTrader = traders[positions - 1].address;
await pump(funding, 'assets.transferKeepAlive', async () =>
  (await api.query.assets.account(USDB_ASSET, lastTrader)).isSome && (await api.query.system.account(lastTrader)).data.free.toBigInt() > 0n);
log(`funded ${positions} traders`);

// 4. Each trader deposits its margin and opens its position: real signed trades.
// Acceptable fills: a long's 5% above the price, a short's 5% below, as unit prices (USDB units
// per satoshi).
const limitLong = unitPriceLimit(price * 1.05);
const limitShort = unitPriceLimit(price * 0.95, false);
const trades = traders.flatMap((trader, i) => {
  const long = i % 2 === 0;
  return [
    sign(api.tx.collateralSilos.depositMargin(0, USDB_ASSET, margin(i)), trader, 0),
    sign(api.tx.perpetualMargin.trade(BTC, long ? SIZE : -SIZE, margin(i), long ? limitLong : limitShort, false), trader, 1),
  ];
});
const openSize = async () => {
  const interest = (await api.query.perpetualMargin.markets(BTC)).unwrap().openInterest;
  return interest.longSize.toBigInt() + interest.shortSize.toBigInt();
};
const before = await openSize();
const target = before + BigInt(positions) * SIZE;
const tradesPerBlock = await pump(trades, 'perpetualMargin.trade', async () => (await openSize()) >= target);
log(`${positions} positions open (${(await openSize()) / SIZE} of 0.001 BTC in the market); at most ${tradesPerBlock} trades in a block, ${BLOCK_TRANSFERS} transfers fit one: ${(tradesPerBlock / BLOCK_TRANSFERS).toFixed(2)}`);

// 5. The crash, then the protocol's liquidations block by block.
const capacity = api.consts.perpetualMargin.maxLiquidationsPerBlock.toNumber();
const crashed = price * (1 - crash);
let aggregateBlock = null;
let due = 0;
const perBlock = [];
const finished = new Promise((resolve) => {
  let handled = Promise.resolve();
  const handle = async (header) => {
    const number = header.number.toNumber();
    const events = await api.query.system.events.at(header.hash);
    if (aggregateBlock !== null) {
      const liquidated = events.filter(({ event }) => event.section === 'perpetualMargin' && event.method === 'Liquidated').length;
      perBlock.push(liquidated);
      log(`block ${number}: ${liquidated} liquidated`);
      if (perBlock.reduce((a, b) => a + b, 0) >= due || perBlock.length > 60) resolve();
      return;
    }
    const aggregate = events.find(({ event }) => event.section === 'priceOracle' && event.method === 'PriceAggregated' && event.data.market.toNumber() === BTC);
    if (!aggregate) return;
    const aggregated = Number((aggregate.event.data.price.toBigInt() * 100n) / 10n ** 18n) / 100;
    if (aggregated > crashed * 1.01) return;
    const at = await api.at(header.hash);
    for (let start = 0; ; start += 1000) {
      const page = await at.call.perpetualMarginApi.liquidatable(start, 1000);
      due += page.length;
      if (page.length < 1000) break;
    }
    aggregateBlock = number;
    log(`block ${number}: BTC aggregated at ${aggregated}; ${due} positions liquidatable`);
  };
  api.rpc.chain.subscribeNewHeads((header) => {
    handled = handled.then(() => handle(header)).catch((e) => console.error(`block ${header.number}: ${e.message}`));
  });
});
await controlFeeds(`set?market=BTC-USD&price=${crashed.toFixed(2)}`, feeds);
log(`served BTC price set to ${crashed.toFixed(2)} (-${(crash * 100).toFixed(0)}%)`);
await finished;
const liquidated = perBlock.reduce((a, b) => a + b, 0);
const bound = Math.ceil(due / capacity) + 1;
const within = perBlock.slice(0, bound).reduce((a, b) => a + b, 0);
console.log(`RESULT positions=${positions} tradesPerBlock=${tradesPerBlock} transfersPerBlock=${BLOCK_TRANSFERS} ` +
  `ratio=${(tradesPerBlock / BLOCK_TRANSFERS).toFixed(2)} aggregateBlock=${aggregateBlock} liquidatable=${due} ` +
  `capacity=${capacity} bound=${bound} liquidated=${liquidated} withinBound=${within} perBlock=${perBlock.join(',')}`);
await api.disconnect();
process.exit(within >= due && due > 0 ? 0 : 1);
