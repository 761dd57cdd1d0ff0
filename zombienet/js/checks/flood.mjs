// Test 4: liquidations under a transfer flood at about 3x block capacity: every position the
// aggregate of block N makes liquidatable is liquidated in N+1 (the load tool of
// liquidation-latency.mjs, smaller). Args: groups, per group, transfers per second.
import { measureLiquidations } from '../liquidations.mjs';
import { connect, log } from './common.mjs';

export default async function floodCheck({ wsUri, args }) {
  const [groups = 2, perGroup = 4, rate = 1200] = args.map(Number);
  const api = await connect(wsUri);
  try {
    const result = await measureLiquidations(api, { url: wsUri, groups, perGroup, rate, floodAccounts: 1500 });
    log(`liquidated in the next block: ${result.nextBlock} of ${result.trials}, longest wait ${result.maxWait}`);
    if (result.trials !== groups * perGroup || result.nextBlock !== result.trials) {
      throw new Error(`expected all ${groups * perGroup} in the next block: ${JSON.stringify(result)}`);
    }
    return 0;
  } finally {
    await api.disconnect();
  }
}
