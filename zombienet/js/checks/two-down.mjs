// Test 6: two of the four validators stopped (paused by zombienet), then back.
//   "down,<blocks>": on a live node, with two validators frozen: the chain still grows by
//       `blocks` (the two live validators author their own Aura slots, every other slot is
//       empty), GRANDPA's finalized head stays where it was (2 of 4 votes are under its 2/3),
//       and the oracle makes no aggregate: its quorum is 3 of the 4 feeders, and two cannot set
//       a price (rounds that time out are abandoned; the count is logged).
//   "up,<blocks>": with the two back, finality catches up to where the best head was and
//       goes on, and the oracle aggregates again (a new BTC round, Fresh).
import { BTC, best, connect, finalized, log, oraclePrice, waitFor } from './common.mjs';

export default async function twoDown({ node, wsUri, args }) {
  const [phase, blocks = 4] = [args[0], Number(args[1] ?? 4)];
  const api = await connect(wsUri);
  try {
    if (phase === 'down') {
      const [startBest, startFinal] = [await best(api), await finalized(api)];
      const startPrice = await oraclePrice(api, BTC);
      const seen = { aggregated: 0, abandoned: 0 };
      const unsubscribe = await api.query.system.events((events) => {
        for (const { event } of events) {
          if (event.section === 'priceOracle' && event.method === 'PriceAggregated') seen.aggregated++;
          if (event.section === 'priceOracle' && event.method === 'RoundAbandoned') seen.abandoned++;
        }
      });
      let from;
      try {
        // Reports made before the two stopped may still close a round in the first blocks.
        await waitFor(`2 more blocks on ${node}`, async () => (await best(api)) >= startBest + 2, 120);
        seen.aggregated = 0;
        from = await best(api);
        await waitFor(`${blocks} more blocks`, async () => (await best(api)) >= from + blocks, 30 * blocks);
      } finally {
        unsubscribe();
      }
      const [endBest, endFinal] = [await best(api), await finalized(api)];
      const price = await oraclePrice(api, BTC);
      log(`two validators down: best ${startBest} -> ${endBest}, finalized ${startFinal} -> ${endFinal}; ` +
        `BTC round ${startPrice.round} -> ${price.round} (${price.status}, updated at ${price.updatedAt}); ` +
        `in the last ${endBest - from} blocks ${seen.aggregated} aggregates, ${seen.abandoned} rounds abandoned`);
      if (endFinal > startFinal + 2) throw new Error(`finality went on with two of four validators down: ${startFinal} -> ${endFinal}`);
      if (seen.aggregated !== 0) throw new Error(`${seen.aggregated} aggregates from two of four feeders`);
      return 0;
    }
    if (phase === 'up') {
      const [startBest, startFinal] = [await best(api), await finalized(api)];
      const startRound = (await oraclePrice(api, BTC)).round;
      await waitFor(`finality past ${startBest}`, async () => (await finalized(api)) >= startBest + blocks, 60 + 30 * blocks);
      const price = await waitFor('a new Fresh BTC aggregate', async () => {
        const p = await oraclePrice(api, BTC);
        return p.round > startRound && p.status === 'Fresh' ? p : undefined;
      }, 90);
      log(`both back: finalized ${startFinal} -> ${await finalized(api)} (best was ${startBest}); BTC ${price.price} in round ${price.round}, Fresh`);
      return 0;
    }
    throw new Error(`unknown phase ${phase}`);
  } finally {
    await api.disconnect();
  }
}
