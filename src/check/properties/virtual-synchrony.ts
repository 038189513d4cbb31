import { at, list } from '../describe.js';
import type { MemberIndex, Segment, TraceIndex } from '../index-traces.js';
import type { Violation } from '../trace-types.js';

interface Reference {
  readonly me: string;
  readonly msgs: Int32Array;
}

/**
 * Members that install the same next view W right after V delivered the same set of messages while in V.
 * Each member's set, as sorted message numbers, is compared with the first member seen for that (V, W):
 * equality is transitive, so this is as strong as comparing every pair and stays linear in the members.
 */
export function checkVirtualSynchrony(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  const refs = new Map<number, Map<number, Reference>>();
  for (const m of index.members) {
    for (let i = 0; i + 1 < m.segments.length; i++) {
      const seg = m.segments[i]!;
      const next = m.segments[i + 1]!;
      const msgs = deliveredSet(m, seg);
      let byNext = refs.get(seg.view.id);
      if (byNext === undefined) refs.set(seg.view.id, (byNext = new Map()));
      const ref = byNext.get(next.view.id);
      if (ref === undefined) {
        byNext.set(next.view.id, { me: m.me, msgs });
        continue;
      }
      if (sameNumbers(ref.msgs, msgs)) continue;
      const mine = new Set(msgs);
      const theirs = new Set(ref.msgs);
      const names = (ns: Iterable<number>): string[] => [...ns].map((n) => index.msgs[n]!.id);
      const onlyMine = names([...msgs].filter((x) => !theirs.has(x)));
      const onlyTheirs = names([...ref.msgs].filter((x) => !mine.has(x)));
      out.push({
        property: 'virtual-synchrony',
        message:
          `${m.me} and ${ref.me} both went from view ${seg.view.id} to view ${next.view.id} but delivered different messages in view ${seg.view.id}: ` +
          `only ${at(m.me, m.file, next.install)} delivered ${list(onlyMine)}, only ${ref.me} delivered ${list(onlyTheirs)}`,
      });
    }
  }
  return out;
}

/** The distinct messages delivered in a segment, as sorted message numbers. */
function deliveredSet(m: MemberIndex, seg: Segment): Int32Array {
  const all = Int32Array.from(m.deliveryMsg.slice(seg.deliveryFrom, seg.deliveryFrom + seg.deliveries.length)).sort();
  let k = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[k++] = all[i]!;
  return all.subarray(0, k);
}

function sameNumbers(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
