import { at, list } from '../describe.js';
import type { MemberIndex, TraceIndex } from '../index-traces.js';
import type { SendEvent, Violation } from '../trace-types.js';

interface Cursor {
  readonly sent: readonly SendEvent[];
  next: number;
  broken: boolean;
}

/**
 * Within a view, the messages a member delivers from one sender are, in delivery order, a prefix of the
 * sender's send lines in that view. One cursor per (member, view, sender) keeps this linear.
 *
 * Repeat deliveries and deliveries of messages the sender did not send in this view are left to
 * no-duplication and sending-view-delivery, so that one fault is reported under the property that names it.
 */
export function checkReliableFifo(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  for (const m of index.members) {
    for (const seg of m.segments) {
      const view = seg.view.id;
      const cursors = new Map<MemberIndex, Cursor>();
      for (let i = 0; i < seg.deliveries.length; i++) {
        if (m.repeat[seg.deliveryFrom + i]) continue;
        const d = seg.deliveries[i]!;
        const rec = index.msgs[m.deliveryMsg[seg.deliveryFrom + i]!]!;
        const sender = rec.sender;
        if (sender === undefined) continue;
        if (!rec.sends.some((r) => r.me === sender.me && r.event.view === view)) continue;
        let c = cursors.get(sender);
        if (c === undefined) cursors.set(sender, (c = { sent: sender.sendsByView.get(view) ?? [], next: 0, broken: false }));
        if (c.broken) continue;
        const expected = c.sent[c.next];
        if (expected?.msg === d.msg) {
          c.next++;
          continue;
        }
        c.broken = true;
        out.push({
          property: 'reliable-fifo',
          message:
            `${at(m.me, m.file, d)} delivered msg ${d.msg} from ${sender.me} in view ${view} ` +
            `where ${expected?.msg ?? '(nothing)'} comes next in ${sender.me}'s sends in that view ${list(c.sent.map((e) => e.msg))}`,
        });
      }
    }
  }
  return out;
}
