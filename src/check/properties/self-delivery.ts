import { at } from '../describe.js';
import type { TraceIndex } from '../index-traces.js';
import type { Violation } from '../trace-types.js';

/**
 * A member that moves on from view V (installs a later view, or leaves) has delivered each message it sent in V
 * while still in V, unless it re-sent that message in a later view.
 */
export function checkSelfDelivery(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  // mark[n] === stamp: message n was delivered in the segment being looked at (no set per segment).
  const mark = new Int32Array(index.msgs.length);
  let stamp = 0;
  for (const m of index.members) {
    const lastSendView = new Map<string, number>();
    for (const s of m.sends) lastSendView.set(s.msg, Math.max(s.view, lastSendView.get(s.msg) ?? s.view));
    const lastSeg = m.segments.length - 1;
    for (const seg of m.segments) {
      if (seg.index === lastSeg && !m.left) continue;
      const sent = m.sendsByView.get(seg.view.id);
      if (sent === undefined) continue;
      stamp++;
      for (let i = 0; i < seg.deliveries.length; i++) mark[m.deliveryMsg[seg.deliveryFrom + i]!] = stamp;
      const movedOn = seg.index < lastSeg ? `installed view ${m.segments[seg.index + 1]!.view.id}` : 'left';
      for (const s of sent) {
        if (mark[index.msgById.get(s.msg)!.n] === stamp || lastSendView.get(s.msg)! > seg.view.id) continue;
        out.push({
          property: 'self-delivery',
          message: `${at(m.me, m.file, s)} sent msg ${s.msg} in view ${seg.view.id} and then ${movedOn} without delivering it in view ${seg.view.id} or sending it again`,
        });
      }
    }
  }
  return out;
}
