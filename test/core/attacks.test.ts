import { describe, expect, it } from 'vitest';
import { makeBallot } from '../../src/core/ballot.js';
import type { Frame } from '../../src/core/frames.js';
import type { MemberId } from '../../src/core/types.js';
import { expectOk, TestCluster } from '../helpers/cluster.js';

/*
 * Issue 8: frames a member must not act on. Each test hands a member a frame it must drop (from a non-member,
 * or from a member with values out of range) and checks that nothing breaks: no exception, no state change,
 * the group goes on and its traces pass the checker. Each failed on the code before the rules of frame-rules.ts.
 */

const three = ['a#1', 'b#1', 'c#1'];

/** Hands `frame` from `from` to `to` directly (as an authenticated link would), then lets the cluster run. */
function inject(c: TestCluster, from: MemberId, to: MemberId, frame: Frame): void {
  c.member(to).receive(from, frame);
  c.pump(to);
  c.deliverAll();
}

function payloads(c: TestCluster, id: MemberId): string[] {
  return c.events(id).flatMap((e) => (e.type === 'deliver' ? [new TextDecoder().decode(e.payload)] : []));
}

describe('acks', () => {
  it('an ack above anything sent (2^53-1 from every member) is dropped, and the sequencer keeps going', () => {
    const c = new TestCluster(three);
    c.send('b#1');
    c.tick(3);
    for (const m of ['b#1', 'c#1']) inject(c, m, 'a#1', { t: 'ack', view: 1, received: 2 ** 53 - 1 });
    // Before: stable jumped to the sequencer's own log, which was trimmed, and the next multicast asserted.
    c.send('b#1');
    c.send('c#1');
    c.tick(10);
    expect(c.member('a#1').rejectedFrames['ack-above-sent']).toBe(2);
    expect(c.delivered('c#1')).toHaveLength(3);
    expectOk(c.finish());
  });
});

describe('a lying sequencer', () => {
  it('an entry in the receiver\'s name that is not its next own message ends the receiver cleanly, not an assertion', () => {
    const c = new TestCluster(three);
    c.rejoinOnExclusion = false;
    const forged = new TextEncoder().encode('forged');
    inject(c, 'a#1', 'b#1', { t: 'msgs', view: 1, first: 1, senders: ['b#1'], entries: [{ sender: 0, msgNo: 7, payload: forged }], last: 1, commit: 1, stable: 0, fill: false });
    expect(c.member('b#1').phase).toBe('excluded');
    expect(c.delivered('b#1')).toEqual([]);
  });
});

describe('joins', () => {
  it('joiners that never answer are not admitted: three fakes do not make three members a minority', () => {
    const c = new TestCluster(three);
    for (const f of ['x#1', 'y#1', 'z#1']) inject(c, f, 'a#1', { t: 'join', view: 0, joiner: f });
    c.tick(30);
    expect(c.member('a#1').currentView!.members).toEqual(three);
    c.send('a#1');
    expectOk(c.finish());
  });

  it('joiners that keep asking but die once admitted cannot outnumber the members that stay', () => {
    const c = new TestCluster(three);
    const fakes = ['x#1', 'y#1', 'z#1'];
    // They keep asking (so they answer the leader's pings) but send nothing else: once admitted they are silent.
    for (let i = 0; i < 200 && c.member('a#1').currentView!.members.length === 3; i++) {
      for (const f of fakes) inject(c, f, 'a#1', { t: 'join', view: 0, joiner: f });
      c.tick();
    }
    expect(c.member('a#1').currentView!.members).toEqual([...three, 'x#1', 'y#1']);
    // The fakes are suspected and removed: the three real members are a majority of every view.
    c.until(() => c.member('a#1').currentView!.members.length === 3, 1000, 'the fakes to be removed');
    c.send('b#1');
    expectOk(c.finish());
  });

  it('a join naming someone else is dropped unless a member relays it', () => {
    const c = new TestCluster(three);
    inject(c, 'x#1', 'a#1', { t: 'join', view: 0, joiner: 'y#1' });
    expect(c.member('a#1').rejectedFrames['join-not-joiner']).toBe(1);
    c.tick(30);
    expect(c.member('a#1').currentView!.members).toEqual(three);
  });

  it('a real joiner reached only through a relay is still admitted', () => {
    const c = new TestCluster(three);
    c.join('d#1', ['c#1']);
    c.until(() => c.member('d#1').currentView !== null, 500, 'd to join');
    expectOk(c.finish());
  });
});

