// The simulator with a mix of delivery kinds: the checker's per-kind properties hold over a sweep, and a mix of
// zero changes nothing in a run (other sweeps compare seed by seed).
import { describe, expect, it } from 'vitest';
import { KIND_AGREED, KIND_FIFO, KIND_SAFE } from '../../src/core/delivery-kinds.js';
import { checkDeliveryMix, simDeliveryKind } from '../../src/sim/delivery-mix.js';
import { defaultSimOptions } from '../../src/sim/options.js';
import { runSimulation } from '../../src/sim/run-sim.js';
import { sweep } from './sweep.js';

describe('delivery mix', { timeout: 900_000 }, () => {
  it('draws kinds in about the asked shares, from the seed, member and message number alone', () => {
    const mix = { agreed: 0.3, fifo: 0.2 };
    const counts = [0, 0, 0];
    for (let n = 1; n <= 10_000; n++) counts[simDeliveryKind(mix, 7, 'm1#0', n)]!++;
    expect(counts[KIND_AGREED]! / 10_000).toBeCloseTo(0.3, 1);
    expect(counts[KIND_FIFO]! / 10_000).toBeCloseTo(0.2, 1);
    expect(simDeliveryKind(mix, 7, 'm1#0', 5)).toBe(simDeliveryKind(mix, 7, 'm1#0', 5));
    expect(simDeliveryKind(undefined, 7, 'm1#0', 5)).toBe(KIND_SAFE);
    expect(() => checkDeliveryMix({ agreed: 0.7, fifo: 0.5 })).toThrow(RangeError);
    expect(() => checkDeliveryMix({ agreed: -1, fifo: 0 })).toThrow(RangeError);
  });

  it('a zero mix is the default run, byte for byte', () => {
    const a = runSimulation(defaultSimOptions(11));
    const b = runSimulation({ ...defaultSimOptions(11), delivery: { agreed: 0, fifo: 0 } });
    expect(JSON.stringify(b.traces)).toEqual(JSON.stringify(a.traces));
  });

  it('a mixed run writes every kind into the traces', () => {
    const r = runSimulation({ ...defaultSimOptions(5), delivery: { agreed: 0.4, fifo: 0.2 } });
    expect(r.firstViolation).toBeNull();
    const orders = new Set<string>();
    for (const t of r.traces) for (const e of t.events) if (e.ev === 'send') orders.add(e.order);
    expect([...orders].sort()).toEqual(['fifo', 'safe', 'total']);
  });

  it('100 seeds, all faults, 40% agreed and 20% fifo: every property holds', () => {
    sweep(1, 100, (o) => {
      o.delivery = { agreed: 0.4, fifo: 0.2 };
    });
  });
});
