// What the checks share: lib.mjs (connecting, the oracle, the breakers, the loopback price
// servers, sending), and waiting and logging.
import { sleep } from '../lib.mjs';

export * from '../lib.mjs';

/** Polls `probe` every second until it returns a value other than undefined or false, or throws. */
export async function waitFor(what, probe, seconds) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(1000);
  }
}

/** Throws unless `events` (what `send` resolved with) hold a `section.method` event. */
export function requireEvent(events, name) {
  const names = events.map(({ event }) => `${event.section}.${event.method}`);
  if (!names.includes(name)) throw new Error(`no ${name} among ${names.join(', ')}`);
}

export function log(...parts) {
  console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
}
