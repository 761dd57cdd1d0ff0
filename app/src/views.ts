// The page's panels, rendered from one snapshot (one block) and the history of events.
import type { Docs } from './api';
import type { Account, Collateral, Market, Position, Silo, Snapshot } from './chain';
import { priceChart } from './chart';
import { html, type Html } from './dom';
import { block, coins, fixedPercent, money, num, signedMoney, unitPriceAsUsd, usd, who } from './format';
import { deleveragingOf, liquidationOf, marketSince, siloSince, type FeedItem, type History, type Since } from './history';
import { big, textOf } from './fields';
import {
  coverage, entryPrice, formatFixed, formatPercent, formatScaled, ONE, PERBILL, PERMILL, toUnitPrice, valueAt, volatility,
} from './units';

export interface ViewContext {
  snapshot: Snapshot;
  history: History;
  docs: Docs;
  /** Address -> dev account name. */
  names: Map<string, string>;
  /** Block time in ms (for per-hour figures). */
  blockMs: number;
}

const badge = (text: string, kind: string, field?: string): Html =>
  html`<span class="badge ${kind}" data-field="${field ?? ''}">${text}</span>`;

const levelKind = (status: string): string => ({ Normal: 'ok', ReduceOnly: 'warn', RateLimited: 'warn', Halted: 'bad', Frozen: 'bad', Fresh: 'ok', Degraded: 'warn', Stale: 'bad' })[status] ?? 'warn';

function sinceText(since: Since | null): Html {
  if (!since) return html``;
  const how = {
    event: 'the breaker event of that block',
    storage: "the breaker's storage (stale since)",
    genesis: 'no move in any block since genesis',
    before: 'older than the blocks read back',
  }[since.how];
  const text = since.how === 'genesis' ? 'since genesis' : since.how === 'before' ? `since before ${block(since.block)}` : `since ${block(since.block)}`;
  return html`<span class="since" data-field="since" data-block="${since.block}" data-how="${since.how}" title="from ${how}">${text}</span>`;
}

export const collateralOf = (snapshot: Snapshot, silo: number): Collateral =>
  snapshot.silos.find((s) => s.id === silo)?.collateral ?? { asset: 0, symbol: 'units', decimals: 0 };

// ---- markets ----

function breakerExplanation(market: Market, ctx: ViewContext): Html {
  const report = market.report;
  if (!report) return html`<p class="muted">not watched by the breakers</p>`;
  const { params } = ctx.snapshot;
  const lines: Html[] = [];
  const statusDoc = ctx.docs.marketStatus.get(report.status);
  if (report.status === 'Normal') lines.push(html`Trading is open: new positions need a Fresh price.`);
  else if (statusDoc) lines.push(html`<b>${report.status}</b>: ${statusDoc}`);
  if (report.status === 'ReduceOnly') lines.push(html`New positions and increases are refused; reducing, closing and adding margin work.`);
  if (report.reason) {
    lines.push(html`Reason <b data-field="reason">${report.reason}</b>: ${ctx.docs.reason.get(report.reason) ?? ''}`);
  }
  if (report.emergency) lines.push(html`A chain-wide emergency is declared: every market is ReduceOnly until governance ends it.`);
  if (report.manual !== 'Normal') lines.push(html`A guardian set it to ${report.manual}: only governance lifts it.`);
  const breaker = market.breaker;
  if (report.automatic !== 'Normal' && breaker) {
    if (breaker.staleSince !== null) {
      lines.push(html`Price stale since ${block(breaker.staleSince)}: Halted from ${block(breaker.staleSince + params.haltAfterStale)} if no fresh price comes.`);
    } else if (breaker.clearSince !== null) {
      lines.push(html`Clear since ${block(breaker.clearSince)}: steps down one level at ${block(breaker.clearSince + params.recoveryBlocks)} (${params.recoveryBlocks} clear blocks), unless governance lifts it first (<code>circuitBreaker.liftMarket</code>; sudo on dev chains).`);
    }
    if (breaker.bandUntil !== null) lines.push(html`A price-band trip holds until ${block(breaker.bandUntil)}.`);
  }
  const guard = report.guard;
  if (report.flagged || guard?.pending) {
    lines.push(html`Flagged price: owners' reductions fill no better than the TWAP or the move's start${guard?.anchor ? html` (${usd(guard.anchor)})` : ''}.`);
  }
  if (guard && (guard.pending !== null || guard.long !== guard.short)) {
    lines.push(html`Liquidations act on ${usd(guard.long)} for longs, ${usd(guard.short)} for shorts${guard.pending !== null ? html`; held aggregate ${usd(guard.pending)} waits for a second to confirm it` : ''}.`);
  }
  return html`<ul class="explain">${lines.map((line) => html`<li>${line}</li>`)}</ul>`;
}

