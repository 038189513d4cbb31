// A replicated key-value store: each server is a member of the group 'kv'; clients talk to any server.
//   npm run build
//   node demos/kv/server.mjs a 7600 7700                       # founds the store; clients on port 7700
//   node demos/kv/server.mjs b 7601 7701 ws://127.0.0.1:7600   # joins: receives the store at its join cut
import { ClientEndpoint, KvStore, Node, ReplicatedStateMachine } from '../../dist/index.js';

const [name, port, clientPort, ...seeds] = process.argv.slice(2);
if (!name || !port || !clientPort) {
  console.error('usage: node demos/kv/server.mjs <name> <port> <client-port> [seed-url ...]');
  process.exit(2);
}
const node = await Node.start({ name, secret: process.env.VSYNC_SECRET ?? 'demo-secret', listen: { host: '127.0.0.1', port: Number(port) }, seeds });
const kv = await ReplicatedStateMachine.join(node, 'kv', new KvStore(), { signal: AbortSignal.timeout(15_000) });
const endpoint = await ClientEndpoint.start(kv, { host: '127.0.0.1', port: Number(clientPort) });
kv.group.on('view', (v) => console.log(`view ${v.id}: ${v.members.join(', ')}`));
console.log(`${kv.group.memberId} serving clients at ${endpoint.url}`);
process.once('SIGINT', async () => {
  await endpoint.close();
  await kv.leave({ signal: AbortSignal.timeout(2000) }).catch(() => {});
  await node.close();
});
