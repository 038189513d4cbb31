import { describe, expect, it } from 'vitest';
import { InvariantWatch, type MemberFigures } from '../../src/core/member-invariants.js';
import { Member } from '../../src/core/member.js';

// A healthy member in view 3 (cut 10): delivered 12 of 15 received, commit 13, nothing in flight.
const healthy: MemberFigures = {
  id: 'a', view: 3, viewCut: 10, delivered: 12, received: 15, floor: 11, commit: 13, deliverable: 13, knownLast: 15, promised: 0,
  frozen: false, installPending: false, accepted: null, fetchTarget: null, downloadView: null, sequencer: null,
};
const decision = (prevView: number) => ({ prevView, view: prevView + 1, members: ['a'], leavers: [], cut: 15 });

// Each row: figures seen first, then figures that break one rule of docs/protocol.md §8, and the message expected.
const broken: Array<{ name: string; then: Partial<MemberFigures>; first?: Partial<MemberFigures>; want: RegExp }> = [
  { name: 'delivered goes back', then: { delivered: 11 }, want: /delivered went back/ },
  { name: 'received goes back within a view', then: { received: 14 }, want: /received went back/ },
  { name: 'the floor goes back within a view', then: { floor: 10 }, want: /floor went back/ },
  { name: 'commit goes back within a view', then: { commit: 12 }, want: /commit went back/ },
  { name: 'knownLast goes back within a view', then: { knownLast: 14 }, want: /knownLast went back/ },
  { name: 'promised goes back within a view', first: { promised: 2046, frozen: true }, then: { promised: 1023, frozen: true }, want: /promised went back/ },
  { name: 'floor above delivered', then: { floor: 13, delivered: 12 }, want: /floor 13 is above delivered/ },
  { name: 'delivered beyond received', then: { delivered: 16, received: 15, commit: 16 }, want: /beyond received/ },
  { name: 'delivered beyond commit (not uniform)', then: { delivered: 14, commit: 13 }, want: /beyond commit/ },
  { name: 'a promise that does not freeze', then: { promised: 2046, frozen: false }, want: /promised 2046 but not frozen/ },
  { name: 'frozen with no promise and no decided view', then: { frozen: true }, want: /frozen with no promise/ },
  { name: 'an accepted ballot above the promise', then: { promised: 1023, frozen: true, accepted: { ballot: 2046, decision: decision(3) } }, want: /accepted ballot 2046 above/ },
  { name: 'an accepted decision for another view', then: { promised: 2046, frozen: true, accepted: { ballot: 2046, decision: decision(2) } }, want: /does not follow view 3/ },
  { name: 'a fetch while not frozen', then: { fetchTarget: 20 }, want: /fetching while not frozen/ },
  { name: 'a fetch at or below the floor', then: { fetchTarget: 11, frozen: true, promised: 2046 }, want: /at or below the floor/ },
  { name: 'a joiner delivers before its state', first: { delivered: 10, floor: 10, downloadView: 3 }, then: { delivered: 11, floor: 10, downloadView: 3 }, want: /past its join cut/ },
  { name: 'a joiner installs a view while downloading another', first: { view: 2, delivered: 10, floor: 10, downloadView: 2 }, then: { delivered: 10, floor: 10, downloadView: 2 }, want: /while downloading the state of 2/ },
  { name: 'the sequencer: commit above received', then: { commit: 16, delivered: 12, sequencer: { commit: 16, stable: 11, stableHeld: true } }, want: /sequencer watermarks out of order/ },
  { name: 'the sequencer: stable above commit', then: { sequencer: { commit: 13, stable: 14, stableHeld: true } }, want: /sequencer watermarks out of order/ },
  { name: 'the sequencer: stable above an ack', then: { sequencer: { commit: 13, stable: 11, stableHeld: false } }, want: /above some member's acknowledged prefix/ },
];

describe('InvariantWatch', () => {
  it('passes a healthy member, and watermarks that only grow', () => {
    const w = new InvariantWatch();
    w.check(healthy);
    w.check({ ...healthy, delivered: 13, received: 16, knownLast: 16, floor: 12 });
  });

  it('lets agreed and fifo messages be delivered past commit, up to what may be delivered', () => {
    const w = new InvariantWatch();
    w.check(healthy);
    w.check({ ...healthy, delivered: 15, deliverable: 15 });
  });

  it('lets a new view start over from the cut (the log may be truncated, a new sequencer starts there)', () => {
    const w = new InvariantWatch();
    w.check(healthy);
    w.check({ ...healthy, view: 4, viewCut: 13, delivered: 13, received: 13, commit: 13, knownLast: 13 });
  });

  it.each(broken)('catches: $name', (r) => {
    const w = new InvariantWatch();
    w.check({ ...healthy, ...r.first });
    expect(() => w.check({ ...healthy, ...r.then })).toThrow(r.want);
  });
});

describe('Member.checkInvariants', () => {
  it('holds for a founder sending and delivering alone, and for an idle member', () => {
    const idle = new Member({ id: 'z', random: () => 0.5 });
    idle.checkInvariants();
    const m = new Member({ id: 'a', random: () => 0.5 });
    m.bootstrap(['a']);
    for (let i = 0; i < 20; i++) {
      m.send(new Uint8Array([i]));
      m.tick();
      m.ready();
      m.checkInvariants();
    }
    expect(m.deliveredSeq).toBe(20);
  });
});
