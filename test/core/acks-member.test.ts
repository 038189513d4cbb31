// Issue 12: every non-sequencer acknowledges to every member, and each member counts a majority itself. Safe
// delivery at a receiver of a 3-member group then takes two hops (forward, multicast) instead of four (forward,
// multicast, ack, the sequencer's commit status), and uniformity holds: nothing safe is delivered before a majority
// of the view holds it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import type { Frame } from '../../src/core/frames.js';
import type { MemberId } from '../../src/core/types.js';
import { expectOk, TestCluster } from '../helpers/cluster.js';

const three = ['a#1', 'b#1', 'c#1'];
const five = ['a#1', 'b#1', 'c#1', 'd#1', 'e#1'];

type Msgs = Extract<Frame, { t: 'msgs' }>;

/** The sequencer's status frames: no entries, not a fill (the round issue 12 saves). */
function isStatus(f: Frame): boolean {
  return f.t === 'msgs' && f.entries.length === 0 && !f.fill;
}

describe('acks to every member', () => {
  it('3 members: a receiver delivers a safe message on the sequencer\'s multicast, with no ack and no status round', () => {
    const c = new TestCluster(three);
    // No acks reach anyone and no status frame leaves the sequencer: the multicast alone must do.
    c.filter = (_from, _to, f) => f.t !== 'ack' && !isStatus(f);
    const seen: Msgs[] = [];
    c.onFrame = (from, to, f) => {
      if (from === 'a#1' && to === 'c#1' && f.t === 'msgs') seen.push(f);
    };
    c.send('b#1', 'x');
    c.deliverAll();
    // c got exactly one frame from the sequencer: the entry, with the sequencer's commit still below it.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.entries).toHaveLength(1);
    expect(seen[0]!.commit).toBe(0);
    expect(seen[0]!.last).toBe(1);
    // Held here and at the sequencer (its `last`): two of three.
    for (const id of ['b#1', 'c#1']) {
      expect(c.delivered(id)).toEqual(['b#1/1']);
      expect(c.member(id).commitSeq).toBe(1);
    }
    // The sequencer itself hears of no ack: it has not counted a majority yet.
    expect(c.member('a#1').commitSeq).toBe(0);
    expect(c.delivered('a#1')).toEqual([]);
    c.filter = null;
    c.until(() => c.delivered('a#1').length === 1, 200, 'the sequencer\'s delivery once acks flow');
    expectOk(c.finish());
  });

  it('5 members: held by the sequencer and one receiver only, nothing is delivered; a third holder commits it', () => {
    const c = new TestCluster(five);
    // The sequencer's frames reach only b.
    let reach = new Set<MemberId>(['b#1']);
    c.filter = (from, to, f) => !(from === 'a#1' && f.t === 'msgs' && !reach.has(to));
    c.send('b#1', 'x');
    c.tick(30);
    // b holds it, the sequencer holds it: two of five. Acks flow, but c, d and e hold nothing.
    expect(c.member('b#1').receivedSeq).toBe(1);
    for (const id of five) {
      expect(c.delivered(id), id).toEqual([]);
      expect(c.member(id).commitSeq, id).toBe(0);
    }
    // c gets the stream too (a status, a NAK, the fill): three holders, and both receivers count them.
    reach = new Set(['b#1', 'c#1']);
    c.until(() => c.delivered('b#1').length === 1 && c.delivered('c#1').length === 1, 200, 'delivery at b and c');
    expect(c.delivered('d#1')).toEqual([]);
    c.filter = null;
    c.until(() => five.every((id) => c.delivered(id).length === 1), 500, 'delivery everywhere');
    expectOk(c.finish());
  });

  it('5 members: an ack from a member ahead is kept, and counts once this member hears of what it covers', () => {
    const c = new TestCluster(five);
    // Phase 1: the sequencer's frames reach c and d only, and no ack reaches the sequencer (its commit stays 0).
    let phase = 1;
    c.filter = (from, to, f) => {
      if (f.t === 'ack') return phase === 1 && to !== 'a#1';
      if (from === 'a#1' && f.t === 'msgs') return phase === 2 || to === 'c#1' || to === 'd#1';
      return true;
    };
    c.send('c#1', 'x');
    c.deliverAll();
    // c and d: themselves, the sequencer and each other's ack, three of five.
    expect(c.delivered('c#1')).toEqual(['c#1/1']);
    expect(c.delivered('d#1')).toEqual(['c#1/1']);
    // b heard c's and d's acks of 1, ahead of anything it knows was sent: accepted, counted as knownLast (0).
    const b = c.member('b#1');
    expect(b.receivedSeq).toBe(0);
    expect(b.commitSeq).toBe(0);
    expect(b.rejectedFrames['ack-above-sent'] ?? 0).toBe(0);
    // Phase 2: no acks at all, and the sequencer's commit is 0; b gets the entry and delivers it on the acks kept.
    phase = 2;
    c.until(() => c.delivered('b#1').length === 1, 200, 'b\'s delivery');
    expect(c.member('a#1').commitSeq).toBe(0);
    expect(c.delivered('e#1')).toEqual(['c#1/1']); // e likewise
    c.filter = null;
    c.until(() => c.delivered('a#1').length === 1, 200, 'the sequencer\'s delivery');
    expectOk(c.finish());
  });

  it('lying acks (2^53-1) at a non-sequencer are kept but count as no more than the sequencer sent', () => {
    const c = new TestCluster(five);
    // Only b gets the sequencer's frames; c, d and e, a majority, all claim to hold everything.
    c.filter = (from, to, f) => !(from === 'a#1' && f.t === 'msgs' && to !== 'b#1');
    for (const liar of ['c#1', 'd#1', 'e#1']) c.member('b#1').receive(liar, { t: 'ack', view: 1, received: 2 ** 53 - 1 });
    c.pump('b#1');
    c.deliverAll();
    const b = c.member('b#1');
    expect(b.commitSeq).toBe(0);
    c.send('b#1', 'x');
    c.tick(5);
    // Clamped to knownLast = 1: members with the secret may lie within the rules (here about seq 1, which b holds
    // itself), but b's commit never passes what the sequencer sent (an invariant: commit ≤ knownLast).
    expect(b.commitSeq).toBe(1);
    b.checkInvariants();
    expect(b.rejectedFrames['ack-above-sent'] ?? 0).toBe(0);
    c.filter = null;
    c.send('d#1');
    c.until(() => five.every((id) => c.delivered(id).length === 2), 500, 'the group goes on');
    expectOk(c.finish());
  });

  it('an ack of an older view is not counted (its sender gets helped instead)', () => {
    const c = new TestCluster(three);
    c.send('b#1');
    c.until(() => three.every((id) => c.delivered(id).length === 1), 200, 'first delivery');
    c.crash('a#1');
    c.until(() => c.member('b#1').currentView?.id === 2 && c.member('c#1').currentView?.id === 2, 2000, 'view 2');
    // An ack of view 1 from c to b (now the sequencer of view 2) changes nothing.
    const before = c.member('b#1').commitSeq;
    c.member('b#1').receive('c#1', { t: 'ack', view: 1, received: 50 });
    c.pump('b#1');
    c.deliverAll();
    expect(c.member('b#1').commitSeq).toBe(before);
    c.send('c#1');
    c.until(() => ['b#1', 'c#1'].every((id) => c.delivered(id).length === 2), 500, 'the next message');
    expectOk(c.finish());
  });
});

