// CheckMetadataHash: a transaction signed in `mode = 1` with the hash of the chain's metadata
// (RFC-78, computed here from the chain's own metadata v15 with @polkadot-api/merkleize-metadata,
// BWK with 12 decimals as the runtime's build declares) is included; the same transfer signed
// over a wrong hash is refused by the pool (the chain signs what it knows, so the signature does
// not verify); `mode = 0` (Polkadot.js's default, every other test) still signs.
import { merkleizeMetadata } from '@polkadot-api/merkleize-metadata';
import { connect, keyring, log, send } from './common.mjs';

export default async function metadataHash({ wsUri }) {
  const api = await connect(wsUri);
  try {
    const metadata = (await api.call.metadata.metadataAtVersion(15)).unwrap().toU8a(true);
    const digest = merkleizeMetadata(metadata, { decimals: 12, tokenSymbol: 'BWK' }).digest();
    const hash = `0x${Buffer.from(digest).toString('hex')}`;
    log(`metadata hash ${hash}`);
    const [ferdie, eve] = ['//Ferdie', '//Eve'].map((uri) => keyring.addFromUri(uri));
    const transfer = () => api.tx.balances.transferKeepAlive(eve.address, 10n ** 12n);

    const wrong = `0x${Buffer.from(digest.map((byte, i) => (i === 0 ? byte ^ 1 : byte))).toString('hex')}`;
    let refused = null;
    try {
      await transfer().signAndSend(ferdie, { mode: 1, metadataHash: wrong });
    } catch (error) {
      refused = error.message;
    }
    if (refused === null || !/bad signature|BadProof/i.test(refused)) {
      throw new Error(`a transfer signed over a wrong metadata hash was not refused as a bad signature: ${refused}`);
    }
    log(`wrong hash refused: ${refused}`);

    const events = await send(transfer(), ferdie, { mode: 1, metadataHash: hash });
    if (!events.some(({ event }) => event.section === 'balances' && event.method === 'Transfer')) {
      throw new Error('the transfer signed with the metadata hash did not transfer');
    }
    log('transfer signed with mode 1 and the metadata hash included');
    return 0;
  } finally {
    await api.disconnect();
  }
}
