// Shared by the load and latency tools and the zombienet checks: connecting, reading the chain,
// the oracle and the breakers, steering the loopback price servers, argument parsing, funding
// many accounts, pre-signing a flood of transfers, submitting them at a fixed rate, and waiting
// for blocks and events.
import { Worker } from 'node:worker_threads';
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';

/** The dev and local chains' BTC-USD market, and their collateral USDB (asset 1, 6 decimals). */
export const BTC = 0;
export const USDB_ASSET = 1;
export const USDB = 1_000_000n;
/** 1.0 as a FixedU128. */
export const FIXED = 10n ** 18n;

/// A trade's acceptable price from a price in dollars per coin: the unit price (USDB units per
/// satoshi: dollars x 10^6 / 10^8, so $67,000 is 670) as FixedU128, rounded to a cent of the
/// dollar price; `up` rounds a buy's ceiling up, a sell's floor down.
export function unitPriceLimit(dollars, up = true) {
  const cents = up ? Math.ceil(dollars * 100) : Math.floor(dollars * 100);
  return BigInt(cents) * 10n ** 14n;
}
/** The loopback price servers (scripts/run-price-feeds.sh, zombienet/run.sh). */
export const FEED_PORTS = [8101, 8102, 8103];
/** The liar's price server: every price 10x (scripts/run-price-feeds.sh). */
export const LIAR_PORT = 8104;

/**
 * An API on the node at `url`, tried once a second, 60 times at most. A node that zombienet has
 * just restarted ("restart after 5 seconds" returns once the process is started) may not serve
 * RPC yet: test 06's "catchup" on dave was refused once that way (ECONNREFUSED, 2026-12-07).
 */
export async function connect(url) {
  return retried(url, 60, async () => {
    const provider = new WsProvider(url);
    try {
      return await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
    } catch (error) {
      // The provider would go on reconnecting in the background: stop it before trying again.
      await provider.disconnect().catch(() => {});
      throw error;
    }
  });
}

export const best = async (api) => (await api.rpc.chain.getHeader()).number.toNumber();
export const finalized = async (api) =>
  (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();

/** A FixedU128 price (a codec value) in dollars, to the cent, rounded down. */
export const dollars = (fixed) => Number((fixed.toBigInt() * 100n) / FIXED) / 100;

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

/**
 * Lifts `market`'s breaker with `sudo`'s key unless it is Normal (a new chain starts ReduceOnly
 * until its insurance fund is seeded); resolves with the status it found.
 */
export async function ensureTrading(api, market, sudo) {
  const { status } = await breaker(api, market);
  if (status !== 'Normal') await send(api.tx.sudo.sudo(api.tx.circuitBreaker.liftMarket(market)), sudo);
  return status;
}

/**
 * Sends a control request to every loopback price server (`set?market=..&price=..`, `state`,
 * ...); resolves with each server's state after it, in `ports` order.
 */
export async function controlFeeds(query, ports = FEED_PORTS) {
  const states = [];
  for (const port of ports) {
    // Tried three times: under test 04's flood a request once failed at the socket ("fetch
    // failed", 2026-12-07; likely sent after the server's 5 s read timeout by a busy event loop).
    // Sending it again is harmless (at worst a wick that was set starts again from its first
    // answer); a server that is down still fails the check.
    const response = await retried(`price server ${port}, ${query}`, 3, () => fetch(`http://127.0.0.1:${port}/control/${query}`));
    if (!response.ok) throw new Error(`price server ${port}: ${response.status} for ${query}`);
    states.push(await response.json());
  }
  return states;
}

/** `--name value` pairs of the command line, as an object. */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) args[argv[i].slice(2)] = argv[i + 1];
  }
  return args;
}

export const keyring = new Keyring({ type: 'sr25519' });

/**
 * The `count` flood senders, //flood//0 onwards: ed25519 keys, because signing the transfers is most
 * of a flood's setup and polkadot-js's Wasm signs ed25519 about seven times faster than sr25519
 * (0.40 against 2.8 ms a signature on this two-core machine, 2026-12-07: test 06's 93,000
 * transfers took 270-290 s of its step's 300). The chain takes either (MultiSignature).
 */
