import type { MemberTrace, TraceEvent, Violation } from './trace-types.js';

/**
 * Lineages of a group (docs/trace-format.md, `lineage`). An operator's recovery after a lost majority ends the
 * blocked instance of a group and founds a new one, whose views start again from a new founder: the views of the
 * run then form one chain per lineage, not one chain in all. A trace whose first line is `lineage` belongs to the
 * lineage it names; a trace without one belongs to the root lineage (''). Every property is checked inside each
 * lineage; nothing is compared across lineages (their views, orders and states are not one history by design).
 */
export interface Lineage {
  /** '' for the root (traces without a `lineage` line). */
  readonly gid: string;
  readonly parent: string;
  readonly traces: MemberTrace[];
}

function lineageOf(e: TraceEvent | undefined): { gid: string; parent: string } | null {
  if (e?.ev !== 'other' || e.name !== 'lineage') return null;
  const { gid, parent } = e.raw;
  return typeof gid === 'string' && gid !== '' && typeof parent === 'string' ? { gid, parent } : null;
}

/** Splits the traces by lineage, the root first, then in order of first appearance. */
export function splitLineages(traces: readonly MemberTrace[]): Lineage[] {
  const byGid = new Map<string, { gid: string; parent: string; traces: MemberTrace[] }>();
  byGid.set('', { gid: '', parent: '', traces: [] });
  for (const t of traces) {
    const first = lineageOf(t.events[0]);
    // A lineage line anywhere but first would move a member between chains halfway: a format problem.
    const late = t.events.slice(first ? 1 : 0).filter((e) => e.ev === 'other' && e.name === 'lineage');
    const trace = late.length === 0 ? t : { ...t, problems: [...(t.problems ?? []), ...late.map((e) => `${t.file}:${e.line ?? '?'}: a lineage line that is not the trace's first line`)] };
    const key = first?.gid ?? '';
    let l = byGid.get(key);
    if (!l) byGid.set(key, (l = { gid: key, parent: first!.parent, traces: [] }));
    l.traces.push(trace);
  }
  const out = [...byGid.values()];
  return out[0]!.traces.length === 0 && out.length > 1 ? out.slice(1) : out;
}

/** A violation inside lineage `gid` says so when there are several (the root: 'the original instance'). */
export function inLineage(v: Violation, gid: string, several: boolean): Violation {
  return several ? { property: v.property, message: `${gid === '' ? 'original instance' : `lineage ${gid}`}: ${v.message}` } : v;
}
