// Test 3, second part: a market whose price sources are switched off is settled by the
// protocol and its margins released. Ferdie long and Dave short DOT; governance (sudo on this
// network) shortens the settlement rules to 12 Stale blocks; every price server then answers
// HTTP 500. Once DOT has been Stale for 12 blocks the chain settles it at the oracle's TWAP:
// both positions closed once, their margin back in their free margin, the market removed and
// its settlement on record in the runtime API. The node's bulwark_* series are checked against
// the runtime (checks/metrics.mjs) while the two positions are open (open interest to compare)
// and after the settlement (DOT, still watched by the breakers, is no longer exported: an alert
// on a market that no longer exists would never clear).
import metrics, { parseMetrics } from './metrics.mjs';
import { connect, controlFeeds, ensureTrading, FIXED, keyring, log, oraclePrice, send, sendAll, USDB, USDB_ASSET, waitFor } from './common.mjs';

const DOT = 2;
const COIN = 100_000_000n; // DOT's size unit is 10^-8 DOT

export default async function settlement({ node, wsUri, prometheus }) {
  const api = await connect(wsUri);
  const [alice, dave, ferdie] = ['//Alice', '//Dave', '//Ferdie'].map((uri) => keyring.addFromUri(uri));
  const events = []; // [block number, event] of the margin engine
  const unwatch = await api.rpc.chain.subscribeNewHeads(async (header) => {
    for (const { event } of await api.query.system.events.at(header.hash)) {
      if (event.section === 'perpetualMargin') events.push([header.number.toNumber(), event]);
    }
  });
  try {
    await controlFeeds('mode?mode=normal');
    await controlFeeds('set?market=DOT-USD&price=7');
    await waitFor('DOT at 7', async () => {
      const p = await oraclePrice(api, DOT);
      return p?.status === 'Fresh' && p.price === 7 ? true : undefined;
    }, 120);
    await ensureTrading(api, DOT, alice);
    if ((await api.query.collateralSilos.silos(0)).unwrap().books.pool.toBigInt() === 0n) {
      await send(api.tx.collateralSilos.addLiquidity(0, USDB_ASSET, 100_000n * USDB, 0), alice);
    }
    // Unit prices: DOT at $7 is 0.07 USDB units per 10^-8 DOT; the limits are 0.08 and 0.06.
    const deposited = 1_000n * USDB;
    await sendAll(api, [
      api.tx.collateralSilos.depositMargin(0, USDB_ASSET, deposited),
      api.tx.perpetualMargin.trade(DOT, 100n * COIN, 200n * USDB, (8n * FIXED) / 100n, false),
    ], ferdie);
    await sendAll(api, [
      api.tx.collateralSilos.depositMargin(0, USDB_ASSET, deposited),
      api.tx.perpetualMargin.trade(DOT, -50n * COIN, 100n * USDB, (6n * FIXED) / 100n, false),
    ], dave);
    const margin = async (who) => (await api.query.collateralSilos.margin(0, who.address));
    for (const who of [ferdie, dave]) {
      const m = await margin(who);
      log(`${who.address.slice(0, 8)}: free ${m.free}, locked ${m.locked}`);
      if (m.locked.toBigInt() === 0n) throw new Error('no margin locked for the position');
    }
    await metrics({ node, wsUri, prometheus, args: ['open-interest', 'liquidated'] });
    const rules = { settleAfterStale: 12, exitAfterStale: 6, exitBand: 50_000 };
    await send(api.tx.sudo.sudo(api.tx.perpetualMargin.setSettlementRules(rules)), alice);

    // Every source of every market fails from now on.
    await controlFeeds('mode?mode=error');
    const last = await waitFor('DOT Stale', async () => {
      const p = await oraclePrice(api, DOT);
      return p?.status === 'Stale' ? p : undefined;
    }, 120);
    const twap = (await api.query.priceOracle.prices(DOT)).unwrap().twap.toBigInt();
    log(`DOT Stale since its aggregate in block ${last.updatedAt}; TWAP ${Number(twap / 10n ** 12n) / 1e6}`);
    const [settledIn] = await waitFor('DOT settled', async () =>
      events.find(([, e]) => e.method === 'MarketSettled' && e.data.market.toNumber() === DOT), 240);

    const started = events.find(([, e]) => e.method === 'SettlementStarted' && e.data.market.toNumber() === DOT);
    if (!started) throw new Error('no SettlementStarted for DOT');
    const [startedIn, start] = started;
    if (start.data.reason.toString() !== 'StaleFeed') throw new Error(`reason ${start.data.reason}`);
    if (start.data.price.toBigInt() !== twap) throw new Error(`settled at ${start.data.price}, TWAP ${twap}`);
    const closes = events.filter(([, e]) => e.method === 'PositionSettled' && e.data.market.toNumber() === DOT);
    for (const who of [ferdie, dave]) {
      const mine = closes.filter(([, e]) => e.data.who.toString() === who.address);
      if (mine.length !== 1) throw new Error(`${who.address}: ${mine.length} settlement closes`);
      const m = await margin(who);
      if (m.locked.toBigInt() !== 0n) throw new Error(`${who.address}: ${m.locked} still locked`);
      const { realized, released, paid, badDebt } = mine[0][1].data;
      log(`${who.address.slice(0, 8)}: realized ${realized}, paid ${paid}, bad debt ${badDebt}, released ${released}; free ${m.free}`);
    }
    if ((await api.query.perpetualMargin.markets(DOT)).isSome) throw new Error('DOT still listed');
    const record = (await api.call.perpetualMarginApi.settlement(DOT)).unwrap();
    if (record.phase.toString() !== 'Settled' || record.finishedAt.unwrap().toNumber() !== settledIn) {
      throw new Error(`record ${record.toString()}`);
    }
    log(`DOT Stale from block ${last.updatedAt}, settled from block ${startedIn} to ${settledIn}: ${record.closed} positions`);

    await metrics({ node, wsUri, prometheus });
    const watched = (await api.call.circuitBreakerApi.marketStatuses()).some((report) => report.market.toNumber() === DOT);
    const exported = [...parseMetrics(await (await fetch(prometheus[node])).text()).keys()].filter((k) => k.includes(`market="${DOT}"`));
    if (!watched || exported.length) throw new Error(`DOT watched by the breakers: ${watched}; exported: ${exported.join(', ')}`);
    log('DOT, settled, is still watched by the breakers and no longer exported');
    return 0;
  } finally {
    unwatch();
    await controlFeeds('mode?mode=normal').catch(() => {});
    await api.disconnect();
  }
}
