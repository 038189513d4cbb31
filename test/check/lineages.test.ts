/**
 * The checker and recovered lineages (docs/trace-format.md, `lineage`): a recovery after a lost majority founds a new
 * instance of the group whose views start again; traces marked with its lineage are checked on their own.
 */
import { describe, expect, it } from 'vitest';
import { checkTraces } from '../../src/check/index.js';
import { splitLineages } from '../../src/check/lineages.js';
import type { MemberTrace, TraceEvent } from '../../src/check/trace-types.js';

const install = (me: string, id: number, members: string[]): TraceEvent => ({ ev: 'install', me, view: { id, members } });
const lineage = (me: string, gid: string, parent: string): TraceEvent => ({ ev: 'other', me, name: 'lineage', raw: { ev: 'lineage', me, gid, parent } });
const trace = (me: string, events: TraceEvent[]): MemberTrace => ({ file: `${me}.jsonl`, me, events });

/** Five members in views 1-2; a and b (the survivors) recover into lineage L as a#2 and b#2, views 1-2 again. */
function run(marked: boolean): MemberTrace[] {
  const five = ['a#1', 'b#1', 'c#1', 'd#1', 'e#1'];
  const old = five.map((me) => trace(me, [install(me, 1, five.slice(0, 3)), install(me, 2, five)].filter((e) => me < 'd' || (e.ev === 'install' && e.view.id === 2))));
  const mark = (me: string): TraceEvent[] => (marked ? [lineage(me, 'L', 'G')] : []);
  return [
    ...old,
    trace('a#2', [...mark('a#2'), install('a#2', 1, ['a#2']), install('a#2', 2, ['a#2', 'b#2'])]),
    trace('b#2', [...mark('b#2'), install('b#2', 2, ['a#2', 'b#2'])]),
  ];
}

describe('lineages', () => {
  it('without the lineage line, a recovered instance breaks view agreement and the single chain', () => {
    const r = checkTraces(run(false), { liveness: false });
    expect(r.ok).toBe(false);
    expect(r.violations.map((v) => v.property)).toContain('view-agreement');
  });

  it('with it, each lineage is one chain and the run passes', () => {
    const r = checkTraces(run(true), { liveness: false });
    expect(r.violations).toEqual([]);
    expect(r.stats.traces).toBe(7);
    expect(splitLineages(run(true)).map((l) => [l.gid, l.parent, l.traces.length])).toEqual([['', '', 5], ['L', 'G', 2]]);
  });

  it('still checks inside a lineage, and names it', () => {
    const t = run(true);
    t.push(trace('c#2', [lineage('c#2', 'L', 'G'), install('c#2', 2, ['c#2', 'b#2'])]));
    const r = checkTraces(t, { liveness: false });
    expect(r.violations.find((v) => v.property === 'view-agreement')?.message).toMatch(/^lineage L: /);
  });

  it('a lineage line that is not the first line is a format problem', () => {
    const t = run(true);
    t.push(trace('f#1', [install('f#1', 2, ['a#1', 'b#1', 'c#1', 'd#1', 'e#1', 'f#1']), lineage('f#1', 'L', 'G')]));
    const r = checkTraces(t, { liveness: false });
    expect(r.violations.find((v) => v.property === 'trace-wellformed')?.message).toMatch(/not the trace's first line/);
  });
});
