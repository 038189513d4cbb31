/** scripts/latency-probe.mjs, which README figures name: a wrong argument is refused with its usage, not ignored. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/latency-probe.mjs', ...args], { encoding: 'utf8', timeout: 20_000 });

describe('scripts/latency-probe.mjs', () => {
  it('refuses an unknown argument and a window that is not a number, with its usage and exit code 2', () => {
    for (const [args, says] of [[['bogus'], 'unknown argument bogus'], [['safe', '--window-ms', 'x'], '--window-ms needs a positive number']] as const) {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).toContain('usage: node scripts/latency-probe.mjs');
    }
  });
});
