// What the checks share: lib.mjs (connecting, the oracle, the breakers, the loopback price
// servers, sending, waiting), and logging and event checks.
export * from '../lib.mjs';

/** Throws unless `events` (what `send` resolved with) hold a `section.method` event. */
export function requireEvent(events, name) {
  const names = events.map(({ event }) => `${event.section}.${event.method}`);
  if (!names.includes(name)) throw new Error(`no ${name} among ${names.join(', ')}`);
}

export function log(...parts) {
  console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);
}