const floodKeyring = new Keyring({ type: 'ed25519' });
export const floodSenders = (count) => Array.from({ length: count }, (_, i) => floodKeyring.addFromUri(`//flood//${i}`));

/** `transfer_keep_alive`s a block holds: the 75% normal share (`benchmark extrinsic`). */
export const BLOCK_TRANSFERS = 2396;

/** Transfers each flood sender may have beyond its on-chain nonce (see `flood`). */
export const FLOOD_DEPTH = 5;

/**
 * Transfers to sign per sender for a flood of `seconds` from `accounts` senders: what 6 s blocks
 * can take over that time, half as much again for transfers the pool drops and takes back, and
 * the in-pool `depth`. Signing more would only cost time: a block takes no more.
 */
export function transfersPerSender(seconds, accounts, depth = FLOOD_DEPTH) {
  return Math.ceil(((seconds / 6) * BLOCK_TRANSFERS * 1.5) / accounts) + depth;
}


/** How many of `block`'s extrinsics are flood transfers and how many are oracle reports. */
export function countFloodAndReports(block) {
  let transfers = 0;
  let reports = 0;
  for (const xt of block.block.extrinsics) {
    const call = `${xt.method.section}.${xt.method.method}`;
    if (call === 'balances.transferKeepAlive') transfers++;
    if (call === 'priceOracle.submitReport') reports++;
  }
  return { transfers, reports };
}
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `action` until it resolves, `tries` times at most, a second apart; rethrows its last error
 * with `what` and the socket's error (Node's fetch hides it in `cause`).
 */
async function retried(what, tries, action) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      const cause = error.cause ? ` (${error.cause.code ?? error.cause.message})` : '';
      if (attempt === tries) throw new Error(`${what}: ${error.message}${cause}, tried ${tries} times`);
      console.log(`${what}: ${error.message}${cause}; again in 1 s`);
      await sleep(1000);
    }
  }
}

/**
 * Submits `tx` signed by `who` (unsigned if `who` is null) and resolves with its events once it
 * is in a block (then stops watching it); rejects if it failed.
 */
export function send(tx, who, options = {}) {
  return new Promise((resolve, reject) => {
    let unsubscribe = null;
    let settled = false;
    const settle = (outcome) => {
      settled = true;
      if (unsubscribe) unsubscribe();
      outcome();
    };
    const watch = ({ status, dispatchError, events }) => {
      if (settled) return;
      if (dispatchError) settle(() => reject(new Error(`${tx.method.section}.${tx.method.method}: ${dispatchError.toString()}`)));
      else if (status.isInBlock) settle(() => resolve(events));
      else if (status.isDropped || status.isInvalid || status.isUsurped) settle(() => reject(new Error(`${tx.method.section}.${tx.method.method}: ${status.type}`)));
    };
    (who ? tx.signAndSend(who, options, watch) : tx.send(watch))
      .then((unsub) => (settled ? unsub() : (unsubscribe = unsub)))
      .catch(reject);
  });
}

/**
 * Sends every tx of `txs` from `who` with consecutive nonces and waits for all of them, 500 at a
 * time (each is a subscription, and a node serves at most 1024 per connection).
 */
export async function sendAll(api, txs, who) {
  let nonce = (await api.rpc.system.accountNextIndex(who.address)).toNumber();
  const events = [];
  for (let i = 0; i < txs.length; i += 500) {
    events.push(...(await Promise.all(txs.slice(i, i + 500).map((tx) => send(tx, who, { nonce: nonce++ })))));
  }
  return events;
}

/**
 * `count` flood senders (`floodSenders`), each funded by `funder` for `perSender` transfers of
 * `amount` BWK units: 0.01 BWK of fee each (far above the real fee) and 10 BWK to spare.
 */
