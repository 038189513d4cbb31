import { describe, expect, it } from 'vitest';
import {
  DELIVERY_KINDS, deliverableUpTo, KIND_AGREED, KIND_FIFO, KIND_SAFE, kindCode, kindOf, type KindLookup,
} from '../../src/core/delivery-kinds.js';

/** A log holding seqs `floor+1 ..` with the given kinds ('s' safe, 'a' agreed, 'f' fifo, '?' an unknown code). */
function log(kinds: string, floor = 0): KindLookup {
  const code = (c: string): number | undefined => ({ s: KIND_SAFE, a: KIND_AGREED, f: KIND_FIFO, '?': 7 } as Record<string, number>)[c];
  return { get: (seq) => (seq > floor && seq <= floor + kinds.length ? { kind: code(kinds[seq - floor - 1]!) } : undefined) };
}

describe('deliverableUpTo', () => {
  // [kinds of seqs 1.., delivered, received, commit, expected]
  const table: [string, number, number, number, number][] = [
    ['sss', 0, 3, 0, 0], // nothing committed: safe waits
    ['sss', 0, 3, 2, 2], // up to the commit
    ['sss', 0, 2, 3, 2], // commit above what is held here: up to received
    ['aaa', 0, 3, 0, 3], // agreed: ordered and received is enough
    ['fff', 0, 3, 0, 3], // fifo travels the agreed path
    ['asa', 0, 3, 0, 1], // an agreed message waits behind an uncommitted safe one
    ['asa', 0, 3, 2, 3], // ... until that one is committed
    ['saa', 0, 3, 0, 0], // the first is safe and uncommitted: nothing
    ['saa', 0, 3, 1, 3],
    ['aas', 0, 2, 0, 2], // received bounds it
    ['aaa', 2, 3, 0, 3], // starts after what was delivered
    ['sss', 3, 3, 1, 3], // never below delivered
    ['a?a', 0, 3, 0, 1], // an unknown code waits like safe
    ['', 0, 0, 0, 0],
  ];
  it.each(table)('kinds %s delivered %i received %i commit %i -> %i', (kinds, delivered, received, commit, expected) => {
    expect(deliverableUpTo(delivered, received, commit, log(kinds))).toBe(expected);
  });

  it('stops where the log has no entry (nothing below the floor is consulted)', () => {
    expect(deliverableUpTo(5, 8, 5, log('aaa', 5))).toBe(8);
    expect(deliverableUpTo(5, 9, 5, log('aaa', 5))).toBe(8);
  });
});

describe('kind codes', () => {
  it('round-trip, and safe is 0 so proto3 leaves it off the wire', () => {
    for (const k of DELIVERY_KINDS) expect(kindOf(kindCode(k))).toBe(k);
    expect(kindCode('safe')).toBe(0);
    expect(kindOf(undefined)).toBe('safe');
    expect(kindOf(9)).toBe('safe');
  });
});
