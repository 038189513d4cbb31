/** scripts/cold-cost.mjs, which the README names: what a lone seal costs, and a wrong argument refused. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Imports dist/net/frame-seal.js: `npm test` builds first.
const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/cold-cost.mjs', ...args], { encoding: 'utf8', timeout: 30_000 });

describe('scripts/cold-cost.mjs', () => {
  it('prints the seal time back to back, after a sleep and after spinning', () => {
    const r = run('--count', '20');
    expect(r.status, r.stderr).toBe(0);
    for (const label of ['back to back', 'after a 1 ms sleep', 'after 1 ms of spinning']) {
      expect(r.stdout).toMatch(new RegExp(`${label} +p50 [\\d.]+ µs  p90 [\\d.]+ µs  \\(20 seals of 1 KB\\)`));
    }
  });

  it('refuses a count that is not an integer of at least 10, and an unknown option, with its usage and exit code 2', () => {
    for (const [args, says] of [[['--count', 'x'], '--count needs an integer'], [['--count', '3'], '--count needs an integer'], [['--bogus'], 'Unknown option']] as const) {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).toContain('usage: node scripts/cold-cost.mjs');
    }
  });
});
