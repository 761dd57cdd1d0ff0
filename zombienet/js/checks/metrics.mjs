// The node's bulwark_* Prometheus series hold what the runtime gives at the block they name.
// Scrapes this node's /metrics, reads `bulwark_block_number`, then asks the same node's runtime
// APIs and storage at that block and compares every series (money and prices as the node
// exports them: units / 10^6 in one floating-point division, so equal means equal); the stress
// test's series at `bulwark_stress_block_number` (read every 10 blocks). Every name in
// ops/metrics.txt must be exported, no read may have failed (`bulwark_metrics_errors_total` 0),
// and the counters must equal the events of the finalized chain exactly (they count finalized
// blocks). Arguments: `open-interest`: some market must hold open interest (so the values
// compared are not all zeros); `liquidated`: the finalized chain must hold a liquidation.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, FIXED, log, sleep } from './common.mjs';

const UNITS = 1e6; // USDB units per USDB
const SHOCK = '-0.2';
/** bulwark-node's default --risk-stress-every. */
const STRESS_EVERY = 10;
/** The liquidation queue the node counts (node/src/metrics.rs, LIQUIDATION_QUEUE_CAP). */
const QUEUE_CAP = 1000;

/** Prometheus text format → Map("name{labels}" → number), labels sorted by name. */
export function parseMetrics(text) {
  const series = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('bulwark_')) continue;
    const match = line.match(/^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/);
    if (!match) throw new Error(`unparsed metrics line: ${line}`);
    const labels = (match[2] ?? '').split(',').filter(Boolean).map((pair) => {
      const [label, value] = pair.split('=');
      return [label, JSON.parse(value)];
    }).filter(([name]) => name !== 'chain'); // the node adds its chain's name to every series
    series.set(key(match[1], Object.fromEntries(labels)), Number(match[3]));
  }
  return series;
}

function key(name, labels = {}) {
  const parts = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
}

const units = (value) => Number(BigInt(value.toString())) / UNITS;
const fixed = (value) => Number(BigInt(value.toString())) / Number(FIXED);
const LEVELS = { Normal: 0, ReduceOnly: 1, Halted: 2 };
const WITHDRAWALS = { Normal: 0, RateLimited: 1, Frozen: 2 };

/** What the per-block gauges must be at `hash` (block `number`), read from the runtime. */
async function expected(api, hash, number) {
  const at = await api.at(hash);
  const want = new Map([[key('bulwark_block_number'), number]]);
  const silos = new Map();
  for (const report of await at.call.circuitBreakerApi.marketStatuses()) {
    // Markets the margin engine no longer has (settled) are not exported.
    const state = await at.query.perpetualMargin.markets(report.market);
    if (state.isNone) continue;
    const m = state.unwrap();
    const market = report.market.toString();
    silos.set(market, m.silo.toString());
    want.set(key('bulwark_market_breaker_level', { market }), LEVELS[report.status.toString()]);
    want.set(key('bulwark_market_flagged', { market }), report.flagged.isTrue ? 1 : 0);
    const price = await at.query.priceOracle.prices(report.market);
    if (price.isNone) continue;
    const p = price.unwrap();
    want.set(key('bulwark_oracle_price', { market }), fixed(p.price));
    want.set(key('bulwark_oracle_age_blocks', { market }), Math.max(0, number - p.updatedAt.toNumber()));
    want.set(key('bulwark_oracle_stale', { market }), p.status.isStale ? 1 : 0);
    want.set(key('bulwark_oracle_degraded', { market }), p.status.isDegraded ? 1 : 0);
    want.set(key('bulwark_oracle_spread_ratio', { market }), p.spread.toNumber() / 1e9);
    want.set(key('bulwark_oracle_volatility', { market }), Math.sqrt(fixed(p.variance)));
    // FixedU128 product, rounded down as the node's saturating_mul, then times the size.
    const unitPrice = (BigInt(p.price.toString()) * BigInt(m.params.valueScale.toString())) / FIXED;
    for (const [side, size] of [['long', m.openInterest.longSize], ['short', m.openInterest.shortSize]]) {
      const value = (unitPrice * BigInt(size.toString())) / FIXED;
      want.set(key('bulwark_market_open_interest_usdb', { market, side }), Number(value) / UNITS);
    }
  }
  want.set(key('bulwark_emergency'), (await at.call.circuitBreakerApi.emergency()).isTrue ? 1 : 0);

  const breakerParams = await at.query.circuitBreaker.params();
  const queue = new Map();
  for (const report of await at.call.circuitBreakerApi.siloStatuses()) {
    const found = await at.query.collateralSilos.silos(report.silo);
    if (found.isNone) continue; // closed and removed
    const { books, params } = found.unwrap();
    const silo = report.silo.toString();
    want.set(key('bulwark_silo_pool_usdb', { silo }), units(books.pool));
    want.set(key('bulwark_silo_insurance_usdb', { silo }), units(books.insurance));
    const floor = (BigInt(breakerParams.insuranceFloor.toString()) * BigInt(params.insuranceTarget.toString())) / FIXED;
    want.set(key('bulwark_silo_insurance_floor_usdb', { silo }), Number(floor) / UNITS);
    want.set(key('bulwark_silo_withdrawals', { silo }), WITHDRAWALS[report.withdrawals.toString()]);
    queue.set(silo, 0);
  }
  const due = await at.call.perpetualMarginApi.liquidatable(0, QUEUE_CAP);
  for (const [, market] of due) {
    const silo = silos.get(market.toString());
    if (silo !== undefined) queue.set(silo, (queue.get(silo) ?? 0) + 1);
  }
  for (const [silo, count] of queue) want.set(key('bulwark_silo_liquidation_queue', { silo }), count);
  want.set(key('bulwark_liquidation_queue_capped'), due.length >= QUEUE_CAP ? 1 : 0);

  const events = await at.query.system.events();
  const count = (method) => events.filter(({ event }) => event.section === 'perpetualMargin' && event.method === method).length;
  want.set(key('bulwark_block_liquidations'), count('Liquidated'));
  want.set(key('bulwark_block_deleverages'), count('Deleveraged'));
  return want;
}

