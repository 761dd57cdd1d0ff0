// The node's bulwark_* Prometheus series hold what the runtime gives at the block they name.
// Scrapes this node's /metrics, reads `bulwark_block_number`, then asks the same node's runtime
// APIs and storage at that block and compares every series (money and prices as the node
// exports them: units / 10^6 in one floating-point division, so equal means equal). Every name
// in ops/metrics.txt must be exported. The liquidation counter must count at least the
// Liquidated events of the canonical chain (the trader check liquidated a position before).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect, FIXED, log, sleep } from './common.mjs';

const UNITS = 1e6; // USDB units per USDB
const SHOCK = '-0.2';

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

/** What the series must be at `hash` (block `number`), read from the runtime. */
async function expected(api, hash, number) {
  const at = await api.at(hash);
  const want = new Map([[key('bulwark_block_number'), number]]);
  const silos = new Map();
  for (const report of await at.call.circuitBreakerApi.marketStatuses()) {
    const market = report.market.toString();
    want.set(key('bulwark_market_breaker_level', { market }), LEVELS[report.status.toString()]);
    want.set(key('bulwark_market_flagged', { market }), report.flagged.isTrue ? 1 : 0);
    const price = await at.query.priceOracle.prices(report.market);
    if (price.isNone) continue;
    const p = price.unwrap();
    want.set(key('bulwark_oracle_price', { market }), fixed(p.price));
    want.set(key('bulwark_oracle_age_blocks', { market }), Math.max(0, number - p.updatedAt.toNumber()));
    want.set(key('bulwark_oracle_stale', { market }), p.status.isFresh ? 0 : 1);
    want.set(key('bulwark_oracle_spread_ratio', { market }), p.spread.toNumber() / 1e9);
    want.set(key('bulwark_oracle_volatility', { market }), Math.sqrt(fixed(p.variance)));
    const state = await at.query.perpetualMargin.markets(report.market);
    if (state.isNone) continue;
    const m = state.unwrap();
    silos.set(market, m.silo.toString());
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
  for (const s of await at.call.perpetualMarginApi.stressTest(null, -(FIXED / 5n))) {
    const silo = s.silo.toString();
    want.set(key('bulwark_silo_pool_usdb', { silo }), units(s.pool));
    want.set(key('bulwark_silo_insurance_usdb', { silo }), units(s.insurance));
    want.set(key('bulwark_silo_stress_bad_debt_usdb', { silo, shock: SHOCK }), units(s.badDebt));
    want.set(key('bulwark_silo_stress_uncovered_usdb', { silo, shock: SHOCK }), units(s.uncovered));
    const params = (await at.query.collateralSilos.silos(s.silo)).unwrap().params;
    const floor = (BigInt(breakerParams.insuranceFloor.toString()) * BigInt(params.insuranceTarget.toString())) / FIXED;
    want.set(key('bulwark_silo_insurance_floor_usdb', { silo }), Number(floor) / UNITS);
    queue.set(silo, 0);
  }
  for (const report of await at.call.circuitBreakerApi.siloStatuses()) {
    want.set(key('bulwark_silo_withdrawals', { silo: report.silo.toString() }), WITHDRAWALS[report.withdrawals.toString()]);
  }
  for (const [, market] of await at.call.perpetualMarginApi.liquidatable(0, 1000)) {
    const silo = silos.get(market.toString());
    if (silo !== undefined) queue.set(silo, queue.get(silo) + 1);
  }
  for (const [silo, count] of queue) want.set(key('bulwark_silo_liquidation_queue', { silo }), count);

  const events = await at.query.system.events();
  const count = (method) => events.filter(({ event }) => event.section === 'perpetualMargin' && event.method === method).length;
  want.set(key('bulwark_block_liquidations'), count('Liquidated'));
  want.set(key('bulwark_block_deleverages'), count('Deleveraged'));
  return want;
}

export default async function metrics({ node, wsUri, prometheus }) {
  const url = prometheus[node];
  if (!url) throw new Error(`no Prometheus endpoint for ${node}`);
  const names = readFileSync(fileURLToPath(new URL('../../../ops/metrics.txt', import.meta.url)), 'utf8')
    .split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#')).map((line) => line.split(/\s+/)[0]);
  const api = await connect(wsUri);
  try {
    let mismatches = [];
    // A scrape can land between two imports, or a re-org can replace the block it names: a
    // mismatch is retried with a fresh scrape; a real one repeats.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const series = parseMetrics(await (await fetch(url)).text());
      const missing = names.filter((name) => ![...series.keys()].some((k) => k === name || k.startsWith(`${name}{`)));
      if (missing.length) throw new Error(`not exported: ${missing.join(', ')}`);
      const number = series.get('bulwark_block_number');
      const hash = await api.rpc.chain.getBlockHash(number);
      const want = await expected(api, hash, number);
      mismatches = [...want].filter(([k, v]) => series.get(k) !== v).map(([k, v]) => `${k}: exported ${series.get(k)}, runtime ${v}`);
      // Counters count since the node started, and the read time is the node's own: the rest
      // must all be expected.
      const extra = [...series.keys()].filter((k) => !want.has(k) && !k.endsWith('_total') && k !== 'bulwark_metrics_read_seconds');
      mismatches.push(...extra.map((k) => `${k}: exported ${series.get(k)}, not in the runtime`));
      if (!mismatches.length) {
        log(`${node} block ${number}: ${want.size} bulwark_* gauges equal the runtime's; e.g. ${[...want].slice(0, 4).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        let canonical = 0;
        for (let n = 1; n <= number; n++) {
          const events = await (await api.at(await api.rpc.chain.getBlockHash(n))).query.system.events();
          canonical += events.filter(({ event }) => event.section === 'perpetualMargin' && event.method === 'Liquidated').length;
        }
        const total = series.get('bulwark_liquidations_total');
        if (!(canonical > 0 && total >= canonical)) {
          throw new Error(`bulwark_liquidations_total ${total}, Liquidated events on the chain up to ${number}: ${canonical}`);
        }
        log(`${node}: bulwark_liquidations_total ${total}, Liquidated events on the canonical chain to block ${number}: ${canonical}`);
        return 0;
      }
      log(`attempt ${attempt} at block ${number}: ${mismatches.length} mismatches, e.g. ${mismatches[0]}`);
      await sleep(2000);
    }
    throw new Error(`bulwark_* series differ from the runtime:\n${mismatches.join('\n')}`);
  } finally {
    await api.disconnect();
  }
}
