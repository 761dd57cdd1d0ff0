// Test 5: a runtime upgrade the way governance enacts one. The chain authorizes the hash of the
// next version of the runtime it runs (`system.authorizeUpgrade`: on the staging chain a root
// referendum's call, whose vote the runtime tests cover; on this local chain sudo stands in for
// the vote, as the root track's periods last days), then anyone submits the code itself
// (`system.applyAuthorizedUpgrade`, an unsigned transaction the pool admits only for the
// authorized hash). The code is this runtime built with spec_version + 1 (runtime/build.rs;
// run.sh names it in BULWARK_NEXT_RUNTIME_WASM). Then: the chain reports the new version, and
// blocks and finality go on across the upgrade.
import { readFile } from 'node:fs/promises';
import { best, connect, finalized, keyring, log, requireEvent, send, waitFor } from './common.mjs';

/** Reads an unsigned LEB128 at `offset`: [value, bytes used]. */
function leb128(bytes, offset) {
  let value = 0;
  let shift = 0;
  for (let i = offset; ; i++) {
    value |= (bytes[i] & 0x7f) << shift;
    shift += 7;
    if ((bytes[i] & 0x80) === 0) return [value >>> 0, i + 1 - offset];
  }
}

/** Skips a SCALE string (compact length prefix, then bytes) at `offset`; returns the offset after. */
function skipScaleString(bytes, offset) {
  const mode = bytes[offset] & 0b11;
  if (mode === 0) return offset + 1 + (bytes[offset] >> 2);
  if (mode === 1) return offset + 2 + (((bytes[offset] | (bytes[offset + 1] << 8)) >> 2) & 0x3fff);
  throw new Error('runtime name longer than a Wasm custom section needs');
}

/** The spec_version in a Wasm's `runtime_version` section (what the chain checks before it
 * accepts code). */
export function specVersionOf(wasm) {
  const bytes = Uint8Array.from(wasm);
  let offset = 8; // magic and version
  while (offset < bytes.length) {
    const id = bytes[offset];
    const [size, sizeBytes] = leb128(bytes, offset + 1);
    const start = offset + 1 + sizeBytes;
    if (id === 0) {
      const [nameLength, nameBytes] = leb128(bytes, start);
      const name = Buffer.from(bytes.subarray(start + nameBytes, start + nameBytes + nameLength)).toString();
      if (name === 'runtime_version') {
        // RuntimeVersion: spec_name, impl_name (strings), authoring_version, spec_version (u32 LE).
        let at = skipScaleString(bytes, start + nameBytes + nameLength);
        at = skipScaleString(bytes, at) + 4;
        return new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true);
      }
    }
    offset = start + size;
  }
  throw new Error('no runtime_version section in the Wasm');
}

export default async function upgrade({ wsUri }) {
  const path = process.env.BULWARK_NEXT_RUNTIME_WASM;
  if (!path) throw new Error('BULWARK_NEXT_RUNTIME_WASM is not set');
  const code = await readFile(path);
  // The compressed blob starts with a magic prefix; its version is read by the chain after
  // decompression, so compare against the uncompressed build next to it.
  const to = specVersionOf(await readFile(path.replace('.compact.compressed.wasm', '.compact.wasm')));
  const api = await connect(wsUri);
  try {
    const running = (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber();
    const from = running;
    if (to !== from + 1) throw new Error(`the chain runs ${from}, the next runtime says ${to}`);
    const alice = keyring.addFromUri('//Alice');
    // As hex: a raw Uint8Array would be read as SCALE bytes with a length prefix.
    const codeHex = `0x${code.toString('hex')}`;
    const hash = api.registry.hash(code).toHex(); // blake2-256, the runtime's hasher
    requireEvent(await send(api.tx.sudo.sudo(api.tx.system.authorizeUpgrade(hash)), alice), 'system.UpgradeAuthorized');
    log(`authorized ${hash} (spec_version ${to})`);
    // Anyone may now bring the code: an unsigned transaction, no account, no fee.
    await send(api.tx.system.applyAuthorizedUpgrade(codeHex), null);
    const at = await best(api);
    // The proof is the runtime version and `lastRuntimeUpgrade` below, not the block's
    // `CodeUpdated` event: @polkadot/api decodes that block's events while it switches to the new
    // runtime, and sometimes fails (events empty, or "Unable to decode storage system.events").
    log(`applyAuthorizedUpgrade in block ~${at}`);
    await waitFor(`spec_version ${to}`, async () => (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber() === to, 60);
    // The new code ran its upgrade hooks in its first block and recorded its version.
    await waitFor('the upgrade recorded', async () => {
      const last = await api.query.system.lastRuntimeUpgrade();
      return last.isSome && last.unwrap().specVersion.toNumber() === to ? true : undefined;
    }, 60);
    const finalizedAt = await finalized(api);
    await waitFor('5 blocks finalized on the new runtime', async () => (await finalized(api)) >= Math.max(at, finalizedAt) + 5, 120);
    log(`spec_version ${from} -> ${to}; best ${await best(api)}, finalized ${await finalized(api)}`);
    return 0;
  } finally {
    await api.disconnect();
  }
}
