// A chat room on vsync: every participant sees the same lines in the same order, and who came and went.
//   npm run build
//   node demos/chat.mjs alice 7400                                          # the first one founds the room
//   node demos/chat.mjs bob 7401 ws://127.0.0.1:7400                        # the others join through any participant
//   node demos/chat.mjs carol 7402 ws://127.0.0.1:7400
// Start three: a room of three survives the crash of any one (two of three are a majority). Kill one with
// ctrl-c and the two others go on; kill a second and the last one says it has no majority, and why.
// The cluster secret comes from VSYNC_SECRET (default: test-secret).
import { createInterface } from 'node:readline';
import { Node } from '../dist/index.js';

const [name, port, ...seeds] = process.argv.slice(2);
if (!name || !port) {
  console.error('usage: node demos/chat.mjs <name> <port> [seed-url ...]');
  process.exit(2);
}
const short = (id) => id.split('#')[0];
const node = await Node.start({
  name,
  listen: { host: '127.0.0.1', port: Number(port) },
  seeds,
  secret: process.env.VSYNC_SECRET ?? 'test-secret',
});
const room = await node.join('chat', { signal: AbortSignal.timeout(15_000) });

room.on('view', (v) => {
  const who = v.members.map(short).join(', ');
  console.log(`* in the room (view ${v.id}): ${who}${v.members.length === 2 ? ' (two members: one crash and the other has no majority)' : ''}`);
});
room.on('message', (m) => console.log(`[${m.seq}] ${short(m.sender)}: ${new TextDecoder().decode(m.payload)}`));
room.on('block', () => console.log('* membership is changing: lines wait until the new view is agreed'));
room.on('minority', (i) =>
  console.log(
    `* no majority: only ${i.reachable} of the ${i.members} members of view ${i.viewId} can be reached. ` +
      'The room is frozen here (nothing is delivered, lines you type wait) so that two cut-off halves can never ' +
      'go on with different conversations. It resumes when a majority is reachable again.',
  ),
);
room.on('excluded', (e) =>
  console.log(`* ${short(e.member)} was excluded by the others (cut off or paused too long)${e.rejoining ? '; joining again' : ''}`),
);
console.log(`* joined as ${room.memberId}; type a line and press enter (ctrl-d to leave)`);

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  // Not awaited: lines typed while the room is blocked queue up in order (the send window), instead of the prompt.
  if (line.trim()) room.send(new TextEncoder().encode(line)).catch((err) => console.log(`* not sent (${err.code}): ${line}`));
}
await room.leave({ signal: AbortSignal.timeout(5000) }).catch(() => {});
await node.close();
