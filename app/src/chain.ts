// What the page shows, read at one block: markets (oracle, breakers, parameters, open
// interest), silos (books, breakers, stress tests) and one account (wallet, margin per silo,
// positions from `accountHealth`). Every number is the chain's integer; units.ts converts.
import type { ApiPromise } from '@polkadot/api';
import type { Codec } from '@polkadot/types/types';
import { reads } from './bindings';
import { big, boolOf, fieldsOf, listOf, optBig, optional, sizeOf, textOf, type Fields } from './fields';
import { decimalsOf, ONE, sizeUnitsPerCoin } from './units';

export interface OraclePrice {
  /** USD per coin, FixedU128. */
  price: bigint;
  twap: bigint;
  /** EWMA variance per block of relative changes, FixedU128. */
  variance: bigint;
  /** The round's spread, Perbill. */
  spread: bigint;
  reports: number;
  round: number;
  updatedAt: number;
  timestamp: number;
  status: string;
}

export interface PriceGuard {
  reference: bigint;
  last: bigint;
  pending: bigint | null;
  long: bigint;
  short: bigint;
  anchor: bigint | null;
  held: number;
}

/** `CircuitBreakerApi::market_statuses` for one market. */
export interface MarketReport {
  status: string;
  automatic: string;
  manual: string;
  emergency: boolean;
  reason: string | null;
  flagged: boolean;
  guard: PriceGuard | null;
}

/** `circuitBreaker.markets(m)`: when the conditions started. */
export interface BreakerState {
  staleSince: number | null;
  bandUntil: number | null;
  clearSince: number | null;
  /** The band window's aggregates: [block, price]. */
  samples: Array<[number, bigint]>;
}

export interface Market {
  id: number;
  symbol: string;
  /** The base coin ("BTC" of "BTC-USD"). */
  base: string;
  silo: number;
  /** Collateral units per size unit per unit of oracle price, FixedU128. */
  valueScale: bigint;
  /** Size units in one coin (10^8), when value_scale makes it whole. */
  sizeUnitsPerCoin: bigint | null;
  sizeDecimals: number | null;
  maxLeverage: bigint;
  initialMargin: bigint;
  maintenanceMargin: bigint;
  minSize: bigint;
  minPositionValue: bigint;
  maxPositionSize: bigint;
  maxLongSize: bigint;
  maxShortSize: bigint;
  maxOpenInterestToPool: bigint;
  /** Permill. */
  tradingFee: bigint;
  longSize: bigint;
  shortSize: bigint;
  /** Per block, FixedI128 (positive: longs pay), as of block `accrualAt`. */
  fundingRate: bigint;
  volatilityMargin: bigint;
  accrualAt: number;
  oracle: OraclePrice | null;
  report: MarketReport | null;
  breaker: BreakerState | null;
  sources: number;
  minSources: number;
  /** Perbill. */
  maxSourceDeviation: bigint;
}

export interface Collateral {
  asset: number;
  symbol: string;
  decimals: number;
}

export interface Stress {
  /** FixedI128 (-0.1 = prices 10% lower). */
  shock: bigint;
  badDebt: bigint;
  liquidatable: number;
  traderPnl: bigint;
  insurance: bigint;
  pool: bigint;
  uncovered: bigint;
}

export interface Silo {
  id: number;
  collateral: Collateral;
  pool: bigint;
  insurance: bigint;
  insuranceTarget: bigint;
  claims: bigint;
  heldProfit: bigint;
  traderFree: bigint;
  traderLocked: bigint;
  queued: bigint;
  /** Permill: the adverse move the pool's reserve covers. */
  reserveMove: bigint;
  /** The pool held less than its claims and reserve at the end of the last block. */
  reserveShort: boolean;
  withdrawals: string | null;
  acceptsNewRisk: boolean | null;
  reason: string | null;
  /** Permill of the pool per window while rate-limited, and the window in blocks. */
  withdrawalLimit: bigint;
  withdrawalWindow: number;
  stress: Stress[];
}

