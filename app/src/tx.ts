// Signing and sending a transaction, and what the chain said: in a block, or refused with its
// typed error (`perpetualMargin.InsufficientMargin` and its docs from the metadata).
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { DispatchError } from '@polkadot/types/interfaces';
import type { ISubmittableResult } from '@polkadot/types/types';
import { variantDocs } from './api';
import type { TradingAccount } from './accounts';

export interface ChainError {
  /** `section.Name`, e.g. `perpetualMargin.InsufficientMargin`, `token.FundsUnavailable`. */
  name: string;
  docs: string;
}

/** A dispatch error as its name and docs, from the metadata. */
export function describeDispatchError(api: ApiPromise, error: DispatchError): ChainError {
  if (error.isModule) {
    const meta = api.registry.findMetaError(error.asModule);
    return { name: `${meta.section}.${meta.name}`, docs: meta.docs.map((d) => d.trim()).join(' ') };
  }
  const nested: Record<string, [string, () => { type: string }]> = {
    Token: ['sp_runtime::TokenError', () => error.asToken],
    Arithmetic: ['sp_arithmetic::ArithmeticError', () => error.asArithmetic],
    Transactional: ['sp_runtime::TransactionalError', () => error.asTransactional],
  };
  const kind = nested[error.type];
  if (kind) {
    const variant = kind[1]().type;
    const docs = variantDocs(api.registry, kind[0]).get(variant) ?? '';
    return { name: `${error.type.toLowerCase()}.${variant}`, docs };
  }
  return { name: error.type, docs: variantDocs(api.registry, 'sp_runtime::DispatchError').get(error.type) ?? '' };
}

export class ChainRefused extends Error {
  constructor(readonly error: ChainError, readonly blockHash: string | null) {
    super(`${error.name}: ${error.docs}`);
  }
}

export interface Included {
  blockHash: string;
  events: Array<{ section: string; method: string }>;
}

/**
 * Signs `tx` as `account`, sends it and resolves once it is in a block; rejects with
 * `ChainRefused` when it failed there, or with the pool's reason when the node refused it.
 * `onStatus` hears each step (Ready, Broadcast, InBlock...).
 */
export function signAndSend(
  api: ApiPromise,
  tx: SubmittableExtrinsic<'promise'>,
  account: TradingAccount,
  onStatus: (status: string) => void = () => {},
): Promise<Included> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | null = null;
    let done = false;
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      unsubscribe?.();
      outcome();
    };
    const watch = (result: ISubmittableResult) => {
      const { status, dispatchError } = result;
      onStatus(status.type);
      if (status.isInBlock || status.isFinalized) {
        const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
        if (dispatchError) finish(() => reject(new ChainRefused(describeDispatchError(api, dispatchError), blockHash)));
        else finish(() => resolve({ blockHash, events: result.events.map(({ event }) => ({ section: event.section, method: event.method })) }));
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        finish(() => reject(new Error(`the transaction was ${status.type.toLowerCase()} by the pool`)));
      }
    };
    const sent = account.pair
      ? tx.signAndSend(account.pair, watch)
      : tx.signAndSend(account.address, { signer: account.signer }, watch);
    sent.then((unsub) => (done ? unsub() : (unsubscribe = unsub)), (error: unknown) => finish(() => reject(error instanceof Error ? error : new Error(String(error)))));
  });
}
