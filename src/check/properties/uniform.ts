import { isUniform, orderOf } from '../delivery-kinds.js';
import { at } from '../describe.js';
import type { TraceIndex } from '../index-traces.js';
import type { DeliverEvent, Violation } from '../trace-types.js';

interface FirstDelivery {
  readonly me: string;
  readonly file: string;
  readonly d: DeliverEvent;
  readonly n: number;
}

/**
 * Uniform delivery, for messages sent "safe": a message that any member delivered in view V, even one that
 * crashed right after, is delivered in V by every member that installs a next view right after V.
 */
export function checkUniformDelivery(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  // View id -> the uniform messages delivered in it, each with the first member seen delivering it.
  const byView = new Map<number, FirstDelivery[]>();
  const seen = new Map<number, Set<number>>();
  for (const m of index.members) {
    for (const seg of m.segments) {
      for (let i = 0; i < seg.deliveries.length; i++) {
        const n = m.deliveryMsg[seg.deliveryFrom + i]!;
        if (!isUniform(orderOf(index.msgs[n]!))) continue;
        let s = seen.get(seg.view.id);
        if (s === undefined) seen.set(seg.view.id, (s = new Set()));
        if (s.has(n)) continue;
        s.add(n);
        let list = byView.get(seg.view.id);
        if (list === undefined) byView.set(seg.view.id, (list = []));
        list.push({ me: m.me, file: m.file, d: seg.deliveries[i]!, n });
      }
    }
  }
  const mark = new Int32Array(index.msgs.length);
  let stamp = 0;
  for (const m of index.members) {
    for (let s = 0; s + 1 < m.segments.length; s++) {
      const seg = m.segments[s]!;
      const due = byView.get(seg.view.id);
      if (due === undefined) continue;
      stamp++;
      for (let i = 0; i < seg.deliveries.length; i++) mark[m.deliveryMsg[seg.deliveryFrom + i]!] = stamp;
      for (const f of due) {
        if (mark[f.n] === stamp) continue;
        out.push({
          property: 'uniform-delivery',
          message:
            `${at(f.me, f.file, f.d)} delivered msg ${f.d.msg} (sent "safe") in view ${seg.view.id}, but ` +
            `${at(m.me, m.file, m.segments[s + 1]!.install)} installed view ${m.segments[s + 1]!.view.id} right after it without delivering it there`,
        });
        break;
      }
    }
  }
  return out;
}
