import { describe, it } from 'vitest';
import { sweep } from './sweep.js';

// Issue 12: the simulator's payloads are 8..72 bytes, below the default ownIdsMinBytes (256), so the sequencer's
// multicast carries every payload back to its sender. 1 gives every member its own messages as ids only; with
// directMinBytes 40 and a delivery mix, both id-only kinds (direct, own) and all three delivery kinds meet.
describe('simulator, all faults on, own messages back as ids only', { timeout: 900_000 }, () => {
  it('seeds 1..100 pass every property', () => sweep(1, 100, (o) => {
    o.config = { ...o.config, ownIdsMinBytes: 1 };
  }));
  it('seeds 1..60 pass every property with direct payloads and agreed and fifo sends mixed in', () => sweep(1, 60, (o) => {
    o.config = { ...o.config, ownIdsMinBytes: 1, directMinBytes: 40 };
    o.delivery = { agreed: 0.3, fifo: 0.2 };
  }));
});
