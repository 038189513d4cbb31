/**
 * Group formation through the Node API on 127.0.0.1 (issue 9): static bootstrap with one seed list for all,
 * joins that fail with their cause, group ids, conflicts between two founders, merging.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, type Group, Node, type NodeOptions } from '../../src/index.js';
import { codeOf, freePorts, until } from './test-helpers.js';

const SECRET = 'test-secret';
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function start(opts: Partial<NodeOptions> & { name: string }): Promise<Node> {
  const n = await Node.start({ listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, ...opts });
  nodes.push(n);
  return n;
}

function memoryLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

describe('static bootstrap (bootstrapExpect)', () => {
  it('three nodes with one seed list (their own URL included) found one group together, once; a restart rejoins it', async () => {
    const ports = await freePorts(3);
    const seeds = ports.map((p) => `ws://127.0.0.1:${p}`);
    const ns = await Promise.all(ports.map((port, i) => start({ name: `n${i}`, listen: { host: '127.0.0.1', port }, seeds, bootstrapExpect: 3 })));
    const groups = await Promise.all(ns.map((n) => n.join('g', { signal: AbortSignal.timeout(30_000) })));
    // One view 1 with all three: nobody founded alone, nobody joined.
    for (const g of groups) expect(g.currentView!.members).toHaveLength(3);
    expect(new Set(groups.map((g) => g.currentView!.members.join(','))).size).toBe(1);
    const gid = ns[0]!.groupId('g');
    expect(gid).toMatch(/^[0-9a-z]+-[0-9a-f]{16}$/);
    for (const n of ns) expect(n.groupId('g')).toBe(gid);

    // Restart n0 (the coordinator of view 1) with its usual options: it joins the running group.
    await ns[0]!.close();
    nodes.splice(nodes.indexOf(ns[0]!), 1);
    await until(() => groups[1]!.currentView!.members.length === 2, 20_000, 'n0 removed');
    const again = await start({ name: 'n0', listen: { host: '127.0.0.1', port: ports[0]! }, seeds, bootstrapExpect: 3 });
    const g0 = await again.join('g', { signal: AbortSignal.timeout(30_000) });
    await until(() => [g0, groups[1]!, groups[2]!].every((g) => g.currentView!.members.length === 3), 20_000, 'n0 back');
    expect(g0.currentView!.id).toBeGreaterThan(1);
    await until(() => again.groupId('g') === gid, 10_000, 'the rejoined node learns the group id');
  });

  it('a fourth node with the same options joins the group the first three founded', async () => {
    const ports = await freePorts(4);
    const seeds = ports.map((p) => `ws://127.0.0.1:${p}`);
    const ns = await Promise.all(ports.slice(0, 3).map((port, i) => start({ name: `n${i}`, listen: { host: '127.0.0.1', port }, seeds, bootstrapExpect: 3 })));
    const groups = await Promise.all(ns.map((n) => n.join('g', { signal: AbortSignal.timeout(30_000) })));
    const late = await start({ name: 'n3', listen: { host: '127.0.0.1', port: ports[3]! }, seeds, bootstrapExpect: 3 });
    const g3 = await late.join('g', { signal: AbortSignal.timeout(30_000) });
    await until(() => [...groups, g3].every((g) => g.currentView!.members.length === 4), 20_000, 'four members');
  });
});

describe('static bootstrap races', () => {
  it('five nodes started at once with bootstrapExpect 3: three found, exactly once, the others join (5 runs)', async () => {
    for (let run = 0; run < 5; run++) {
      const ports = await freePorts(5);
      const seeds = ports.map((p) => `ws://127.0.0.1:${p}`);
      const ns = await Promise.all(ports.map((port, i) => start({ name: `n${i}`, listen: { host: '127.0.0.1', port }, seeds, bootstrapExpect: 3 })));
      const firstViews: Array<{ id: number; members: string }> = [];
      const groups = await Promise.all(ns.map(async (n) => {
        const g = await n.join('g', { signal: AbortSignal.timeout(30_000) });
        firstViews.push({ id: g.currentView!.id, members: g.currentView!.members.join(',') });
        return g;
      }));
      await until(() => groups.every((g) => g.currentView!.members.length === 5), 30_000, 'one group of five');
      // One founding: the members that started in a view 1 all started in the same one, of three.
      const ones = new Set(firstViews.filter((v) => v.id === 1).map((v) => v.members));
      expect(ones.size).toBe(1);
      expect([...ones][0]!.split(',')).toHaveLength(3);
      expect(new Set(ns.map((n) => n.groupId('g'))).size).toBe(1);
      await Promise.all(nodes.splice(0).map((n) => n.close()));
    }
  });
});

describe('joins finish or fail with the cause', () => {
  it('VSYNC_ERR_UNREACHABLE when no seed answers within joinTimeoutMs, with warn logs while it waits', async () => {
    const [port] = await freePorts(1);
    const { logger, lines } = memoryLogger();
    const n = await start({ name: 'lonely', seeds: [`ws://127.0.0.1:${port}`], joinTimeoutMs: 3000, logger });
    expect(await codeOf(n.join('g'))).toBe(ErrorCodes.UNREACHABLE);
    expect(lines.join('')).toMatch(/waiting for seeds ws:\/\/127\.0\.0\.1:\d+: connection refused/);
  });

  it('VSYNC_ERR_AUTH when every seed refuses our secret', async () => {
    const a = await start({ name: 'a' });
    await a.join('g');
    const b = await start({ name: 'b', secret: 'wrong-secret', seeds: [a.url!], joinTimeoutMs: 20_000 });
    expect(await codeOf(b.join('g'))).toBe(ErrorCodes.AUTH);
  });

  it('VSYNC_ERR_UNKNOWN_GROUP when the seeds answer but none runs the group (a misspelt name)', async () => {
    const a = await start({ name: 'a' });
    await a.join('orders');
    const b = await start({ name: 'b', seeds: [a.url!], joinTimeoutMs: 2000 });
    expect(await codeOf(b.join('ordres'))).toBe(ErrorCodes.UNKNOWN_GROUP);
  });

  it('VSYNC_ERR_GROUP_FULL when the group has no room', async () => {
    const a = await start({ name: 'a', config: { maxMembers: 1 } });
    await a.join('g');
    const b = await start({ name: 'b', seeds: [a.url!], joinTimeoutMs: 2000, config: { maxMembers: 1 } });
    expect(await codeOf(b.join('g'))).toBe(ErrorCodes.GROUP_FULL);
  });

  it('refuses reserved group names and bad options at the call', async () => {
    const a = await start({ name: 'a' });
    expect(await codeOf(a.join('$vsync/form'))).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(await codeOf(a.join('g', { bootstrapExpect: -1 }))).toBe(ErrorCodes.INVALID_ARGUMENT);
  });
});

describe('group identity', () => {
  async function twoFounders(merge: boolean, seen: string[] = []): Promise<{ ga: Group; gb: Group; gc: Group; a: Node; b: Node; c: Node }> {
    const a = await start({ name: 'a', merge });
    const b = await start({ name: 'b', merge });
    const ga = await a.join('g');
    const gb = await b.join('g');
    ga.on('conflict', (c) => seen.push(`a:${c.ours.gid}/${c.theirs.gid}:${c.yielding}`));
    gb.on('conflict', (c) => seen.push(`b:${c.ours.gid}/${c.theirs.gid}:${c.yielding}`));
    // b's instance is larger: b2 joins it.
    const b2 = await start({ name: 'b2', merge, seeds: [b.url!] });
    await b2.join('g', { signal: AbortSignal.timeout(20_000) });
    const c = await start({ name: 'c', merge, seeds: [a.url!, b.url!] });
    const gc = await c.join('g', { signal: AbortSignal.timeout(20_000) });
    return { ga, gb, gc, a, b, c };
  }

  it('two founders of one group name: both are told, with both ids and member lists', async () => {
    const seen: string[] = [];
    const { ga, a, b } = await twoFounders(false, seen);
    expect(a.groupId('g')).not.toBe(b.groupId('g'));
    await until(() => seen.some((s) => s.startsWith('a:')) && seen.some((s) => s.startsWith('b:')), 20_000, 'both sides told');
    expect(seen.find((s) => s.startsWith('a:'))).toBe(`a:${a.groupId('g')}/${b.groupId('g')}:true`);
    expect(seen.find((s) => s.startsWith('b:'))).toBe(`b:${b.groupId('g')}/${a.groupId('g')}:false`);
    // Without merge nobody moves.
    expect(ga.currentView!.members).toHaveLength(1);
  });

  it('with merge the smaller instance rejoins the larger one', async () => {
    const { ga, gb, a, b } = await twoFounders(true);
    await until(() => gb.currentView!.members.length === 4 && ga.currentView!.members.length === 4, 30_000, 'one group of four');
    await until(() => a.groupId('g') === b.groupId('g'), 10_000, 'one group id');
  });
});

describe('closing', () => {
  it('a join still looking for its group fails with VSYNC_ERR_CLOSED when the node closes', async () => {
    const [port] = await freePorts(1);
    const n = await start({ name: 'x', seeds: [`ws://127.0.0.1:${port}`], joinTimeoutMs: 0 });
    const p = codeOf(n.join('g'));
    await new Promise((r) => setTimeout(r, 300));
    await n.close();
    expect(await p).toBe(ErrorCodes.CLOSED);
  });
});
