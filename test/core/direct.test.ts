import { describe, expect, it } from 'vitest';
import { DirectStore, ownPayload } from '../../src/core/direct-store.js';
import { fillEntriesOk, frameShapeOk } from '../../src/core/frame-rules.js';
import { resolveConfig } from '../../src/core/config.js';
import type { Frame } from '../../src/core/frames.js';
import { expectOk, TestCluster } from '../helpers/cluster.js';
import { payloads, record, text } from '../helpers/recorded.js';

/*
 * Issue 12, direct payloads: a sender multicasts a large payload to the whole view and the sequencer orders its id
 * only. These pin the path: the ids-only multicast, completion from the store, a payload that arrives late or
 * never, the sender's own entries, mixed sizes, and the rules and bounds against a lying member.
 */

const three = ['a#1', 'b#1', 'c#1'];


describe('direct store', () => {
  it('keeps payloads within its bounds, refuses settled and duplicate ones, and settles older ones with a newer', () => {
    const s = new DirectStore(100, 3);
    expect(s.put('a', 1, new Uint8Array(40))).toBe(true);
    expect(s.put('a', 1, new Uint8Array(40))).toBe(false); // held already
    expect(s.put('a', 2, new Uint8Array(40))).toBe(true);
    expect(s.put('b', 1, new Uint8Array(40))).toBe(false); // bytes
    expect(s.put('b', 1, new Uint8Array(10))).toBe(true);
    expect(s.put('b', 2, new Uint8Array(1))).toBe(false); // count
    expect([s.count, s.bytes]).toEqual([3, 90]);
    s.settle('a', 2);
    expect([s.count, s.bytes]).toEqual([1, 10]);
    expect(s.put('a', 2, new Uint8Array(1))).toBe(false); // already in the log
    expect(s.get('b', 1)?.byteLength).toBe(10);
    s.clear();
    expect([s.count, s.bytes, s.get('b', 1)]).toEqual([0, 0, undefined]);
  });

  it('copies a kept payload out of its frame', () => {
    const frame = new Uint8Array(64);
    const s = new DirectStore(100, 3);
    s.put('a', 1, frame.subarray(8, 16));
    expect(s.get('a', 1)!.buffer).not.toBe(frame.buffer);
  });

  it('holds awaiting entries within the count bound; claims them by sender and msgNo; drops those reached otherwise', () => {
    const s = new DirectStore(100, 2);
    expect(s.wait({ seq: 5, sender: 'a', msgNo: 1, kind: 0, since: 3 })).toBe(true);
    expect(s.wait({ seq: 5, sender: 'a', msgNo: 1, kind: 0, since: 4 })).toBe(false);
    expect(s.wait({ seq: 6, sender: 'b', msgNo: 7, kind: 0, since: 4 })).toBe(true);
    expect(s.wait({ seq: 7, sender: 'b', msgNo: 8, kind: 0, since: 4 })).toBe(false);
    expect(s.waitingSince(5)).toBe(3);
    expect(s.claim('b', 7)?.seq).toBe(6);
    expect(s.claim('b', 7)).toBeUndefined();
    s.dropThrough(5);
    expect([s.awaiting, s.waitingSince(5)]).toEqual([0, undefined]);
  });

  it('finds own payloads in the outbox by msgNo', () => {
    const items = [3, 4, 7, 9].map((msgNo) => ({ msgNo, payload: new Uint8Array([msgNo]) }));
    const outbox = { length: items.length, at: (i: number) => items[i] };
    expect(ownPayload(outbox, 7)?.[0]).toBe(7);
    expect(ownPayload(outbox, 5)).toBeUndefined();
  });
});

describe('frame rules', () => {
  const cfg = resolveConfig();
  it('a fill must carry its payloads; direct must be a boolean', () => {
    expect(fillEntriesOk([{ sender: 0, msgNo: 1, payload: new Uint8Array(1) }])).toBe(true);
    expect(fillEntriesOk([{ sender: 0, msgNo: 1, payload: new Uint8Array(0), direct: true }])).toBe(false);
    const fwd = (direct: unknown) => ({ t: 'forward', view: 1, msgs: [{ fseq: 1, msgNo: 1, payload: new Uint8Array(1), direct }] }) as unknown as Frame;
    expect(frameShapeOk(fwd(true), cfg)).toBe(true);
    expect(frameShapeOk(fwd(undefined), cfg)).toBe(true);
    expect(frameShapeOk(fwd(1), cfg)).toBe(false);
  });
});

