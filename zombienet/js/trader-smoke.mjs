// A trader's first steps with @polkadot/api against a running dev node (scripts/run-dev.sh):
// sign a transfer and a silo deposit with the runtime's transaction extensions (AuthorizeCall
// included), read the oracle's BTC price, ask the breakers' runtime API, and decode the latest
// block (oracle reports are general transactions, extrinsic v5). Exits 1 on any failure.
import { BTC, connect, keyring, send, USDB, USDB_ASSET } from './lib.mjs';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const api = await connect(url);
const [alice, bob] = [keyring.addFromUri('//Alice'), keyring.addFromUri('//Bob')];
const names = (events) => events.map((e) => `${e.event.section}.${e.event.method}`).join(' ');

try {
  console.log('transfer:', names(await send(api.tx.balances.transferKeepAlive(bob.address, 10n ** 12n), alice)));
  // Silo 0, 500 USDB.
  console.log('deposit:', names(await send(api.tx.collateralSilos.depositMargin(0, USDB_ASSET, 500n * USDB), bob)));
  console.log('BTC-USD:', JSON.stringify((await api.query.priceOracle.prices(BTC)).toHuman()));
  console.log('breakers:', JSON.stringify((await api.call.circuitBreakerApi.marketStatuses()).toHuman()));
  const block = await api.rpc.chain.getBlock();
  console.log('latest block:', block.block.extrinsics.map((x) => `${x.method.section}.${x.method.method}`).join(' '));
} catch (error) {
  console.error('Error:', error.message);
  process.exitCode = 1;
} finally {
  await api.disconnect();
}
