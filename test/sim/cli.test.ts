import { describe, expect, it } from 'vitest';
import { runSimCommand } from '../../src/cli/sim-command.js';
import { runSimulation } from '../../src/sim/run-sim.js';
import { defaultSimOptions } from '../../src/sim/options.js';

describe('vsync sim', () => {
  it('prints one summary line with the counts and exits 0 on a clean run', async () => {
    const lines: string[] = [];
    const code = await runSimCommand(['--seed', '3', '--steps', '400'], (l) => lines.push(l));
    expect(code).toBe(0);
    expect(lines[0]).toMatch(/^seed=3 members=5 views=\d+ sends=\d+ delivered=\d+ crashes=\d+ .* violations=0$/);
  });

  it('exits 1 with the seed, the first violation and the replay command when a property fails', async () => {
    const lines: string[] = [];
    const code = await runSimCommand(['--seed', '2', '--mutation', 'skip-flush'], (l) => lines.push(l));
    expect(code).toBe(1);
    expect(lines.some((l) => /^FAILED seed=2: [a-z-]+: /.test(l))).toBe(true);
    expect(lines).toContain('replay: vsync sim --seed 2 --members 5 --steps 1500 --mutation skip-flush');
  });

  it('a range reports every failing seed', async () => {
    const lines: string[] = [];
    const code = await runSimCommand(['--seeds', '1..3', '--mutation', 'no-resend', '--steps', '800'], (l) => lines.push(l));
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatch(/^seeds=1\.\.3 runs=3 failing=\d+ \[/);
  });

  it('refuses bad arguments with exit 2', async () => {
    const lines: string[] = [];
    expect(await runSimCommand(['--members', '99'], (l) => lines.push(l))).toBe(2);
    expect(await runSimCommand(['--faults', 'meteor'], (l) => lines.push(l))).toBe(2);
  });

  it('a group without application state (no state transfer) passes too', () => {
    for (const seed of [1, 2, 3]) {
      const r = runSimulation({ ...defaultSimOptions(seed), stateful: false });
      expect(r.firstViolation).toBeNull();
    }
  });
});
