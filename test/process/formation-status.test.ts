/**
 * What an operator reads while a group forms (issue 9, user trial): `vsync status` and /healthz during
 * `bootstrapExpect`, and the reason of a view founded by several nodes together.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCounters } from '../../src/api/stats.js';
import { formatStatus, formingLine } from '../../src/cli/status-command.js';
import { health } from '../../src/ops/http-server.js';
import { type Group, Node } from '../../src/index.js';
import { freePorts, until } from './test-helpers.js';

const SECRET = 'test-secret';
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

describe('formation as the operator sees it', () => {
  it('names a view founded together "founded by" all its members, not "joined"', () => {
    const c = new GroupCounters(() => 0);
    expect(c.install('b#1', { id: 1, members: ['a#1', 'b#1', 'c#1'] }, ['a#1', 'b#1', 'c#1'], [], []).reason).toBe('founded by a#1, b#1, c#1');
  });

  it('says what a forming join waits for', () => {
    expect(formingLine({ group: 'g', expect: 3, ready: ['a', 'b'], connected: ['b'] })).toBe('group g  FORMING  waiting for 3 nodes (2 connected: a, b); peers: b');
    expect(formingLine({ group: 'g', expect: 0, ready: ['a'], connected: [] })).toMatch(/JOINING  looking for a running instance/);
  });

  it('reports a node waiting for bootstrapExpect in stats, status and /healthz, then the founded view', async () => {
    const ports = await freePorts(3);
    const seeds = ports.map((p) => `ws://127.0.0.1:${p}`);
    const names = ['a', 'b', 'c'];
    const started = await Promise.all([0, 1].map(async (i) => {
      const n = await Node.start({ name: names[i]!, listen: { host: '127.0.0.1', port: ports[i]! }, seeds, secret: SECRET, bootstrapExpect: 3 });
      nodes.push(n);
      return n;
    }));
    const joins: Promise<Group>[] = started.map((n) => n.join('g'));
    await until(() => (started[0]!.stats().forming?.[0]?.ready.length ?? 0) === 2, 20_000, 'a and b ready');
    const s = started[0]!.stats();
    const lines = formatStatus(s);
    expect(lines.join('\n')).toContain('waiting for 3 nodes (2 connected: a, b)');
    expect(lines).not.toContain('in no group');
    expect(health(s).reason).toBe('g: waiting for 3 nodes to found it (2 ready)');
    const c = await Node.start({ name: 'c', listen: { host: '127.0.0.1', port: ports[2]! }, seeds, secret: SECRET, bootstrapExpect: 3 });
    nodes.push(c);
    const groups = await Promise.all([...joins, c.join('g')]);
    expect(groups.map((g) => g.currentView!.id)).toEqual([1, 1, 1]);
    expect(started[0]!.stats().forming).toEqual([]);
    expect(groups[0]!.stats().history[0]!.reason).toMatch(/^founded by a#\w+, b#\w+, c#\w+$/);
  }, 60_000);
});
