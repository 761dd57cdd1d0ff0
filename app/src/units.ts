// Every conversion between the chain's integers and what a trader reads or types, in exact
// bigint arithmetic (floats never touch a chain value).
//
// The chain's units (README, "Perpetual margin engine"; pallets/perpetual-margin/src/types.rs):
// - money: the silo's collateral asset in its smallest unit (USDB: 6 decimals);
// - size: the market's size unit (every dev market: 10^-8 of the base asset, a satoshi for BTC);
// - oracle prices (`priceOracle.prices`, `liquidationPrice` of `accountHealth`, the price
//   guard): FixedU128 (18 decimals) in quote per base coin: USD per BTC;
// - unit prices (a trade's `acceptablePrice`, `PositionChanged.fillPrice`, `Liquidated.price`):
//   FixedU128 in collateral units per size unit: oracle price x the market's `valueScale`
//   (BTC: 67,000 USD x 0.01 = 670 USDB units per satoshi);
// - fractions: FixedU128 (margins), Permill (fees), Perbill (spreads).

/** FixedU128 / FixedI128: 18 decimals. */
export const FIXED_DECIMALS = 18;
export const ONE = 10n ** 18n;
export const PERMILL = 1_000_000n;
export const PERBILL = 1_000_000_000n;

export type Rounding = 'floor' | 'ceil' | 'trunc';

export const pow10 = (n: number): bigint => 10n ** BigInt(n);
export const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** `n / d` rounded as asked (floor: toward -inf, ceil: toward +inf, trunc: toward zero). */
export function divRound(n: bigint, d: bigint, rounding: Rounding): bigint {
  if (d === 0n) throw new RangeError('division by zero');
  if (d < 0n) return divRound(-n, -d, rounding);
  const q = n / d; // truncates toward zero
  const r = n % d;
  if (r === 0n || rounding === 'trunc') return q;
  if (rounding === 'floor') return n < 0n ? q - 1n : q;
  return n > 0n ? q + 1n : q;
}

/**
 * Parses a decimal the trader typed ("67,000", "0.1", "-2.5", "1_000") into an integer scaled
 * by 10^decimals. Thousands separators (`,` `_` and spaces) are ignored; more fraction digits
 * than `decimals` are refused, never rounded away.
 */
export function parseDecimal(text: string, decimals: number): bigint {
  const cleaned = text.trim().replace(/[,_\s]/g, '');
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(cleaned);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new Error(`not a number: "${text}"`);
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > decimals) throw new Error(`"${text}": at most ${decimals} decimal places`);
  const value = BigInt(whole || '0') * pow10(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  return sign === '-' ? -value : value;
}

export interface FormatOptions {
  /** Fraction digits shown (default: all `decimals`). */
  digits?: number;
  /** Fewest fraction digits kept when trailing zeros are trimmed (default: `digits`, no trim). */
  minDigits?: number;
  rounding?: Rounding;
  /** Thousands separators (default on). */
  group?: boolean;
}

