import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type Group, Node } from '../../src/index.js';

const nodes: Node[] = [];
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
};
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function eventually(pred: () => boolean, ms = 30_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A toy replicated state: a big buffer whose bytes depend on every applied message. */
class BigState {
  data: Uint8Array;
  applied = 0;
  constructor(size: number) {
    this.data = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) this.data[i] = (i / 4096) & 0xff;
  }
  /** Depends on the message only (not on a local counter), so a transferred state goes on exactly. */
  apply(p: Uint8Array): void {
    const pos = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0) % this.data.length;
    this.data[pos] = (this.data[pos]! * 31 + 7) & 0xff;
    this.applied++;
  }
  hash(): string {
    return createHash('sha256').update(this.data).digest('hex');
  }
}

async function start(name: string, seeds: string[] = []): Promise<Node> {
  const n = await Node.start({ name, secret: 'test-secret', listen: { host: '127.0.0.1', port: 0 }, seeds });
  nodes.push(n);
  return n;
}

function stateful(g: () => Group, s: BigState) {
  return {
    getState: () => s.data.slice(),
    setState: (d: Uint8Array) => { s.data = d.slice(); },
  };
}

describe('state transfer at the join cut', () => {
  it('a joiner receives a 100 MB state at the exact cut, while the group keeps sending', async () => {
    const SIZE = 100 * 1024 * 1024;
    const sa = new BigState(SIZE);
    const a = await start('a');
    let ga!: Group;
    ga = await a.join('g', stateful(() => ga, sa));
    ga.on('message', (m) => sa.apply(m.payload));
    const b = await start('b', [a.url!]);
    const sb = new BigState(SIZE);
    let gb!: Group;
    gb = await b.join('g', { ...stateful(() => gb, sb), signal: AbortSignal.timeout(30_000) });
    gb.on('message', (m) => sb.apply(m.payload));
    // Load while the next joiner arrives.
    let sending = true;
    const load = (async () => {
      let i = 0;
      while (sending) await ga.send(u32(++i * 4099));
    })();
    await new Promise((r) => setTimeout(r, 200));
    const c = await start('c', [a.url!]);
    const sc = new BigState(16);
    let gc!: Group;
    const started = Date.now();
    gc = await c.join('g', { ...stateful(() => gc, sc), signal: AbortSignal.timeout(60_000) });
    const took = Date.now() - started;
    gc.on('message', (m) => sc.apply(m.payload));
    await new Promise((r) => setTimeout(r, 300));
    sending = false;
    await load;
    await eventually(() => sa.applied > 0 && ga.currentView !== null && [gb, gc].every((g) => g.currentView?.id === ga.currentView!.id), 10_000, 'one view');
    // Compare at a quiet point: every member has applied the same messages.
    const seqOf = (g: Group) => g.currentView!.id;
    expect(seqOf(gc)).toBe(seqOf(ga));
    await eventually(() => sc.hash() === sa.hash() && sb.hash() === sa.hash(), 20_000, 'equal states');
    expect(sc.data.length).toBe(SIZE);
    console.log(`joined with a 100 MB state in ${took} ms`);
  }, 120_000);

  it('the state provider dies in the middle of a large transfer: the joiner still ends with the right state', async () => {
    const SIZE = 64 * 1024 * 1024;
    const states = new Map<string, BigState>();
    const groups = new Map<string, Group>();
    const join = async (name: string, seeds: string[]) => {
      const n = await start(name, seeds);
      const s = new BigState(seeds.length === 0 ? SIZE : 16);
      states.set(name, s);
      let g!: Group;
      g = await n.join('g', { ...stateful(() => g, s), signal: AbortSignal.timeout(60_000) });
      g.on('message', (m) => s.apply(m.payload));
      groups.set(name, g);
      return n;
    };
    const a = await join('a', []);
    await join('b', [a.url!]);
    await join('c', [a.url!]);
    await groups.get('a')!.send(u32(7));
    // d joins; a (the first provider) goes away as soon as d has asked for state.
    const d = await start('d', [a.url!]);
    const sd = new BigState(16);
    let gd!: Group;
    const joining = d.join('g', { ...stateful(() => gd, sd), signal: AbortSignal.timeout(60_000) }).then((g) => { gd = g; });
    await eventually(() => groups.get('a')!.currentView!.members.some((m) => m.startsWith('d#')), 20_000, 'd admitted');
    await new Promise((r) => setTimeout(r, 20));
    await a.close();
    nodes.splice(nodes.indexOf(a), 1);
    await joining;
    gd.on('message', (m) => sd.apply(m.payload));
    await groups.get('b')!.send(u32(9));
    await eventually(() => sd.hash() === states.get('b')!.hash(), 30_000, 'd to hold the same state as b');
    expect(sd.data.length).toBe(SIZE);
  }, 120_000);
});