/** What the stress test's gauges must be, read at block `number` of the best chain. */
async function expectedStress(api, number) {
  const at = await api.at(await api.rpc.chain.getBlockHash(number));
  const want = new Map([[key('bulwark_stress_block_number'), number]]);
  for (const s of await at.call.perpetualMarginApi.stressTest(null, -(FIXED / 5n))) {
    const silo = s.silo.toString();
    want.set(key('bulwark_silo_stress_bad_debt_usdb', { silo, shock: SHOCK }), units(s.badDebt));
    want.set(key('bulwark_silo_stress_uncovered_usdb', { silo, shock: SHOCK }), units(s.uncovered));
  }
  return want;
}

/** The gauges of one scrape against the runtime: the mismatches (none: equal). */
async function compareGauges(api, series) {
  const number = series.get('bulwark_block_number');
  const stressAt = series.get('bulwark_stress_block_number');
  if (!(stressAt <= number && number - stressAt < STRESS_EVERY)) {
    return { number, want: new Map(), mismatches: [`stress test read at block ${stressAt}, gauges at ${number}: more than ${STRESS_EVERY - 1} blocks apart`] };
  }
  const want = new Map([
    ...await expected(api, await api.rpc.chain.getBlockHash(number), number),
    ...await expectedStress(api, stressAt),
  ]);
  const mismatches = [...want].filter(([k, v]) => series.get(k) !== v).map(([k, v]) => `${k}: exported ${series.get(k)}, runtime ${v}`);
  // Counters count since the node started, and the read time is the node's own: the rest must
  // all be expected.
  const extra = [...series.keys()].filter((k) => !want.has(k) && !k.endsWith('_total') && k !== 'bulwark_metrics_read_seconds');
  mismatches.push(...extra.map((k) => `${k}: exported ${series.get(k)}, not in the runtime`));
  return { number, want, mismatches };
}

