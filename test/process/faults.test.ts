import { afterEach, describe, expect, it } from 'vitest';
import { ProcCluster, sleep } from './proc-cluster.js';

let cluster: ProcCluster | null = null;
afterEach(() => {
  cluster?.killAll();
  cluster = null;
});

const expectClean = (report: Awaited<ReturnType<ProcCluster['finish']>>): void => {
  expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
};

describe('real member processes on 127.0.0.1', () => {
  it('SIGKILL of the coordinator and of another member under load: survivors agree, traces check', async () => {
    const c = (cluster = new ProcCluster(['--send-rate', '200']));
    for (const n of ['a', 'b', 'c', 'd', 'e']) await c.start(n);
    await c.waitViews((m) => m.length === 5, 30_000, 'five members');
    await sleep(1000);
    c.kill('a');
    await sleep(300);
    c.kill('c');
    await c.waitViews((m) => m.length === 3 && m.every((id) => /^[bde]#/.test(id)), 30_000, 'a view of b, d, e');
    await sleep(500);
    await c.quiesce();
    expectClean(await c.finish());
  });

  it('SIGSTOP a member past failure detection, SIGCONT: it learns it was excluded and rejoins', async () => {
    const c = (cluster = new ProcCluster(['--send-rate', '100']));
    for (const n of ['a', 'b', 'c', 'd']) await c.start(n);
    await c.waitViews((m) => m.length === 4, 30_000, 'four members');
    c.kill('c', 'SIGSTOP');
    await c.waitViews((m) => m.length === 3, 30_000, 'c excluded', ['c']);
    c.get('c').signal('SIGCONT');
    await c.get('c').waitFor(/^excluded member=/, 20_000);
    await c.waitViews((m) => m.length === 4, 30_000, 'c back as a new incarnation');
    const ids = c.lastView('a')!.members.filter((id) => id.startsWith('c#'));
    expect(ids).toHaveLength(1);
    await c.quiesce();
    expectClean(await c.finish());
  });

  it('a member with the wrong secret cannot join; the group is unaffected', async () => {
    const c = (cluster = new ProcCluster(['--send-rate', '50', '--secret', 'right']));
    for (const n of ['a', 'b', 'c']) await c.start(n);
    await c.waitViews((m) => m.length === 3, 30_000, 'three members');
    const intruder = await c.start('x', { args: ['--secret', 'wrong'], waitReady: false });
    await sleep(2500);
    expect(intruder.lines.some((l) => l.startsWith('ready'))).toBe(false);
    c.kill('x');
    expect(c.lastView('a')!.members).toHaveLength(3);
    await c.quiesce();
    expectClean(await c.finish());
  });

  it('many members start at once and form one group', async () => {
    const c = (cluster = new ProcCluster(['--send-rate', '20']));
    await c.start('a');
    await Promise.all(['b', 'c', 'd', 'e', 'f', 'g'].map((n) => c.start(n)));
    await c.waitViews((m) => m.length === 7, 30_000, 'seven members');
    await c.quiesce();
    expectClean(await c.finish());
  });
});

describe('replicated state with real processes (--state-machine hashchain)', () => {
  it('a member joins a loaded group and ends with the same state; restarts after SIGKILL go through state transfer', async () => {
    const c = (cluster = new ProcCluster(['--send-rate', '150', '--state-machine', 'hashchain']));
    for (const n of ['a', 'b', 'c']) await c.start(n);
    await c.waitViews((m) => m.length === 3, 30_000, 'three members');
    await sleep(800);
    await c.start('d');
    await c.waitViews((m) => m.length === 4, 30_000, 'd admitted');
    await sleep(500);
    c.kill('b');
    await c.waitViews((m) => m.length === 3, 30_000, 'b removed');
    await c.start('b2');
    await c.waitViews((m) => m.length === 4, 30_000, 'b2 admitted');
    await sleep(500);
    await c.quiesce();
    const states = c.alive().map((p) => p.lastMatch(/ state=(\w+)/)?.[1]);
    expect(new Set(states).size).toBe(1);
    const report = await c.finish();
    expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
  });
});

describe('state transfer with real processes', () => {
  it('the state provider is SIGKILLed during a large transfer: the joiner ends with the right state', async () => {
    const c = (cluster = new ProcCluster(['--send-rate', '50', '--state-machine', 'hashchain', '--state-bytes', String(48 * 1024 * 1024)]));
    for (const n of ['a', 'b', 'c']) await c.start(n);
    await c.waitViews((m) => m.length === 3, 30_000, 'three members');
    const d = await c.start('d', { waitReady: false });
    // a (rank 0) serves d's state first; kill it as soon as d is in the view, while the state streams.
    await c.waitViews((m) => m.length === 4, 30_000, 'd admitted', ['d']);
    c.kill('a');
    await d.waitFor(/^ready me=/, 60_000);
    await c.waitViews((m) => m.length === 3 && !m.some((id) => id.startsWith('a#')), 30_000, 'a removed');
    await c.quiesce();
    const states = c.alive().map((p) => p.lastMatch(/ state=(\w+)/)?.[1]);
    expect(new Set(states).size).toBe(1);
    const report = await c.finish();
    expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
  });
});
