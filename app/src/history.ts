// What the page learns from events, block by block (read back at start, then live): the feed
// of liquidations, auto-deleveraging and breaker moves; each market's aggregates (the chart);
// and the block each breaker's level was first seen.
import type { Codec } from '@polkadot/types/types';
import { big, eventFields, sizeOf, textOf, type Fields } from './fields';

export interface ChainEvent {
  section: string;
  method: string;
  fields: Fields;
}

/** Decodes a block's `system.events` into section, method and named fields. */
export function decodeEvents(records: Codec): ChainEvent[] {
  const list = records as unknown as Iterable<{ event: Codec & { section: string; method: string; data: Codec & { names?: string[] | null } } }>;
  return [...list].map(({ event }) => ({ section: event.section, method: event.method, fields: eventFields(event) }));
}

export type FeedKind = 'Liquidated' | 'Deleveraged' | 'MarketBreaker' | 'SiloBreaker' | 'Breaker';

export interface FeedItem {
  kind: FeedKind;
  block: number;
  /** `section.method` of the event. */
  name: string;
  fields: Fields;
  /** Read back from blocks before the page opened. */
  readBack: boolean;
}

export interface Liquidation {
  who: string;
  market: number;
  keeper: string | null;
  closed: bigint;
  /** What is left of the position. */
  size: bigint;
  /** Unit price. */
  price: bigint;
  realized: bigint;
  penalty: bigint;
  reward: bigint;
  badDebt: bigint;
}

export const liquidationOf = (f: Fields): Liquidation => ({
  who: textOf(f.who) ?? '?',
  market: Number(big(f.market)),
  keeper: textOf(f.keeper),
  closed: big(f.closed),
  size: sizeOf(f),
  price: big(f.price),
  realized: big(f.realized),
  penalty: big(f.penalty),
  reward: big(f.reward),
  badDebt: big(f.badDebt),
});

export interface Deleveraging {
  who: string;
  market: number;
  size: bigint;
  price: bigint;
  profit: bigint;
  paid: bigint;
  claimed: bigint;
  forfeited: bigint;
}

export const deleveragingOf = (f: Fields): Deleveraging => ({
  who: textOf(f.who) ?? '?',
  market: Number(big(f.market)),
  size: sizeOf(f),
  price: big(f.price),
  profit: big(f.profit),
  paid: big(f.paid),
  claimed: big(f.claimed),
  forfeited: big(f.forfeited),
});

/** A level move of a market's or a silo's breaker. */
export interface Move {
  block: number;
  from: string;
  to: string;
  reason: string | null;
}

const FEED_LIMIT = 200;
const POINTS_LIMIT = 600;

export class History {
  /** Newest first. */
  readonly feed: FeedItem[] = [];
  /** Per market, the aggregates by block: [block, USD per coin (FixedU128)]. */
  readonly prices = new Map<number, Array<[number, bigint]>>();
  /** Per market, its last breaker move seen. */
  readonly marketMoves = new Map<number, Move>();
  /** Per silo, its last withdrawal-breaker move seen. */
  readonly siloMoves = new Map<number, Move>();
  /** The first and last block whose events were read. */
  firstRead: number | null = null;
  lastRead: number | null = null;

  /** Takes in block `block`'s events (in any order of blocks: read back or live). */
  add(block: number, events: ChainEvent[], readBack: boolean): void {
    this.firstRead = this.firstRead === null ? block : Math.min(this.firstRead, block);
    this.lastRead = this.lastRead === null ? block : Math.max(this.lastRead, block);
    const items: FeedItem[] = [];
    for (const { section, method, fields } of events) {
      const name = `${section}.${method}`;
      if (name === 'priceOracle.PriceAggregated') {
        this.addPrice(Number(big(fields.market)), block, big(fields.price));
      } else if (name === 'perpetualMargin.Liquidated' || name === 'perpetualMargin.Deleveraged') {
        items.push({ kind: method as FeedKind, block, name, fields, readBack });
      } else if (name === 'circuitBreaker.MarketBreaker') {
        this.addMove(this.marketMoves, Number(big(fields.market)), block, fields);
        items.push({ kind: 'MarketBreaker', block, name, fields, readBack });
      } else if (name === 'circuitBreaker.SiloWithdrawals') {
        this.addMove(this.siloMoves, Number(big(fields.silo)), block, fields);
        items.push({ kind: 'SiloBreaker', block, name, fields, readBack });
      } else if (section === 'circuitBreaker' && !['ParamsSet'].includes(method)) {
        items.push({ kind: 'Breaker', block, name, fields, readBack });
      }
    }
    // Keep the feed sorted newest first: a block's events after those of later blocks, its
    // last event first.
    const at = this.feed.findIndex((other) => other.block < block);
    this.feed.splice(at === -1 ? this.feed.length : at, 0, ...items.reverse());
    this.feed.splice(FEED_LIMIT);
  }

  /** Aggregates the breakers keep for their band window (read back from storage). */
  addSamples(market: number, samples: Array<[number, bigint]>): void {
    for (const [block, price] of samples) this.addPrice(market, block, price);
  }

  private addPrice(market: number, block: number, price: bigint): void {
    const points = this.prices.get(market) ?? [];
    const at = points.findIndex(([b]) => b >= block);
    if (at !== -1 && points[at]?.[0] === block) return;
    points.splice(at === -1 ? points.length : at, 0, [block, price]);
    points.splice(0, Math.max(0, points.length - POINTS_LIMIT));
    this.prices.set(market, points);
  }

  private addMove(moves: Map<number, Move>, key: number, block: number, fields: Fields): void {
    const last = moves.get(key);
    if (last && last.block > block) return;
    moves.set(key, { block, from: textOf(fields.from) ?? '?', to: textOf(fields.to) ?? '?', reason: textOf(fields.reason) });
  }
}

/** How the page knows since when a level holds. */
export interface Since {
  /** The block, or the earliest block read if the move is older than what was read. */
  block: number;
  how: 'event' | 'storage' | 'genesis' | 'before';
}

/**
 * Since when a market's breaker is at `status`: the block of its last move to that level (an
 * event seen), else what storage says (`staleSince` for a stale oracle), else since genesis if
 * every block was read and the level is the genesis one (Normal), else before the first block
 * read.
 */
export function marketSince(history: History, market: number, status: string, staleSince: number | null): Since | null {
  const move = history.marketMoves.get(market);
  if (move && move.to === status) return { block: move.block, how: 'event' };
  if (staleSince !== null && status !== 'Normal') return { block: staleSince, how: 'storage' };
  if (history.firstRead === null) return null;
  if (history.firstRead <= 1 && status === 'Normal' && !move) return { block: 0, how: 'genesis' };
  return { block: history.firstRead, how: 'before' };
}

/** Since when a silo's withdrawals are at `status` (as `marketSince`, without storage). */
export function siloSince(history: History, silo: number, status: string): Since | null {
  const move = history.siloMoves.get(silo);
  if (move && move.to === status) return { block: move.block, how: 'event' };
  if (history.firstRead === null) return null;
  if (history.firstRead <= 1 && status === 'Normal' && !move) return { block: 0, how: 'genesis' };
  return { block: history.firstRead, how: 'before' };
}

