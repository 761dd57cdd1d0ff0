// Display of chain numbers: each shown value carries its exact chain integer in `data-raw` (and
// the exact decimal in its tooltip), so what is read can be checked against the chain.
import { escape, Html } from './dom';
import type { Collateral, Market } from './chain';
import {
  abs, formatAmount, formatFixed, formatPercent, formatPrice, formatScaled, fromUnitPrice, ONE, type Rounding,
} from './units';

/** A number for display, with its chain integer. */
export function num(display: string, raw: bigint | null, field?: string, exact?: string): Html {
  const attributes = [
    field ? ` data-field="${escape(field)}"` : '',
    ` data-raw="${raw === null ? 'none' : raw.toString()}"`,
    exact ? ` title="${escape(exact)}"` : '',
  ].join('');
  return new Html(`<span class="num"${attributes}>${escape(display)}</span>`);
}

/** Money in a silo's collateral: "639.616483 USDB". */
export function money(units: bigint, collateral: Collateral, field?: string): Html {
  return num(`${formatAmount(units, collateral.decimals)} ${collateral.symbol}`, units, field, `${units} units of ${collateral.symbol} (10^-${collateral.decimals})`);
}

/** A signed amount with its sign: "+12.50 USDB", "-600.033501 USDB". */
export function signedMoney(units: bigint, collateral: Collateral, field?: string): Html {
  const sign = units > 0n ? '+' : '';
  return num(`${sign}${formatAmount(units, collateral.decimals)} ${collateral.symbol}`, units, field, `${units} units`);
}

/** An oracle-terms price (FixedU128 USD per coin): "$62,478.19". */
export function usd(fixed: bigint | null, field?: string, rounding: Rounding = 'trunc'): Html {
  if (fixed === null) return num('—', null, field);
  const negative = fixed < 0n;
  return num(`${negative ? '-' : ''}$${formatPrice(abs(fixed), rounding)}`, fixed, field, `${formatFixed(fixed)} USD (FixedU128 ${fixed})`);
}

/** A unit price (collateral units per size unit) shown in USD per coin. */
export function unitPriceAsUsd(unit: bigint, market: Market | undefined, field?: string): Html {
  if (!market) return num(`${formatFixed(unit)} units per size unit`, unit, field);
  const price = fromUnitPrice(unit, market.valueScale);
  return num(`$${formatPrice(price)}`, unit, field, `unit price ${formatFixed(unit)} collateral units per size unit = ${formatFixed(price)} USD per ${market.base}`);
}

/** A size in coins: "0.1 BTC" (exact), raw size units in data-raw. */
export function coins(size: bigint, market: Market | undefined, field?: string): Html {
  if (!market || market.sizeDecimals === null) return num(`${size} units`, size, field);
  return num(`${formatScaled(size, market.sizeDecimals, { minDigits: 0 })} ${market.base}`, size, field, `${size} size units (10^-${market.sizeDecimals} ${market.base})`);
}

/** A FixedU128 fraction as a percentage: "5.00%". */
export function fixedPercent(fixed: bigint, digits = 2, field?: string): Html {
  return num(formatPercent(fixed, ONE, digits), fixed, field, formatFixed(fixed));
}

export function block(number: number | null): string {
  return number === null ? '—' : `#${number.toLocaleString('en-US')}`;
}

/** "5FHneW…94ty", or the dev name. */
export function who(address: string, names: Map<string, string>): string {
  return names.get(address) ?? `${address.slice(0, 6)}…${address.slice(-4)}`;
}
