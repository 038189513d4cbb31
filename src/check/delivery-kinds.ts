import type { MsgRecord, TraceIndex } from './index-traces.js';
import type { OrderClass } from './trace-types.js';

/*
 * What each `order` of a send line promises (docs/trace-format.md, "Delivery kinds"):
 * - "safe": total order, and uniform: whatever any member delivered in a view, even one that crashed right
 *   after, every member that moves on from that view delivered too (`uniform-delivery`).
 * - "total" (vsync's agreed): total order, agreement only among the members that move on from the view
 *   (`virtual-synchrony`); a member that does not move on may have delivered it alone.
 * - "fifo" / "causal": per-sender (causal) order; total order only where a delivery carries a `seq`.
 */

/** The order a message was sent with: that of its last send line (a re-send keeps it). */
export function orderOf(rec: MsgRecord): OrderClass | undefined {
  return (rec.lastSend ?? rec.sends[0])?.event.order;
}

/** Orders whose messages every member that moves on must deliver if anyone did. */
export function isUniform(order: OrderClass | undefined): boolean {
  return order === 'safe';
}

/** Orders that promise one total order (such a delivery must carry a `seq`). */
export function isTotal(order: OrderClass | undefined): boolean {
  return order === 'safe' || order === 'total';
}

const cache = new WeakMap<TraceIndex, boolean[][]>();

/**
 * Per member (by ordinal), per delivery: true for a *tentative* delivery, one that the survivors of its view may
 * never confirm. That is a delivery of a non-uniform message in the member's last view, by a member that did not
 * leave gracefully (it crashed, was excluded, or stopped there), of a message that no member moving on from that
 * view delivered in it, while some member did move on from it. The group may then order other messages at the same `seq` in the next view, and the
 * sender re-sends the message there; so properties that compare views or the whole run (one seq per message,
 * sending-view and same-view delivery) leave tentative deliveries out. Within its view such a delivery is still
 * held to total order and FIFO.
 */
export function tentativeDeliveries(index: TraceIndex): boolean[][] {
  const hit = cache.get(index);
  if (hit !== undefined) return hit;
  const out: boolean[][] = index.members.map((m) => new Array<boolean>(m.deliveries.length).fill(false));
  // View id -> messages delivered in it by members that installed a next view after it (built on demand).
  let confirmed: Map<number, Set<number>> | undefined;
  for (const m of index.members) {
    const last = m.segments[m.segments.length - 1];
    if (last === undefined || m.left) continue;
    for (let i = 0; i < last.deliveries.length; i++) {
      const n = m.deliveryMsg[last.deliveryFrom + i]!;
      if (isUniform(orderOf(index.msgs[n]!))) continue;
      confirmed ??= confirmedByView(index);
      // Nobody moved on from the view: no later view can reuse its seqs, so nothing is tentative there.
      const c = confirmed.get(last.view.id);
      if (c !== undefined && !c.has(n)) out[m.ordinal]![last.deliveryFrom + i] = true;
    }
  }
  cache.set(index, out);
  return out;
}

function confirmedByView(index: TraceIndex): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const m of index.members) {
    for (let s = 0; s + 1 < m.segments.length; s++) {
      const seg = m.segments[s]!;
      let set = out.get(seg.view.id);
      if (set === undefined) out.set(seg.view.id, (set = new Set()));
      for (let i = 0; i < seg.deliveries.length; i++) set.add(m.deliveryMsg[seg.deliveryFrom + i]!);
    }
  }
  return out;
}
