import { describe, expect, it } from 'vitest';
import {
  coverage, decimalsOf, divRound, entryPrice, formatAmount, formatFixed, formatPercent, formatPrice, formatScaled,
  fromUnitPrice, isqrt, ONE, parseDecimal, PERBILL, sizeUnitsPerCoin, toUnitPrice, valueAt, volatility,
} from './units';

// The dev chains' markets: value_scale = 10^6 USDB units / 10^8 size units = 0.01.
const VALUE_SCALE = 10n ** 16n;

describe('unit prices', () => {
  it('67,000 USD per BTC is 670 USDB units per satoshi', () => {
    const usd = parseDecimal('67,000', 18);
    expect(usd).toBe(67_000n * ONE);
    expect(toUnitPrice(usd, VALUE_SCALE, 'floor')).toBe(670_000_000_000_000_000_000n);
    expect(formatFixed(toUnitPrice(usd, VALUE_SCALE, 'floor'))).toBe('670');
  });

  it('ETH 3,500.25 and DOT 7.5 convert exactly', () => {
    expect(toUnitPrice(parseDecimal('3500.25', 18), VALUE_SCALE, 'floor')).toBe(35_002_500_000_000_000_000n);
    expect(formatFixed(toUnitPrice(parseDecimal('7.5', 18), VALUE_SCALE, 'floor'))).toBe('0.075');
  });

  it('rounds a buy limit down and a sell limit up, only below 10^-18', () => {
    const usd = 1n; // 10^-18 USD
    expect(toUnitPrice(usd, VALUE_SCALE, 'floor')).toBe(0n);
    expect(toUnitPrice(usd, VALUE_SCALE, 'ceil')).toBe(1n);
  });

  it('converts fill prices back to USD per coin', () => {
    expect(fromUnitPrice(670_003_350_000_000_000_000n, VALUE_SCALE)).toBe(67_000_335_000_000_000_000_000n);
    expect(formatPrice(fromUnitPrice(610n * ONE, VALUE_SCALE))).toBe('61,000.00');
  });

  it('derives the size unit from value_scale and the collateral decimals', () => {
    const perCoin = sizeUnitsPerCoin(VALUE_SCALE, 6);
    expect(perCoin).toBe(100_000_000n);
    expect(decimalsOf(perCoin!)).toBe(8);
    expect(sizeUnitsPerCoin(3n, 6)).toBeNull();
    expect(decimalsOf(120n)).toBeNull();
    expect(parseDecimal('0.1', 8)).toBe(10_000_000n);
  });
});

describe('a position as account_health reports it (0.1 BTC long on ~640 USDB)', () => {
  // Numbers from a dev node: trade(0, 10_000_000, 643 USDB, limit 680 units, false) at 67,000.
  const size = 10_000_000n;
  const entry = 6_700_033_500n;
  const equity = 639_616_483n;
  const maintenance = 201_000_000n;
  const liquidationPrice = 62_478_180_587_628_865_979_400n;

  it('entry price', () => {
    expect(entryPrice(entry, size, VALUE_SCALE)).toBe(67_000_335_000_000_000_000_000n);
    expect(formatPrice(entryPrice(entry, -size, VALUE_SCALE)!)).toBe('67,000.33');
  });

  it('liquidation price, rounded toward the liquidation for display', () => {
    expect(formatPrice(liquidationPrice, 'ceil')).toBe('62,478.19');
    expect(formatPrice(liquidationPrice, 'floor')).toBe('62,478.18');
    expect(formatFixed(liquidationPrice)).toBe('62478.1805876288659794');
  });

  it('health: equity over the maintenance requirement', () => {
    expect(coverage(equity, maintenance)).toBe(3_182_171_557_213_930_348n);
    expect(formatScaled(coverage(equity, maintenance)!, 18, { digits: 2, rounding: 'floor' })).toBe('3.18');
    expect(coverage(-1n, 3n)).toBe(-333_333_333_333_333_334n);
    expect(coverage(1n, 0n)).toBeNull();
  });

  it('money keeps every decimal', () => {
    expect(formatAmount(equity, 6)).toBe('639.616483');
    expect(formatAmount(-600_033_501n, 6)).toBe('-600.033501');
    expect(formatAmount(1_000_000_000n, 6)).toBe('1,000.00');
    expect(formatAmount(0n, 6)).toBe('0.00');
  });

  it('value at a unit price', () => {
    expect(valueAt(-size, 670n * ONE)).toBe(6_700_000_000n);
  });
});

describe('parsing and formatting', () => {
  it('refuses what it cannot represent', () => {
    expect(() => parseDecimal('0.123456789', 8)).toThrow(/at most 8/);
    expect(() => parseDecimal('abc', 6)).toThrow(/not a number/);
    expect(() => parseDecimal('.', 6)).toThrow(/not a number/);
    expect(parseDecimal('-2.5', 6)).toBe(-2_500_000n);
    expect(parseDecimal('.5', 6)).toBe(500_000n);
    expect(parseDecimal('1_000 ', 0)).toBe(1000n);
  });

  it('rounds as asked', () => {
    expect(divRound(-7n, 2n, 'floor')).toBe(-4n);
    expect(divRound(-7n, 2n, 'ceil')).toBe(-3n);
    expect(divRound(-7n, 2n, 'trunc')).toBe(-3n);
    expect(divRound(7n, -2n, 'floor')).toBe(-4n);
    expect(formatScaled(1_999n, 3, { digits: 2, rounding: 'ceil' })).toBe('2.00');
    expect(formatScaled(-5n, 3, { digits: 2 })).toBe('0.00');
    expect(formatScaled(123_456_789n, 0)).toBe('123,456,789');
  });

  it('prices: cents from 100 up, then 4 and 8 digits', () => {
    expect(formatPrice(7_500_000_000_000_000_000n)).toBe('7.5000');
    expect(formatPrice(10_165_000_000_000_000n)).toBe('0.01016500');
  });

  it('percentages of Perbill, Permill and FixedU128', () => {
    expect(formatPercent(10_000_000n, PERBILL)).toBe('1.00%');
    expect(formatPercent(500n, 1_000_000n, 3)).toBe('0.050%');
    expect(formatPercent(ONE / 20n, ONE)).toBe('5.00%');
  });

  it('volatility is the exact square root of the variance', () => {
    expect(isqrt(0n)).toBe(0n);
    expect(isqrt(99n)).toBe(9n);
    expect(isqrt(10n ** 40n)).toBe(10n ** 20n);
    // variance 0.0001 per block -> volatility 0.01 (1%) per block
    expect(volatility(10n ** 14n)).toBe(10n ** 16n);
    expect(volatility(2n * ONE)).toBe(1_414_213_562_373_095_048n);
  });
});
