/**
 * `vsync member` on SIGTERM leaves the group and its trace says so (`leave`), so the checker does not count it in
 * the majority of the views after it. In a group of two, the survivor's view of itself is then a primary view; when
 * the trace used to end (`end`) before the leave, the checker read that view as a minority one and the survivor's
 * clean end as a liveness failure, though nothing went wrong.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcCluster } from './proc-cluster.js';

let cluster: ProcCluster | null = null;
afterEach(() => {
  cluster?.killAll();
  cluster = null;
});

/** The `ev` of every line of the trace of `name`'s incarnation(s), in order. */
function events(dir: string, name: string): string[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${name}`) && f.endsWith('.jsonl'));
  return files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => (JSON.parse(l) as { ev: string }).ev));
}

describe('a member stopped with SIGTERM leaves, and its trace records the leave', () => {
  it('a group of two: the survivor goes on alone, and the traces pass every check', async () => {
    const c = (cluster = new ProcCluster(['--send-rate', '100']));
    await c.start('a');
    await c.start('b');
    await c.waitViews((m) => m.length === 2, 30_000, 'two members');
    c.get('b').signal('SIGTERM');
    expect(await Promise.race([c.get('b').exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))])).toBe(0);
    await c.waitViews((m) => m.length === 1 && m[0]!.startsWith('a#'), 30_000, 'a alone', ['b']);
    await c.quiesce();
    const report = await c.finish();
    expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
    const b = events(c.dir, 'b');
    expect(b).toContain('leave');
    expect(b.filter((e) => e !== 'end').at(-1)).toBe('leave');
  });
});
