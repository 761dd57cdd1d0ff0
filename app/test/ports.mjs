// Ports for the browser test. `node ports.mjs free N`: N free loopback TCP ports, one a line.
// `node ports.mjs check P...`: exits 0 if every port is free to listen on, 1 otherwise.
import { createServer } from 'node:net';

const listen = (port) => new Promise((resolve) => {
  const server = createServer();
  server.once('error', () => resolve(null));
  server.listen(port, '127.0.0.1', () => resolve(server));
});

const [command, ...args] = process.argv.slice(2);
if (command === 'free') {
  const servers = [];
  for (let i = 0; i < Number(args[0] ?? 1); i++) servers.push(await listen(0));
  console.log(servers.map((s) => s.address().port).join('\n'));
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
} else if (command === 'check') {
  const servers = await Promise.all(args.map((port) => listen(Number(port))));
  await Promise.all(servers.filter(Boolean).map((s) => new Promise((resolve) => s.close(resolve))));
  process.exitCode = servers.every(Boolean) ? 0 : 1;
} else {
  console.error('usage: ports.mjs free N | check PORT...');
  process.exitCode = 2;
}
