// Who signs: the well-known dev accounts (//Alice, //Bob, ...) on Development and Local chains
// only, otherwise the accounts of a browser extension (Polkadot.js and compatible ones).
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Signer } from '@polkadot/types/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';

export interface TradingAccount {
  address: string;
  name: string;
  source: 'dev' | 'extension';
  /** A dev account signs with its own key... */
  pair?: KeyringPair;
  /** ...an extension's through its signer. */
  signer?: Signer;
}

export const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'] as const;

/** The dev accounts (sr25519 //Name), with addresses in the chain's SS58 format. */
export async function devAccounts(ss58Format: number): Promise<TradingAccount[]> {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format });
  return DEV_NAMES.map((name) => {
    const pair = keyring.addFromUri(`//${name}`, { name });
    return { address: pair.address, name, source: 'dev', pair };
  });
}

/** The accounts of the browser's extensions (asks for access the first time). */
export async function extensionAccounts(appName: string, ss58Format: number): Promise<TradingAccount[]> {
  const { web3Accounts, web3Enable, web3FromAddress } = await import('@polkadot/extension-dapp');
  const extensions = await web3Enable(appName);
  if (extensions.length === 0) {
    throw new Error('No browser extension gave access: install the Polkadot.js extension (or Talisman, SubWallet), allow this page, and reload.');
  }
  const accounts = await web3Accounts({ ss58Format });
  return Promise.all(accounts.map(async (account) => ({
    address: account.address,
    name: `${account.meta.name ?? account.address.slice(0, 8)} (${account.meta.source})`,
    source: 'extension' as const,
    signer: (await web3FromAddress(account.address)).signer,
  })));
}
