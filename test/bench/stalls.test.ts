/** The bench workers' stall monitor: event-loop delay and GC pauses over a window. */
import { describe, expect, it } from 'vitest';
import { StallMonitor, type StallReport, combineStalls } from '../../src/bench/stalls.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('StallMonitor', () => {
  it('sees a blocked event loop and GC pauses within its window', async () => {
    const m = new StallMonitor();
    m.reset();
    await tick(10); // the histogram starts counting at its first sample after a reset
    // Block the loop for 50 ms: the 1 ms timer fires at least that late (more on a busy machine, never less).
    const until = performance.now() + 50;
    while (performance.now() < until);
    // Garbage enough for young-generation collections.
    let keep = 0;
    for (let i = 0; i < 200_000; i++) keep += new Array(64).fill(i).length;
    expect(keep).toBeGreaterThan(0);
    await tick(30); // timer samples and the GC entries (delivered asynchronously) arrive
    const r = m.report();
    expect(r.loopDelay.max).toBeGreaterThanOrEqual(40);
    expect(r.loopDelay.p50).toBeLessThanOrEqual(r.loopDelay.p90);
    expect(r.loopDelay.p90).toBeLessThanOrEqual(r.loopDelay.p99);
    expect(r.loopDelay.p99).toBeLessThanOrEqual(r.loopDelay.max);
    expect(r.gc.count).toBeGreaterThan(0);
    expect(r.gc.totalMs).toBeGreaterThanOrEqual(r.gc.maxMs);
    // A new window starts empty of GC pauses.
    m.reset();
    expect(m.report().gc.count).toBe(0);
  });

  it('runs its timer only within a window (an idle worker does not wake every millisecond)', async () => {
    const m = new StallMonitor();
    await tick(20);
    expect(m.samples).toBe(0);
    m.reset();
    await tick(20);
    expect(m.samples).toBeGreaterThan(0);
    m.report();
    const after = m.samples;
    await tick(20);
    expect(m.samples).toBe(after);
  });

  it('combines members: the highest percentile of any, pauses summed', () => {
    const a: StallReport = { loopDelay: { p50: 0.1, p90: 0.5, p99: 3, max: 9 }, gc: { count: 10, major: 0, totalMs: 5.5, maxMs: 1.5, over1ms: 1 } };
    const b: StallReport = { loopDelay: { p50: 0.2, p90: 0.4, p99: 2, max: 12 }, gc: { count: 5, major: 1, totalMs: 20.25, maxMs: 15, over1ms: 2 } };
    expect(combineStalls([a, b])).toEqual({ loopDelay: { p50: 0.2, p90: 0.5, p99: 3, max: 12 }, gc: { count: 15, major: 1, totalMs: 25.75, maxMs: 15, over1ms: 3 } });
    expect(combineStalls([]).gc.count).toBe(0);
  });
});
