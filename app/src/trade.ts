// What a trader types (coins, collateral, USD per coin) turned into what the chain's calls take
// (size units, collateral units, a unit price), exactly, with the numbers to show back.
import type { Collateral, Market } from './chain';
import { abs, formatAmount, FIXED_DECIMALS, formatFixed, formatPrice, formatScaled, parseDecimal, toUnitPrice, valueAt } from './units';

export type Side = 'long' | 'short';

export interface TradePlan {
  /** Size units: positive buys, negative sells. */
  sizeDelta: bigint;
  /** Collateral units locked for the position. */
  margin: bigint;
  /** USD per coin as typed (FixedU128)... */
  acceptableUsd: bigint;
  /** ...and the unit price sent (FixedU128, collateral units per size unit). */
  acceptablePrice: bigint;
  /** Collateral units the size is worth at the oracle price (if any). */
  notional: bigint | null;
  /** What to show the trader. */
  lines: string[];
}

/** The size unit's decimals (every dev market: 8); 0 when value_scale makes no whole number of units per coin. */
export const sizeDecimals = (market: Market): number => market.sizeDecimals ?? 0;

/** A buy limits the highest unit price (rounded down), a sell the lowest (rounded up): never worse than typed. */
export function acceptableUnitPrice(usdText: string, market: Market, buying: boolean): { usd: bigint; unit: bigint } {
  const usd = parseDecimal(usdText, FIXED_DECIMALS);
  if (usd <= 0n) throw new Error('the acceptable price must be above zero');
  return { usd, unit: toUnitPrice(usd, market.valueScale, buying ? 'floor' : 'ceil') };
}

function unitLine(market: Market, collateral: Collateral, usd: bigint, unit: bigint, buying: boolean): string {
  return `${buying ? 'highest' : 'lowest'} fill accepted: $${formatPrice(usd)} per ${market.base} = unit price ${formatFixed(unit)} ${collateral.symbol} units per size unit (value_scale ${formatFixed(market.valueScale)}); sent as FixedU128 ${unit}`;
}

export function planTrade(market: Market, collateral: Collateral, side: Side, sizeText: string, marginText: string, priceText: string): TradePlan {
  const decimals = sizeDecimals(market);
  const size = parseDecimal(sizeText, decimals);
  if (size <= 0n) throw new Error('the size must be above zero (choose long or short for the direction)');
  const margin = parseDecimal(marginText || '0', collateral.decimals);
  if (margin < 0n) throw new Error('the margin cannot be negative');
  const buying = side === 'long';
  const { usd, unit } = acceptableUnitPrice(priceText, market, buying);
  const sizeDelta = buying ? size : -size;
  const oracleUnit = market.oracle ? toUnitPrice(market.oracle.price, market.valueScale, 'floor') : null;
  const notional = oracleUnit === null ? null : valueAt(size, oracleUnit);
  const lines = [
    `size ${formatScaled(size, decimals, { minDigits: 0 })} ${market.base} = ${sizeDelta} size units (1 unit = 10^-${decimals} ${market.base})`,
    `margin ${formatAmount(margin, collateral.decimals)} ${collateral.symbol} = ${margin} units`,
    unitLine(market, collateral, usd, unit, buying),
  ];
  if (notional !== null && notional > 0n) {
    const leverage = margin > 0n ? `${formatScaled((notional * 100n) / margin, 2, { digits: 1 })}x on this margin` : 'no new margin';
    lines.push(`worth ${formatAmount(notional, collateral.decimals)} ${collateral.symbol} at the oracle price: ${leverage} (up to ${formatScaled(market.maxLeverage, FIXED_DECIMALS, { minDigits: 0 })}x)`);
  }
  return { sizeDelta, margin, acceptableUsd: usd, acceptablePrice: unit, notional, lines };
}

export interface ClosePlan {
  acceptableUsd: bigint;
  acceptablePrice: bigint;
  lines: string[];
}

/** Closing a long sells (its limit is the lowest price), closing a short buys. */
export function planClose(market: Market, collateral: Collateral, positionSize: bigint, priceText: string): ClosePlan {
  if (positionSize === 0n) throw new Error(`no open position in ${market.symbol}`);
  const buying = positionSize < 0n;
  const { usd, unit } = acceptableUnitPrice(priceText, market, buying);
  return {
    acceptableUsd: usd,
    acceptablePrice: unit,
    lines: [
      `closes ${formatScaled(abs(positionSize), sizeDecimals(market), { minDigits: 0 })} ${market.base} (${buying ? 'buys back a short' : 'sells a long'})`,
      unitLine(market, collateral, usd, unit, buying),
    ],
  };
}

/** A suggested limit: the oracle price moved `percent` against the trader (buy: up, sell: down), in USD with cents. */
export function suggestedLimit(market: Market, buying: boolean, percent = 1n): string | null {
  if (!market.oracle) return null;
  const price = market.oracle.price;
  const moved = buying ? (price * (100n + percent)) / 100n : (price * (100n - percent)) / 100n;
  return formatPrice(moved, buying ? 'floor' : 'ceil').replace(/,/g, '');
}
