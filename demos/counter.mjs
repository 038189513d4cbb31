// A replicated counter: a tiny state machine. Every member applies the same increments in the same order,
// so at the same sequence number every member holds the same value.
//   npm run build
//   node demos/counter.mjs a 7500                  # founds the group
//   node demos/counter.mjs b 7501 ws://127.0.0.1:7500
// Each member adds a random amount every second and prints the value after each applied command.
import { Node } from '../dist/index.js';

const [name, port, ...seeds] = process.argv.slice(2);
if (!name || !port) {
  console.error('usage: node demos/counter.mjs <name> <port> [seed-url ...]');
  process.exit(2);
}
const node = await Node.start({ name, secret: process.env.VSYNC_SECRET ?? 'demo-secret', listen: { host: '127.0.0.1', port: Number(port) }, seeds });
const group = await node.join('counter', { signal: AbortSignal.timeout(15_000) });

// A joiner starts from zero here; state transfer at the join cut (so joiners get the current value) is the
// replicated-state-machine layer's job.
let value = 0;
group.on('message', (m) => {
  const cmd = JSON.parse(new TextDecoder().decode(m.payload));
  if (cmd.op === 'add') value += cmd.n;
  console.log(`seq ${m.seq}: ${m.sender.split('#')[0]} adds ${cmd.n} -> ${value}`);
});
group.on('view', (v) => console.log(`view ${v.id}: ${v.members.join(', ')}`));

const timer = setInterval(() => {
  const n = 1 + Math.floor(Math.random() * 9);
  group.send(new TextEncoder().encode(JSON.stringify({ op: 'add', n }))).catch((err) => console.error(err.code));
}, 1000);
process.once('SIGINT', async () => {
  clearInterval(timer);
  await group.leave({ signal: AbortSignal.timeout(2000) }).catch(() => {});
  await node.close();
});
