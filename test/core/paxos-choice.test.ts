import { describe, expect, it } from 'vitest';
import type { Accepted, Decision } from '../../src/core/frames.js';
import { chooseDecision, type PromiseReply } from '../../src/core/paxos-choice.js';

const fresh: Omit<Decision, 'cut'> = { prevView: 4, view: 5, members: ['a', 'b', 'c'], leavers: [] };
const acc = (ballot: number, cut: number, members = ['a', 'b']): Accepted => ({ ballot, decision: { prevView: 4, view: 5, members, leavers: [], cut } });

// Each row: the promises in arrival order (member, received, accepted value), and what the leader `a` proposes.
const rows: Array<{ name: string; promises: Array<[string, number, Accepted | null]>; want: { cut: number; source: string; adopted: boolean; members: string[] } }> = [
  {
    name: 'nobody accepted anything: a fresh decision cut at the longest log',
    promises: [['a', 10, null], ['b', 12, null], ['c', 11, null]],
    want: { cut: 12, source: 'b', adopted: false, members: ['a', 'b', 'c'] },
  },
  {
    name: 'the leader wins a tie for the source (it fetches nothing)',
    promises: [['b', 12, null], ['a', 12, null], ['c', 3, null]],
    want: { cut: 12, source: 'a', adopted: false, members: ['a', 'b', 'c'] },
  },
  {
    name: 'among others, the first to arrive wins a tie for the source',
    promises: [['a', 3, null], ['c', 12, null], ['b', 12, null]],
    want: { cut: 12, source: 'c', adopted: false, members: ['a', 'b', 'c'] },
  },
  {
    name: 'an accepted value is proposed again, whatever the logs',
    promises: [['a', 10, null], ['b', 12, acc(2000, 9)], ['c', 11, null]],
    want: { cut: 9, source: 'b', adopted: true, members: ['a', 'b'] },
  },
  {
    name: 'of several accepted values, the highest ballot wins',
    promises: [['a', 10, acc(1023, 8, ['a'])], ['b', 12, acc(3070, 9, ['b'])], ['c', 11, acc(2047, 7, ['c'])]],
    want: { cut: 9, source: 'b', adopted: true, members: ['b'] },
  },
  {
    name: 'on equal ballots the first to arrive wins',
    promises: [['c', 1, acc(2000, 1, ['c'])], ['b', 1, acc(2000, 1, ['b'])], ['a', 1, null]],
    want: { cut: 1, source: 'a', adopted: true, members: ['c'] },
  },
];

describe('chooseDecision', () => {
  it.each(rows)('$name', (r) => {
    const promises = new Map<string, PromiseReply>(r.promises.map(([m, received, accepted]) => [m, { received, accepted }]));
    const c = chooseDecision(promises, 'a', fresh);
    expect({ cut: c.decision.cut, source: c.source, adopted: c.adopted, members: c.decision.members }).toEqual(r.want);
    expect(c.decision.cut).toBeLessThanOrEqual(c.longest);
  });
});
