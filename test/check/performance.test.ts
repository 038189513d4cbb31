import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTraceDir, checkTraces } from '../../src/check/index.js';
import { build } from './dsl.js';
import { bigRun } from './scenarios.js';

// The checker runs after hundreds of simulated runs in the suite; this only makes sure a large run goes
// through (a quadratic step would show up as this test crawling), without asserting on time.
describe('a large run', () => {
  it('checks 5 members x 20k deliveries in memory and from files', async () => {
    const run = bigRun(5, 20_000, 8);
    const report = checkTraces(build(...run));
    expect(report.violations).toEqual([]);
    expect(report.stats).toMatchObject({ members: 5, views: 8, sends: 20_000, deliveries: 100_000 });

    const dir = await mkdtemp(join(tmpdir(), 'vsync-check-perf-'));
    try {
      for (const b of run) await writeFile(join(dir, b.file), b.jsonl());
      expect((await checkTraceDir(dir)).ok).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('still finds one swapped pair of deliveries among 100k', () => {
    const traces = build(...bigRun(5, 20_000, 8));
    const events = traces[3]!.events;
    const i = events.findIndex((e) => e.ev === 'deliver' && e.seq === 12_345);
    [events[i], events[i + 1]] = [events[i + 1]!, events[i]!];
    const report = checkTraces(traces);
    expect(report.violations.map((v) => v.property)).toEqual(['total-order']);
    expect(report.violations[0]!.message).toContain('m3#1 (m3_1.jsonl:');
  });
});
