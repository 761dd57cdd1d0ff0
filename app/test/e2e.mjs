// The browser test (run by test/run.sh, which starts the node, the price servers and the app).
// Headless Chromium (Debian's, through playwright-core) drives the app as a trader would, while
// this script reads the same chain with @polkadot/api and checks what the page shows:
//   1. the page opens: markets ReduceOnly (a fresh dev chain), with the reason; Alice (sudo)
//      lifts BTC-USD and ETH-USD, Charlie provides liquidity; the page shows the breaker moves;
//   2. Bob deposits 1,000 USDB; his free margin on the page equals the chain's;
//   3. a trade with 1 USDB of margin is refused: the page shows perpetualMargin.InsufficientMargin
//      with its docs from the metadata;
//   4. Bob opens a 0.1 BTC long (643 USDB, at most $68,000 = 680 USDB units per satoshi); every
//      number of the position on the page equals `accountHealth` at the block the page shows,
//      raw and as displayed (converted here independently of the app's code);
//   5. the served BTC price drops below the liquidation price: the page's feed shows the
//      liquidation (equal to the chain's event) and the position emptied;
//   6. ETH-USD's three price servers fail: the page shows its price Stale and the breaker
//      ReduceOnly (OracleStale) since the block of the chain's breaker event.
// Screenshots go to $BULWARK_TEST_OUTPUT. Exits 1 on the first mismatch.
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { mkdir } from 'node:fs/promises';
import { chromium } from 'playwright-core';

const RPC = process.env.BULWARK_RPC ?? 'ws://127.0.0.1:9944';
const APP = process.env.BULWARK_APP_URL ?? 'http://127.0.0.1:4173';
const FEEDS = (process.env.BULWARK_FEEDS ?? '8101,8102,8103').split(',');
const ETH_FEEDS = (process.env.BULWARK_ETH_FEEDS ?? '').split(',').filter(Boolean);
const OUT = process.env.BULWARK_TEST_OUTPUT ?? 'test-output';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const BTC = 0;
const ETH = 1;
const USDB = 1_000_000n; // units per USDB (6 decimals)
const ONE = 10n ** 18n; // FixedU128
const SAT = 100_000_000n; // size units per BTC

const started = Date.now();
/** The whole test must finish within this; then it fails rather than hang. */
const LIMIT_SECONDS = Number(process.env.BULWARK_TEST_LIMIT ?? 360);
setTimeout(() => {
  console.error(`FAILED: the test did not finish within ${LIMIT_SECONDS} s`);
  process.exit(1);
}, LIMIT_SECONDS * 1000).unref();
const log = (...parts) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s]`, ...parts);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, probe, seconds = 90, intervalMs = 500) {
  const deadline = Date.now() + seconds * 1000;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await sleep(intervalMs);
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// ---- display, computed here from the chain's integers (not with the app's code) ----

const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** USDB units as the page shows money: every decimal, at least two. */
function usdb(units) {
  const negative = units < 0n;
  const magnitude = negative ? -units : units;
  let fraction = (magnitude % USDB).toString().padStart(6, '0');
  while (fraction.length > 2 && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}${group((magnitude / USDB).toString())}.${fraction} USDB`;
}
const signedUsdb = (units) => `${units > 0n ? '+' : ''}${usdb(units)}`;

/** A FixedU128 price of 100 USD or more, in cents, rounded down or up. */
function dollars(fixed, up = false) {
  const cent = ONE / 100n;
  const cents = up ? (fixed + cent - 1n) / cent : fixed / cent;
  return `$${group((cents / 100n).toString())}.${(cents % 100n).toString().padStart(2, '0')}`;
}

function btc(size) {
  const magnitude = size < 0n ? -size : size;
  let fraction = (magnitude % SAT).toString().padStart(8, '0').replace(/0+$/, '');
  return `${size < 0n ? '-' : ''}${magnitude / SAT}${fraction ? `.${fraction}` : ''} BTC`;
}

/** A position's or a position event's size, under any of the names it has had (the app's fields.ts does the same). */
const sizeOf = (fields) => BigInt(fields.sizeUnits ?? fields.size_ ?? fields.size);

const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

// ---- the chain, read by this script ----

