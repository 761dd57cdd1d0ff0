// Test 6: one validator (this node) whose every price source lies 10x. Its BTC sources are
// pointed, on this node only (offchain storage, as `--oracle-source` does), at the liar's price
// server (LIAR_PORT: every price 10x). For `rounds` aggregates the others outvote it: every
// aggregate stays at the honest price, and the oracle records the liar's deviation: its
// `OutlierReport` events, and its `feederRecord.outliers` growing while the honest feeders'
// stay as they were. The sources are then given back.
import { BTC, connect, dollars, keyring, LIAR_PORT, log, oraclePrice, waitFor } from './common.mjs';

const HONEST = 67000;
const VALIDATORS = ['Alice', 'Bob', 'Charlie', 'Dave'];

/** The oracle key of validator `name`: its seed's `//oracle` derivation (the local preset). */
const oracleKey = (name) => `0x${Buffer.from(keyring.addFromUri(`//${name}//oracle`).publicKey).toString('hex')}`;
const stringToHex = (text) => `0x${Buffer.from(text, 'utf8').toString('hex')}`;

async function setSources(api, market, urls) {
  for (const [index, url] of urls.entries()) {
    await api.rpc.offchain.localStorageSet('PERSISTENT', stringToHex(`bulwark/oracle/url/${market}/${index}`), stringToHex(url));
  }
}

export default async function liar({ node, wsUri, args }) {
  const rounds = Number(args[0] ?? 3);
  const liarName = VALIDATORS.find((name) => name.toLowerCase() === node);
  if (!liarName) throw new Error(`${node} is not one of the local chain's validators`);
  const api = await connect(wsUri);
  try {
    const keys = Object.fromEntries(VALIDATORS.map((name) => [name, oracleKey(name)]));
    const feeders = (await api.query.priceOracle.feeders()).map((key) => key.toHex());
    for (const [name, key] of Object.entries(keys)) {
      if (!feeders.includes(key)) throw new Error(`${name}'s //oracle key ${key} is not a feeder: ${feeders}`);
    }
    const outliers = async () => Object.fromEntries(await Promise.all(Object.entries(keys).map(
      async ([name, key]) => [name, (await api.query.priceOracle.feederRecord(key)).outliers.toNumber()])));
    const before = await outliers();

    const seen = { aggregates: [], outlierReports: [], outlierKeys: new Set() };
    const unsubscribe = await api.query.system.events((events) => {
      for (const { event } of events) {
        if (event.section !== 'priceOracle' || event.data.market?.toNumber() !== BTC) continue;
        if (event.method === 'PriceAggregated') seen.aggregates.push(dollars(event.data.price));
        // Keyed by round and feeder: a block seen twice (a re-org) is counted once.
        const key = `${event.data.round?.toNumber()}/${event.data.feeder?.toHex()}`;
        if (event.method === 'OutlierReport' && !seen.outlierKeys.has(key)) {
          seen.outlierKeys.add(key);
          seen.outlierReports.push({ feeder: event.data.feeder.toHex(), price: Number(event.data.price.toBigInt() / 10n ** 18n) });
        }
      }
    });
    const feed = (await api.query.priceOracle.feeds(BTC)).unwrap();
    const honestUrls = feed.sources.map((source) => new TextDecoder().decode(source.url.toU8a(true)));
    const lyingUrls = honestUrls.map((url) => url.replace(/:\d+\//, `:${LIAR_PORT}/`));
    if (lyingUrls.some((url, i) => url === honestUrls[i])) throw new Error(`cannot redirect ${honestUrls}`);
    await setSources(api, BTC, lyingUrls);
    log(`${node}: every BTC source now at the liar's server (${lyingUrls[0]}, ...)`);
    try {
      const start = (await oraclePrice(api, BTC)).round;
      await waitFor(`${rounds} BTC aggregates with ${node} lying`, async () => {
        const lies = seen.outlierReports.filter((r) => r.feeder === keys[liarName]).length;
        return (await oraclePrice(api, BTC)).round >= start + rounds && lies >= rounds ? true : undefined;
      }, 120);
    } finally {
      await setSources(api, BTC, honestUrls.map(() => ''));
      unsubscribe();
    }
    const after = await outliers();
    const prices = [...new Set(seen.aggregates)];
    log(`aggregates while ${node} lied: ${seen.aggregates.join(', ')}`);
    log(`outlier reports: ${seen.outlierReports.map((r) => `${Object.keys(keys).find((n) => keys[n] === r.feeder)} at ${r.price}`).join(', ')}`);
    log(`feederRecord.outliers before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    if (prices.length !== 1 || prices[0] !== HONEST) throw new Error(`a lying validator moved BTC: ${prices}`);
    const liarReports = seen.outlierReports.filter((r) => r.feeder === keys[liarName]);
    if (liarReports.some((r) => r.price !== HONEST * 10)) throw new Error(`the liar's reports were not 10x: ${JSON.stringify(liarReports)}`);
    if (seen.outlierReports.length !== liarReports.length) throw new Error(`an honest feeder was flagged: ${JSON.stringify(seen.outlierReports)}`);
    for (const name of VALIDATORS) {
      const grew = after[name] - before[name];
      if (name === liarName ? grew < liarReports.length : grew !== 0) {
        throw new Error(`${name}'s outliers went ${before[name]} -> ${after[name]} (${liarReports.length} lies seen)`);
      }
    }
    log(`${node}, lying 10x, was outvoted in ${seen.aggregates.length} aggregates; its ${liarReports.length} outlier reports are on record`);
    return 0;
  } finally {
    await api.disconnect();
  }
}
