// The checker per delivery kind (trace `order`): FIFO for every kind, total order for "safe" and "total"
// (vsync's agreed), uniform delivery only for "safe", and for agreed only agreement among the members that
// move on from the view. Each property is broken once per kind it applies to, and the traces a weaker kind
// allows pass.
import { describe, expect, it } from 'vitest';
import { checkTraces, type CheckReport, type MemberTrace, type OrderClass } from '../../src/check/index.js';
import { build, each, member } from './dsl.js';

function violated(traces: MemberTrace[]): string[] {
  const r: CheckReport = checkTraces(traces, { liveness: false });
  return Object.entries(r.counts.violationsByProperty)
    .filter(([, n]) => n > 0)
    .map(([p]) => p)
    .sort();
}

const ALL: OrderClass[] = ['safe', 'total', 'fifo'];
const TOTAL: OrderClass[] = ['safe', 'total'];

describe('reliable-fifo holds for every kind', () => {
  it.each(ALL)('%s: a sender’s messages delivered out of its send order', (order) => {
    const ab = ['a', 'b'];
    const seq = (n: number): number | null => (order === 'fifo' ? null : n);
    const a = member('a').install(1, ab).send('a/1', { order }).send('a/2', { order });
    const b = member('b').install(1, ab);
    // Both deliver the same (consistent) total order, which is not a's send order.
    each([a, b], (x) => x.deliver('a/2', { seq: seq(1) }).deliver('a/1', { seq: seq(2) }));
    expect(violated(build(a, b))).toEqual(['reliable-fifo']);
  });
});

describe('total-order holds for safe and agreed', () => {
  function crossed(order: OrderClass, seqs: boolean): MemberTrace[] {
    const ab = ['a', 'b'];
    const s = (n: number): number | null => (seqs ? n : null);
    const a = member('a').install(1, ab).send('a/1', { order });
    const b = member('b').install(1, ab).send('b/1', { order });
    a.deliver('a/1', { seq: s(1) }).deliver('b/1', { seq: s(2) });
    b.deliver('b/1', { seq: s(1) }).deliver('a/1', { seq: s(2) });
    return build(a, b);
  }

  it.each(TOTAL)('%s: two members order two messages differently', (order) => {
    expect(violated(crossed(order, true))).toEqual(['total-order']);
  });

  it.each(TOTAL)('%s: a delivery without a seq', (order) => {
    expect(violated(crossed(order, false))).toEqual(['total-order']);
  });

  it('fifo: two members may order two senders’ messages differently (no seq)', () => {
    expect(violated(crossed('fifo', false))).toEqual([]);
  });

  it('fifo: a seq, where a writer gives one, still names one place in the total order', () => {
    expect(violated(crossed('fifo', true))).toEqual(['total-order']);
  });
});

describe('uniform-delivery holds for safe only', () => {
  // a delivers its own message and crashes; b and c move on to view 2 without it.
  function deliveredByTheCrashedOnly(order: OrderClass): MemberTrace[] {
    const abc = ['a', 'b', 'c'];
    const a = member('a').install(1, abc).send('a/1', { order }).deliver('a/1', { seq: order === 'fifo' ? null : 1 });
    const b = member('b').install(1, abc).install(2, ['b', 'c']);
    const c = member('c').install(1, abc).install(2, ['b', 'c']);
    return build(a, b, c);
  }

  it('safe: a message a crashed member delivered is missing at the members that move on', () => {
    expect(violated(deliveredByTheCrashedOnly('safe'))).toEqual(['uniform-delivery']);
  });

  it.each(['total', 'fifo'] as OrderClass[])('%s: the same history is allowed', (order) => {
    expect(violated(deliveredByTheCrashedOnly(order))).toEqual([]);
  });

  it('safe: one member that moves on lacks it while another has it (virtual synchrony and uniformity)', () => {
    const abc = ['a', 'b', 'c'];
    const a = member('a').install(1, abc).send('a/1', { order: 'safe' }).deliver('a/1', { seq: 1 });
    const b = member('b').install(1, abc).deliver('a/1', { seq: 1 }).install(2, ['b', 'c']);
    const c = member('c').install(1, abc).install(2, ['b', 'c']);
    expect(violated(build(a, b, c))).toEqual(['uniform-delivery', 'virtual-synchrony']);
  });
});