/** Per finalized block (from 1), its Liquidated and Deleveraged events and their bad debt. */
async function finalizedEvents(api, upTo, cache) {
  for (let n = cache.length + 1; n <= upTo; n++) {
    const events = await (await api.at(await api.rpc.chain.getBlockHash(n))).query.system.events();
    const margin = events.map(({ event }) => event).filter((event) => event.section === 'perpetualMargin');
    const liquidated = margin.filter((event) => event.method === 'Liquidated');
    cache.push({
      liquidations: liquidated.length,
      deleverages: margin.filter((event) => event.method === 'Deleveraged').length,
      badDebt: liquidated.reduce((sum, event) => sum + event.data.badDebt.toBigInt(), 0n),
    });
  }
  // The node adds each block's bad debt / 10^6 to a float counter, block by block: so does this.
  return cache.slice(0, upTo).reduce((total, block) => ({
    liquidations: total.liquidations + block.liquidations,
    deleverages: total.deleverages + block.deleverages,
    badDebt: total.badDebt + (block.badDebt > 0n ? Number(block.badDebt) / UNITS : 0),
  }), { liquidations: 0, deleverages: 0, badDebt: 0 });
}

export default async function metrics({ node, wsUri, prometheus, args = [] }) {
  const url = prometheus[node];
  if (!url) throw new Error(`no Prometheus endpoint for ${node}`);
  const wantOpenInterest = args.includes('open-interest');
  const wantLiquidated = args.includes('liquidated');
  const names = readFileSync(fileURLToPath(new URL('../../../ops/metrics.txt', import.meta.url)), 'utf8')
    .split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#')).map((line) => line.split(/\s+/)[0]);
  const scrape = async () => parseMetrics(await (await fetch(url)).text());
  const api = await connect(wsUri);
  try {
    // Gauges. A scrape can land between two imports, or a re-org can replace the block it
    // names: a mismatch is retried with a fresh scrape; a real one repeats.
    let mismatches = [];
    for (let attempt = 1; ; attempt++) {
      const series = await scrape();
      const missing = names.filter((name) => ![...series.keys()].some((k) => k === name || k.startsWith(`${name}{`)));
      if (missing.length) throw new Error(`not exported: ${missing.join(', ')}`);
      if (series.get('bulwark_metrics_errors_total') !== 0) {
        throw new Error(`bulwark_metrics_errors_total ${series.get('bulwark_metrics_errors_total')}: the node failed to read blocks`);
      }
      const compared = await compareGauges(api, series);
      mismatches = compared.mismatches;
      if (!mismatches.length) {
        const { number, want } = compared;
        const interest = [...want].filter(([k, v]) => k.startsWith('bulwark_market_open_interest_usdb') && v > 0);
        if (wantOpenInterest && !interest.length) throw new Error(`block ${number}: no market holds open interest`);
        log(`${node} block ${number}: ${want.size} bulwark_* gauges equal the runtime's (stress test at block ${series.get('bulwark_stress_block_number')}); e.g. ${[...interest, ...want].slice(0, 4).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        break;
      }
      log(`attempt ${attempt} at block ${compared.number}: ${mismatches.length} mismatches, e.g. ${mismatches[0]}`);
      if (attempt === 5) throw new Error(`bulwark_* series differ from the runtime:\n${mismatches.join('\n')}`);
      await sleep(3000);
    }

    // Counters: they count the blocks this node saw finalized, so once the finalized head
    // holds still across a scrape they equal that chain's events exactly.
    const cache = [];
    let seen = '';
    // (With `liquidated`, until the block that liquidated is finalized: a few blocks.)
    for (let attempt = 1; attempt <= 60; attempt++) {
      const before = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
      const series = await scrape();
      const after = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
      if (before === after) {
        const chain = await finalizedEvents(api, before, cache);
        const counted = {
          liquidations: series.get('bulwark_liquidations_total'),
          deleverages: series.get('bulwark_deleverages_total'),
          badDebt: series.get('bulwark_bad_debt_usdb_total'),
        };
        seen = `finalized ${before}: node ${JSON.stringify(counted)}, chain ${JSON.stringify(chain)}`;
        const equal = counted.liquidations === chain.liquidations && counted.deleverages === chain.deleverages && counted.badDebt === chain.badDebt;
        if (equal && !(wantLiquidated && chain.liquidations === 0)) {
          log(`${node}: the counters equal the finalized chain's events: ${seen}`);
          return 0;
        }
      }
      await sleep(1000);
    }
    throw new Error(`counters differ from the finalized chain's events, or it holds no liquidation where one was due: ${seen}`);
  } finally {
    await api.disconnect();
  }
}