function marketCard(market: Market, ctx: ViewContext): Html {
  const { snapshot, history } = ctx;
  const silo = snapshot.silos.find((s) => s.id === market.silo);
  const collateral = collateralOf(snapshot, market.silo);
  const oracle = market.oracle;
  const report = market.report;
  const age = oracle ? snapshot.number - oracle.updatedAt : null;
  const status = report?.status ?? '?';
  const since = report ? marketSince(history, market.id, status, market.breaker?.staleSince ?? null) : null;
  const unit = oracle ? toUnitPrice(oracle.price, market.valueScale, 'floor') : null;
  const perDay = BigInt(Math.round(86_400_000 / ctx.blockMs));
  const poolRoom = silo ? silo.pool - silo.claims - silo.heldProfit : 0n;
  const poolCap = (market.maxOpenInterestToPool * (poolRoom > 0n ? poolRoom : 0n)) / ONE;
  const side = (label: string, size: bigint, cap: bigint) => html`<tr>
      <td>${label}</td><td>${coins(size, market, `${label.toLowerCase()}Size`)}</td>
      <td>${coins(cap, market)} (${formatPercent(size, cap > 0n ? cap : 1n)})</td>
      <td>${unit === null ? '—' : money(valueAt(size, unit), collateral)}</td>
      <td>${money(poolCap, collateral)}</td></tr>`;
  return html`<article class="card market" data-testid="market" data-market="${market.id}" data-symbol="${market.symbol}">
    <header><h3>${market.symbol}</h3> ${badge(status, levelKind(status), 'status')}
      ${oracle ? badge(oracle.status, levelKind(oracle.status), 'priceStatus') : badge('no price', 'bad', 'priceStatus')}</header>
    <dl>
      <dt>Oracle price</dt><dd>${oracle ? usd(oracle.price, 'price') : 'none yet'}</dd>
      <dt>Age</dt><dd>${age === null ? '—' : html`${num(`${age} blocks`, BigInt(age), 'age')} (aggregate of ${block(oracle?.updatedAt ?? null)}, round ${oracle?.round}; stale after ${snapshot.params.staleAfter})`}</dd>
      <dt>Sources</dt><dd>${market.sources} per feeder, ${market.minSources} must agree within ${formatPercent(market.maxSourceDeviation, PERBILL, 0)}</dd>
      <dt>Confidence</dt><dd>${oracle ? html`${oracle.reports} of ${snapshot.feeders} feeders reported; spread ${num(formatPercent(oracle.spread, PERBILL, 3), oracle.spread, 'spread', 'median absolute deviation of the reports over their median (Perbill)')}` : '—'}</dd>
      <dt>TWAP</dt><dd>${oracle ? usd(oracle.twap, 'twap') : '—'}</dd>
      <dt>Volatility</dt><dd>${oracle ? html`${num(`${formatPercent(volatility(oracle.variance), ONE, 4)} per block`, volatility(oracle.variance), 'volatility', `sqrt of the EWMA variance ${oracle.variance} (FixedU128)`)}` : '—'}</dd>
      <dt>Breaker</dt><dd>${badge(status, levelKind(status))} ${report?.reason ? html`(${report.reason})` : ''} ${sinceText(since)}</dd>
      <dt>Funding</dt><dd>${num(`${formatPercent(market.fundingRate * perDay, ONE, 4)} per day`, market.fundingRate, 'fundingRate', `${formatFixed(market.fundingRate)} per block (FixedI128); positive: longs pay`)} (${formatPercent(market.fundingRate, ONE, 8)} per block; ${market.fundingRate > 0n ? 'longs pay shorts' : market.fundingRate < 0n ? 'shorts pay longs' : 'no skew, nobody pays'}), as of ${block(market.accrualAt)}</dd>
      <dt>Margins</dt><dd>initial ${fixedPercent(market.initialMargin)}, maintenance ${fixedPercent(market.maintenanceMargin)} + volatility ${fixedPercent(market.volatilityMargin, 3)}; up to ${formatScaled(market.maxLeverage, 18, { minDigits: 0 })}x; fee ${formatPercent(market.tradingFee, PERMILL, 3)}</dd>
    </dl>
    ${breakerExplanation(market, ctx)}
    <table class="oi"><thead><tr><th>Open interest</th><th>size</th><th>of cap</th><th>value</th><th>pool cap</th></tr></thead>
      <tbody>${side('Long', market.longSize, market.maxLongSize)}${side('Short', market.shortSize, market.maxShortSize)}</tbody></table>
    <p class="muted small">Pool cap: ${fixedPercent(market.maxOpenInterestToPool, 0)} of silo ${market.silo}'s pool less its claims and held profit, per side, valued at the oracle price.</p>
    ${priceChart(history.prices.get(market.id) ?? [], `${market.symbol} aggregates`)}
  </article>`;
}

