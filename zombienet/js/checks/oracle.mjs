// Test 2: the validators' offchain workers bring the served prices on-chain; one source lying
// 10x changes nothing; all sources dead -> Stale -> breaker ReduceOnly; sources back -> Fresh ->
// Normal once the breaker's hysteresis has passed.
import { breaker, BTC, connect, controlFeeds, keyring, log, oraclePrice, send, waitFor } from './common.mjs';

const SERVED = [
  [0, 'BTC-USD', 67000],
  [1, 'ETH-USD', 3500],
  [2, 'DOT-USD', 7.5],
];

export default async function oracle({ wsUri }) {
  const api = await connect(wsUri);
  try {
    await controlFeeds('mode?mode=normal');
    for (const [, symbol, price] of SERVED) await controlFeeds(`set?market=${symbol}&price=${price}`);

    // 1. Every market's aggregate is the served price, Fresh.
    for (const [market, symbol, price] of SERVED) {
      const seen = await waitFor(`${symbol} at ${price}`, async () => {
        const p = await oraclePrice(api, market);
        return p && p.status === 'Fresh' && p.price === price ? p : undefined;
      }, 120);
      log(`${symbol}: ${seen.price} in round ${seen.round}`);
    }

    // 2. The second source says 10x for BTC: three more aggregates, every one at 67000.
    await controlFeeds('jump?market=BTC-USD&factor=10', [8102]);
    const start = (await oraclePrice(api, BTC)).round;
    const prices = new Set();
    await waitFor('3 aggregates with a liar', async () => {
      const p = await oraclePrice(api, BTC);
      prices.add(p.price);
      return p.round >= start + 3 ? true : undefined;
    }, 90);
    if (prices.size !== 1 || !prices.has(67000)) throw new Error(`a 10x liar moved BTC: ${[...prices]}`);
    log(`a 10x liar on one of three sources: BTC stayed at ${[...prices]}`);
    await controlFeeds('set?market=BTC-USD&price=67000', [8102]);

    // 3. An outage. The market starts Normal (lifted by sudo: a new chain starts ReduceOnly).
    await send(api.tx.sudo.sudo(api.tx.circuitBreaker.liftMarket(BTC)), keyring.addFromUri('//Alice'));
    await waitFor('BTC breaker Normal', async () => (await breaker(api, BTC)).status === 'Normal', 30);
    await controlFeeds('mode?mode=error');
    log('all sources answer 500');
    const stale = await waitFor('BTC Stale', async () => {
      const p = await oraclePrice(api, BTC);
      return p.status === 'Stale' ? p : undefined;
    }, 150);
    const reduceOnly = await waitFor('BTC ReduceOnly', async () => {
      const b = await breaker(api, BTC);
      return b.status === 'ReduceOnly' ? b : undefined;
    }, 30);
    log(`BTC Stale (last aggregate in block ${stale.updatedAt}); breaker ${reduceOnly.status}, ${reduceOnly.reason}`);
    if (reduceOnly.reason !== 'OracleStale') throw new Error(`unexpected breaker reason ${reduceOnly.reason}`);

    await controlFeeds('mode?mode=normal');
    log('sources back');
    await waitFor('BTC Fresh again', async () => (await oraclePrice(api, BTC)).status === 'Fresh', 90);
    const normal = await waitFor('BTC breaker Normal again', async () => {
      const b = await breaker(api, BTC);
      return b.status === 'Normal' ? b : undefined;
    }, 240);
    log(`BTC Fresh; breaker back to ${normal.status} (${normal.reason}) after the hysteresis`);
    return 0;
  } finally {
    await controlFeeds('mode?mode=normal').catch(() => {});
    await api.disconnect();
  }
}