/** One entry of `PerpetualMarginApi::account_health`, exactly. */
export interface Position {
  market: number;
  silo: number;
  size: bigint;
  entry: bigint;
  margin: bigint;
  equity: bigint;
  pnl: bigint;
  fundingOwed: bigint;
  initialRequirement: bigint;
  maintenanceRequirement: bigint;
  /** USD per coin, FixedU128; `null` if no price liquidates it. */
  liquidationPrice: bigint | null;
  liquidatable: boolean;
}

export interface Account {
  address: string;
  /** The native token (fees). */
  native: bigint;
  /** Wallet balance per collateral asset. */
  wallet: Map<number, bigint>;
  margins: Array<{ silo: number; free: bigint; locked: bigint }>;
  positions: Position[];
}

export interface Params {
  staleAfter: number;
  haltAfterStale: number;
  recoveryBlocks: number;
  bandCooldown: number;
  liquidationMaxPriceAge: number;
}

export interface Snapshot {
  number: number;
  hash: string;
  markets: Market[];
  silos: Silo[];
  emergency: boolean;
  feeders: number;
  params: Params;
  account: Account | null;
}

/** The stress test's shocks: prices 10%, 20% and 30% lower. */
export const SHOCKS: readonly bigint[] = [-ONE / 10n, -ONE / 5n, (-ONE * 3n) / 10n];

const num = (value: unknown): number => Number(big(value));
const optNum = (value: unknown): number | null => (value === null || value === undefined ? null : num(value));
/** An Option's fields, `null` for None. */
const optFields = (codec: Codec | undefined): Fields | null => {
  const value = codec ? optional(codec) : null;
  return value ? fieldsOf(value) : null;
};
/** A stored struct's fields (entries of an OptionQuery map are Options). */
const stored = (codec: Codec): Fields => optFields(codec) ?? {};

function readOracle(f: Fields): OraclePrice {
  return {
    price: big(f.price),
    twap: big(f.twap),
    variance: big(f.variance),
    spread: big(f.spread),
    reports: num(f.reports),
    round: num(f.round),
    updatedAt: num(f.updatedAt),
    timestamp: num(f.timestamp),
    status: textOf(f.status) ?? '?',
  };
}

function readGuard(value: unknown): PriceGuard | null {
  if (value === null || value === undefined) return null;
  const g = value as Fields;
  return {
    reference: big(g.reference),
    last: big(g.last),
    pending: optBig(g.pending),
    long: big(g.long),
    short: big(g.short),
    anchor: optBig(g.anchor),
    held: num(g.held),
  };
}

function readReport(f: Fields): MarketReport {
  return {
    status: textOf(f.status) ?? '?',
    automatic: textOf(f.automatic) ?? '?',
    manual: textOf(f.manual) ?? '?',
    emergency: boolOf(f.emergency),
    reason: textOf(f.reason),
    flagged: boolOf(f.flagged),
    guard: readGuard(f.guard),
  };
}

function readBreaker(f: Fields): BreakerState {
  const samples = Array.isArray(f.samples) ? (f.samples as unknown[][]) : [];
  return {
    staleSince: optNum(f.staleSince),
    bandUntil: optNum(f.bandUntil),
    clearSince: optNum(f.clearSince),
    samples: samples.map(([block, price]) => [num(block), big(price)]),
  };
}

function readPosition(f: Fields): Position {
  return {
    market: num(f.market),
    silo: num(f.silo),
    size: sizeOf(f),
    entry: big(f.entry),
    margin: big(f.margin),
    equity: big(f.equity),
    pnl: big(f.pnl),
    fundingOwed: big(f.fundingOwed),
    initialRequirement: big(f.initialRequirement),
    maintenanceRequirement: big(f.maintenanceRequirement),
    liquidationPrice: optBig(f.liquidationPrice),
    liquidatable: boolOf(f.liquidatable),
  };
}

const utf8 = (value: unknown): string => {
  const text = textOf(value) ?? '';
  if (!text.startsWith('0x')) return text;
  const bytes = text.slice(2).match(/../g) ?? [];
  return new TextDecoder().decode(new Uint8Array(bytes.map((b) => parseInt(b, 16))));
};

