import { describe, expect, it } from 'vitest';
import { defaultSimOptions } from '../../src/sim/options.js';
import { runSimulation } from '../../src/sim/run-sim.js';
import { DEFAULT_JOIN_LOAD, runJoinLoad } from './join-load.js';

/** Seeds that once found a bug, with the member count they failed at (issue 9, finding 5, and the sweeps after it). */
const FOUND: Array<{ seed: number; members: number; why: string }> = [
  // A joiner whose two state providers crashed could neither finish nor accept: the flush waited on it for ever.
  { seed: 564807940, members: 7, why: 'joiner without providers held every flush (Q4)' },
  // A leaving flush leader sent its nv once and went left; the nv was lost to the new view's live members (Q13).
  { seed: 1904, members: 5, why: 'a leaving leader\'s lost nv left the new view frozen (Q13)' },
];

describe('simulator regressions', () => {
  for (const f of FOUND) {
    it(`seed ${f.seed} at ${f.members} members settles and passes every property (${f.why})`, () => {
      const o = defaultSimOptions(f.seed);
      o.members = f.members;
      const r = runSimulation(o);
      expect(r.firstViolation, `replay: vsync sim --seed ${f.seed} --members ${f.members}`).toBeNull();
      expect(r.stats.settled).toBe(true);
    }, 120_000);
  }
});

describe('joins under load (issue 9, finding 4)', () => {
  // One founder and six joiners started together, each sending 150 msg/s of 200 B once in, every process
  // stalling now and then (a loaded machine). Everyone must be in within a bound, whatever the seed.
  for (const stateful of [false, true]) {
    it(`every joiner is admitted within 3 s of simulated time (${stateful ? 'stateful' : 'stateless'})`, () => {
      const late: string[] = [];
      for (let seed = 1; seed <= 8; seed++) {
        const r = runJoinLoad({ ...DEFAULT_JOIN_LOAD, seed, stateful, joiners: 6, durationMs: 8000, stallChance: 0.03, stallMs: [50, 500] });
        r.delays.forEach((d, i) => {
          if (!(d <= 3000)) late.push(`seed ${seed} joiner j${i}: ${Number.isFinite(d) ? `${Math.round(d)} ms` : 'never'}`);
        });
      }
      expect(late, late.join('\n')).toEqual([]);
    }, 300_000);
  }
});
