import { describe, it } from 'vitest';
import { sweep } from './sweep.js';

// CPU-bound, sharing two cores with the rest of the suite: a generous bound (nothing here waits on time).
describe('simulator, all faults on, default settings', { timeout: 600_000 }, () => {
  it('seeds 251..500 pass every property', () => sweep(251, 500));
});