describe('agreed: agreement among the members that move on, and tentative deliveries of a crashed member', () => {
  /*
   * b's message b/1 reaches only a, which delivers it at seq 1 and crashes. b and c move on to view 2, where b
   * sends b/1 again; c/1 takes seq 1 this time and b/1 seq 2. Legal for agreed (and fifo): a's delivery was
   * tentative. For safe it breaks uniformity, and both views and seq 1 disagree.
   */
  function resentAfterACrash(order: OrderClass): MemberTrace[] {
    const abc = ['a', 'b', 'c'];
    const bc = ['b', 'c'];
    const a = member('a').install(1, abc).deliver('b/1', { seq: 1 });
    const b = member('b').install(1, abc).send('b/1', { order }).install(2, bc).send('b/1', { order });
    const c = member('c').install(1, abc).install(2, bc).send('c/1', { order });
    each([b, c], (x) => x.deliver('c/1', { seq: 1 }).deliver('b/1', { seq: 2 }));
    return build(a, b, c);
  }

  it.each(['total', 'fifo'] as OrderClass[])('%s: allowed', (order) => {
    expect(violated(resentAfterACrash(order))).toEqual([]);
  });

  it('safe: flagged', () => {
    expect(violated(resentAfterACrash('safe'))).toEqual(['same-view-delivery', 'sending-view-delivery', 'total-order', 'uniform-delivery']);
  });

  it.each(ALL)('%s: members that move on together must have delivered the same messages', (order) => {
    const abc = ['a', 'b', 'c'];
    const a = member('a').install(1, abc).send('a/1', { order }).deliver('a/1', { seq: order === 'fifo' ? null : 1 });
    const b = member('b').install(1, abc).deliver('a/1', { seq: order === 'fifo' ? null : 1 }).install(2, ['b', 'c']);
    const c = member('c').install(1, abc).install(2, ['b', 'c']);
    const expected = order === 'safe' ? ['uniform-delivery', 'virtual-synchrony'] : ['virtual-synchrony'];
    expect(violated(build(a, b, c))).toEqual(expected);
  });

  it('total: a tentative delivery is still held to the total order of its view', () => {
    const abc = ['a', 'b', 'c'];
    const bc = ['b', 'c'];
    const a = member('a').install(1, abc).deliver('c/1', { seq: 1 }); // crashes; b/1 was seq 1 in view 1
    const b = member('b').install(1, abc).send('b/1', { order: 'total' }).deliver('b/1', { seq: 1 }).install(2, bc);
    const c = member('c').install(1, abc).send('c/1', { order: 'total' }).deliver('b/1', { seq: 1 }).install(2, bc).send('c/1', { order: 'total' });
    each([b, c], (x) => x.deliver('c/1', { seq: 2 }));
    expect(violated(build(a, b, c))).toEqual(['total-order']);
  });

  it('total: a tentative delivery is still held to FIFO', () => {
    const abc = ['a', 'b', 'c'];
    const bc = ['b', 'c'];
    const a = member('a').install(1, abc).deliver('b/2', { seq: 1 }); // crashes, having skipped b/1
    const b = member('b').install(1, abc).send('b/1', { order: 'total' }).send('b/2', { order: 'total' }).install(2, bc);
    const c = member('c').install(1, abc).install(2, bc);
    b.send('b/1', { order: 'total' }).send('b/2', { order: 'total' });
    each([b, c], (x) => x.deliver('b/1', { seq: 1 }).deliver('b/2', { seq: 2 }));
    expect(violated(build(a, b, c))).toEqual(['reliable-fifo']);
  });
});

describe('a message keeps its kind', () => {
  it('delivery-integrity: a re-send with another order', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1', { order: 'total' }).install(2, ab).send('a/1', { order: 'safe' }).deliver('a/1', { seq: 1 });
    const b = member('b').install(1, ab).install(2, ab).deliver('a/1', { seq: 1 });
    expect(violated(build(a, b))).toEqual(['delivery-integrity']);
  });
});
