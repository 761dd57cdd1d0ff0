// The liquidation-latency measurement as a function, for the CLI (liquidation-latency.mjs) and
// the zombienet flood test. See liquidation-latency.mjs for what it does.
import { best, BTC, controlFeeds, countFloodAndReports, ensureTrading, FEED_PORTS, fundedSenders, keyring, oraclePrice, send, sendAll, sleep, startFlood, transfersPerSender, USDB, unitPriceLimit, USDB_ASSET, waitForBlock } from './lib.mjs';

const SIZE = 1_000_000n; // 0.01 BTC in satoshi, the dev market's size unit
const BLOCK_SECONDS = 6;

const [alice, charlie, bob] = ['//Alice', '//Charlie', '//Bob'].map((uri) => keyring.addFromUri(uri));

/**
 * Runs the measurement against the node behind `api` and resolves with
 * { mode, trials, nextBlock, maxWait }: positions queued by an aggregate, how many of them were
 * liquidated in the next block, and the longest wait in blocks.
 */
export async function measureLiquidations(api, { url, groups = 10, perGroup = 10, rate = 1200, floodAccounts = 2000, stepBlocks = 3, feeds = FEED_PORTS } = {}) {
  const mode = (await api.query.perpetualMargin.mode()).toString();
  console.log(`liquidation mode: ${mode}`);

  // 1. A Fresh BTC price and a market that takes new positions.
  const freshPrice = async () => {
    const record = await oraclePrice(api, BTC);
    return record?.status === 'Fresh' ? record.price : null;
  };
  let price = null;
  for (let i = 0; i < 60 && price === null; i++) {
    price = await freshPrice();
    if (price === null) await sleep(2000);
  }
  if (price === null) throw new Error('no Fresh BTC price: are the price servers running?');
  const setServedPrice = (dollars) => controlFeeds(`set?market=BTC-USD&price=${dollars.toFixed(2)}`, feeds);
  const btcStatus = await ensureTrading(api, BTC, alice);
  console.log(`BTC at ${price}, breaker was ${btcStatus}`);

  // 2. Liquidity, then the traders: group g is liquidatable a little below (3 + 1.5 g)% under the
  //    start price. Margin M leaves equity at 3% maintenance at that price:
  //    M = notional * (1 - (1 - drop) * 0.97), plus the 0.05% fee and 0.1% for impact and funding;
  //    each step of the served price goes 0.4% below its group's level.
  const silo = await api.query.collateralSilos.silos(0);
  if (silo.unwrap().books.pool.toBigInt() < 200_000n * USDB) {
    await send(api.tx.collateralSilos.addLiquidity(0, USDB_ASSET, 500_000n * USDB, 0), charlie);
  }
  const notional = (price * Number(SIZE)) / 100; // USDB units: size * price * 10^6 / 10^8
  const drop = (g) => 0.03 + 0.015 * g;
  const traders = [];
  for (let g = 0; g < groups; g++) {
    const margin = BigInt(Math.ceil(notional * (1 - (1 - drop(g)) * 0.97) + notional * 0.0015));
    for (let i = 0; i < perGroup; i++) {
      traders.push({ pair: keyring.addFromUri(`//liquidation/${g}/${i}`), keeper: keyring.addFromUri(`//keeper/${g}/${i}`), group: g, margin });
    }
  }
  await sendAll(api, traders.flatMap((t) => [
    api.tx.balances.transferKeepAlive(t.pair.address, 10n ** 12n),
    api.tx.balances.transferKeepAlive(t.keeper.address, 10n ** 12n),
    api.tx.assets.transferKeepAlive(USDB_ASSET, t.pair.address, t.margin + USDB),
  ]), alice);
  // Acceptable fill: 1% above the price, as a unit price (USDB units per satoshi).
  const limit = unitPriceLimit(price * 1.01);
  await Promise.all(traders.map((t) => sendAll(api, [
    api.tx.collateralSilos.depositMargin(0, USDB_ASSET, t.margin),
    api.tx.perpetualMargin.trade(BTC, SIZE, t.margin, limit, false),
  ], t.pair)));
  const byAddress = new Map(traders.map((t) => [t.pair.address, t]));
  console.log(`${traders.length} traders long 0.01 BTC each, ${groups} groups`);

  // 3. Follow every block's events. Each position has a keeper of its own (one account each, so
  //    that a liquidation the pool turned away does not leave the next ones behind a nonce gap),
  //    which signs `liquidate` the moment it sees the position queued and submits it again at
  //    every block until the position is liquidated, as a keeper bot would.
  const trials = new Map(); // address -> { queued, liquidated, by, keeperTx }
  const aggregates = [];
  const blockLog = [];
  const keeperOf = new Map(traders.map((t) => [t.pair.address, t.keeper]));
  const submitKeeper = (trial) => api.rpc.author.submitExtrinsic(trial.keeperTx).catch(() => {});
  const keeperNonces = await Promise.all(traders.map((t) => api.rpc.system.accountNextIndex(t.keeper.address)));
  const keeperNonce = new Map(traders.map((t, i) => [t.pair.address, keeperNonces[i].toNumber()]));
  // Blocks are handled one after another, in the order they arrive.
  let handled = Promise.resolve();
  const handleBlock = async (header) => {
    const number = header.number.toNumber();
    const [events, block] = await Promise.all([api.query.system.events.at(header.hash), api.rpc.chain.getBlock(header.hash)]);
    const { transfers, reports } = countFloodAndReports(block);
    blockLog.push({ number, transfers, reports });
    let aggregated = false;
    for (const { event } of events) {
      if (event.section === 'priceOracle' && event.method === 'PriceAggregated' && event.data.market.toNumber() === BTC) {
        aggregates.push(number);
        aggregated = true;
      }
      if (event.section !== 'perpetualMargin') continue;
      const who = event.data.who?.toString();
      if (!byAddress.has(who)) continue;
      if (event.method === 'Liquidated') {
        const trial = trials.get(who) ?? { queued: null };
        if (trial.liquidated === undefined) {
          const keeper = event.data.keeper;
          trial.liquidated = number;
          trial.by = keeper.isNone ? 'protocol or validator' : keeper.unwrap().toString() === keeperOf.get(who).address ? 'keeper (signed)' : 'other keeper';
          trials.set(who, trial);
        }
      }
    }
    // After a BTC aggregate: the positions it left liquidatable (the engine's own list, in the
    // order its next pass takes them) start their trial in this block.
    if (aggregated) {
      const due = await (await api.at(header.hash)).call.perpetualMarginApi.liquidatable(0, 1000);
      for (const [account] of due) {
        const who = account.toString();
        if (!byAddress.has(who) || trials.has(who)) continue;
        const keeper = keeperOf.get(who);
        const nonce = keeperNonce.get(who);
        const keeperTx = api.tx.perpetualMargin.liquidate(who, BTC);
        keeperTx.sign(keeper, { nonce, era: 0, blockHash: api.genesisHash, genesisHash: api.genesisHash, runtimeVersion: api.runtimeVersion });
        trials.set(who, { queued: number, keeperTx: keeperTx.toHex() });
      }
    }
    for (const trial of trials.values()) if (trial.keeperTx && trial.liquidated === undefined) submitKeeper(trial);
  };
  const unsubscribe = await api.rpc.chain.subscribeNewHeads((header) => {
    handled = handled.then(() => handleBlock(header)).catch((e) => console.error(`block ${header.number}: ${e.message}`));
  });

  // 4. The flood: transfers signed beforehand (in a worker thread), at `rate` for the whole run.
  const floodSeconds = (groups * stepBlocks + 4) * BLOCK_SECONDS;
  const amount = 10n ** 9n;
  const perSender = transfersPerSender(floodSeconds, floodAccounts);
  await fundedSenders(api, alice, floodAccounts, perSender, amount);
  const floodRun = startFlood({ url, accounts: floodAccounts, dest: bob.address, perSender, amount, rate, seconds: floodSeconds });
  const { count, seconds: signing } = await floodRun.signed;
  console.log(`flooding ${count} transfers (signed in ${signing.toFixed(0)} s) at ${rate}/s for ${floodSeconds} s`);
  floodRun.go();
  const flooding = floodRun.done;
  const floodStart = await best(api);

  // 5. Two blocks into the flood, step the price down one group at a time.
  let reached = await waitForBlock(api, (n) => n >= floodStart + 2);
  for (let g = 0; g < groups; g++) {
    await setServedPrice(price * (1 - drop(g) - 0.004));
    reached = await waitForBlock(api, (n) => n >= reached + stepBlocks);
  }
  const stats = await flooding;
  const floodEnd = await best(api);
  // Let the last liquidations land (at most 10 more blocks), then put the price back.
  const allLiquidated = () => traders.every((t) => trials.get(t.pair.address)?.liquidated !== undefined);
  await waitForBlock(api, (n) => n >= floodEnd + 10 || allLiquidated(), 240_000);
  await sleep(BLOCK_SECONDS * 1000);
  unsubscribe();
  await handled;
  await setServedPrice(price);

  // 6. Report.
  const during = blockLog.filter((b) => b.number > floodStart && b.number <= floodEnd);
  console.log(`flood: ${stats.submitted} submitted in ${stats.seconds.toFixed(0)} s (${(stats.submitted / stats.seconds).toFixed(0)}/s), ${stats.accepted} accepted, ${stats.retried} sent again for want of room in the pool, ${stats.refused} refused`);
  for (const [reason, times] of stats.refusals) console.log(`  refused ${times}: ${reason}`);
  console.log(`blocks ${floodStart + 1}..${floodEnd}: transfers per block ${during.map((b) => b.transfers).join(' ')}`);
  console.log(`oracle reports per block: ${during.map((b) => b.reports).join(' ')}; BTC aggregates in blocks ${aggregates.filter((n) => n > floodStart).join(' ')}`);
  const queued = [...trials.values()].filter((t) => t.queued !== null && t.queued !== undefined);
  const latency = queued.map((t) => (t.liquidated === undefined ? Infinity : t.liquidated - t.queued));
  const histogram = new Map();
  for (const l of latency) histogram.set(l, (histogram.get(l) ?? 0) + 1);
  const byWhom = new Map();
  for (const t of queued) byWhom.set(t.by ?? 'not liquidated', (byWhom.get(t.by ?? 'not liquidated') ?? 0) + 1);
  const nextBlock = latency.filter((l) => l === 1).length;
  console.log(`positions queued by an aggregate: ${queued.length} of ${traders.length}`);
  console.log(`blocks from the queueing aggregate (N) to the liquidation: ${[...histogram.entries()].sort((a, b) => a[0] - b[0]).map(([l, c]) => `${l === Infinity ? 'never' : `+${l}`}: ${c}`).join(', ')}`);
  console.log(`liquidated by: ${[...byWhom.entries()].map(([w, c]) => `${w} ${c}`).join(', ')}`);
  const others = [...trials.values()].filter((t) => t.queued === null).length;
  if (others) console.log(`liquidated without being queued (validators' keepers): ${others}`);
  console.log(`RESULT mode=${mode} trials=${queued.length} next_block=${nextBlock} max_wait=${Math.max(...latency)}`);
  return { mode, trials: queued.length, nextBlock, maxWait: Math.max(...latency) };
}
