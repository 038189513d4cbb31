import { describe, it } from 'vitest';
import { sweep } from './sweep.js';

// Two files, so that vitest runs the sweep on both cores.
// CPU-bound, sharing two cores with the rest of the suite: a generous bound (nothing here waits on time).
describe('simulator, all faults on, default settings', { timeout: 600_000 }, () => {
  it('seeds 1..250 pass every property', () => sweep(1, 250));
});
