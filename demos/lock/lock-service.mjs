// A lock service on a replicated state machine: only the holder may release a lock, and a holder that crashes
// loses its locks at the view change that removes it (every member applies that at the same point).
//   npm run build
//   node demos/lock/lock-service.mjs a 7800            # founds the service
//   node demos/lock/lock-service.mjs b 7801 ws://127.0.0.1:7800
// Each member tries to take the lock 'printer' every second and releases it after a moment.
import { Node, ReplicatedStateMachine } from '../../dist/index.js';

class Locks {
  held = new Map(); // lock name -> holder member id
  apply(bytes) {
    const c = JSON.parse(new TextDecoder().decode(bytes));
    let r;
    if (c.op === 'acquire') {
      const h = this.held.get(c.lock);
      if (h === undefined) this.held.set(c.lock, c.holder);
      r = { granted: h === undefined || h === c.holder, holder: this.held.get(c.lock) };
    } else if (c.op === 'release') {
      const ok = this.held.get(c.lock) === c.holder; // Only the holder may release.
      if (ok) this.held.delete(c.lock);
      r = { released: ok };
    } else r = { error: 'unknown op' };
    return new TextEncoder().encode(JSON.stringify(r));
  }
  onView(view) {
    for (const [lock, holder] of this.held) if (!view.members.includes(holder)) this.held.delete(lock);
  }
  snapshot() {
    return new TextEncoder().encode(JSON.stringify([...this.held]));
  }
  restore(s) {
    this.held = new Map(JSON.parse(new TextDecoder().decode(s)));
  }
}

const [name, port, ...seeds] = process.argv.slice(2);
if (!name || !port) {
  console.error('usage: node demos/lock/lock-service.mjs <name> <port> [seed-url ...]');
  process.exit(2);
}
const node = await Node.start({ name, secret: process.env.VSYNC_SECRET ?? 'demo-secret', listen: { host: '127.0.0.1', port: Number(port) }, seeds });
const locks = await ReplicatedStateMachine.join(node, 'locks', new Locks(), { signal: AbortSignal.timeout(15_000) });
const me = () => locks.group.memberId;
const call = async (cmd) => JSON.parse(new TextDecoder().decode(await locks.submit(new TextEncoder().encode(JSON.stringify(cmd)))));
locks.group.on('view', (v) => console.log(`view ${v.id}: ${v.members.join(', ')}`));

const timer = setInterval(async () => {
  const r = await call({ op: 'acquire', lock: 'printer', holder: me() }).catch(() => null);
  if (r?.granted) {
    console.log(`${me()} holds 'printer'`);
    setTimeout(() => call({ op: 'release', lock: 'printer', holder: me() }).then((x) => console.log(`${me()} released: ${x.released}`)), 500);
  } else if (r) console.log(`'printer' is held by ${r.holder}`);
}, 1000);
process.once('SIGINT', async () => {
  clearInterval(timer);
  await locks.leave({ signal: AbortSignal.timeout(2000) }).catch(() => {});
  await node.close();
});
