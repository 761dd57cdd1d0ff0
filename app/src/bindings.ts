// Every storage item, runtime-API call and transaction of the chain the app uses, by name, in
// one place. The chain's own pallets are not in Polkadot.js's built-in types: they are decorated
// from the metadata at run time, so each is looked up here and a missing one fails with its name
// (a renamed item, or a node that is not Bulwark's).
import type { ApiPromise } from '@polkadot/api';
import type { ApiDecoration, SubmittableExtrinsic } from '@polkadot/api/types';
import type { StorageKey } from '@polkadot/types';
import type { Codec } from '@polkadot/types/types';

type At = ApiDecoration<'promise'> | ApiPromise;

export interface StorageItem {
  (...keys: unknown[]): Promise<Codec>;
  entries(): Promise<Array<[StorageKey, Codec]>>;
  at(hash: string | Uint8Array, ...keys: unknown[]): Promise<Codec>;
}

export type RuntimeCall = (...args: unknown[]) => Promise<Codec>;
export type TxBuilder = (...args: unknown[]) => SubmittableExtrinsic<'promise'>;

function lookup<T>(root: unknown, kind: string, section: string, name: string): T {
  const item = (root as Record<string, Record<string, unknown> | undefined> | undefined)?.[section]?.[name];
  if (typeof item !== 'function') throw new Error(`the chain has no ${kind} ${section}.${name}: is this a Bulwark node of this version?`);
  return item as T;
}

export const storage = (at: At, section: string, name: string): StorageItem => lookup(at.query, 'storage item', section, name);
export const runtimeCall = (at: At, api: string, method: string): RuntimeCall => lookup(at.call, 'runtime API', api, method);
export const tx = (api: ApiPromise, section: string, name: string): TxBuilder => lookup(api.tx, 'call', section, name);

/** A block's `system.events`. */
export const eventsAt = (api: ApiPromise, hash: string): Promise<Codec> => storage(api, 'system', 'events').at(hash);

/** What the page reads. */
export const reads = (at: At) => ({
  markets: storage(at, 'perpetualMargin', 'markets'),
  silos: storage(at, 'collateralSilos', 'silos'),
  margin: storage(at, 'collateralSilos', 'margin'),
  heldProfit: storage(at, 'collateralSilos', 'heldProfit'),
  reserveShort: storage(at, 'collateralSilos', 'reserveShort'),
  feeds: storage(at, 'priceOracle', 'feeds'),
  prices: storage(at, 'priceOracle', 'prices'),
  feeders: storage(at, 'priceOracle', 'feeders'),
  oracleParams: storage(at, 'priceOracle', 'params'),
  breakers: storage(at, 'circuitBreaker', 'markets'),
  breakerParams: storage(at, 'circuitBreaker', 'params'),
  assetMetadata: storage(at, 'assets', 'metadata'),
  assetAccount: storage(at, 'assets', 'account'),
  systemAccount: storage(at, 'system', 'account'),
  marketStatuses: runtimeCall(at, 'circuitBreakerApi', 'marketStatuses'),
  siloStatuses: runtimeCall(at, 'circuitBreakerApi', 'siloStatuses'),
  emergency: runtimeCall(at, 'circuitBreakerApi', 'emergency'),
  accountHealth: runtimeCall(at, 'perpetualMarginApi', 'accountHealth'),
  stressTest: runtimeCall(at, 'perpetualMarginApi', 'stressTest'),
});

/** What a trader signs. */
export const calls = (api: ApiPromise) => ({
  /** (silo, asset, amount in collateral units) */
  depositMargin: tx(api, 'collateralSilos', 'depositMargin'),
  /** (silo, amount) */
  withdrawMargin: tx(api, 'collateralSilos', 'withdrawMargin'),
  /** (market, sizeDelta in size units, margin in collateral units, acceptablePrice as a unit price, reduceOnly) */
  trade: tx(api, 'perpetualMargin', 'trade'),
  /** (market, acceptablePrice as a unit price) */
  closePosition: tx(api, 'perpetualMargin', 'closePosition'),
});
