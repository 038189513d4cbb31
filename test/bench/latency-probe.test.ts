/** scripts/latency-probe.mjs, which README figures name: a wrong argument is refused with its usage, not ignored. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORKER_JS } from '../../src/bench/worker-handle.js';

const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/latency-probe.mjs', ...args], { encoding: 'utf8', timeout: 30_000 });

describe('scripts/latency-probe.mjs', () => {
  it('refuses an unknown argument and a window that is not a number, with its usage and exit code 2', () => {
    for (const [args, says] of [
      [['bogus'], 'unknown argument bogus'],
      [['safe', '--window-ms', 'x'], '--window-ms needs a positive number'],
      [['--bare', 'agreed'], '--bare takes no delivery kind'],
      [['--bare', '--insecure'], '--bare takes no --insecure'],
      [['agreed', '--sealed'], '--sealed goes with --bare'],
      [['agreed', '--cpu-prof', ''], '--cpu-prof needs a directory'],
      [['--bare', '--cpu-prof', '/tmp/x'], '--bare takes no --cpu-prof'],
    ] as const) {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr).toContain('usage: node scripts/latency-probe.mjs');
    }
  });

  // Spawns compiled workers (dist/bench/worker.js): `npm test` builds first.
  it.skipIf(!existsSync(WORKER_JS))('measures the bare batched sequencer by role with --bare', () => {
    const r = run('--bare', '--digest', '--warmup-ms', '200', '--window-ms', '300');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^bare sequencer, 1 KB at 1,000\/s from a non-sequencer/);
    for (const role of ['at the others', 'at the sequencer', 'at the receiver', 'at the sender']) expect(r.stdout).toMatch(new RegExp(`${role} +p50 \\d+ µs`));
  });

  it.skipIf(!existsSync(WORKER_JS))('measures the bare sequencer with its frames sealed with --bare --sealed (every frame opens: all deliveries arrive)', () => {
    const r = run('--bare', '--sealed', '--digest', '--warmup-ms', '200', '--window-ms', '300');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^bare sequencer, frames sealed, 1 KB at 1,000\/s from a non-sequencer/);
    // 300 ms at 1,000/s: about 300 deliveries at each role; a frame that failed to open would close the link.
    for (const role of ['at the sequencer', 'at the receiver', 'at the sender']) {
      const n = Number(new RegExp(`${role} +p50 \\d+ µs .*\\((\\d+) deliveries\\)`).exec(r.stdout)?.[1]);
      expect(n, role).toBeGreaterThan(200);
    }
  });

  it.skipIf(!existsSync(WORKER_JS))('profiles each role over the window with --cpu-prof: busy time per message, by layer and by function', () => {
    const dir = mkdtempSync(join(tmpdir(), 'probe-prof-'));
    try {
      const r = run('agreed', '--cpu-prof', dir, '--warmup-ms', '200', '--window-ms', '500');
      expect(r.status, r.stderr).toBe(0);
      for (const role of ['sequencer', 'receiver', 'sender']) {
        expect(r.stdout).toMatch(new RegExp(`profile, ${role} \\(.*\\.cpuprofile\\): busy \\d+ µs per message`));
      }
      expect(r.stdout).toMatch(/ {2}by layer: .*core \(dist\/core\) [\d.]+%/);
      expect(r.stdout).toMatch(/ {2}functions: /);
      expect(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
