import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/core/message-log.js';
import type { Frame } from '../../src/core/frames.js';
import type { MemberId } from '../../src/core/types.js';
import { expectOk, TestCluster } from '../helpers/cluster.js';
import { payloads, record } from '../helpers/recorded.js';

/*
 * Issue 12: the sequencer's multicast gives each member its own messages back as ids only (`ownIdsMinBytes`): the
 * member holds their payloads in its outbox. These pin who gets what, the order, that the payload kept is the one
 * send() handed over, and that a member which lacks its own payload fetches it like any gap.
 */

const three = ['a#1', 'b#1', 'c#1'];


/** The non-fill ordered entries `to` got from the sequencer, with their senders' ids. */
function orderedTo(wire: ReturnType<typeof record>, to: MemberId) {
  return wire.flatMap((w) =>
    w.to === to && w.frame.t === 'msgs' && !w.frame.fill
      ? w.frame.entries.map((e) => ({ sender: (w.frame as Extract<Frame, { t: 'msgs' }>).senders[e.sender]!, size: e.payload.byteLength, direct: e.direct === true }))
      : [],
  );
}

describe('own messages back as ids only', () => {
  it('each member gets its own messages as ids and the others\' with payloads; all deliver the same order', () => {
    const c = new TestCluster(three, { ownIdsMinBytes: 1 });
    const wire = record(c);
    for (let i = 0; i < 4; i++) {
      c.send('b#1');
      c.send('c#1');
      c.send('a#1');
    }
    c.tick(5);
    for (const id of three) expect(payloads(c, id)).toHaveLength(12);
    expect(payloads(c, 'b#1')).toEqual(payloads(c, 'a#1'));
    expect(payloads(c, 'c#1')).toEqual(payloads(c, 'a#1'));
    for (const to of ['b#1', 'c#1']) {
      const got = orderedTo(wire, to);
      expect(got.length).toBeGreaterThanOrEqual(12);
      for (const e of got) expect([e.direct, e.size === 0]).toEqual([e.sender === to, e.sender === to]);
    }
    expect(wire.filter((w) => w.frame.t === 'fetch')).toEqual([]);
    expectOk(c.finish());
  });

  it('the frame with the payloads leaves before the sender\'s frame of ids: its receivers have the most to do', () => {
    const c = new TestCluster(three, { ownIdsMinBytes: 1 });
    const wire = record(c);
    c.send('b#1');
    c.tick(5);
    const ordered = wire.filter((w) => w.from === 'a#1' && w.frame.t === 'msgs' && w.frame.entries.length > 0);
    expect(ordered.map((w) => w.to)).toEqual(['c#1', 'b#1']);
    expect(orderedTo(wire, 'c#1')).toEqual([{ sender: 'b#1', size: expect.any(Number), direct: false }]);
    expect(orderedTo(wire, 'c#1')[0]!.size).toBeGreaterThan(0);
    expect(orderedTo(wire, 'b#1')).toEqual([{ sender: 'b#1', size: 0, direct: true }]);
    expectOk(c.finish());
  });

  it('payloads below ownIdsMinBytes come back whole, in one frame for all', () => {
    const c = new TestCluster(three, { ownIdsMinBytes: 1000 });
    const wire = record(c);
    c.send('b#1');
    c.send('c#1');
    c.tick(5);
    for (const to of ['b#1', 'c#1']) for (const e of orderedTo(wire, to)) expect([e.direct, e.size > 0]).toEqual([false, true]);
    expectOk(c.finish());
  });

  it('the payload a member delivers of its own message is the one send() handed over, not a copy', () => {
    const c = new TestCluster(three, { ownIdsMinBytes: 1 });
    const mine = new TextEncoder().encode('mine, kept as sent');
    c.member('b#1').send(mine);
    c.tick(5);
    const got = c.events('b#1').flatMap((e) => (e.type === 'deliver' ? [e.payload] : []));
    expect(got).toHaveLength(1);
    expect(got[0]).toBe(mine);
    expectOk(c.finish());
  });

  it('a member that lost the sequencer\'s frame fetches its own payload back whole (a fill never carries ids only)', () => {
    const c = new TestCluster(three, { ownIdsMinBytes: 1 });
    const wire = record(c);
    let dropped = 0;
    c.filter = (from, to, f) => {
      if (from === 'a#1' && to === 'b#1' && f.t === 'msgs' && !f.fill && f.entries.length > 0 && dropped === 0) {
        dropped++;
        return false;
      }
      return true;
    };
    c.send('b#1', 'one');
    c.send('c#1', 'two');
    c.tick(3);
    c.send('c#1', 'three');
    c.tick(30);
    expect(dropped).toBe(1);
    for (const id of three) expect(payloads(c, id)).toEqual(['one', 'two', 'three']);
    const fills = wire.filter((w) => w.to === 'b#1' && w.frame.t === 'msgs' && w.frame.fill);
    expect(fills.length).toBeGreaterThan(0);
    for (const w of fills) if (w.frame.t === 'msgs') for (const e of w.frame.entries) expect(e.direct).not.toBe(true);
    expectOk(c.finish());
  });
});

describe('MessageLog.addOwn', () => {
  it('keeps an own payload as it is, also a slice of a larger buffer, and leaves a frame\'s pending views alone', () => {
    const log = new MessageLog();
    const frame = new Uint8Array(100);
    const slab = new Uint8Array(64 * 1024);
    const own = slab.subarray(10, 60);
    expect(log.addFromFrame(1, { sender: 'x', msgNo: 1, payload: frame.subarray(0, 90) }, 100, 100)).toBe(true);
    expect(log.addOwn(2, { sender: 'me', msgNo: 1, payload: own }, 100, 100)).toBe(true);
    log.endFrame();
    expect(log.get(2)!.payload).toBe(own);
    // The frame's payload filled 90% of it: still a view into the frame, not copied because of the own entry.
    expect(log.get(1)!.payload.buffer).toBe(frame.buffer);
    // Ahead of a gap too.
    const later = slab.subarray(60, 70);
    expect(log.addOwn(4, { sender: 'me', msgNo: 2, payload: later }, 100, 100)).toBe(true);
    expect(log.addOwn(4, { sender: 'me', msgNo: 2, payload: later }, 100, 100)).toBe(false);
    expect(log.add(3, { sender: 'x', msgNo: 2, payload: new Uint8Array(5) }, 100, 100)).toBe(true);
    expect(log.get(4)!.payload).toBe(later);
    expect([log.received, log.bytes]).toEqual([4, 90 + 50 + 5 + 10]);
  });
});