export function marketsView(ctx: ViewContext): Html {
  const { snapshot } = ctx;
  return html`${snapshot.emergency ? html`<p class="alert">Chain-wide emergency: every market is ReduceOnly.</p>` : ''}
    <div class="grid">${snapshot.markets.map((m) => marketCard(m, ctx))}</div>`;
}

// ---- silos ----

function siloCard(silo: Silo, ctx: ViewContext): Html {
  const c = silo.collateral;
  const withdrawals = silo.withdrawals ?? '?';
  return html`<article class="card silo" data-testid="silo" data-silo="${silo.id}">
    <header><h3>Silo ${silo.id} · ${c.symbol}</h3> ${badge(`withdrawals ${withdrawals}`, levelKind(withdrawals), 'withdrawals')}
      ${silo.acceptsNewRisk === false ? badge('no new risk', 'bad', 'newRisk') : badge('new risk accepted', 'ok', 'newRisk')}</header>
    <dl>
      <dt>Pool (LPs)</dt><dd>${money(silo.pool, c, 'pool')}</dd>
      <dt>Insurance fund</dt><dd>${money(silo.insurance, c, 'insurance')} of a ${money(silo.insuranceTarget, c)} target</dd>
      <dt>Reserve</dt><dd>the pool keeps the traders' claims plus what winners would be owed after a ${formatPercent(silo.reserveMove, PERMILL, 0)} move against it:
        ${silo.reserveShort ? badge('short at the end of the last block', 'bad', 'reserve') : badge('met', 'ok', 'reserve')}</dd>
      <dt>Claims owed</dt><dd>${money(silo.claims, c, 'claims')}; held profit ${money(silo.heldProfit, c, 'heldProfit')}</dd>
      <dt>Traders' margin</dt><dd>${money(silo.traderFree, c, 'traderFree')} free, ${money(silo.traderLocked, c, 'traderLocked')} locked; ${money(silo.queued, c)} queued to leave</dd>
      <dt>Withdrawals</dt><dd>${withdrawals} ${silo.reason ? html`(${silo.reason}: ${ctx.docs.reason.get(silo.reason) ?? ''})` : ''} ${sinceText(siloSince(ctx.history, silo.id, withdrawals))}
        <div class="muted small">${ctx.docs.withdrawalStatus.get(withdrawals) ?? ''} Rate-limited: ${formatPercent(silo.withdrawalLimit, PERMILL, 0)} of the pool per ${silo.withdrawalWindow} blocks.</div></dd>
    </dl>
    <table class="stress" data-testid="stress"><thead><tr><th>Stress: every price</th><th>liquidatable</th><th>bad debt</th><th>insurance</th><th>uncovered (LPs' loss)</th><th>traders' PnL</th></tr></thead><tbody>
      ${silo.stress.map((s) => html`<tr data-shock="${s.shock}"><td>${formatPercent(s.shock, ONE, 0)}</td><td>${s.liquidatable}</td>
        <td>${money(s.badDebt, c, 'badDebt')}</td><td>${money(s.insurance, c)}</td>
        <td>${s.uncovered > 0n ? html`<b class="bad-text">${money(s.uncovered, c, 'uncovered')}</b>` : money(s.uncovered, c, 'uncovered')}</td>
        <td>${signedMoney(s.traderPnl, c)}</td></tr>`)}
    </tbody></table>
    <p class="muted small">From <code>perpetualMarginApi.stressTest(null, shock)</code>: bad debt the shock would leave against the fund.</p>
  </article>`;
}

