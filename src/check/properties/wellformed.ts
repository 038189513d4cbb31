import { at } from '../describe.js';
import type { TraceIndex } from '../index-traces.js';
import type { Violation } from '../trace-types.js';

const property = 'trace-wellformed';

/**
 * What the trace format itself promises: parseable lines with `ev` and `me`, one member per file and one file per
 * member, nothing after `leave`/`end`, lines consistent with the view installed at that point, and a message id
 * sent by one member only and at most once per view.
 */
export function checkWellformed(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  const add = (message: string): void => {
    out.push({ property, message });
  };

  const fileOf = new Map<string, string>();
  for (const trace of index.traces) {
    for (const p of trace.problems ?? []) add(p);
    if (trace.me === '') {
      if (trace.events.length > 0) add(`${trace.file}: trace has events but no member id`);
      continue;
    }
    const first = fileOf.get(trace.me);
    if (first !== undefined) {
      add(`member ${trace.me} has two trace files, ${first} and ${trace.file}; ids are never reused (only ${first} is checked)`);
      continue;
    }
    fileOf.set(trace.me, trace.file);
    for (const e of trace.events) {
      if (e.me !== trace.me) {
        add(`${trace.file}${e.line !== undefined ? `:${e.line}` : ''}: event of ${e.me} in the trace of ${trace.me}`);
        break;
      }
    }
  }

  for (const m of index.members) {
    for (const p of m.problems) add(p);
    const early = m.beforeInstall[0];
    if (early) add(`${at(m.me, m.file, early)} logged ${early.ev} before installing any view`);
    const late = m.afterExit[0];
    if (late) add(`${at(m.me, m.file, late)} logged ${late.ev} after leave/end; no group events may follow`);
    for (const seg of m.segments) {
      const id = seg.view.id;
      const bad =
        seg.deliveries.find((e) => e.view !== id) ?? seg.sends.find((e) => e.view !== id) ?? seg.states.find((e) => e.view !== id);
      if (bad) add(`${at(m.me, m.file, bad)} logged ${bad.ev} with view ${bad.view} while view ${id} was installed`);
    }
  }

  for (const { id: msg, sends: refs } of index.msgs) {
    const first = refs[0];
    if (!first) continue;
    const other = refs.find((r) => r.me !== first.me);
    if (other) {
      add(`msg ${msg} is sent by two members: ${at(first.me, fileOfMember(index, first.me), first.event)} and ${at(other.me, fileOfMember(index, other.me), other.event)}`);
      continue;
    }
    if (refs.length === 1) continue;
    const seen = new Set<number>();
    for (const r of refs) {
      if (seen.has(r.event.view)) {
        add(`${at(r.me, fileOfMember(index, r.me), r.event)} sent msg ${msg} twice in view ${r.event.view}; a re-send belongs to a later view`);
        break;
      }
      seen.add(r.event.view);
    }
  }
  return out;
}

function fileOfMember(index: TraceIndex, me: string): string {
  return index.byMe.get(me)?.file ?? '?';
}