/** `value / 10^decimals` as a decimal string, exactly (or rounded to `digits` as asked). */
export function formatScaled(value: bigint, decimals: number, options: FormatOptions = {}): string {
  const digits = options.digits ?? decimals;
  const minDigits = Math.min(options.minDigits ?? digits, digits);
  const scaled = digits >= decimals
    ? value * pow10(digits - decimals)
    : divRound(value, pow10(decimals - digits), options.rounding ?? 'trunc');
  const negative = scaled < 0n;
  const text = abs(scaled).toString().padStart(digits + 1, '0');
  let whole = text.slice(0, text.length - digits);
  let fraction = text.slice(text.length - digits);
  while (fraction.length > minDigits && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  if (options.group ?? true) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** A money amount in its asset's units: every decimal kept, at least two shown ("1,000.00", "639.649983"). */
export function formatAmount(units: bigint, decimals: number): string {
  return formatScaled(units, decimals, { minDigits: Math.min(2, decimals) });
}

/** Fraction digits a price is shown with: cents from 100 up, then 4, then 8. */
export function priceDigits(fixed: bigint): number {
  const magnitude = abs(fixed);
  if (magnitude >= 100n * ONE) return 2;
  if (magnitude >= ONE) return 4;
  return 8;
}

/** An oracle-terms price (FixedU128, quote per coin) for display, e.g. "62,478.19". */
export function formatPrice(fixed: bigint, rounding: Rounding = 'trunc'): string {
  return formatScaled(fixed, FIXED_DECIMALS, { digits: priceDigits(fixed), rounding });
}

/** A FixedU128/FixedI128 with all 18 decimals, trailing zeros trimmed, no separators ("670", "0.01"). */
export function formatFixed(fixed: bigint): string {
  return formatScaled(fixed, FIXED_DECIMALS, { minDigits: 0, group: false });
}

/**
 * The unit price the chain wants (FixedU128, collateral units per size unit) for a price in
 * USD per coin (FixedU128): `usd x valueScale`. A buy's limit is best rounded down, a sell's
 * up: never a worse fill than the trader typed.
 */
export function toUnitPrice(usdPerCoin: bigint, valueScale: bigint, rounding: Rounding): bigint {
  return divRound(usdPerCoin * valueScale, ONE, rounding);
}

/** Back from a unit price (fill prices in events) to USD per coin: `unit / valueScale`. */
export function fromUnitPrice(unitPrice: bigint, valueScale: bigint, rounding: Rounding = 'trunc'): bigint {
  return divRound(unitPrice * ONE, valueScale, rounding);
}

/**
 * Size units in one coin, from the market's `valueScale` and the collateral's decimals: a
 * coin at a price of one USD is worth one USD = 10^decimals collateral units, so
 * `10^decimals / valueScale` (BTC: 10^6 / 0.01 = 10^8). `null` if that is not a whole number.
 */
export function sizeUnitsPerCoin(valueScale: bigint, collateralDecimals: number): bigint | null {
  if (valueScale <= 0n) return null;
  const numerator = pow10(collateralDecimals) * ONE;
  return numerator % valueScale === 0n ? numerator / valueScale : null;
}

/** log10 of a power of ten (10^8 -> 8); `null` for anything else. */
export function decimalsOf(powerOfTen: bigint): number | null {
  let n = powerOfTen;
  let decimals = 0;
  while (n > 1n && n % 10n === 0n) {
    n /= 10n;
    decimals++;
  }
  return n === 1n ? decimals : null;
}

/** A position's average entry price in USD per coin (FixedU128, rounded down): entry / |size| / valueScale. */
export function entryPrice(entry: bigint, size: bigint, valueScale: bigint): bigint | null {
  if (size === 0n || valueScale === 0n) return null;
  return divRound(entry * ONE * ONE, abs(size) * valueScale, 'floor');
}

/** What `size` units are worth at a unit price, in collateral units (rounded down). */
export function valueAt(size: bigint, unitPrice: bigint): bigint {
  return divRound(abs(size) * unitPrice, ONE, 'floor');
}

/**
 * A position's health as one number: equity over its maintenance requirement (FixedI128,
 * rounded down). Below 1 it is liquidatable, below 0 it is bad debt. `null` without a
 * requirement.
 */
export function coverage(equity: bigint, maintenance: bigint): bigint | null {
  if (maintenance <= 0n) return null;
  return divRound(equity * ONE, maintenance, 'floor');
}

/** Integer square root (floor). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('square root of a negative number');
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton from the float estimate, then settle on the floor.
  for (;;) {
    const y = (x + n / x) / 2n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** The oracle's volatility per block: the square root of its variance (both FixedU128), rounded down. */
export function volatility(variance: bigint): bigint {
  return isqrt(variance * ONE);
}

/** A fraction scaled by `denominator` (Perbill, Permill, FixedU128's ONE) as a percentage string. */
export function formatPercent(parts: bigint, denominator: bigint, digits = 2): string {
  return `${formatScaled(divRound(parts * 100n * pow10(digits), denominator, 'trunc'), digits, { digits })}%`;
}
