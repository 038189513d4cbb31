/**
 * Issue 9, finding 4, with real `vsync member` processes: a founder, then four members started together with seed
 * lists naming all five, every member multicasting 150 messages/s of 200 B. Repeated 10 times; every joiner must be
 * in within 10 s of its join call, by its own clock (the `join-time` line), and the traces must pass the checker.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTraceDir, formatReport } from '../../src/check/index.js';
import { MemberProcess } from '../../src/cli/member-process.js';
import { freePorts } from './test-helpers.js';

const REPEATS = 10;
const BOUND_MS = 10_000;
const procs: MemberProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.signal('SIGKILL');
});

function member(name: string, port: number, seeds: string[], dir: string): MemberProcess {
  const p = new MemberProcess(name, [
    '--listen', `127.0.0.1:${port}`, '--group', 'g', '--secret', 'test-secret', ...(seeds.length > 0 ? ['--seeds', seeds.join(',')] : []),
    '--send-rate', '150', '--payload-bytes', '200', '--trace-dir', dir, '--status-ms', '500',
  ]);
  procs.push(p);
  return p;
}

describe('joins under load (finding 4)', () => {
  it(`four members started together while the group multicasts are all in within ${BOUND_MS / 1000} s, ${REPEATS} times`, async () => {
    const joinMs: number[] = [];
    for (let run = 0; run < REPEATS; run++) {
      const dir = mkdtempSync(join(tmpdir(), 'vsync-starve-'));
      const ports = await freePorts(5);
      const seeds = ports.map((p) => `ws://127.0.0.1:${p}`);
      const founder = member('n0', ports[0]!, [], dir);
      await founder.waitFor(/^ready me=/, 30_000);
      const joiners = [1, 2, 3, 4].map((i) => member(`n${i}`, ports[i]!, seeds, dir));
      // The bound is on each joiner's own clock; the wait here only has to outlast a slow machine.
      const times = await Promise.all(joiners.map(async (p) => Number((await p.waitFor(/^join-time me=\S+ process-ms=\d+ join-ms=(\d+)/, 90_000))[1])));
      joinMs.push(...times);
      for (const [i, t] of times.entries()) expect(t, `run ${run}: n${i + 1} joined after ${t} ms`).toBeLessThanOrEqual(BOUND_MS);
      // Everyone ends in one view of five: nobody was left behind by the others' joins.
      const all = [founder, ...joiners];
      const end = Date.now() + 60_000;
      while (!all.every((p) => p.lastMatch(/^view id=\d+ members=(\S+)/)?.[1]!.split(',').length === 5)) {
        if (Date.now() > end) throw new Error(`run ${run}: no view of five: ${all.map((p) => p.lastMatch(/^view .*/)?.[0]).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const p of all) p.signal('SIGKILL');
      await Promise.all(all.map((p) => p.exited));
      procs.splice(0);
      const report = await checkTraceDir(dir, { liveness: false });
      expect(report.ok, formatReport(report).join('\n')).toBe(true);
    }
    // For the record (the test's output): the spread of the join times.
    joinMs.sort((a, b) => a - b);
    console.log(`join-ms over ${joinMs.length} joins: min ${joinMs[0]} median ${joinMs[joinMs.length >> 1]} max ${joinMs[joinMs.length - 1]}`);
  }, 600_000);
});
