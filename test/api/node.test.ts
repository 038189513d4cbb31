import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTraceDir, ErrorCodes, type Group, type Message, Node } from '../../src/index.js';
import { dec, enc, eventually } from '../helpers/api-helpers.js';

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function cluster(n: number, opts: { trace?: string; secret?: string } = {}): Promise<{ nodes: Node[]; groups: Group[] }> {
  const first = await Node.start({ name: 'n0', secret: 'test-secret', listen: { host: '127.0.0.1', port: 0 }, ...opts });
  nodes.push(first);
  const groups = [await first.join('g')];
  const all = [first];
  for (let i = 1; i < n; i++) {
    const node = await Node.start({ name: `n${i}`, secret: 'test-secret', listen: { host: '127.0.0.1', port: 0 }, seeds: [first.url!], ...opts });
    nodes.push(node);
    all.push(node);
    groups.push(await node.join('g', { signal: AbortSignal.timeout(10_000) }));
  }
  await eventually(() => groups.every((g) => g.currentView?.members.length === n), 10_000, 'everyone in one view');
  return { nodes: all, groups };
}

describe('Node API over real WebSockets on 127.0.0.1', () => {
  it('three nodes: same messages in the same order everywhere; send resolves with the sequence number', async () => {
    const trace = mkdtempSync(join(tmpdir(), 'vsync-api-'));
    const { groups } = await cluster(3, { trace });
    const got: string[][] = groups.map(() => []);
    groups.forEach((g, i) => g.on('message', (m: Message) => got[i]!.push(`${m.seq}:${dec(m.payload)}`)));
    const results = await Promise.all(groups.flatMap((g, i) => Array.from({ length: 50 }, (_, k) => g.send(enc(`${i}-${k}`)))));
    expect(new Set(results.map((r) => r.seq)).size).toBe(150);
    await eventually(() => got.every((l) => l.length === 150), 10_000, 'all deliveries');
    expect(got[1]).toEqual(got[0]);
    expect(got[2]).toEqual(got[0]);
    await Promise.all(nodes.splice(0).map((n) => n.close()));
    const report = await checkTraceDir(trace);
    expect(report.violations).toEqual([]);
  });

  it('a closed node is removed by a view change; the others keep going', async () => {
    const { nodes: ns, groups } = await cluster(3);
    const views: number[] = [];
    groups[1]!.on('view', (v) => views.push(v.members.length));
    await ns[2]!.close();
    await eventually(() => groups[1]!.currentView!.members.length === 2, 10_000, 'a view without n2');
    const r = await groups[0]!.send(enc('after'));
    expect(r.viewId).toBe(groups[0]!.currentView!.id);
    expect(views).toContain(2);
  });

  it('closing a node leaves its groups: a group of two goes on with the survivor, at once', async () => {
    const trace = mkdtempSync(join(tmpdir(), 'vsync-api-'));
    const { nodes: ns, groups } = await cluster(2, { trace });
    const coordinator = groups[0]!.currentView!.coordinator;
    // Close the coordinator's node (the sequencer): a crash would leave the other a blocked minority of one.
    const [closing, staying] = groups[0]!.memberId === coordinator ? [0, 1] : [1, 0];
    let minority = false;
    groups[staying]!.on('minority', () => { minority = true; });
    const t0 = Date.now();
    await ns[closing]!.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await eventually(() => groups[staying]!.currentView!.members.length === 1, 1000, 'a view of the survivor alone, before any failure timeout');
    const r = await groups[staying]!.send(enc('alone'), { signal: AbortSignal.timeout(5000) });
    expect(r.viewId).toBe(groups[staying]!.currentView!.id);
    expect(minority).toBe(false);
    await ns[staying]!.close();
    const report = await checkTraceDir(trace);
    expect(report.violations).toEqual([]);
  });

  it('closing a node blocked in a minority does not wait for a leave that cannot happen', async () => {
    const { nodes: ns, groups } = await cluster(2);
    const [a, b] = ns as [Node, Node];
    // b stops without leaving (a sees a crash), so a is one of two.
    const ga = groups[0]!;
    let minority = false;
    ga.on('minority', () => { minority = true; });
    await b.close({ leave: false });
    await eventually(() => minority, 5000, 'a minority of one');
    const t0 = Date.now();
    await a.close();
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('close refuses bad options with a code; a signal cuts the leaves short', async () => {
    const { nodes: ns } = await cluster(2);
    for (const bad of [null, 5, { leave: 'yes' }, { signal: 5 }]) {
      await expect(ns[0]!.close(bad as never)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    }
    const t0 = Date.now();
    await ns[0]!.close({ signal: AbortSignal.abort() });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('messages() is an async iterator of the same deliveries', async () => {
    const { groups } = await cluster(2);
    const it = groups[1]!.messages()[Symbol.asyncIterator]();
    await groups[0]!.send(enc('x'));
    const first = await it.next();
    expect(dec((first.value as Message).payload)).toBe('x');
    await it.return!();
  });

  it('graceful leave: the leaver gets "left", the others a smaller view', async () => {
    const { groups } = await cluster(3);
    let left = false;
    groups[2]!.on('left', () => { left = true; });
    await groups[2]!.leave({ signal: AbortSignal.timeout(5000) });
    expect(left).toBe(true);
    await eventually(() => groups[0]!.currentView!.members.length === 2);
    await expect(groups[2]!.send(enc('late'))).rejects.toMatchObject({ code: ErrorCodes.LEAVING });
  });

  it('errors carry stable codes: oversized payload, aborted send', async () => {
    const { groups } = await cluster(1);
    await expect(groups[0]!.send(new Uint8Array(2 * 1024 * 1024))).rejects.toMatchObject({ code: ErrorCodes.PAYLOAD_TOO_LARGE });
    const ac = new AbortController();
    ac.abort();
    await expect(groups[0]!.send(enc('x'), { signal: ac.signal })).rejects.toBeTruthy();
  });

  it('a node with the wrong secret cannot join; the group is unaffected', async () => {
    const { groups } = await cluster(2, { secret: 's3cret' });
    const intruder = await Node.start({ name: 'evil', listen: { host: '127.0.0.1', port: 0 }, seeds: [nodes[0]!.url!], secret: 'wrong' });
    nodes.push(intruder);
    await expect(intruder.join('g', { signal: AbortSignal.timeout(1500) })).rejects.toMatchObject({ code: ErrorCodes.AUTH });
    expect(groups[0]!.currentView!.members).toHaveLength(2);
    await groups[0]!.send(enc('still fine'));
  });
});