const api = await ApiPromise.create({ provider: new WsProvider(RPC), noInitWarn: true, throwOnConnect: true });
const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
const [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((uri) => keyring.addFromUri(uri));

/** Sends `tx` from `who`; resolves once in a block, rejects with the module error's name. */
function send(tx, who, nonce) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(who, nonce === undefined ? {} : { nonce }, ({ status, dispatchError }) => {
      if (dispatchError) {
        const meta = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
        reject(new Error(meta ? `${meta.section}.${meta.name}` : dispatchError.toString()));
      } else if (status.isInBlock) resolve(status.asInBlock.toHex());
    }).catch(reject);
  });
}

const control = (ports, query) => Promise.all(ports.map(async (port) => {
  const response = await fetch(`http://127.0.0.1:${port}/control/${query}`);
  if (!response.ok) throw new Error(`price server ${port}: ${response.status} for ${query}`);
}));

// Every block's breaker moves and liquidations, with their block numbers.
const seen = { breakers: [], liquidations: [] };
const unwatch = await api.rpc.chain.subscribeNewHeads(async (header) => {
  const events = await api.query.system.events.at(header.hash);
  for (const { event } of events) {
    const data = Object.fromEntries(event.data.names.map((name, i) => [name, event.data[i]]));
    if (event.section === 'circuitBreaker' && event.method === 'MarketBreaker') {
      seen.breakers.push({ block: header.number.toNumber(), market: data.market.toNumber(), from: data.from.toString(), to: data.to.toString(), reason: data.reason.toString() });
    }
    if (event.section === 'perpetualMargin' && event.method === 'Liquidated') {
      seen.liquidations.push({ block: header.number.toNumber(), data: event.data.toPrimitive(), names: event.data.names });
    }
  }
});

const oracle = async (market, at = api) => {
  const price = await at.query.priceOracle.prices(market);
  return price.isSome ? price.unwrap() : null;
};
const breakerAt = async (at, market) => {
  const reports = await at.call.circuitBreakerApi.marketStatuses();
  const report = reports.find((r) => r.market.toNumber() === market);
  return { status: report.status.toString(), reason: report.reason.isSome ? report.reason.unwrap().toString() : null };
};

// ---- the page ----

await mkdir(OUT, { recursive: true });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
const pageErrors = [];
page.on('pageerror', (error) => pageErrors.push(error.message));
page.on('console', (message) => {
  if (message.type() === 'error') pageErrors.push(message.text());
});
let shots = 0;
const screenshot = async (name) => {
  const path = `${OUT}/${String(++shots).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
};

/** The page's market card: status, reason, price status, since, as rendered. */
const marketOnPage = (market) => page.evaluate((id) => {
  const card = document.querySelector(`[data-testid=market][data-market="${id}"]`);
  if (!card) return null;
  const field = (name) => card.querySelector(`[data-field=${name}]`);
  const connection = document.getElementById('connection');
  return {
    block: Number(connection.dataset.block),
    hash: connection.dataset.hash,
    status: field('status')?.textContent,
    priceStatus: field('priceStatus')?.textContent,
    reason: field('reason')?.textContent ?? null,
    since: field('since') ? { block: Number(field('since').dataset.block), how: field('since').dataset.how, text: field('since').textContent } : null,
    price: field('price')?.dataset.raw,
  };
}, market);

/** The account panel in one read (one render): its block and every field of each position. */
const accountOnPage = () => page.evaluate(() => {
  const account = document.querySelector('[data-testid=account]');
  if (!account) return null;
  const fields = (root) => Object.fromEntries([...root.querySelectorAll('[data-field]')].map((e) => [e.dataset.field, { raw: e.dataset.raw, text: e.textContent.trim() }]));
  return {
    address: account.dataset.address,
    block: Number(account.dataset.block),
    hash: account.dataset.hash,
    silos: Object.fromEntries([...account.querySelectorAll('[data-testid=silo-balance]')].map((row) => [row.dataset.silo, fields(row)])),
    positions: [...account.querySelectorAll('[data-testid=position]')].map((row) => ({ market: Number(row.dataset.market), fields: fields(row) })),
    empty: Boolean(account.querySelector('[data-testid=no-positions]')),
  };
});

const txStatus = () => page.evaluate(() => {
  const element = document.querySelector('[data-testid=tx-status]');
  return {
    state: element.dataset.state,
    text: element.textContent.trim(),
    errorName: element.querySelector('[data-testid=tx-error-name]')?.textContent ?? null,
    errorDocs: element.querySelector('[data-testid=tx-error-docs]')?.textContent ?? null,
  };
});

/** Submits a form and waits for its outcome on the page (in a block, or refused). */
async function submit(formId) {
  await page.evaluate(() => {
    document.querySelector('[data-testid=tx-status]').dataset.state = 'idle';
  });
  await page.click(`#${formId} button[type=submit]`);
  return waitFor(`the outcome of ${formId}`, async () => {
    const status = await txStatus();
    return ['in-block', 'error'].includes(status.state) ? status : undefined;
  }, 60);
}

