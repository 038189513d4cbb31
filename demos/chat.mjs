// A chat room on vsync: every participant sees the same lines in the same order, and who came and went.
//   npm run build
//   node demos/chat.mjs alice 7400                      # the first one founds the room
//   node demos/chat.mjs bob 7401 ws://127.0.0.1:7400    # the others join through any participant
import { createInterface } from 'node:readline';
import { Node } from '../dist/index.js';

const [name, port, ...seeds] = process.argv.slice(2);
if (!name || !port) {
  console.error('usage: node demos/chat.mjs <name> <port> [seed-url ...]');
  process.exit(2);
}
const node = await Node.start({ name, secret: process.env.VSYNC_SECRET ?? 'demo-secret', listen: { host: '127.0.0.1', port: Number(port) }, seeds });
const room = await node.join('chat', { signal: AbortSignal.timeout(15_000) });

room.on('view', (v) => console.log(`* in the room: ${v.members.map((m) => m.split('#')[0]).join(', ')}`));
room.on('message', (m) => console.log(`[${m.seq}] ${m.sender.split('#')[0]}: ${new TextDecoder().decode(m.payload)}`));
console.log(`* joined as ${room.memberId}; type a line and press enter (ctrl-d to leave)`);

const rl = createInterface({ input: process.stdin });
for await (const line of rl) if (line.trim()) await room.send(new TextEncoder().encode(line));
await room.leave();
await node.close();
