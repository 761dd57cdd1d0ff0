// The flood in a thread of its own (worker_threads): it signs the transfers and submits them, so
// that the signing and the thousands of requests a second never starve the thread that follows
// the chain (a node drops a subscriber that stops reading). Driven by lib.mjs `startFlood`.
import { parentPort, workerData } from 'node:worker_threads';
import { connect, flood, floodSenders, signTransfers } from './lib.mjs';

const { url, accounts, dest, perSender, amount, rate, seconds, chosenEvery, tip } = workerData;
const api = await connect(url);
const senders = floodSenders(accounts);
const started = Date.now();
const { signed, firstNonce } = await signTransfers(api, senders, dest, perSender, amount, tip ?? 0n);
await api.disconnect();
parentPort.postMessage({ type: 'signed', count: accounts * perSender, seconds: (Date.now() - started) / 1000 });
let taken = 0;
let stopRequested = false;
let flooding = false;
parentPort.on('message', async (message) => {
  if (message === 'stop') {
    stopRequested = true;
    return;
  }
  if (message !== 'go' || flooding) return;
  flooding = true;
  const stats = await flood(url, signed, firstNonce, {
    rate,
    seconds,
    onSubmitted: (_sender, _nonce, hash) => ++taken % chosenEvery === 0 && parentPort.postMessage({ type: 'chosen', hash }),
    stopped: () => stopRequested,
  });
  parentPort.postMessage({ type: 'done', stats: { ...stats, refusals: [...stats.refusals] } });
});
