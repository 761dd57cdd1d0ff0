// zombienet's js-script entry point (zombienet `require`s it, so CommonJS):
//   <node>: js-script ./run.cjs with "<check>,<arg>,..." return is 0 within <n> seconds
// runs zombienet/js/checks/<check>.mjs against that node. A check resolves to 0 or throws with
// what it saw.
const path = require('node:path');

module.exports = {
  run: async (nodeName, networkInfo, args) => {
    const [check, ...rest] = args;
    const nodes = Object.fromEntries(networkInfo.relay.map((node) => [node.name, node.wsUri]));
    const prometheus = Object.fromEntries(networkInfo.relay.map((node) => [node.name, node.prometheusUri]));
    const module = await import(path.join(__dirname, '..', 'js', 'checks', `${check}.mjs`));
    return module.default({ node: nodeName, wsUri: nodes[nodeName], nodes, prometheus, args: rest, tmpDir: networkInfo.tmpDir });
  },
};
