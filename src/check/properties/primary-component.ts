import { list } from '../describe.js';
import type { TraceIndex } from '../index-traces.js';
import type { Violation } from '../trace-types.js';

const property = 'primary-component';

/**
 * The views form one chain: taken in id order, each view after the first was installed by some member right
 * after the one before it, and keeps a strict majority of that view's members. Members that left gracefully
 * are not counted, since leaving must not cost the group its primary status.
 */
export function checkPrimaryComponent(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  const ids = index.viewIds;
  for (let i = 1; i < ids.length; i++) {
    const prevId = ids[i - 1]!;
    const nextId = ids[i]!;
    const prev = index.views.get(prevId)!;
    const next = index.views.get(nextId)!;

    if (!index.successions.get(prevId)?.has(nextId)) {
      out.push({ property, message: `no member installed view ${nextId} right after view ${prevId}, so the views do not form one chain${describePredecessors(index, nextId)}` });
    }

    const counted = prev.members.filter((me) => !leftGracefullyFrom(index, me, prevId));
    if (counted.length === 0) continue;
    const nextMembers = new Set(next.members);
    const kept = counted.filter((me) => nextMembers.has(me));
    if (kept.length * 2 <= counted.length) {
      const gone = counted.filter((me) => !nextMembers.has(me));
      out.push({
        property,
        message:
          `view ${nextId} ${list(next.members, 12)} keeps only ${kept.length} of the ${counted.length} counted members of view ${prevId} ` +
          `${list(counted, 12)} (lost ${list(gone, 12)}); a primary view needs a strict majority`,
      });
    }
  }
  return out;
}

/**
 * A member of view `prevId` that logged `leave` without installing anything after `prevId`. This includes one
 * that left while the view that still lists it was being formed, since it never had a chance to install it.
 */
function leftGracefullyFrom(index: TraceIndex, me: string, prevId: number): boolean {
  const m = index.byMe.get(me);
  if (m === undefined || !m.left) return false;
  return m.leftAfterView === undefined || m.leftAfterView <= prevId;
}

function describePredecessors(index: TraceIndex, nextId: number): string {
  const found: string[] = [];
  for (const [prev, nexts] of index.successions) {
    const by = nexts.get(nextId);
    if (by !== undefined) found.push(`after ${prev} by ${by}`);
  }
  return found.length === 0
    ? ` (view ${nextId} was only ever installed as a member's first view)`
    : ` (view ${nextId} was installed ${found.slice(0, 3).join(', ')})`;
}