export function silosView(ctx: ViewContext): Html {
  return html`<div class="grid">${ctx.snapshot.silos.map((s) => siloCard(s, ctx))}</div>`;
}

// ---- account ----

function positionRow(p: Position, ctx: ViewContext): Html {
  const market = ctx.snapshot.markets.find((m) => m.id === p.market);
  const c = collateralOf(ctx.snapshot, p.silo);
  const long = p.size > 0n;
  const health = coverage(p.equity, p.maintenanceRequirement);
  const entry = market ? entryPrice(p.entry, p.size, market.valueScale) : null;
  return html`<tr data-testid="position" data-market="${p.market}" class="${p.liquidatable ? 'liquidatable' : ''}">
    <td>${market?.symbol ?? `market ${p.market}`}</td>
    <td>${badge(long ? 'Long' : 'Short', long ? 'ok' : 'warn', 'side')} ${coins(p.size, market, 'size')}</td>
    <td>${usd(entry, 'entryPrice')}<div class="muted small">${money(p.entry, c, 'entry')}</div></td>
    <td>${usd(market?.oracle?.price ?? null, 'markPrice')}</td>
    <td>${signedMoney(p.pnl, c, 'pnl')}<div class="muted small">funding owed ${signedMoney(p.fundingOwed, c, 'fundingOwed')}</div></td>
    <td>${money(p.margin, c, 'margin')}</td>
    <td>${signedMoney(p.equity, c, 'equity')}</td>
    <td>${money(p.maintenanceRequirement, c, 'maintenanceRequirement')}<div class="muted small">initial ${money(p.initialRequirement, c, 'initialRequirement')}</div></td>
    <td>${health === null ? '—' : num(`${formatScaled(health, 18, { digits: 2, rounding: 'floor' })}×`, health, 'health', 'equity / maintenance requirement: below 1 is liquidatable')}
      ${p.liquidatable ? badge('liquidatable', 'bad', 'liquidatable') : html`<span data-field="liquidatable" data-raw="false"></span>`}</td>
    <td>${p.liquidationPrice === null ? num('none', null, 'liquidationPrice', 'its margin covers the whole entry value') : usd(p.liquidationPrice, 'liquidationPrice', long ? 'ceil' : 'floor')}</td>
  </tr>`;
}

export function accountView(account: Account | null, ctx: ViewContext): Html {
  if (!account) return html`<p class="muted">Choose an account.</p>`;
  const { snapshot } = ctx;
  return html`<div data-testid="account" data-address="${account.address}" data-block="${snapshot.number}" data-hash="${snapshot.hash}">
    <p class="muted small">As of block ${block(snapshot.number)} <code>${snapshot.hash.slice(0, 18)}…</code>; native balance (fees) ${num(formatScaled(account.native, 12, { digits: 4 }), account.native, 'native')}</p>
    <table class="balances" data-testid="balances"><thead><tr><th>Silo</th><th>wallet</th><th>free margin</th><th>locked in positions</th></tr></thead><tbody>
      ${account.margins.map((m) => {
        const c = collateralOf(snapshot, m.silo);
        return html`<tr data-testid="silo-balance" data-silo="${m.silo}"><td>${m.silo} (${c.symbol})</td><td>${money(account.wallet.get(c.asset) ?? 0n, c, 'wallet')}</td>
          <td>${money(m.free, c, 'free')}</td><td>${money(m.locked, c, 'locked')}</td></tr>`;
      })}
    </tbody></table>
    ${account.positions.length === 0
      ? html`<p data-testid="no-positions">No open positions.</p>`
      : html`<table class="positions"><thead><tr><th>Market</th><th>Size</th><th>Entry</th><th>Mark (oracle)</th><th>PnL</th><th>Margin</th><th>Equity</th><th>Maint. req.</th><th>Health</th><th>Liq. price</th></tr></thead>
        <tbody>${account.positions.map((p) => positionRow(p, ctx))}</tbody></table>
        <p class="muted small">Equity = margin + PnL − funding owed at the oracle price; liquidatable when below the maintenance requirement (health below 1×). The liquidation price is the oracle price (USD per coin) at which that happens, rounded toward it.</p>`}
  </div>`;
}

