/** scripts/idle-cost.mjs, which docs/operations.md names: what an idle group costs, and a wrong argument refused. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/idle-cost.mjs', ...args], { encoding: 'utf8', timeout: 60_000 });

describe('scripts/idle-cost.mjs', () => {
  it('refuses an unknown argument and a count that is not a positive integer, with its usage and exit code 2', () => {
    for (const [args, says] of [[['--bogus', '1'], "Unknown option '--bogus'"], [['--members', '0'], '--members needs a positive integer'], [['--window-ms', 'x'], '--window-ms needs a positive integer']] as const) {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).toContain('usage: node scripts/idle-cost.mjs');
    }
  });

  it('an idle group of 3: each member sends one frame per peer per heartbeat period (50 ms), no more', () => {
    const r = run('--members', '3', '--warmup-ms', '1000', '--window-ms', '2000');
    expect(r.status, r.stderr).toBe(0);
    const rows = [...r.stdout.matchAll(/^m\d+ +cpu ([\d.]+) ms\/s +frames in (\d+)\/s +out (\d+)\/s$/gm)];
    expect(rows).toHaveLength(3);
    for (const [, cpu, inPerSec, outPerSec] of rows) {
      expect(Number(cpu)).toBeGreaterThan(0);
      // 2 peers × 20 periods a second; a late timer on a busy machine only lowers it. Before the ack stood in for
      // the heartbeat, a non-sequencer sent 80 a second.
      expect(Number(outPerSec)).toBeGreaterThan(10);
      expect(Number(outPerSec)).toBeLessThanOrEqual(44);
      expect(Number(inPerSec)).toBeLessThanOrEqual(44);
    }
  }, 60_000);
});
