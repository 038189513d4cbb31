import { describe, it } from 'vitest';
import { sweep } from './sweep.js';

// Two files, so that vitest runs the sweep on both cores.
describe('simulator, all faults on, default settings', () => {
  it('seeds 1..250 pass every property', () => sweep(1, 250));
});