// ---- feed ----

function feedText(item: FeedItem, ctx: ViewContext): Html {
  const markets = ctx.snapshot.markets;
  const f = item.fields;
  const marketOf = (id: unknown) => markets.find((m) => m.id === Number(big(id)));
  switch (item.kind) {
    case 'Liquidated': {
      const l = liquidationOf(f);
      const m = marketOf(l.market);
      const c = collateralOf(ctx.snapshot, m?.silo ?? 0);
      const by = l.keeper === null ? 'the protocol' : l.keeper === l.who ? 'its owner (close of a liquidatable position)' : `keeper ${who(l.keeper, ctx.names)}`;
      return html`<b>Liquidation</b> ${m?.symbol ?? l.market} · <span data-field="who" data-raw="${l.who}">${who(l.who, ctx.names)}</span>:
        closed ${coins(l.closed, m, 'closed')} at ${unitPriceAsUsd(l.price, m, 'price')}, ${l.size === 0n ? html`<b data-field="left" data-raw="0">position emptied</b>` : html`${coins(l.size, m, 'left')} left`};
        realized ${signedMoney(l.realized, c, 'realized')}, penalty ${money(l.penalty, c, 'penalty')}, reward ${money(l.reward, c, 'reward')}, bad debt ${money(l.badDebt, c, 'badDebt')}; by ${by}`;
    }
    case 'Deleveraged': {
      const d = deleveragingOf(f);
      const m = marketOf(d.market);
      const c = collateralOf(ctx.snapshot, m?.silo ?? 0);
      return html`<b>Auto-deleveraging</b> ${m?.symbol ?? d.market} · ${who(d.who, ctx.names)}: ${coins(d.size, m)} left, closed at ${unitPriceAsUsd(d.price, m)};
        profit ${money(d.profit, c)}: paid ${money(d.paid, c)}, claimed ${money(d.claimed, c)}, forfeited ${money(d.forfeited, c)}`;
    }
    case 'MarketBreaker': {
      const m = marketOf(f.market);
      const reason = textOf(f.reason) ?? '';
      return html`<b>Breaker</b> ${m?.symbol ?? String(f.market)}: <span data-field="from">${textOf(f.from)}</span> → <span data-field="to">${textOf(f.to)}</span>
        (<span data-field="reason">${reason}</span>: ${ctx.docs.reason.get(reason) ?? ''})`;
    }
    case 'SiloBreaker': {
      const reason = textOf(f.reason) ?? '';
      return html`<b>Silo ${String(f.silo)} withdrawals</b>: ${textOf(f.from)} → ${textOf(f.to)} (${reason}: ${ctx.docs.reason.get(reason) ?? ''})`;
    }
    default: {
      const m = f.market !== undefined ? marketOf(f.market) : undefined;
      const details = Object.entries(f).filter(([k]) => k !== 'market').map(([k, v]) => {
        const isPrice = ['price', 'long', 'short'].includes(k) && m;
        return html` ${k} ${isPrice ? usd(big(v)) : typeof v === 'object' ? JSON.stringify(v) : String(v)}`;
      });
      return html`<b>${item.name.split('.')[1]}</b> ${m?.symbol ?? ''}${details}`;
    }
  }
}

export function feedView(ctx: ViewContext): Html {
  const items = ctx.history.feed;
  const read = ctx.history.firstRead === null ? '' : `read back from ${block(ctx.history.firstRead)}`;
  return html`<p class="muted small">Liquidations (<code>perpetualMargin.Liquidated</code>), auto-deleveraging (<code>Deleveraged</code>) and breaker moves (<code>circuitBreaker.*</code>), newest first; ${read}.</p>
    ${items.length === 0 ? html`<p class="muted">Nothing yet.</p>` : html`<ol class="feed">${items.map((item) => html`<li data-testid="feed-item" data-kind="${item.kind}" data-block="${item.block}" class="${item.kind} ${item.readBack ? 'read-back' : ''}">
      <span class="blockno">${block(item.block)}</span> ${feedText(item, ctx)}</li>`)}</ol>`}`;
}
