// What the checks share: connecting, reading the oracle and the breakers, steering the loopback
// price servers, waiting for blocks.
import { ApiPromise, WsProvider } from '@polkadot/api';
import { keyring, sleep } from '../lib.mjs';

export { keyring, sleep };
export const FEED_PORTS = [8101, 8102, 8103];
export const FIXED = 10n ** 18n;

export async function connect(wsUri) {
  return ApiPromise.create({ provider: new WsProvider(wsUri), throwOnConnect: true, noInitWarn: true });
}

export const best = async (api) => (await api.rpc.chain.getHeader()).number.toNumber();
export const finalized = async (api) =>
  (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();

/** Polls `probe` every second until it returns a value other than undefined, or throws. */
export async function waitFor(what, probe, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(1000);
  }
}

/** The oracle's record of `market`: { price (dollars, Number), status, round, updatedAt } or null. */
export async function oraclePrice(api, market) {
  const entry = await api.query.priceOracle.prices(market);
  if (entry.isNone) return null;
  const record = entry.unwrap();
  return {
    price: Number((record.price.toBigInt() * 1_000_000n) / FIXED) / 1e6,
    status: record.status.toString(),
    round: record.round.toNumber(),
    updatedAt: record.updatedAt.toNumber(),
  };
}

/** The breakers' status of `market` (Normal, ReduceOnly, Halted) and its reason. */
export async function breaker(api, market) {
  const reports = await api.call.circuitBreakerApi.marketStatuses();
  const report = reports.find((r) => r.market.toNumber() === market);
  return { status: report.status.toString(), reason: report.reason.isSome ? report.reason.unwrap().toString() : null };
}

/** Sends a control request to every loopback price server (`set?market=..&price=..`, ...). */
export async function controlFeeds(query, ports = FEED_PORTS) {
  for (const port of ports) {
    const response = await fetch(`http://127.0.0.1:${port}/control/${query}`);
    if (!response.ok) throw new Error(`price server ${port}: ${response.status} for ${query}`);
  }
}

/** Signs and submits, resolving with the block's events once in a block; rejects on failure. */
export { send, sendAll } from '../lib.mjs';

export function log(...parts) {
  console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
}
