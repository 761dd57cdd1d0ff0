// A trader's first steps with @polkadot/api against a running dev node (scripts/run-dev.sh):
// sign a transfer and a silo deposit with the runtime's transaction extensions (AuthorizeCall
// included), read the oracle's BTC price, ask the breakers' runtime API, and decode the latest
// block (oracle reports are general transactions, extrinsic v5). Exits 1 on any failure.
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const api = await ApiPromise.create({ provider: new WsProvider(url), throwOnConnect: true });
const keyring = new Keyring({ type: 'sr25519' });
const [alice, bob] = [keyring.addFromUri('//Alice'), keyring.addFromUri('//Bob')];

const send = (tx, who) =>
  new Promise((resolve, reject) => {
    tx.signAndSend(who, ({ status, dispatchError, events }) => {
      if (dispatchError) reject(new Error(dispatchError.toString()));
      else if (status.isInBlock) resolve(events.map((e) => `${e.event.section}.${e.event.method}`));
    }).catch(reject);
  });

try {
  console.log('transfer:', (await send(api.tx.balances.transferKeepAlive(bob.address, 10n ** 12n), alice)).join(' '));
  // Silo 0, USDB (asset 1), 500 USDB.
  console.log('deposit:', (await send(api.tx.collateralSilos.depositMargin(0, 1, 500_000_000n), bob)).join(' '));
  console.log('BTC-USD:', JSON.stringify((await api.query.priceOracle.prices(0)).toHuman()));
  console.log('breakers:', JSON.stringify((await api.call.circuitBreakerApi.marketStatuses()).toHuman()));
  const block = await api.rpc.chain.getBlock();
  console.log('latest block:', block.block.extrinsics.map((x) => `${x.method.section}.${x.method.method}`).join(' '));
} catch (error) {
  console.error('Error:', error.message);
  process.exitCode = 1;
} finally {
  await api.disconnect();
}
