import { describe, it } from 'vitest';
import { sweep } from './sweep.js';

// Issue 12: the simulator's payloads are 8..72 bytes, so with the default directMinBytes (8 KiB) nothing goes
// direct. 1 sends every message direct; 40 mixes both paths within each sender's stream.
describe('simulator, all faults on, direct payloads', { timeout: 900_000 }, () => {
  it('seeds 1..200 pass every property with every message direct', () => sweep(1, 200, (o) => {
    o.config = { ...o.config, directMinBytes: 1 };
  }));
  it('seeds 1..100 pass every property with about half the messages direct', () => sweep(1, 100, (o) => {
    o.config = { ...o.config, directMinBytes: 40 };
  }));
});
