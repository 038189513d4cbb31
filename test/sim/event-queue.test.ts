import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/sim/event-queue.js';
import { Prng } from '../../src/sim/prng.js';

// The simulator's determinism rests on this order: by time, and among equal times by insertion.
describe('EventQueue', () => {
  it('pops by (time, insertion order), interleaved with pushes, as a sorted model does', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Prng(seed);
      const q = new EventQueue<number>();
      let model: Array<{ time: number; n: number }> = [];
      let n = 0;
      for (let step = 0; step < 2000; step++) {
        if (model.length === 0 || rng.chance(0.55)) {
          // Few distinct times, so ties are common.
          const time = rng.int(0, 30);
          q.push(time, n);
          model.push({ time, n: n++ });
        } else {
          model = model.sort((a, b) => a.time - b.time || a.n - b.n);
          const want = model.shift()!;
          expect(q.pop()).toEqual(expect.objectContaining({ time: want.time, item: want.n }));
        }
        expect(q.size).toBe(model.length);
      }
    }
    expect(new EventQueue<number>().pop()).toBeUndefined();
  });
});
