// Test 6: two of the four validators stopped (paused by zombienet), then back.
//   "down,<blocks>": on a live node, with two validators frozen: the chain still grows (the two
//       live validators author their own Aura slots, every other slot is empty), GRANDPA's
//       finalized head stays where it was (2 of 4 votes are under its 2/3), and no round
//       reaches the oracle's quorum (3 of 4 feeders). Once BTC has gone Stale, the two live
//       feeders' timed-out rounds close Degraded: BTC gets a new price from 2 reports, every
//       aggregate while they are down is a DegradedRound of 2 reports (quorum 3), the breaker
//       holds BTC ReduceOnly for the reason OracleDegraded and halts no market. Liquidations
//       act on such a price (not Halted, at most 30 blocks old): the runtime test
//       `with_two_of_four_feeders_a_degraded_price_keeps_liquidations_going` shows one.
//   "up,<blocks>": with the two back, finality catches up to where the best head was and
//       goes on, and the oracle aggregates again with a full quorum (a new BTC round, Fresh).
import { BTC, best, breaker, connect, finalized, log, oraclePrice, waitFor } from './common.mjs';

export default async function twoDown({ node, wsUri, args }) {
  const [phase, blocks = 4] = [args[0], Number(args[1] ?? 4)];
  const api = await connect(wsUri);
  try {
    if (phase === 'down') {
      const [startBest, startFinal] = [await best(api), await finalized(api)];
      const startPrice = await oraclePrice(api, BTC);
      // Per block hash, so that a block seen twice (a re-org) counts once.
      const aggregates = new Map();
      const degraded = new Map();
      let abandoned = 0;
      const halted = [];
      let counting = false;
      // The first block counted: the flag alone would let in a block whose events were still
      // being read when it was set (one of the grace blocks, with reports from before the stop).
      let from;
      const unsubscribe = await api.rpc.chain.subscribeNewHeads(async (header) => {
        const hash = header.hash.toHex();
        const number = header.number.toNumber();
        const events = await (await api.at(header.hash)).query.system.events();
        for (const { event } of events) {
          if (!counting || number <= from) continue;
          if (event.section === 'circuitBreaker' && event.method === 'MarketBreaker' && event.data.to.toString() === 'Halted') {
            halted.push(`market ${event.data.market} (${event.data.reason})`);
          }
          if (event.section !== 'priceOracle' || event.data.market?.toNumber() !== BTC) continue;
          if (event.method === 'PriceAggregated') aggregates.set(hash, event.data.reports.toNumber());
          if (event.method === 'DegradedRound') {
            degraded.set(hash, [event.data.reports.toNumber(), event.data.quorum.toNumber()]);
          }
          if (event.method === 'RoundAbandoned') abandoned++;
        }
      });
      let price;
      let finalAtFrom;
      try {
        // Reports made before the two stopped may still close a full round in the first blocks.
        await waitFor(`2 more blocks on ${node}`, async () => (await best(api)) >= startBest + 2, 120);
        from = await best(api);
        counting = true;
        finalAtFrom = await finalized(api);
        await waitFor(`${blocks} more blocks`, async () => (await best(api)) >= from + blocks, 30 * blocks);
        // Stale after 10 blocks without a full quorum, then a round of the two times out (5).
        price = await waitFor('a Degraded BTC aggregate', async () => {
          const p = await oraclePrice(api, BTC);
          return p.status === 'Degraded' && p.round > startPrice.round ? p : undefined;
        }, 330);
        // Its block's events are read by the subscription: wait until they are counted.
        await waitFor('the DegradedRound event', async () => (degraded.size > 0 ? true : undefined), 30);
      } finally {
        counting = false;
        unsubscribe();
      }
      const [endBest, endFinal] = [await best(api), await finalized(api)];
      const { status, reason } = await breaker(api, BTC);
      log(`two validators down: best ${startBest} -> ${endBest}, finalized ${startFinal} -> ${endFinal}; ` +
        `BTC round ${startPrice.round} -> ${price.round}: ${price.price} (${price.status}, updated at ${price.updatedAt}); ` +
        `from block ${from}: ${aggregates.size} aggregates, ${degraded.size} degraded ` +
        `(${[...degraded.values()].map(([r, q]) => `${r} of quorum ${q}`).join(', ')}), ${abandoned} rounds abandoned; ` +
        `breaker ${status} (${reason})`);
      // Votes sent before the stop may still finalize a little in the grace blocks; from their
      // end on, two of four cannot.
      if (endFinal > finalAtFrom + 2) throw new Error(`finality went on with two of four validators down: ${finalAtFrom} (block ${from}) -> ${endFinal}`);
      for (const [hash, reports] of aggregates) {
        const round = degraded.get(hash);
        if (!round) throw new Error(`a full-quorum aggregate (${reports} reports) from two of four feeders in ${hash}`);
        if (round[0] !== 2 || round[1] !== 3) throw new Error(`a degraded round of ${round[0]} reports, quorum ${round[1]}`);
      }
      if (status !== 'ReduceOnly' || reason !== 'OracleDegraded') {
        throw new Error(`BTC's breaker is ${status} (${reason}) on a Degraded price, not ReduceOnly (OracleDegraded)`);
      }
      if (halted.length) throw new Error(`halted while two were down: ${halted.join(', ')}`);
      return 0;
    }
    if (phase === 'up') {
      const [startBest, startFinal] = [await best(api), await finalized(api)];
      const startRound = (await oraclePrice(api, BTC)).round;
      await waitFor(`finality past ${startBest}`, async () => (await finalized(api)) >= startBest + blocks, 60 + 30 * blocks);
      // A Degraded market's rounds close Degraded unless three reports land in one block: give
      // the first full-quorum round many tries on a loaded machine.
      const price = await waitFor('a new Fresh BTC aggregate', async () => {
        const p = await oraclePrice(api, BTC);
        return p.round > startRound && p.status === 'Fresh' ? p : undefined;
      }, 150);
      log(`both back: finalized ${startFinal} -> ${await finalized(api)} (best was ${startBest}); BTC ${price.price} in round ${price.round}, Fresh`);
      return 0;
    }
    throw new Error(`unknown phase ${phase}`);
  } finally {
    await api.disconnect();
  }
}
