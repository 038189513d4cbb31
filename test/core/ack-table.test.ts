// Issue 12: acks go to every member, and each one counts a majority itself. Table tests for the one majority
// rule (the sequencer's commit and every member's own), the local commit of a non-sequencer, and the ack rule.
import { describe, expect, it } from 'vitest';
import { AckTable, majorityHeld } from '../../src/core/ack-table.js';
import { ackOk } from '../../src/core/frame-rules.js';
import { SequencerState } from '../../src/core/sequencer-state.js';

describe('majorityHeld', () => {
  const cases: Array<[number[], number]> = [
    [[7], 7],
    [[3, 9], 3], // 2 members: both
    [[0, 5, 5], 5], // 3: the second highest
    [[5, 0, 4], 4],
    [[1, 2, 3, 4], 2], // 4: three of them
    [[15, 15, 0, 0, 0], 0], // docs/protocol.md §9
    [[15, 15, 9, 0, 0], 9],
    [[4, 4, 4, 4, 4], 4],
    [[9, 8, 7, 6, 5, 4, 3, 2, 1], 5], // 9: five of them
  ];
  for (const [held, want] of cases) {
    it(`[${held.join(' ')}] → ${want}`, () => {
      expect(majorityHeld([...held])).toBe(want);
    });
  }

  it('refuses an empty view (a bug, never input)', () => {
    expect(() => majorityHeld([])).toThrow(expect.objectContaining({ code: 'VSYNC_ERR_INVARIANT' }));
  });
});

describe('AckTable', () => {
  const members = ['a', 'b', 'c', 'd', 'e'];

  it('keeps the highest ack per member; a late, lower one changes nothing', () => {
    const t = new AckTable(10);
    expect(t.get('b')).toBeUndefined();
    expect(t.record('b', 12)).toBe(true);
    expect(t.record('b', 11)).toBe(false);
    expect(t.record('b', 12)).toBe(false);
    expect(t.get('b')).toBe(12);
    expect(t.moved).toBe(true);
    t.localCommit(members, 'c', 10, 10);
    expect(t.moved).toBe(false);
  });

  // [self received, knownLast, acks of the others (by member), want]; self is 'b', the sequencer is 'a'.
  const rows: Array<[string, number, number, Record<string, number>, number]> = [
    ['3 members: the multicast held here and at the sequencer is a majority', 4, 4, {}, 4],
    ['3 members: the view start until something is held here', 0, 4, {}, 0],
    ['3 members: an ack of the third member is enough too', 0, 4, { c: 3 }, 3],
    ['3 members: an ack above what was heard of counts as knownLast', 2, 2, { c: 9 }, 2],
  ];
  for (const [what, self, knownLast, acks, want] of rows) {
    it(what, () => {
      const t = new AckTable(0);
      for (const [m, r] of Object.entries(acks)) t.record(m, r);
      expect(t.localCommit(['a', 'b', 'c'], 'b', self, knownLast)).toBe(want);
    });
  }

  const rows5: Array<[string, number, number, Record<string, number>, number]> = [
    ['5 members: self and the sequencer are no majority', 6, 6, {}, 0],
    ['5 members: with one ack they are', 6, 6, { d: 5 }, 5],
    ['5 members: acks alone, clamped', 0, 6, { c: 8, d: 8, e: 2 }, 6],
    ['5 members: nothing above the view start counted for the silent', 3, 6, { c: 3 }, 3],
  ];
  for (const [what, self, knownLast, acks, want] of rows5) {
    it(what, () => {
      const t = new AckTable(0);
      for (const [m, r] of Object.entries(acks)) t.record(m, r);
      expect(t.localCommit(members, 'b', self, knownLast)).toBe(want);
    });
  }

  it('a member that has not acked counts as the view start', () => {
    const t = new AckTable(20);
    expect(t.localCommit(members, 'b', 25, 25)).toBe(20);
    t.record('e', 23);
    expect(t.localCommit(members, 'b', 25, 25)).toBe(23);
  });

  it('the sequencer reads the same table as its view', () => {
    const t = new AckTable(0);
    const s = new SequencerState(0, 0, t);
    s.ack('b', 5);
    s.ack('c', 7);
    expect(t.get('c')).toBe(7);
    s.recompute(['a', 'b', 'c'], 'a', 9);
    expect(s.commit).toBe(7);
    expect(s.stable).toBe(5);
  });
});

describe('ackOk (the ack rule)', () => {
  const rows: Array<[string, number, number | null, boolean]> = [
    ['at the sequencer: up to its own log', 5, 5, true],
    ['at the sequencer: above it is a lie', 6, 5, false],
    ['elsewhere: any value (a member may be ahead; clamped when counted)', 2 ** 53 - 1, null, true],
    ['elsewhere: zero', 0, null, true],
  ];
  for (const [what, received, seqReceived, want] of rows) {
    it(what, () => {
      expect(ackOk(received, seqReceived)).toBe(want);
    });
  }
});
