// A replicated counter with state transfer: every member applies the same increments in the same order, and a
// member that joins later receives the counter's value at the exact point of the order where it joins. So every
// member, joiners included, prints the same value at the same sequence number.
//   npm run build
//   node demos/counter.mjs a 7500                          # founds the group
//   node demos/counter.mjs b 7501 ws://127.0.0.1:7500      # joins: receives the current value first
//   node demos/counter.mjs c 7502 ws://127.0.0.1:7500
// Each member adds a random amount every second. Compare the lines of two members: `seq 21 ... -> 115` is the
// same line everywhere. The cluster secret comes from VSYNC_SECRET (default: test-secret).
import { Node } from '../dist/index.js';

const [name, port, ...seeds] = process.argv.slice(2);
if (!name || !port) {
  console.error('usage: node demos/counter.mjs <name> <port> [seed-url ...]');
  process.exit(2);
}
const enc = (x) => new TextEncoder().encode(JSON.stringify(x));
const dec = (b) => JSON.parse(new TextDecoder().decode(b));

// The state: the value, and the sequence number of the last increment applied (to show where a joiner starts).
let value = 0;
let lastSeq = 0;
const intervalMs = Number(process.env.COUNTER_INTERVAL_MS ?? 1000);

const node = await Node.start({
  name,
  listen: { host: '127.0.0.1', port: Number(port) },
  seeds,
  secret: process.env.VSYNC_SECRET ?? 'test-secret',
});
const group = await node.join('counter', {
  signal: AbortSignal.timeout(15_000),
  // Called at every member that serves state, right where the joiner's first view begins in the order.
  getState: () => enc({ value, lastSeq }),
  // Called at the joiner before any delivery: it starts from exactly the value the others hold at that point.
  setState: (bytes) => {
    ({ value, lastSeq } = dec(bytes));
    console.log(`state received: value ${value} after seq ${lastSeq}`);
  },
});
console.log(`joined as ${group.memberId}: value ${value} after seq ${lastSeq}`);

group.on('message', (m) => {
  const cmd = dec(m.payload);
  if (cmd.op === 'add') value += cmd.n;
  lastSeq = m.seq;
  console.log(`seq ${m.seq}: ${m.sender.split('#')[0]} adds ${cmd.n} -> ${value}`);
});
group.on('view', (v) => console.log(`view ${v.id}: ${v.members.map((id) => id.split('#')[0]).join(', ')}`));
group.on('minority', (i) => console.log(`no majority: ${i.reachable} of ${i.members} members reachable; waiting`));

const timer = setInterval(() => {
  const n = 1 + Math.floor(Math.random() * 9);
  group.send(enc({ op: 'add', n })).catch((err) => console.log(`not sent: ${err.code}`));
}, intervalMs);

const stop = async () => {
  clearInterval(timer);
  await group.leave({ signal: AbortSignal.timeout(2000) }).catch(() => {});
  await node.close();
  console.log(`left: value ${value} after seq ${lastSeq}`);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
