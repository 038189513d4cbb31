import { isTotal, orderOf, tentativeDeliveries } from '../delivery-kinds.js';
import { at, seqText } from '../describe.js';
import type { MemberIndex, Segment, TraceIndex } from '../index-traces.js';
import type { DeliverEvent, Violation } from '../trace-types.js';

const property = 'total-order';

interface Ordered {
  readonly m: MemberIndex;
  readonly view: number;
  readonly ds: DeliverEvent[];
}

/**
 * Totally ordered deliveries (non-null seq): one seq per message and one message per seq in the whole run; seq
 * strictly increases along each member's deliveries and, within one view at one member, without gaps; and
 * within a view every member's ordered sequence is a prefix of the longest one, which makes any two of them
 * equal up to the shorter. Repeat deliveries are left to no-duplication. A message sent "safe" or "total" must
 * be delivered with a seq; tentative deliveries (delivery-kinds.ts) are held to everything but the run-wide
 * one-to-one match of seqs and messages.
 */
export function checkTotalOrder(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  const add = (message: string): void => {
    out.push({ property, message });
  };

  const seqOfMsg: ({ seq: number; me: string } | undefined)[] = new Array(index.msgs.length);
  const badMsg: boolean[] = new Array(index.msgs.length);
  const msgOfSeq = new Map<number, { msg: string; me: string }>();
  const badSeq = new Set<number>();
  const perSegment: Ordered[] = [];
  const longest = new Map<number, Ordered>();
  const tentative = tentativeDeliveries(index);

  // One seq per message and one message per seq, run-wide.
  const checkUnique = (m: MemberIndex, d: DeliverEvent, seq: number, n: number): void => {
    const s = seqOfMsg[n];
    if (s === undefined) seqOfMsg[n] = { seq: seq, me: m.me };
    else if (s.seq !== seq && !badMsg[n]) {
      badMsg[n] = true;
      add(`msg ${d.msg} has seq ${seq} at ${at(m.me, m.file, d)} but seq ${s.seq} at ${s.me}`);
    }
    const x = msgOfSeq.get(seq);
    if (x === undefined) msgOfSeq.set(seq, { msg: d.msg, me: m.me });
    else if (x.msg !== d.msg && !badSeq.has(seq)) {
      badSeq.add(seq);
      add(`seq ${seq} is msg ${d.msg} at ${at(m.me, m.file, d)} but msg ${x.msg} at ${x.me}`);
    }
  };

  for (const m of index.members) {
    let prev: DeliverEvent | undefined;
    let increasingBroken = false;
    let unorderedReported = false;
    for (let i = 0; i < m.deliveries.length; i++) {
      const d = m.deliveries[i]!;
      if (m.repeat[i]) continue;
      const n = m.deliveryMsg[i]!;
      if (d.seq === null) {
        const order = orderOf(index.msgs[n]!);
        if (isTotal(order) && !unorderedReported) {
          unorderedReported = true;
          add(`${at(m.me, m.file, d)} delivered msg ${d.msg} with no seq, but it was sent "${order}", which promises a place in the total order`);
        }
        continue;
      }
      if (!tentative[m.ordinal]![i]) checkUnique(m, d, d.seq, n);
      if (prev !== undefined && d.seq <= prev.seq! && !increasingBroken) {
        increasingBroken = true;
        add(`${at(m.me, m.file, d)} delivered msg ${d.msg} with seq ${d.seq} after msg ${prev.msg} with seq ${prev.seq}; seq must increase`);
      }
      prev = d;
    }
    for (const seg of m.segments) {
      const ds = ordered(m, seg);
      if (ds.length === 0) continue;
      for (let i = 1; i < ds.length; i++) {
        const a = ds[i - 1]!;
        const b = ds[i]!;
        if (b.seq! > a.seq! && b.seq !== a.seq! + 1) {
          add(`${at(m.me, m.file, b)} in view ${seg.view.id} delivered seq ${b.seq} (msg ${b.msg}) right after seq ${a.seq} (msg ${a.msg}); seqs ${a.seq! + 1}..${b.seq! - 1} are missing`);
          break;
        }
      }
      const o: Ordered = { m, view: seg.view.id, ds };
      perSegment.push(o);
      const ref = longest.get(o.view);
      if (ref === undefined || ref.ds.length < ds.length) longest.set(o.view, o);
    }
  }

  for (const o of perSegment) {
    const ref = longest.get(o.view)!;
    if (ref === o) continue;
    for (let i = 0; i < o.ds.length; i++) {
      const mine = o.ds[i]!;
      const theirs = ref.ds[i]!;
      if (mine.msg !== theirs.msg || mine.seq !== theirs.seq) {
        add(
          `view ${o.view}: ordered deliveries of ${o.m.me} and ${ref.m.me} differ at position ${i + 1}: ` +
            `${at(o.m.me, o.m.file, mine)} delivered msg ${mine.msg} (${seqText(mine.seq)}), ` +
            `${at(ref.m.me, ref.m.file, theirs)} delivered msg ${theirs.msg} (${seqText(theirs.seq)})`,
        );
        break;
      }
    }
  }
  return out;
}

function ordered(m: MemberIndex, seg: Segment): DeliverEvent[] {
  const ds: DeliverEvent[] = [];
  for (let i = 0; i < seg.deliveries.length; i++) {
    const d = seg.deliveries[i]!;
    if (d.seq !== null && !m.repeat[seg.deliveryFrom + i]) ds.push(d);
  }
  return ds;
}
