import { tentativeDeliveries } from '../delivery-kinds.js';
import { at } from '../describe.js';
import type { MemberIndex, MsgRecord, TraceIndex } from '../index-traces.js';
import type { DeliverEvent, Violation } from '../trace-types.js';

/** A delivered message was sent, with the same hash; and its send lines agree on that hash and on the order. */
export function checkDeliveryIntegrity(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  const property = 'delivery-integrity';
  for (const rec of index.msgs) {
    const first = rec.sends[0];
    const other = first && rec.sends.find((r) => r.event.hash !== first.event.hash);
    if (first && other) {
      out.push({
        property,
        message: `msg ${rec.id} was sent with hash ${first.event.hash} in view ${first.event.view} and with hash ${other.event.hash} in view ${other.event.view} by ${other.me}`,
      });
    }
    // A re-send keeps the delivery kind: which properties apply depends on it (delivery-kinds.ts).
    const otherOrder = first && rec.sends.find((r) => r.event.order !== first.event.order);
    if (first && otherOrder) {
      out.push({
        property,
        message: `msg ${rec.id} was sent with order "${first.event.order}" in view ${first.event.view} and with order "${otherOrder.event.order}" in view ${otherOrder.event.view} by ${otherOrder.me}`,
      });
    }
  }
  forEachDelivery(index, (m, d, rec) => {
    const sent = rec.sends[0];
    if (sent === undefined) {
      out.push({ property, message: `${at(m.me, m.file, d)} delivered msg ${d.msg} in view ${d.view}, but no trace has a send of it` });
    } else if (sent.event.hash !== d.hash) {
      out.push({
        property,
        message: `${at(m.me, m.file, d)} delivered msg ${d.msg} with hash ${d.hash}, but ${sent.me} sent it with hash ${sent.event.hash}`,
      });
    }
  });
  return out;
}

/** No member delivers a message twice. */
export function checkNoDuplication(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  for (const m of index.members) {
    for (let i = 0; i < m.deliveries.length; i++) {
      if (!m.repeat[i]) continue;
      const d = m.deliveries[i]!;
      // Looking back is linear, so only for the one violation a report shows.
      const before = out.length === 0 ? m.deliveries.find((x) => x.msg === d.msg) : undefined;
      out.push({
        property: 'no-duplication',
        message:
          `${at(m.me, m.file, d)} delivered msg ${d.msg} again (view ${d.view})` +
          (before ? `; it first delivered it at line ${before.line ?? '?'} (view ${before.view})` : ''),
      });
    }
  }
  return out;
}

/** A message is delivered in the view of its last send line (tentative deliveries aside: delivery-kinds.ts). */
export function checkSendingViewDelivery(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  forEachConfirmed(index, (m, d, rec) => {
    const last = rec.lastSend;
    if (last === undefined || last.event.view === d.view) return;
    out.push({
      property: 'sending-view-delivery',
      message: `${at(m.me, m.file, d)} delivered msg ${d.msg} in view ${d.view}, but ${last.me} (last) sent it in view ${last.event.view}`,
    });
  });
  return out;
}

/** All members that deliver a message do so in the same view (tentative deliveries aside: delivery-kinds.ts). */
export function checkSameViewDelivery(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  const firstView: (number | undefined)[] = new Array(index.msgs.length);
  const firstBy: string[] = new Array(index.msgs.length);
  const reported: boolean[] = new Array(index.msgs.length);
  forEachConfirmed(index, (m, d, rec) => {
    const view = firstView[rec.n];
    if (view === undefined) {
      firstView[rec.n] = d.view;
      firstBy[rec.n] = m.me;
    } else if (view !== d.view && !reported[rec.n]) {
      reported[rec.n] = true;
      out.push({
        property: 'same-view-delivery',
        message: `msg ${d.msg} was delivered in view ${view} by ${firstBy[rec.n]} but in view ${d.view} by ${at(m.me, m.file, d)}`,
      });
    }
  });
  return out;
}

/** Every delivery but the tentative ones. */
function forEachConfirmed(index: TraceIndex, fn: (m: MemberIndex, d: DeliverEvent, rec: MsgRecord) => void): void {
  const tentative = tentativeDeliveries(index);
  for (const m of index.members) {
    const t = tentative[m.ordinal]!;
    for (let i = 0; i < m.deliveries.length; i++) if (!t[i]) fn(m, m.deliveries[i]!, index.msgs[m.deliveryMsg[i]!]!);
  }
}

function forEachDelivery(index: TraceIndex, fn: (m: MemberIndex, d: DeliverEvent, rec: MsgRecord) => void): void {
  for (const m of index.members) {
    for (let i = 0; i < m.deliveries.length; i++) fn(m, m.deliveries[i]!, index.msgs[m.deliveryMsg[i]!]!);
  }
}