/** Collateral assets' symbols and decimals never change: read once. */
const collaterals = new Map<number, Collateral>();

async function collateral(api: ApiPromise, asset: number): Promise<Collateral> {
  const known = collaterals.get(asset);
  if (known) return known;
  const meta = fieldsOf(await reads(api).assetMetadata(asset));
  const found = { asset, symbol: utf8(meta.symbol) || `asset ${asset}`, decimals: num(meta.decimals) };
  collaterals.set(asset, found);
  return found;
}

/** Everything at block `hash` (number `number`), with `address`'s account if given. */
export async function readSnapshot(api: ApiPromise, hash: string, number: number, address: string | null): Promise<Snapshot> {
  const at = reads(await api.at(hash));
  const [marketEntries, siloEntries, feedEntries, reports, siloReports, emergency, feeders, oracleParams, breakerParams] = await Promise.all([
    at.markets.entries(),
    at.silos.entries(),
    at.feeds.entries(),
    at.marketStatuses(),
    at.siloStatuses(),
    at.emergency(),
    at.feeders(),
    at.oracleParams(),
    at.breakerParams(),
  ]);
  const ids = marketEntries.map(([key]) => num(key.args[0]?.toPrimitive()));
  const siloIds = siloEntries.map(([key]) => num(key.args[0]?.toPrimitive()));
  const [prices, breakers, held, short, stresses] = await Promise.all([
    Promise.all(ids.map((id) => at.prices(id))),
    Promise.all(ids.map((id) => at.breakers(id))),
    Promise.all(siloIds.map((id) => at.heldProfit(id))),
    Promise.all(siloIds.map((id) => at.reserveShort(id))),
    Promise.all(SHOCKS.map((shock) => at.stressTest(null, shock))),
  ]);

  const feeds = new Map(feedEntries.map(([key, value]) => [num(key.args[0]?.toPrimitive()), stored(value)]));
  const reportOf = new Map(listOf(reports).map((f) => [num(f.market), readReport(f)]));
  const siloCollateral = await Promise.all(siloEntries.map(([, value]) => {
    const silo = stored(value);
    return collateral(api, num(silo.asset));
  }));

  const markets: Market[] = marketEntries.map(([, value], i): Market => {
    const m = stored(value);
    const params = m.params as Fields;
    const interest = m.openInterest as Fields;
    const accrual = m.accrual as Fields;
    const id = ids[i] ?? 0;
    const feed = feeds.get(id);
    const symbol = utf8(feed?.symbol) || `market ${id}`;
    const silo = num(m.silo);
    const decimals = siloCollateral[siloIds.indexOf(silo)]?.decimals ?? 6;
    const valueScale = big(params.valueScale);
    const perCoin = sizeUnitsPerCoin(valueScale, decimals);
    const price = optFields(prices[i]);
    const breaker = optFields(breakers[i]);
    return {
      id,
      symbol,
      base: symbol.split('-')[0] ?? symbol,
      silo,
      valueScale,
      sizeUnitsPerCoin: perCoin,
      sizeDecimals: perCoin === null ? null : decimalsOf(perCoin),
      maxLeverage: big(params.maxLeverage),
      initialMargin: big(params.initialMargin),
      maintenanceMargin: big(params.maintenanceMargin),
      minSize: big(params.minSize),
      minPositionValue: big(params.minPositionValue),
      maxPositionSize: big(params.maxPositionSize),
      maxLongSize: big(params.maxLongSize),
      maxShortSize: big(params.maxShortSize),
      maxOpenInterestToPool: big(params.maxOpenInterestToPool),
      tradingFee: big(params.tradingFee),
      longSize: big(interest.longSize),
      shortSize: big(interest.shortSize),
      fundingRate: big(accrual.fundingRate),
      volatilityMargin: big(accrual.volatilityMargin),
      accrualAt: num(accrual.at),
      oracle: price ? readOracle(price) : null,
      report: reportOf.get(id) ?? null,
      breaker: breaker ? readBreaker(breaker) : null,
      sources: Array.isArray(feed?.sources) ? feed.sources.length : 0,
      minSources: feed ? num(feed.minSources) : 0,
      maxSourceDeviation: feed ? big(feed.maxSourceDeviation) : 0n,
    };
  }).sort((a, b) => a.id - b.id);

  const siloReportOf = new Map(listOf(siloReports).map((f) => [num(f.silo), f]));
  const stressOf = (silo: number): Stress[] => stresses.map((list, k) => {
    const f = listOf(list).find((s) => num(s.silo) === silo);
    return {
      shock: SHOCKS[k] ?? 0n,
      badDebt: f ? big(f.badDebt) : 0n,
      liquidatable: f ? num(f.liquidatable) : 0,
      traderPnl: f ? big(f.traderPnl) : 0n,
      insurance: f ? big(f.insurance) : 0n,
      pool: f ? big(f.pool) : 0n,
      uncovered: f ? big(f.uncovered) : 0n,
    };
  });
  const silos: Silo[] = siloEntries.map(([, value], i): Silo => {
    const s = stored(value);
    const books = s.books as Fields;
    const params = s.params as Fields;
    const id = siloIds[i] ?? 0;
    const report = siloReportOf.get(id);
    return {
      id,
      collateral: siloCollateral[i] ?? { asset: num(s.asset), symbol: '?', decimals: 6 },
      pool: big(books.pool),
      insurance: big(books.insurance),
      insuranceTarget: big(params.insuranceTarget),
      claims: big(books.claims),
      heldProfit: big(held[i]?.toPrimitive() ?? 0),
      traderFree: big(books.traderFree),
      traderLocked: big(books.traderLocked),
      queued: big(books.queued),
      reserveMove: big(params.reserveMove),
      reserveShort: short[i] ? optional(short[i]) !== null : false,
      withdrawals: report ? textOf(report.withdrawals) : null,
      acceptsNewRisk: report ? boolOf(report.acceptsNewRisk) : null,
      reason: report ? textOf(report.reason) : null,
      withdrawalLimit: big(params.withdrawalLimit),
      withdrawalWindow: num(params.withdrawalWindow),
      stress: stressOf(id),
    };
  }).sort((a, b) => a.id - b.id);

  const op = fieldsOf(oracleParams);
  const bp = fieldsOf(breakerParams);
  return {
    number,
    hash,
    markets,
    silos,
    emergency: boolOf(emergency.toPrimitive()),
    feeders: Array.isArray(feeders.toPrimitive()) ? (feeders.toPrimitive() as unknown[]).length : 0,
    params: {
      staleAfter: num(op.staleAfter),
      haltAfterStale: num(bp.haltAfterStale),
      recoveryBlocks: num(bp.recoveryBlocks),
      bandCooldown: num(bp.bandCooldown),
      liquidationMaxPriceAge: num(bp.liquidationMaxPriceAge),
    },
    account: address ? await readAccount(api, hash, address, silos) : null,
  };
}

/** `address`'s wallet, margin in every silo and positions (`accountHealth`) at block `hash`. */
export async function readAccount(api: ApiPromise, hash: string, address: string, silos: Silo[]): Promise<Account> {
  const at = reads(await api.at(hash));
  const assets = [...new Set(silos.map((s) => s.collateral.asset))];
  const [system, health, margins, wallets] = await Promise.all([
    at.systemAccount(address),
    at.accountHealth(address),
    Promise.all(silos.map((s) => at.margin(s.id, address))),
    Promise.all(assets.map((asset) => at.assetAccount(asset, address))),
  ]);
  const data = fieldsOf(system).data as Fields;
  return {
    address,
    native: big(data.free),
    wallet: new Map(assets.map((asset, i) => {
      const entry = optFields(wallets[i]);
      return [asset, entry ? big(entry.balance) : 0n];
    })),
    margins: silos.map((s, i) => {
      const m = fieldsOf(margins[i] as Codec);
      return { silo: s.id, free: big(m.free), locked: big(m.locked) };
    }),
    positions: listOf(health).map(readPosition),
  };
}