const compared = [];
function compare(what, pageValue, expected) {
  check(pageValue !== undefined, `${what}: not on the page`);
  check(pageValue.raw === expected.raw, `${what}: page raw ${pageValue.raw}, chain ${expected.raw}`);
  check(pageValue.text === expected.text, `${what}: page shows "${pageValue.text}", expected "${expected.text}"`);
  compared.push([what, expected.raw, expected.text]);
}

let failed = false;
try {
  // 1. Fresh prices, the page, the breakers.
  const fresh = await waitFor('fresh BTC and ETH prices', async () => {
    const [b, e] = await Promise.all([oracle(BTC), oracle(ETH)]);
    return b?.status.isFresh && e?.status.isFresh ? b : undefined;
  }, 90);
  log(`BTC at ${fresh.price.toBigInt() / ONE} USD, Fresh (block ${fresh.updatedAt})`);

  const t0 = Date.now();
  await page.goto(`${APP}/?rpc=${encodeURIComponent(RPC)}`);
  await page.waitForSelector('[data-testid=market][data-market="0"]', { timeout: 60_000 });
  log(`page rendered the markets in ${Date.now() - t0} ms`);
  const opened = await marketOnPage(BTC);
  const chainOpened = await breakerAt(await api.at(opened.hash), BTC);
  check(opened.status === chainOpened.status, `BTC breaker: page ${opened.status}, chain ${chainOpened.status}`);
  check(opened.reason === chainOpened.reason, `BTC reason: page ${opened.reason}, chain ${chainOpened.reason}`);
  log(`page: BTC-USD ${opened.status} (${opened.reason}) ${opened.since?.text ?? ''}, as the chain at block ${opened.block}`);
  await screenshot('opened');

  await Promise.all([
    (async () => {
      let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
      for (const market of [BTC, ETH]) {
        if ((await breakerAt(api, market)).status !== 'Normal') {
          await send(api.tx.sudo.sudo(api.tx.circuitBreaker.liftMarket(market)), alice, nonce++);
        }
      }
    })(),
    send(api.tx.collateralSilos.addLiquidity(0, 1, 100_000n * USDB, 0), charlie),
  ]);
  log('Alice lifted BTC-USD and ETH-USD (sudo); Charlie added 100,000 USDB of liquidity');
  await waitFor('BTC-USD Normal on the page', async () => (await marketOnPage(BTC)).status === 'Normal', 30);

  // 2. Bob deposits.
  await page.selectOption('#account-select', bob.address);
  await page.fill('#deposit-amount', '1000');
  const deposit = await submit('deposit-form');
  check(deposit.state === 'in-block', `deposit: ${deposit.text}`);
  const afterDeposit = await waitFor('Bob\'s deposit on the page', async () => {
    const account = await accountOnPage();
    return account?.address === bob.address && account.silos['0']?.free.raw === String(1_000n * USDB) ? account : undefined;
  }, 30);
  const margin = (await (await api.at(afterDeposit.hash)).query.collateralSilos.margin(0, bob.address)).free.toBigInt();
  compare('silo 0 free margin', afterDeposit.silos['0'].free, { raw: margin.toString(), text: usdb(margin) });
  log(`Bob deposited: free margin ${afterDeposit.silos['0'].free.text} at block ${afterDeposit.block}`);

  // 3. A trade the chain refuses: the typed error and its docs.
  await page.selectOption('#trade-market', String(BTC));
  await page.selectOption('#trade-side', 'long');
  await page.fill('#trade-size', '0.1');
  await page.fill('#trade-margin', '1');
  await page.fill('#trade-price', '68000');
  const refused = await submit('trade-form');
  const docs = api.errors.perpetualMargin.InsufficientMargin.meta.docs.map((d) => d.toString().trim()).join(' ');
  check(refused.state === 'error', `the 1 USDB trade was not refused: ${refused.text}`);
  check(refused.errorName === 'perpetualMargin.InsufficientMargin', `error shown: ${refused.errorName} (${refused.text})`);
  check(refused.errorDocs === docs, `error docs shown: "${refused.errorDocs}", metadata: "${docs}"`);
  log(`refused on the page: ${refused.errorName}: ${refused.errorDocs}`);
  await screenshot('refused');

  // 4. The long, and its health as the page shows it.
  await page.fill('#trade-margin', '643');
  const preview = await page.locator('#trade-preview').textContent();
  check(preview.includes('unit price 680 USDB units per size unit') && preview.includes('FixedU128 680000000000000000000'),
    `the trade preview does not show $68,000 as 680 USDB units per satoshi: ${preview}`);
  check(preview.includes('= 10000000 size units'), `the trade preview does not show 0.1 BTC as 10,000,000 size units: ${preview}`);
  const opening = await submit('trade-form');
  check(opening.state === 'in-block', `the trade: ${opening.text}`);
  const shown = await waitFor('Bob\'s position on the page', async () => {
    const account = await accountOnPage();
    return account?.positions.length ? account : undefined;
  }, 30);
  const at = await api.at(shown.hash);
  const [health] = (await at.call.perpetualMarginApi.accountHealth(bob.address)).toPrimitive();
  check(health, 'accountHealth has no position for Bob');
  const position = shown.positions[0].fields;
  const big = (value) => BigInt(value);
  const size = sizeOf(health);
  const price = (await oracle(BTC, at)).price.toBigInt();
  const valueScale = (await at.query.perpetualMargin.markets(BTC)).unwrap().params.valueScale.toBigInt();
  const liquidationPrice = big(health.liquidationPrice);
  const equity = big(health.equity);
  const maintenance = big(health.maintenanceRequirement);
  const coverage = floorDiv(equity * ONE, maintenance);
  const entryPrice = (big(health.entry) * ONE * ONE) / (size * valueScale);
  compare('size', position.size, { raw: size.toString(), text: btc(size) });
  compare('entry (value)', position.entry, { raw: String(health.entry), text: usdb(big(health.entry)) });
  compare('entry price', position.entryPrice, { raw: entryPrice.toString(), text: dollars(entryPrice) });
  compare('mark (oracle price)', position.markPrice, { raw: price.toString(), text: dollars(price) });
  compare('margin', position.margin, { raw: String(health.margin), text: usdb(big(health.margin)) });
  compare('PnL', position.pnl, { raw: String(health.pnl), text: signedUsdb(big(health.pnl)) });
  compare('funding owed', position.fundingOwed, { raw: String(health.fundingOwed), text: signedUsdb(big(health.fundingOwed)) });
  compare('equity', position.equity, { raw: equity.toString(), text: signedUsdb(equity) });
  compare('initial requirement', position.initialRequirement, { raw: String(health.initialRequirement), text: usdb(big(health.initialRequirement)) });
  compare('maintenance requirement', position.maintenanceRequirement, { raw: maintenance.toString(), text: usdb(maintenance) });
  compare('health (equity / maintenance)', position.health, { raw: coverage.toString(), text: `${coverage / ONE}.${((coverage % ONE) / (ONE / 100n)).toString().padStart(2, '0')}×` });
  compare('liquidation price', position.liquidationPrice, { raw: liquidationPrice.toString(), text: dollars(liquidationPrice, true) });
  check(position.liquidatable.raw === 'false' && health.liquidatable === false, 'the new long is liquidatable');
  log(`Bob's long on the page at block ${shown.block} equals accountHealth there:`);
  for (const [what, raw, text] of compared) log(`  ${what.padEnd(31)} ${text.padEnd(22)} raw ${raw}`);
  await screenshot('position');

  // 5. The crash, and 6. the ETH outage, from the same moment.
  const crash = 61_000n;
  check(liquidationPrice > crash * ONE, `the liquidation price ${liquidationPrice} is not above ${crash}`);
  const breakEven = ((big(health.entry) - big(health.margin)) * ONE * ONE) / (size * valueScale);
  check(breakEven < crash * ONE, `at ${crash} the position would be in bad debt (equity 0 at ${breakEven})`);
  await control(FEEDS, `set?market=BTC-USD&price=${crash}`);
  await control(ETH_FEEDS, 'mode?mode=error');
  const outageBlock = (await api.rpc.chain.getHeader()).number.toNumber();
  log(`served BTC price set to ${crash} (liquidation price ${dollars(liquidationPrice, true)}); ETH-USD's three servers answer 500 from block ${outageBlock}`);

  const liquidated = await waitFor('the liquidation on the page', async () => {
    const item = await page.evaluate((who) => {
      const entry = [...document.querySelectorAll('[data-testid=feed-item][data-kind=Liquidated]')]
        .find((li) => li.querySelector('[data-field=who]')?.dataset.raw === who);
      if (!entry) return null;
      const fields = Object.fromEntries([...entry.querySelectorAll('[data-field]')].map((e) => [e.dataset.field, { raw: e.dataset.raw, text: e.textContent.trim() }]));
      return { block: Number(entry.dataset.block), fields, text: entry.textContent.replace(/\s+/g, ' ').trim() };
    }, bob.address);
    return item ?? undefined;
  }, 90);
  const event = await waitFor('the Liquidated event', () => seen.liquidations.find((l) => l.data[0] === bob.address), 30);
  const named = Object.fromEntries(event.names.map((name, i) => [name, event.data[i]]));
  check(liquidated.block === event.block, `liquidation: page block ${liquidated.block}, chain ${event.block}`);
  compare('liquidation: closed', liquidated.fields.closed, { raw: String(named.closed), text: btc(big(named.closed)) });
  const fillUsd = (big(named.price) * ONE) / valueScale;
  compare('liquidation: price', liquidated.fields.price, { raw: String(named.price), text: dollars(fillUsd) });
  compare('liquidation: realized', liquidated.fields.realized, { raw: String(named.realized), text: signedUsdb(big(named.realized)) });
  compare('liquidation: penalty', liquidated.fields.penalty, { raw: String(named.penalty), text: usdb(big(named.penalty)) });
  compare('liquidation: bad debt', liquidated.fields.badDebt, { raw: String(named.badDebt), text: usdb(big(named.badDebt)) });
  check(sizeOf(named) === 0n && liquidated.fields.left?.raw === '0', `the liquidation left a position: ${liquidated.text}`);
  log(`page feed: ${liquidated.text}`);
  for (const [what, raw, text] of compared.filter(([name]) => name.startsWith('liquidation:'))) log(`  ${what.padEnd(31)} ${text.padEnd(22)} raw ${raw}`);
  const emptied = await waitFor('the emptied position on the page', async () => {
    const account = await accountOnPage();
    return account?.empty && account.silos['0']?.locked.raw === '0' ? account : undefined;
  }, 30);
  const onChain = await (await api.at(emptied.hash)).query.perpetualMargin.positions(bob.address, BTC);
  check(onChain.isNone, 'the chain still has the position');
  log(`page at block ${emptied.block}: "No open positions.", locked margin ${emptied.silos['0'].locked.text}, free ${emptied.silos['0'].free.text}`);
  await screenshot('liquidated');

  const stale = await waitFor('ETH-USD stale on the page', async () => {
    const market = await marketOnPage(ETH);
    return market?.priceStatus === 'Stale' && market.status === 'ReduceOnly' ? market : undefined;
  }, 150);
  const ethAt = await api.at(stale.hash);
  const [ethPrice, ethBreaker] = await Promise.all([oracle(ETH, ethAt), breakerAt(ethAt, ETH)]);
  check(ethPrice.status.isStale, `ETH price at block ${stale.block}: ${ethPrice.status}`);
  check(ethBreaker.status === 'ReduceOnly' && ethBreaker.reason === 'OracleStale', `ETH breaker at block ${stale.block}: ${JSON.stringify(ethBreaker)}`);
  check(stale.reason === 'OracleStale', `the page's ETH reason: ${stale.reason}`);
  const move = seen.breakers.filter((b) => b.market === ETH && b.to === 'ReduceOnly' && b.reason === 'OracleStale').at(-1);
  check(move, 'no MarketBreaker event moved ETH-USD to ReduceOnly');
  check(stale.since?.block === move.block && stale.since.how === 'event', `ETH breaker since: page ${JSON.stringify(stale.since)}, chain event in block ${move.block}`);
  log(`page at block ${stale.block}: ETH-USD price Stale (last aggregate in block ${ethPrice.updatedAt}), breaker ${stale.status} (${stale.reason}) ${stale.since.text}, as the chain's event`);
  await screenshot('stale');

  check(pageErrors.length === 0, `the page logged errors: ${pageErrors.join(' | ')}`);
  log(`PASSED: ${compared.length} numbers equal to the chain's`);
} catch (error) {
  failed = true;
  console.error(`FAILED: ${error.message}`);
  if (pageErrors.length) console.error(`page errors: ${pageErrors.join(' | ')}`);
  await page.screenshot({ path: `${OUT}/failure.png`, fullPage: true }).catch(() => {});
} finally {
  unwatch();
  await browser.close();
  await api.disconnect();
}
process.exit(failed ? 1 : 0);
