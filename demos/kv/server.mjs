// A replicated key-value store: each server is a member of the group 'kv'; clients talk to any server.
//   npm run build
//   node demos/kv/server.mjs a 7600 7700                       # founds the store; clients on port 7700
//   node demos/kv/server.mjs b 7601 7701 ws://127.0.0.1:7600   # joins: receives the store at its join cut
// Members authenticate each other with VSYNC_SECRET (default 'demo-secret'). Clients authenticate too: the
// file named by KV_CLIENTS holds 'client-id secret' lines; without it the clients are 'demo' / 'demo-secret' and
// 'worker-1' to 'worker-3' / 'worker-N-secret' (for demos/lock/cas-lock.mjs). One id is one client at a time.
import { ClientEndpoint, KvStore, Node, readClientTokens, ReplicatedStateMachine } from '../../dist/index.js';

const [name, port, clientPort, ...seeds] = process.argv.slice(2);
if (!name || !port || !clientPort) {
  console.error('usage: node demos/kv/server.mjs <name> <port> <client-port> [seed-url ...]');
  process.exit(2);
}
const clients = process.env.KV_CLIENTS ? readClientTokens(process.env.KV_CLIENTS) : { demo: 'demo-secret', 'worker-1': 'worker-1-secret', 'worker-2': 'worker-2-secret', 'worker-3': 'worker-3-secret' };
const secret = process.env.VSYNC_SECRET ?? 'demo-secret';
const node = await Node.start({ name, listen: { host: '127.0.0.1', port: Number(port) }, seeds, secret });
const kv = await ReplicatedStateMachine.join(node, 'kv', new KvStore(), { signal: AbortSignal.timeout(15_000) });
const endpoint = await ClientEndpoint.start(kv, { host: '127.0.0.1', port: Number(clientPort), clients });
kv.group.on('view', (v) => console.log(`view ${v.id}: ${v.members.join(', ')}`));
kv.group.on('minority', (m) => console.log(`no majority: ${m.reachable} of ${m.members} members reachable; clients are told VSYNC_ERR_NO_QUORUM`));
console.log(`${kv.group.memberId} serving clients at ${endpoint.url}`);
console.log(`replies signed with key ${endpoint.publicKeyLine}`);
process.once('SIGINT', async () => {
  await endpoint.close();
  await kv.leave({ signal: AbortSignal.timeout(2000) }).catch(() => {});
  await node.close();
});