describe('an idle group\'s frames', () => {
  it('a non-sequencer\'s periodic ack is its heartbeat: an idle member sends one frame per peer per period, not two', () => {
    const c = new TestCluster(three);
    c.send('b#1', 'x');
    c.deliverAll();
    c.tick(20); // past the first delivery's acks and statuses
    const sent = new Map<string, number>();
    c.onFrame = (from, to, f) => {
      const k = `${from}>${to}:${f.t}`;
      sent.set(k, (sent.get(k) ?? 0) + 1);
    };
    const hb = DEFAULT_CONFIG.heartbeatTicks;
    c.tick(10 * hb);
    for (const from of ['b#1', 'c#1']) {
      for (const to of three.filter((m) => m !== from)) {
        // One ack every heartbeatTicks (the first may fall either side of the window), no heartbeat beside it.
        expect(sent.get(`${from}>${to}:ack`), `${from} to ${to}`).toBeGreaterThanOrEqual(9);
        expect(sent.get(`${from}>${to}:heartbeat`) ?? 0, `${from} to ${to}`).toBe(0);
      }
    }
    // The sequencer's heartbeat is its status, one per period.
    expect(sent.get('a#1>b#1:msgs')).toBeGreaterThanOrEqual(9);
    expect(sent.get('a#1>b#1:heartbeat') ?? 0).toBe(0);
    expectOk(c.finish());
  });
});