export async function fundedSenders(api, funder, count, perSender, amount, tip = 0n) {
  const funding = BigInt(perSender) * (10n ** 10n + amount + tip) + 10n ** 13n;
  const senders = floodSenders(count);
  const balances = await api.query.system.account.multi(senders.map((s) => s.address));
  const needy = senders.filter((_, i) => balances[i].data.free.toBigInt() < funding);
  await sendAll(api, needy.map((s) => api.tx.balances.transferKeepAlive(s.address, funding)), funder);
  return senders;
}

/**
 * Signs `perSender` transfers of `amount` to `dest` for each of `senders` (immortal, explicit
 * nonces from each sender's next one, tipping `tip`), so that signing speed does not bound the
 * flood's rate.
 * Returns { signed: per sender, the hex transfers in nonce order (and its `address`),
 * firstNonce: per sender, the nonce of its first transfer }.
 */
export async function signTransfers(api, senders, dest, perSender, amount, tip = 0n) {
  const firstNonce = await Promise.all(senders.map(async (s) => (await api.rpc.system.accountNextIndex(s.address)).toNumber()));
  const { genesisHash, runtimeVersion } = api;
  // One extrinsic, signed again for every sender and nonce: building it anew each time was 0.6
  // ms of the 1.6 ms a transfer took to sign.
  const tx = api.tx.balances.transferKeepAlive(dest, amount);
  const signed = senders.map((sender, i) => {
    const transfers = [];
    for (let k = 0; k < perSender; k++) {
      tx.sign(sender, { nonce: firstNonce[i] + k, era: 0, blockHash: genesisHash, genesisHash, runtimeVersion, tip });
      transfers.push(tx.toHex());
    }
    transfers.address = sender.address;
    return transfers;
  });
  return { signed, firstNonce };
}

/**
 * Submits the signed transfers at `rate` per second for `seconds`, over `connections` WebSocket
 * connections of its own, and keeps the pool full of *ready* transfers however long the flood
 * lasts. `signed[s]` is sender `s`'s transfers in nonce order, from nonce `firstNonce[s]`.
 *
 * A pool that is full drops transfers, including ones it first took; a dropped nonce would strand
 * the rest of that sender's transfers in the future queue, and the flood would thin out to
 * nothing within a few blocks. So each sender has at most `depth` transfers beyond its on-chain
 * nonce (read every block), one the pool had no room for goes out again, and a sender whose
 * on-chain nonce has not moved for two blocks starts again from it. Submissions beyond
 * `maxInFlight` unanswered wait (a node drops a connection that floods it faster than it
 * answers), so the achieved rate is what the node takes, and is reported.
 * `onSubmitted(sender, nonce, hash)` hears of every transfer the pool took; the flood ends early
 * once `stopped()` is true.
 */