describe('non-members cannot drive the protocol', () => {
  it('prep with ballot 2^53-1 from a non-member freezes nobody', () => {
    const c = new TestCluster(three);
    inject(c, 'x#1', 'b#1', { t: 'prepare', view: 1, ballot: 2 ** 53 - 1 });
    expect(c.member('b#1').isBlocked).toBe(false);
    expect(c.member('b#1').rejectedFrames['shape']).toBe(1);
    inject(c, 'x#1', 'b#1', { t: 'prepare', view: 1, ballot: makeBallot(1, 0) });
    expect(c.member('b#1').rejectedFrames['not-member']).toBe(1);
    c.send('b#1');
    expectOk(c.finish());
    expect(c.views('b#1')).toHaveLength(1);
  });

  it('prep from a member with another member\'s rank or an absurd round is dropped', () => {
    const c = new TestCluster(three);
    inject(c, 'c#1', 'b#1', { t: 'prepare', view: 1, ballot: makeBallot(1, 0) });
    inject(c, 'c#1', 'b#1', { t: 'prepare', view: 1, ballot: makeBallot(2 ** 30, 2) });
    expect(c.member('b#1').rejectedFrames['ballot']).toBe(2);
    expect(c.member('b#1').isBlocked).toBe(false);
    expectOk(c.finish());
  });

  it('excl from a non-member excludes nobody', () => {
    const c = new TestCluster(three);
    inject(c, 'x#1', 'b#1', { t: 'exclude', view: 9 });
    expect(c.member('b#1').phase).toBe('member');
    expectOk(c.finish());
  });

  it('hb with promised > 0 from a non-member forces no view change', () => {
    const c = new TestCluster(three);
    inject(c, 'x#1', 'a#1', { t: 'heartbeat', view: 1, promised: makeBallot(1, 1) });
    c.tick(50);
    expect(c.views('a#1')).toHaveLength(1);
    expectOk(c.finish());
  });

  it('a fill nobody asked for puts no forged message into the total order', () => {
    const c = new TestCluster(three);
    const forged = new TextEncoder().encode('forged');
    inject(c, 'x#1', 'c#1', { t: 'msgs', view: 1, first: 1, senders: ['a#1'], entries: [{ sender: 0, msgNo: 1, payload: forged }], last: 1, commit: 0, stable: 0, fill: true });
    // A member that is not asked either: only a fetch's sources or the sequencer answering a NAK.
    inject(c, 'b#1', 'c#1', { t: 'msgs', view: 1, first: 1, senders: ['a#1'], entries: [{ sender: 0, msgNo: 1, payload: forged }], last: 1, commit: 0, stable: 0, fill: true });
    expect(c.member('c#1').rejectedFrames['fill-unasked']).toBe(2);
    c.send('a#1', 'real');
    c.tick(5);
    expect(payloads(c, 'c#1')).toEqual(['real']);
    expectOk(c.finish());
  });

  it('nv from a non-member installs no forged view (a one-member view would break the primary component)', () => {
    const c = new TestCluster(three);
    inject(c, 'x#1', 'c#1', { t: 'newView', view: 1, decision: { prevView: 1, view: 2, members: ['c#1'], leavers: [], cut: 0 } });
    expect(c.views('c#1')).toHaveLength(1);
    expectOk(c.finish());
  });

  it('nv or acc from a member with a cut below what was delivered is dropped, not an assertion', () => {
    const c = new TestCluster(three);
    c.send('a#1');
    c.send('a#1');
    c.tick(5);
    expect(c.member('c#1').deliveredSeq).toBe(2);
    const decision = { prevView: 1, view: 2, members: three, leavers: [], cut: 1 };
    inject(c, 'b#1', 'c#1', { t: 'newView', view: 1, decision });
    inject(c, 'b#1', 'c#1', { t: 'accept', view: 1, ballot: makeBallot(1, 1), decision, source: 'b#1' });
    expect(c.member('c#1').rejectedFrames['decision']).toBe(2);
    expectOk(c.finish());
  });

  it('acc from a non-member freezes nobody', () => {
    const c = new TestCluster(three);
    inject(c, 'x#1', 'b#1', { t: 'accept', view: 1, ballot: makeBallot(1, 0), decision: { prevView: 1, view: 2, members: ['b#1'], leavers: [], cut: 0 }, source: 'x#1' });
    expect(c.member('b#1').isBlocked).toBe(false);
    expectOk(c.finish());
  });

  it('a promise whose accepted cut its sender cannot hold is dropped, not an assertion at the leader', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1', 'd#1', 'e#1']);
    c.tick(2);
    c.crash('e#1');
    let done = false;
    c.onFrame = (from, to, f) => {
      if (!done && from === 'a#1' && to === 'b#1' && f.t === 'prepare') {
        done = true;
        const decision = { prevView: 1, view: 2, members: ['a#1', 'b#1'], leavers: [], cut: 1000 };
        c.member('a#1').receive('b#1', { t: 'promise', view: 1, ballot: f.ballot, received: 0, accepted: { ballot: f.ballot - 1024, decision } });
      }
    };
    c.until(() => c.views('a#1').length === 2, 1000, 'the view without e');
    c.onFrame = null;
    expect(c.member('a#1').rejectedFrames['decision']).toBe(1);
    expectOk(c.finish());
  });

  it('a state request for more than one window is dropped', () => {
    const c = new TestCluster(three);
    inject(c, 'b#1', 'a#1', { t: 'stateRequest', view: 1, offset: 0, length: 2 ** 40 });
    expect(c.member('a#1').rejectedFrames['state-request']).toBe(1);
  });
});
