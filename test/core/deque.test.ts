import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deque } from '../../src/core/deque.js';

type Op = ['push', number] | ['unshift', number] | ['shift'] | ['pop'] | ['clear'];

/** Runs `ops` on a Deque and on a plain array; returns what each removal gave back, from the Deque. */
function run(ops: Op[], initialCapacity?: number): { deque: Deque<number>; model: number[]; removed: Array<number | undefined> } {
  const deque = new Deque<number>(initialCapacity);
  const model: number[] = [];
  const removed: Array<number | undefined> = [];
  for (const op of ops) {
    switch (op[0]) {
      case 'push':
        deque.push(op[1]);
        model.push(op[1]);
        break;
      case 'unshift':
        deque.unshift(op[1]);
        model.unshift(op[1]);
        break;
      case 'shift': {
        const got = deque.shift();
        expect(got).toBe(model.shift());
        removed.push(got);
        break;
      }
      case 'pop': {
        const got = deque.pop();
        expect(got).toBe(model.pop());
        removed.push(got);
        break;
      }
      case 'clear':
        deque.clear();
        model.length = 0;
        break;
    }
  }
  return { deque, model, removed };
}

const pushes = (from: number, to: number): Op[] => Array.from({ length: to - from + 1 }, (_, i) => ['push', from + i] as Op);
const shifts = (n: number): Op[] => Array.from({ length: n }, () => ['shift'] as Op);

describe('Deque', () => {
  const table: Array<{ name: string; ops: Op[]; items: number[]; removed: Array<number | undefined> }> = [
    { name: 'empty', ops: [], items: [], removed: [] },
    { name: 'shift and pop of an empty queue give undefined', ops: [['shift'], ['pop']], items: [], removed: [undefined, undefined] },
    { name: 'first in, first out', ops: [...pushes(1, 3), ['shift'], ['shift']], items: [3], removed: [1, 2] },
    { name: 'pop takes from the back', ops: [...pushes(1, 3), ['pop']], items: [1, 2], removed: [3] },
    { name: 'unshift puts in front', ops: [['push', 2], ['unshift', 1], ['unshift', 0]], items: [0, 1, 2], removed: [] },
    { name: 'wraps around the end of the ring', ops: [...pushes(1, 3), ['shift'], ['shift'], ...pushes(4, 6)], items: [3, 4, 5, 6], removed: [1, 2] },
    { name: 'grows past the initial capacity, in order', ops: [...pushes(1, 20)], items: Array.from({ length: 20 }, (_, i) => i + 1), removed: [] },
    { name: 'grows while wrapped', ops: [...pushes(1, 3), ['shift'], ['shift'], ...pushes(4, 9)], items: [3, 4, 5, 6, 7, 8, 9], removed: [1, 2] },
    { name: 'clear empties', ops: [...pushes(1, 5), ['clear'], ['push', 9]], items: [9], removed: [] },
    { name: 'unshift into an empty queue, then shift', ops: [['unshift', 7], ['shift'], ['shift']], items: [], removed: [7, undefined] },
  ];

  for (const row of table) {
    it(row.name, () => {
      const { deque, removed } = run(row.ops, 4);
      expect(deque.toArray()).toEqual(row.items);
      expect(deque.length).toBe(row.items.length);
      expect(deque.isEmpty).toBe(row.items.length === 0);
      expect(deque.peek()).toBe(row.items[0]);
      expect(deque.peekBack()).toBe(row.items.at(-1));
      expect(removed).toEqual(row.removed);
    });
  }

  it('at() reads by position from the front, or from the back when negative', () => {
    const { deque } = run([...pushes(1, 3), ['shift'], ...pushes(4, 6)], 4);
    expect([deque.at(0), deque.at(2), deque.at(4), deque.at(-1), deque.at(-5), deque.at(1.5)]).toEqual([2, 4, 6, 6, 2, undefined]);
    expect([deque.at(5), deque.at(-6)]).toEqual([undefined, undefined]);
  });

  it('memory follows the load down: a drained queue shrinks back to its initial capacity', () => {
    const { deque } = run([...pushes(1, 1000), ...shifts(1000)], 8);
    expect(deque.length).toBe(0);
    expect(deque.capacity).toBe(8);
    const grown = run(pushes(1, 1000), 8).deque;
    expect(grown.capacity).toBe(1024);
    grown.clear();
    expect(grown.capacity).toBe(8);
  });

  it('the initial capacity is rounded up to a power of two, at least 4', () => {
    expect([new Deque(0).capacity, new Deque(5).capacity, new Deque(16).capacity]).toEqual([4, 8, 16]);
  });

  it('behaves like an array under any sequence of operations', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.integer().map((n): Op => ['push', n]), weight: 20 },
      { arbitrary: fc.integer().map((n): Op => ['unshift', n]), weight: 10 },
      { arbitrary: fc.constant<Op>(['shift']), weight: 15 },
      { arbitrary: fc.constant<Op>(['pop']), weight: 10 },
      { arbitrary: fc.constant<Op>(['clear']), weight: 1 },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 0, max: 40 }), (ops, cap) => {
        const { deque, model } = run(ops, cap);
        expect(deque.toArray()).toEqual(model);
        expect(deque.length).toBe(model.length);
        for (let i = 0; i < model.length; i++) expect(deque.at(i)).toBe(model[i]);
      }),
      { numRuns: 300 },
    );
  });
});
