// A fair lock service on a replicated state machine. Each lock has a FIFO queue of requesters in the replicated
// state: the head holds the lock, and requests are queued in the group's delivery order, so the lock goes round
// the members in the order they asked for it, not always to the sequencer first (whose own requests are ordered
// fastest). Only the holder may release; a holder that crashes loses the lock at the view change that removes it,
// and the next in the queue gets it, at the same point of the command stream at every member.
//   npm run build
//   node demos/lock/lock-service.mjs a 7800                       # founds the service
//   node demos/lock/lock-service.mjs b 7801 ws://127.0.0.1:7800
//   node demos/lock/lock-service.mjs c 7802 ws://127.0.0.1:7800
// Each member asks for the lock 'printer', holds it for HOLD_MS (default 300), releases it and asks again. Every
// member prints every grant (the same list everywhere) and a tally per member every 10 grants: with three
// members the grants go a, b, c, a, b, c ... and the tally stays even.
import { Node, ReplicatedStateMachine } from '../../dist/index.js';

const te = new TextEncoder();
const td = new TextDecoder();
const reply = (o) => te.encode(JSON.stringify(o));

class FairLocks {
  queues = new Map(); // lock -> member ids in request order; the first holds the lock
  grants = 0;
  tally = new Map(); // member id -> grants so far
  constructor(onGrant) {
    this.onGrant = onGrant; // A local side effect only (printing, starting work): the state stays deterministic.
  }
  apply(bytes) {
    let c;
    try {
      c = JSON.parse(td.decode(bytes));
    } catch {
      return reply({ error: 'not JSON' });
    }
    if (typeof c !== 'object' || c === null || typeof c.lock !== 'string' || typeof c.who !== 'string') return reply({ error: 'bad command' });
    const q = this.queues.get(c.lock) ?? [];
    if (c.op === 'request') {
      if (!q.includes(c.who)) q.push(c.who);
      this.queues.set(c.lock, q);
      if (q.length === 1) this.granted(c.lock, c.who);
      return reply({ position: q.indexOf(c.who), holder: q[0] });
    }
    if (c.op === 'release') {
      if (q[0] !== c.who) return reply({ released: false }); // Only the holder may release.
      q.shift();
      if (q.length === 0) this.queues.delete(c.lock);
      else this.granted(c.lock, q[0]);
      return reply({ released: true, next: q[0] ?? null });
    }
    return reply({ error: 'unknown op' });
  }
  granted(lock, holder) {
    this.grants++;
    this.tally.set(holder, (this.tally.get(holder) ?? 0) + 1);
    this.onGrant(lock, holder, this.grants);
  }
  onView(view) {
    for (const [lock, q] of [...this.queues]) {
      const head = q[0];
      const left = q.filter((m) => view.members.includes(m));
      if (left.length === 0) this.queues.delete(lock);
      else this.queues.set(lock, left);
      if (left.length > 0 && left[0] !== head) this.granted(lock, left[0]);
    }
  }
  snapshot() {
    return te.encode(JSON.stringify({ grants: this.grants, queues: [...this.queues], tally: [...this.tally] }));
  }
  restore(s) {
    const o = JSON.parse(td.decode(s));
    this.grants = o.grants;
    this.queues = new Map(o.queues);
    this.tally = new Map(o.tally);
  }
}

const [name, port, ...seeds] = process.argv.slice(2);
if (!name || !port) {
  console.error('usage: node demos/lock/lock-service.mjs <name> <port> [seed-url ...]');
  process.exit(2);
}
const holdMs = Number(process.env.HOLD_MS ?? 300);
const secret = process.env.VSYNC_SECRET ?? 'demo-secret';
let locks;
let stopping = false;
const me = () => locks.group.memberId;
const call = async (cmd) => JSON.parse(td.decode(await locks.submit(te.encode(JSON.stringify(cmd)))));
const ask = () => call({ op: 'request', lock: 'printer', who: me() }).catch((err) => console.log(`request failed: ${err.code}`));

const fsm = new FairLocks((lock, holder, n) => {
  console.log(`grant #${n} '${lock}' -> ${holder}${holder === me() ? ' (me)' : ''}`);
  if (n % 10 === 0) console.log(`tally after ${n} grants: ${[...fsm.tally].map(([m, k]) => `${m}=${k}`).join(' ')}`);
  if (holder !== me() || stopping) return;
  setTimeout(async () => {
    await call({ op: 'release', lock, who: me() }).catch(() => {});
    if (!stopping) await ask(); // To the back of the queue: everyone else waiting goes first.
  }, holdMs);
});

const node = await Node.start({ name, listen: { host: '127.0.0.1', port: Number(port) }, seeds, secret });
locks = await ReplicatedStateMachine.join(node, 'locks', fsm, { signal: AbortSignal.timeout(15_000) });
locks.group.on('view', (v) => console.log(`view ${v.id}: ${v.members.join(', ')}`));
console.log(`ready me=${me()} url=${node.url}`);
await ask();
process.once('SIGINT', async () => {
  stopping = true;
  await locks.leave({ signal: AbortSignal.timeout(2000) }).catch(() => {});
  await node.close();
});
