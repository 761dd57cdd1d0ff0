import { describe, expect, it } from 'vitest';
import { History, liquidationOf, marketSince, type ChainEvent } from './history';

const breaker = (market: number, from: string, to: string, reason: string): ChainEvent =>
  ({ section: 'circuitBreaker', method: 'MarketBreaker', fields: { market, from, to, reason } });
const aggregate = (market: number, price: string): ChainEvent =>
  ({ section: 'priceOracle', method: 'PriceAggregated', fields: { market, round: 1, price, reports: 1, spread: 0 } });

describe('history', () => {
  it('keeps the feed newest first, read back or live, in any order', () => {
    const history = new History();
    history.add(10, [breaker(0, 'ReduceOnly', 'Normal', 'Lifted')], false);
    history.add(1, [breaker(0, 'Normal', 'ReduceOnly', 'OracleStale'), breaker(1, 'Normal', 'ReduceOnly', 'OracleStale')], true);
    history.add(17, [{ section: 'perpetualMargin', method: 'Liquidated', fields: { who: '5Bob', market: 0, keeper: null, closed: 10_000_000, size_: 0, price: '610000000000000000000', realized: -600_033_501, penalty: 39_616_482, reward: 0, badDebt: 0 } }], false);
    expect(history.feed.map((item) => [item.block, item.kind])).toEqual([[17, 'Liquidated'], [10, 'MarketBreaker'], [1, 'MarketBreaker'], [1, 'MarketBreaker']]);
    expect(history.feed.slice(2).map((item) => item.fields.market)).toEqual([1, 0]);
    history.add(5, [breaker(2, 'Normal', 'ReduceOnly', 'OracleStale'), breaker(3, 'Normal', 'ReduceOnly', 'OracleStale')], true);
    expect(history.feed.map((item) => `${item.block}/${item.fields.market}`)).toEqual(['17/0', '10/0', '5/3', '5/2', '1/1', '1/0']);
    const liquidation = liquidationOf(history.feed[0]!.fields);
    expect(liquidation.size).toBe(0n);
    expect(liquidation.realized).toBe(-600_033_501n);
    expect(liquidation.keeper).toBeNull();
  });

  it('collects aggregates per market, once per block', () => {
    const history = new History();
    history.add(3, [aggregate(0, '67000000000000000000000')], false);
    history.addSamples(0, [[2, 66_000n], [3, 67_000n]]);
    expect(history.prices.get(0)).toEqual([[2, 66_000n], [3, 67_000_000_000_000_000_000_000n]]);
  });

  it('knows since when a breaker holds', () => {
    const history = new History();
    history.add(1, [breaker(0, 'Normal', 'ReduceOnly', 'OracleStale')], true);
    for (let n = 2; n <= 30; n++) history.add(n, [], n < 20);
    expect(marketSince(history, 0, 'ReduceOnly', null)).toEqual({ block: 1, how: 'event' });
    expect(marketSince(history, 1, 'Normal', null)).toEqual({ block: 0, how: 'genesis' });
    history.add(31, [breaker(0, 'ReduceOnly', 'Normal', 'Lifted')], false);
    expect(marketSince(history, 0, 'Normal', null)).toEqual({ block: 31, how: 'event' });

    const late = new History();
    late.add(500, [], true);
    expect(marketSince(late, 0, 'ReduceOnly', 480)).toEqual({ block: 480, how: 'storage' });
    expect(marketSince(late, 0, 'ReduceOnly', null)).toEqual({ block: 500, how: 'before' });
  });
});
