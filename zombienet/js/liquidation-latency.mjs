// Measures how many blocks a position made liquidatable by an oracle aggregate waits for its
// liquidation, while a flood of transfers keeps the pool over block capacity.
//
//   node liquidation-latency.mjs [--url ws://127.0.0.1:9944] [--groups 10] [--per-group 10]
//       [--rate 1200] [--flood-accounts 2000] [--step-blocks 3] [--feeds 8101,8102,8103]
//       [--expect-next-block]
//
// Against a dev node (Alice the only validator and feeder) whose oracle reads the loopback price
// servers (scripts/run-price-feeds.sh). It opens `groups x per-group` BTC longs, each group with
// less margin than the last, so that each step of the served price makes one more group
// liquidatable; starts the flood; steps the price down one group at a time; and follows every
// position from the block whose aggregate queued it (N) to the block that liquidated it. Each
// position has a keeper account of its own that signs `liquidate` as soon as it sees the position
// queued and resubmits it at every block until it is liquidated, in every mode:
// the chain decides who gets there first. With --expect-next-block it exits 1 unless every
// position was liquidated in N+1.
import { connect, FEED_PORTS, parseArgs } from './lib.mjs';
import { measureLiquidations } from './liquidations.mjs';

const args = parseArgs();
const url = args.url ?? 'ws://127.0.0.1:9944';
const api = await connect(url);
const result = await measureLiquidations(api, {
  url,
  groups: Number(args.groups ?? 10),
  perGroup: Number(args['per-group'] ?? 10),
  rate: Number(args.rate ?? 1200),
  floodAccounts: Number(args['flood-accounts'] ?? 2000),
  stepBlocks: Number(args['step-blocks'] ?? 3),
  feeds: args.feeds ? args.feeds.split(',').map(Number) : FEED_PORTS,
});
await api.disconnect();
const expectNextBlock = process.argv.includes('--expect-next-block');
process.exit(expectNextBlock && (result.trials === 0 || result.nextBlock !== result.trials) ? 1 : 0);
