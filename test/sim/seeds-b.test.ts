import { describe, it } from 'vitest';
import { sweep } from './sweep.js';

describe('simulator, all faults on, default settings', () => {
  it('seeds 151..300 pass every property', () => sweep(151, 300));
});
