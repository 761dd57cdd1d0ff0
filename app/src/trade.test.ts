import { describe, expect, it } from 'vitest';
import type { Collateral, Market } from './chain';
import { planClose, planTrade, suggestedLimit } from './trade';
import { ONE } from './units';

const USDB: Collateral = { asset: 1, symbol: 'USDB', decimals: 6 };
const btc = { id: 0, symbol: 'BTC-USD', base: 'BTC', silo: 0, valueScale: 10n ** 16n, sizeUnitsPerCoin: 10n ** 8n, sizeDecimals: 8, maxLeverage: 20n * ONE, oracle: { price: 67_000n * ONE } } as unknown as Market;

describe('a trade as the chain takes it', () => {
  it('0.1 BTC long on 643 USDB, at most $68,000', () => {
    const plan = planTrade(btc, USDB, 'long', '0.1', '643', '68,000');
    expect(plan.sizeDelta).toBe(10_000_000n);
    expect(plan.margin).toBe(643_000_000n);
    expect(plan.acceptablePrice).toBe(680n * ONE);
    expect(plan.notional).toBe(6_700_000_000n);
    expect(plan.lines[2]).toBe('highest fill accepted: $68,000.00 per BTC = unit price 680 USDB units per size unit (value_scale 0.01); sent as FixedU128 680000000000000000000');
    expect(plan.lines[3]).toBe('worth 6,700.00 USDB at the oracle price: 10.4x on this margin (up to 20x)');
  });

  it('a short sells: negative size, its limit rounded up', () => {
    const plan = planTrade(btc, USDB, 'short', '0.00010000', '10', '66000.000000000000000001');
    expect(plan.sizeDelta).toBe(-10_000n);
    expect(plan.acceptablePrice).toBe(660n * ONE + 1n);
  });

  it('refuses what it cannot send', () => {
    expect(() => planTrade(btc, USDB, 'long', '0.000000001', '1', '1')).toThrow(/at most 8/);
    expect(() => planTrade(btc, USDB, 'long', '0', '1', '1')).toThrow(/above zero/);
    expect(() => planTrade(btc, USDB, 'long', '1', '1', '0')).toThrow(/above zero/);
  });

  it('closing a long sells at no less than the limit', () => {
    const plan = planClose(btc, USDB, 10_000_000n, '60000');
    expect(plan.acceptablePrice).toBe(600n * ONE);
    expect(plan.lines[0]).toBe('closes 0.1 BTC (sells a long)');
  });

  it('suggests the oracle price 1% against the trader', () => {
    expect(suggestedLimit(btc, true)).toBe('67670.00');
    expect(suggestedLimit(btc, false)).toBe('66330.00');
  });
});
