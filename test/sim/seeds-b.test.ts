import { describe, it } from 'vitest';
import { sweep } from './sweep.js';

describe('simulator, all faults on, default settings', () => {
  it('seeds 251..500 pass every property', () => sweep(251, 500));
});
