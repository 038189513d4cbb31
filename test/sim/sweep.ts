import { expect } from 'vitest';
import { defaultSimOptions, type SimOptions } from '../../src/sim/options.js';
import { replayCommand } from '../../src/sim/replay.js';
import { runSimulation } from '../../src/sim/run-sim.js';

/** Runs a range of seeds; on failure names every failing seed and how to replay it. */
export function sweep(from: number, to: number, tweak: (o: SimOptions) => void = () => {}): void {
  const failures: string[] = [];
  for (let seed = from; seed <= to; seed++) {
    const o = defaultSimOptions(seed);
    tweak(o);
    const r = runSimulation(o);
    if (r.firstViolation) failures.push(`seed ${seed}: ${r.firstViolation.property}: ${r.firstViolation.message} (replay: ${replayCommand(o)})`);
  }
  expect(failures, failures.join('\n')).toEqual([]);
}
