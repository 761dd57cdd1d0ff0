// Test 3: a trader's journey through @polkadot/api. Eve deposits into silo 0 and goes long
// 0.1 BTC with 1,000 USDB; the served price drops 13%; the protocol liquidates her in the block
// after the aggregate that queued her; the insurance fund and the pool move exactly as the
// engine's rules say (what the unit tests pin down).
import { BTC, connect, controlFeeds, ensureTrading, FIXED, keyring, log, oraclePrice, send, sendAll, USDB, USDB_ASSET, waitFor } from './common.mjs';

const SIZE = 10_000_000n; // 0.1 BTC in satoshi

export default async function trader({ wsUri }) {
  const api = await connect(wsUri);
  const [alice, charlie, eve] = ['//Alice', '//Charlie', '//Eve'].map((uri) => keyring.addFromUri(uri));
  const events = []; // [block number, event] of the margin engine and the oracle
  const unwatch = await api.rpc.chain.subscribeNewHeads(async (header) => {
    for (const { event } of await api.query.system.events.at(header.hash)) {
      if (['perpetualMargin', 'priceOracle'].includes(event.section)) events.push([header.number.toNumber(), event]);
    }
  });
  try {
    await controlFeeds('mode?mode=normal');
    await controlFeeds('set?market=BTC-USD&price=67000');
    await waitFor('BTC at 67000', async () => {
      const p = await oraclePrice(api, BTC);
      return p?.status === 'Fresh' && p.price === 67000 ? true : undefined;
    }, 120);
    await ensureTrading(api, BTC, alice);
    await send(api.tx.collateralSilos.addLiquidity(0, USDB_ASSET, 100_000n * USDB, 0), charlie);

    // Deposit and open: 0.1 BTC long on 1,000 USDB, accepting a fill up to $68,000: a unit
    // price (USDB units per satoshi) of 68,000 x 10^6 / 10^8 = 680.
    const limit = 680n * FIXED;
    await sendAll(api, [
      api.tx.collateralSilos.depositMargin(0, USDB_ASSET, 10_000n * USDB),
      api.tx.perpetualMargin.trade(BTC, SIZE, 1_000n * USDB, limit, false),
    ], eve);
    const position = (await api.query.perpetualMargin.positions(eve.address, BTC)).unwrap();
    const [health] = await api.call.perpetualMarginApi.accountHealth(eve.address);
    const liquidationPrice = Number(health.liquidationPrice.unwrap().toBigInt() / 10n ** 14n) / 1e4;
    log(`Eve long ${position.sizeUnits} sat, entry ${position.entry}, margin ${position.margin}; liquidation price ${liquidationPrice}`);
    const booksBefore = (await api.query.collateralSilos.silos(0)).unwrap().books;

    // The served price drops to 58,290 (13%): below her liquidation price, above bad debt.
    await controlFeeds('set?market=BTC-USD&price=58290');
    const liquidated = await waitFor('Eve liquidated', async () =>
      events.find(([, e]) => e.method === 'Liquidated' && e.data.who.toString() === eve.address), 120);
    const [liquidatedIn, liquidation] = liquidated;
    // The aggregate that made Eve liquidatable: the first block after which the engine lists
    // her as due (it must hold a BTC aggregate); she must go in the next.
    const isDue = async (n) => (await (await api.at(await api.rpc.chain.getBlockHash(n))).call.perpetualMarginApi.liquidatable(0, 1000))
      .some(([who]) => who.toString() === eve.address);
    let queuedIn = liquidatedIn - 1;
    while (queuedIn > 1 && (await isDue(queuedIn - 1))) queuedIn--;
    if (!(await isDue(queuedIn))) throw new Error(`Eve was never listed as due before block ${liquidatedIn}`);
    const aggregate = events.find(([n, e]) => n === queuedIn && e.method === 'PriceAggregated' && e.data.market.toNumber() === BTC);
    if (!aggregate) throw new Error(`no BTC aggregate in block ${queuedIn}, where Eve became due`);
    if (liquidatedIn !== queuedIn + 1) throw new Error(`due in ${queuedIn}, liquidated in ${liquidatedIn}`);
    if (!liquidation.data.keeper.isNone) throw new Error('expected the protocol, not a keeper');
    log(`aggregate ${aggregate[1].data.price.toBigInt() / FIXED} and due in block ${queuedIn}, liquidation in ${liquidatedIn}`);

    // The rules: closed value = closed size x unit price (the event's price: 58,290 x 0.01 USDB
    // units per satoshi); without a keeper the insurance fund gets 1% + 0.25% of it (each
    // rounded down); the pool gets the realized loss from the position's margin; no bad debt.
    const { closed, price, realized, penalty, reward, badDebt } = liquidation.data;
    const closedValue = (closed.toBigInt() * price.toBigInt()) / FIXED;
    const expectedPenalty = (closedValue * 10_000n) / 1_000_000n + (closedValue * 2_500n) / 1_000_000n;
    if (penalty.toBigInt() !== expectedPenalty || reward.toBigInt() !== 0n || badDebt.toBigInt() !== 0n) {
      throw new Error(`penalty ${penalty} reward ${reward} bad debt ${badDebt}; expected penalty ${expectedPenalty}`);
    }
    const booksAfter = (await api.query.collateralSilos.silos(0)).unwrap().books;
    const insuranceGain = booksAfter.insurance.toBigInt() - booksBefore.insurance.toBigInt();
    const poolGain = booksAfter.pool.toBigInt() - booksBefore.pool.toBigInt();
    if (insuranceGain !== expectedPenalty) throw new Error(`insurance moved ${insuranceGain}, expected ${expectedPenalty}`);
    if (poolGain !== -realized.toBigInt()) throw new Error(`pool moved ${poolGain}, expected ${-realized.toBigInt()}`);
    log(`closed ${closed} of ${SIZE} sat (value ${closedValue}): insurance +${insuranceGain}, pool +${poolGain}`);
    return 0;
  } finally {
    unwatch();
    await controlFeeds('set?market=BTC-USD&price=67000').catch(() => {});
    await api.disconnect();
  }
}
