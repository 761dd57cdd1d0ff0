// The connection to a node: the URL (`?rpc=ws://...`, default the dev node), the chain's name
// and type (dev accounts only on Development and Local chains), and the metadata's docs.
import { ApiPromise, WsProvider } from '@polkadot/api';
import type { Registry } from '@polkadot/types/types';
import { MARKET_STATUSES, PRICE_STATUSES, REASONS, WITHDRAWAL_STATUSES } from './explanations';

export const DEFAULT_RPC = 'ws://127.0.0.1:9944';

/** The node URL of the page's `?rpc=` query parameter, else the default. */
export function rpcFromSearch(search: string): string {
  const url = new URLSearchParams(search).get('rpc')?.trim();
  return url && /^wss?:\/\//.test(url) ? url : DEFAULT_RPC;
}

export interface Chain {
  api: ApiPromise;
  url: string;
  name: string;
  /** `system_chainType`: Development, Local, Live or Custom. */
  chainType: string;
  /** Development or Local: the well-known dev accounts may sign. */
  isDev: boolean;
  specVersion: number;
  ss58: number;
}

export async function connect(url: string): Promise<Chain> {
  // No retries in the background before the first connection: a wrong URL fails at once.
  const provider = new WsProvider(url, 2_500);
  let api: ApiPromise;
  try {
    api = await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
  } catch (error) {
    await provider.disconnect().catch(() => {});
    throw error instanceof Error ? error : new Error('no WebSocket answer');
  }
  const [name, chainType] = await Promise.all([api.rpc.system.chain(), api.rpc.system.chainType()]);
  const type = chainType.type;
  return {
    api,
    url,
    name: name.toString(),
    chainType: type,
    isDev: type === 'Development' || type === 'Local',
    specVersion: api.runtimeVersion.specVersion.toNumber(),
    ss58: api.registry.chainSS58 ?? 42,
  };
}

/**
 * The docs of an enum's variants from the metadata, by the type's path
 * (`pallet_circuit_breaker::types::Reason`): what each breaker reason or status means, as the
 * runtime documents it.
 */
export function variantDocs(registry: Registry, path: string): Map<string, string> {
  const docs = new Map<string, string>();
  for (const { type } of registry.lookup.types) {
    if (type.path.map((segment) => segment.toString()).join('::') !== path || !type.def.isVariant) continue;
    for (const variant of type.def.asVariant.variants) {
      docs.set(variant.name.toString(), variant.docs.map((line) => line.toString().trim()).join(' '));
    }
  }
  return docs;
}

/** The metadata's docs of an enum, each variant without docs taken from `fallback`. */
function docsOr(registry: Registry, path: string, fallback: Record<string, string>): Map<string, string> {
  const docs = variantDocs(registry, path);
  for (const [variant, text] of Object.entries(fallback)) {
    if (!docs.get(variant)) docs.set(variant, text);
  }
  return docs;
}

/** The docs of every enum the page explains, read once per connection. */
export interface Docs {
  reason: Map<string, string>;
  marketStatus: Map<string, string>;
  withdrawalStatus: Map<string, string>;
  priceStatus: Map<string, string>;
}

export function readDocs(registry: Registry): Docs {
  return {
    reason: docsOr(registry, 'pallet_circuit_breaker::types::Reason', REASONS),
    marketStatus: docsOr(registry, 'bulwark_primitives::MarketStatus', MARKET_STATUSES),
    withdrawalStatus: docsOr(registry, 'bulwark_primitives::WithdrawalStatus', WITHDRAWAL_STATUSES),
    priceStatus: docsOr(registry, 'bulwark_primitives::PriceStatus', PRICE_STATUSES),
  };
}