describe('direct payloads in a group', () => {
  it('the sender multicasts its payload, the sequencer its id only, and nobody fetches', () => {
    const c = new TestCluster(three, { directMinBytes: 1 });
    const wire = record(c);
    for (let i = 0; i < 5; i++) c.send('b#1');
    c.send('a#1', 'from the sequencer');
    c.send('c#1', 'from c');
    c.tick(5);
    const want = ['b#1:1', 'b#1:2', 'b#1:3', 'b#1:4', 'b#1:5', 'from the sequencer', 'from c'];
    for (const id of three) expect([...payloads(c, id)].sort()).toEqual([...want].sort());
    expect(payloads(c, 'b#1')).toEqual(payloads(c, 'a#1'));
    expect(payloads(c, 'c#1')).toEqual(payloads(c, 'a#1'));
    const fwdTo = new Set(wire.filter((w) => w.from === 'b#1' && w.frame.t === 'forward').map((w) => w.to));
    expect(fwdTo).toEqual(new Set(['a#1', 'c#1']));
    const ordered = wire.flatMap((w) => (w.frame.t === 'msgs' && !w.frame.fill ? w.frame.entries : []));
    expect(ordered.length).toBeGreaterThan(0);
    for (const e of ordered) expect([e.direct, e.payload.byteLength]).toEqual([true, 0]);
    expect(wire.filter((w) => w.frame.t === 'fetch')).toEqual([]);
    expectOk(c.finish());
  });

  it('small messages keep the sequencer path, large ones go direct, in one sender\'s order', () => {
    const c = new TestCluster(three, { directMinBytes: 8 });
    const wire = record(c);
    const sent = ['s1', 'a large one', 's2', 's3', 'large two!', 'large three', 's4'];
    for (const t of sent) c.send('b#1', t);
    c.tick(5);
    for (const id of three) expect(payloads(c, id)).toEqual(sent);
    const toC = wire.filter((w) => w.from === 'b#1' && w.to === 'c#1' && w.frame.t === 'forward');
    expect(toC.flatMap((w) => (w.frame.t === 'forward' ? w.frame.msgs.map((m) => text(m.payload)) : []))).toEqual(['a large one', 'large two!', 'large three']);
    expect(wire.filter((w) => w.frame.t === 'fetch')).toEqual([]);
    expectOk(c.finish());
  });

  it('an id that arrives before its payload waits (not received) and completes when the payload comes', () => {
    const c = new TestCluster(three, { directMinBytes: 1 });
    const wire = record(c);
    const held: Frame[] = [];
    c.filter = (from, to, f) => {
      if (from === 'b#1' && to === 'c#1' && f.t === 'forward') {
        held.push(f);
        return false;
      }
      return true;
    };
    c.send('b#1', 'late');
    c.deliverAll();
    const cm = c.member('c#1');
    expect(held).toHaveLength(1);
    expect(cm.receivedSeq).toBe(0);
    expect(cm.footprint.awaitingPayload).toBe(1);
    c.filter = null;
    cm.receive('b#1', held[0]!);
    c.pump('c#1');
    c.deliverAll();
    expect(cm.receivedSeq).toBe(1);
    expect(cm.footprint.awaitingPayload).toBe(0);
    c.tick(3);
    expect(payloads(c, 'c#1')).toEqual(['late']);
    expect(wire.filter((w) => w.frame.t === 'fetch')).toEqual([]);
    expectOk(c.finish());
  });

  it('a payload that never comes is fetched from the sequencer, with its payload in the fill', () => {
    const c = new TestCluster(three, { directMinBytes: 1 });
    const wire = record(c);
    c.filter = (from, to, f) => !(from === 'b#1' && to === 'c#1' && f.t === 'forward');
    c.send('b#1', 'lost on the way to c');
    c.tick(30);
    expect(payloads(c, 'c#1')).toEqual(['lost on the way to c']);
    const fills = wire.filter((w) => w.to === 'c#1' && w.frame.t === 'msgs' && w.frame.fill);
    expect(fills.length).toBeGreaterThan(0);
    for (const w of fills) if (w.frame.t === 'msgs') for (const e of w.frame.entries) expect([e.direct, text(e.payload)]).toEqual([undefined, 'lost on the way to c']);
    c.filter = null;
    expectOk(c.finish());
  });

  it('a view change with payloads in flight loses nothing: the flush works on held payloads only', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1', 'd#1'], { directMinBytes: 1 });
    c.filter = (from, to, f) => !(to === 'd#1' && f.t === 'forward');
    for (let i = 0; i < 4; i++) c.send('b#1');
    c.deliverAll();
    c.crash('a#1');
    c.filter = null;
    c.tick(200);
    for (let i = 0; i < 3; i++) c.send('c#1');
    c.tick(50);
    expect(payloads(c, 'd#1')).toEqual(payloads(c, 'b#1'));
    expectOk(c.finish());
  });

  it('a forward lost on the way to the sequencer is re-sent to it alone; the others complete from their store', () => {
    const c = new TestCluster(three, { directMinBytes: 1 });
    const wire = record(c);
    let dropped = 0;
    c.filter = (from, to, f) => !(from === 'b#1' && to === 'a#1' && f.t === 'forward' && dropped++ === 0);
    c.send('b#1', 'retried');
    c.tick(30);
    for (const id of three) expect(payloads(c, id)).toEqual(['retried']);
    const fwds = wire.filter((w) => w.from === 'b#1' && w.frame.t === 'forward');
    expect(fwds.map((w) => w.to)).toEqual(['a#1', 'c#1', 'a#1']);
    expect(wire.filter((w) => w.frame.t === 'fetch')).toEqual([]);
    c.filter = null;
    expectOk(c.finish());
  });

  it('the store is per view: a payload held when a view is installed is gone after it', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1', 'd#1'], { directMinBytes: 1 });
    c.filter = (from, to, f) => !(to === 'a#1' && f.t === 'forward');
    c.send('b#1', 'never ordered');
    c.deliverAll();
    expect(c.member('c#1').footprint.directCount).toBe(1);
    c.crash('a#1');
    c.filter = null;
    c.tick(200);
    expect(c.member('c#1').currentView!.id).toBeGreaterThan(1);
    expect(c.member('c#1').footprint.directCount).toBe(0);
    expect(payloads(c, 'c#1')).toEqual(['never ordered']); // re-sent by b in the new view
    expectOk(c.finish());
  });

  it('a fill with an id-only entry is dropped under fill-direct', () => {
    const c = new TestCluster(three, { directMinBytes: 1 });
    c.send('b#1');
    c.tick(3);
    const f: Frame = { t: 'msgs', view: 1, first: 2, senders: ['b#1'], entries: [{ sender: 0, msgNo: 9, payload: new Uint8Array(0), direct: true }], last: 2, commit: 1, stable: 0, fill: true };
    c.member('c#1').receive('a#1', f);
    expect(c.member('c#1').rejectedFrames['fill-direct']).toBe(1);
    expectOk(c.finish());
  });

  it('a member flooding direct fwds fills the store to its bound only, and the group goes on', () => {
    const c = new TestCluster(three, { directMinBytes: 1, maxAheadBytes: 10_000, maxLogEntries: 64 });
    for (let n = 1; n <= 500; n++) {
      c.member('c#1').receive('b#1', { t: 'forward', view: 1, msgs: [{ fseq: 1000 + n, msgNo: 1000 + n, payload: new Uint8Array(100), direct: true }] });
    }
    const fp = c.member('c#1').footprint;
    expect(fp.directBytes).toBeLessThanOrEqual(10_000);
    expect(fp.directCount).toBeLessThanOrEqual(64);
    for (let i = 0; i < 3; i++) c.send('b#1');
    c.tick(60);
    expect(payloads(c, 'c#1')).toEqual(['b#1:1', 'b#1:2', 'b#1:3']);
    expectOk(c.finish());
  });
});