export async function flood(url, signed, firstNonce, { rate, seconds, depth = FLOOD_DEPTH, connections = 4, maxInFlight = 512, onSubmitted = () => {}, stopped = () => false }) {
  const api = await connect(url);
  const providers = await Promise.all(
    Array.from({ length: connections }, async () => {
      const provider = new WsProvider(url, false);
      await provider.connect();
      await provider.isReady;
      return provider;
    }),
  );
  const senders = signed.length;
  const addresses = signed.map((transfers) => transfers.address);
  const included = new Array(senders).fill(0); // per sender: transfers on chain
  const sent = new Array(senders).fill(0); // per sender: transfers the pool took
  const stalled = new Array(senders).fill(0); // per sender: blocks without progress
  const waiting = new Array(senders).fill(false);
  const unsubscribe = await api.rpc.chain.subscribeNewHeads(async () => {
    const accounts = await api.query.system.account.multi(addresses);
    accounts.forEach((account, s) => {
      const onChain = account.nonce.toNumber() - firstNonce[s];
      stalled[s] = onChain === included[s] && sent[s] > onChain ? stalled[s] + 1 : 0;
      included[s] = onChain;
      if (sent[s] < onChain) sent[s] = onChain;
      // Taken by the pool, then dropped: send again from the first one missing.
      if (stalled[s] >= 2) [sent[s], stalled[s]] = [onChain, 0];
    });
  });
  const stats = { submitted: 0, accepted: 0, refused: 0, retried: 0, refusals: new Map(), seconds: 0 };
  const start = Date.now();
  const inFlight = new Set();
  let cursor = 0;
  while (Date.now() - start < seconds * 1000 && !stopped()) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    for (let idle = 0; stats.submitted < due && inFlight.size < maxInFlight && idle < senders; idle++) {
      const s = cursor;
      cursor = (cursor + 1) % senders;
      const k = sent[s];
      if (waiting[s] || k >= signed[s].length || k - included[s] >= depth) continue;
      idle = -1;
      waiting[s] = true;
      stats.submitted++;
      const request = providers[stats.submitted % connections]
        .send('author_submitExtrinsic', [signed[s][k]])
        .then((hash) => {
          stats.accepted++;
          if (sent[s] === k) sent[s] = k + 1;
          onSubmitted(s, k, hash);
        })
        .catch((error) => {
          const reason = String(error.message).slice(0, 60);
          stats.refusals.set(reason, (stats.refusals.get(reason) ?? 0) + 1);
          if (/Immediately Dropped|Priority is too low|limit reached/.test(reason)) {
            // No room in the pool: the same transfer again later.
            stats.retried++;
          } else if (/Already Imported/.test(reason)) {
            // Still in the pool after all: go on with the next.
            if (sent[s] === k) sent[s] = k + 1;
          } else {
            // Banned for a while after a drop, or invalid: this sender can go no further.
            stats.refused++;
            sent[s] = signed[s].length;
          }
        })
        .finally(() => {
          waiting[s] = false;
          inFlight.delete(request);
        });
      inFlight.add(request);
    }
    await sleep(20);
  }
  await Promise.all(inFlight);
  stats.seconds = (Date.now() - start) / 1000;
  unsubscribe();
  await Promise.all([api.disconnect(), ...providers.map((provider) => provider.disconnect())]);
  return stats;
}

/** Resolves with the first new best block for which `predicate(blockNumber)` holds. */
export async function waitForBlock(api, predicate, timeoutMs = 120_000) {
  return waitFor('a block', async () => {
    const number = await best(api);
    return predicate(number) ? number : undefined;
  }, timeoutMs / 1000, 500);
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined or false, or
 * throws after `seconds`. `what` names the wait; a function is asked at the timeout, so the
 * message can say what the probe saw.
 */
export async function waitFor(what, probe, seconds, intervalMs = 1000) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${seconds} s waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Starts a flood in a worker thread (flood-worker.mjs): it signs `perSender` transfers of
 * `amount` to `dest` for each of the `accounts` `floodSenders` (funded beforehand:
 * `fundedSenders`), then, on `go()`, submits them at `rate` per second for `seconds` (see
 * `flood`). `signed` resolves when the signing is done; `done` with the flood's counts;
 * `onChosen(hash)` hears of every `chosenEvery`-th transfer the pool took.
 */
export function startFlood({ url, accounts, dest, perSender, amount, rate, seconds, chosenEvery = 500, onChosen = () => {}, tip = 0n }) {
  const worker = new Worker(new URL('./flood-worker.mjs', import.meta.url), {
    workerData: { url, accounts, dest, perSender, amount, rate, seconds, chosenEvery, tip },
  });
  let signedResolve;
  let doneResolve;
  const signed = new Promise((resolve) => (signedResolve = resolve));
  const done = new Promise((resolve) => (doneResolve = resolve));
  const failed = new Promise((_, reject) => worker.once('error', reject));
  worker.on('message', (message) => {
    if (message.type === 'signed') signedResolve(message);
    if (message.type === 'chosen') onChosen(message.hash);
    if (message.type === 'done') {
      doneResolve({ ...message.stats, refusals: new Map(message.stats.refusals) });
      worker.terminate();
    }
  });
  return {
    signed: Promise.race([signed, failed]),
    done: Promise.race([done, failed]),
    go: () => worker.postMessage('go'),
    /** Ends the flood before its `seconds`; `done` resolves as it would at the end. */
    stop: () => worker.postMessage('stop'),
  };
}
