import { describe, expect, it } from 'vitest';
import { big, optBig, sizeOf, textOf } from './fields';

describe('fields', () => {
  it('reads integers exactly', () => {
    expect(big(10_000_000)).toBe(10_000_000n);
    expect(big('62478180587628865979400')).toBe(62_478_180_587_628_865_979_400n);
    expect(big('-600033501')).toBe(-600_033_501n);
    expect(big('0x24521e2a3017b80000')).toBe(670n * 10n ** 18n);
    expect(big('1,000')).toBe(1000n);
    expect(optBig(null)).toBeNull();
    expect(() => big(2 ** 60)).toThrow(/exact/);
    expect(() => big('1.5')).toThrow(/integer/);
  });

  it('finds the size under any of its names, never the Map size', () => {
    expect(sizeOf({ size_: 10_000_000, entry: 1 })).toBe(10_000_000n);
    expect(sizeOf({ sizeUnits: '-5' })).toBe(-5n);
    expect(sizeOf({ size: 3 })).toBe(3n);
    expect(() => sizeOf({ entry: 1 })).toThrow(/sizeUnits, size_, size/);
  });

  it('reads enums', () => {
    expect(textOf('ReduceOnly')).toBe('ReduceOnly');
    expect(textOf({ closingLosers: { long: true } })).toBe('closingLosers');
    expect(textOf(null)).toBeNull();
  });
});
