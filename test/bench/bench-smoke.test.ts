import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../src/bench/results.js';
import { WORKER_JS } from '../../src/bench/worker-handle.js';
import { runBenchCommand } from '../../src/cli/bench-command.js';

// The bench spawns compiled workers (dist/bench/worker.js): `npm test` builds first.
describe.skipIf(!existsSync(WORKER_JS))('vsync bench --smoke', () => {
  it('runs every part with real processes and writes JSON of the expected shape; digests agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vsync-bench-'));
    const file = join(dir, 'out.json');
    const lines: string[] = [];
    const code = await runBenchCommand(['--smoke', '--out', file], (l) => lines.push(l));
    const r = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;

    expect(r.problems, lines.join('\n')).toEqual([]);
    expect(code).toBe(0);
    expect(r.meta.mode).toBe('smoke');
    expect(Array.isArray(r.warnings)).toBe(true);

    expect(r.baseline.length).toBeGreaterThan(0);
    for (const b of r.baseline) {
      expect(b.system).toBe('ws');
      expect(b.members).toHaveLength(b.n);
      expect(b.medianDeliveriesPerSec).toBeGreaterThan(0);
    }
    // The bare batched sequencer: a total order, so its members' digests agree too.
    expect(r.seqBaseline.length).toBe(r.baseline.length);
    for (const b of r.seqBaseline) {
      expect(b.system).toBe('seq');
      expect(b.void).toBe(false);
      expect(b.digest?.agreed).toBe(true);
      expect(b.medianDeliveriesPerSec).toBeGreaterThan(0);
    }
    // vsync's ratios to both baselines, per case over the rounds.
    expect(r.ratios).toHaveLength(r.meta.mode === 'smoke' ? 2 : r.ratios.length);
    for (const x of r.ratios) {
      expect(x.toMesh?.values.length).toBe(x.rounds);
      expect(x.toSeq?.values.length).toBe(x.rounds);
      expect(x.toSeq!.min).toBeLessThanOrEqual(x.toSeq!.median);
    }
    // The latency floor, and vsync's latency as multiples of it.
    expect(r.latencyFloor?.rtt.count).toBeGreaterThan(0);
    expect(r.latencyFloor!.rtt.p50).toBeGreaterThan(0);
    // Measured in a window before the paced case and one after it; the case is compared with those two. Then two
    // more around the bare sequencer at the same rate and size (one non-sequencer sending), and two around the same
    // with its frames sealed.
    const w = r.latencyFloor!.windows ?? [];
    expect(w, r.problems.join('; ')).toHaveLength(6);
    const paced = r.latency.find((l) => l.system === 'vsync' && l.rate === 1000)!;
    expect(paced.floorMultiples?.p50).toBeGreaterThan(0);
    const bare = r.latency.find((l) => l.system === 'seq' && !l.sealed);
    const sealed = r.latency.find((l) => l.system === 'seq' && l.sealed);
    expect(bare, r.problems.join('; ')).toBeDefined();
    expect(sealed, r.problems.join('; ')).toBeDefined();
    expect(paced.floor!.count).toBe(w[0]!.count + w[1]!.count);
    expect(bare!.floor!.count).toBe(w[2]!.count + w[3]!.count);
    expect(sealed!.floor!.count).toBe(w[4]!.count + w[5]!.count);
    expect(w.reduce((a, x) => a + x.count, 0)).toBe(r.latencyFloor!.rtt.count);
    for (const b of [bare!, sealed!]) {
      expect(b).toMatchObject({ n: 3, senders: 'one', rate: r.latencyFloor!.rate, bytes: r.latencyFloor!.bytes, void: false });
      expect(b.digest?.agreed).toBe(true);
      expect(b.floorMultiples?.p50).toBeGreaterThan(0);
      expect(b.byRole!.atSequencer.count + b.byRole!.atReceivers.count).toBe(b.atOthers.count);
    }
    expect(sealed!.label).toContain('frames sealed');
    expect(r.throughput.length).toBeGreaterThan(0);
    for (const t of r.throughput) {
      expect(t.system).toBe('vsync');
      expect(t.members).toHaveLength(t.n);
      expect(t.void).toBe(false);
      expect(t.digest?.agreed).toBe(true);
      expect(t.digest!.verified).toBeGreaterThan(0);
      expect(new Set(t.digest!.lastSeqs).size).toBe(1);
      expect(typeof t.ratioToBaseline).toBe('number');
      expect(typeof t.ratioToSeq).toBe('number');
      for (const k of ['p50', 'p90', 'p99', 'max'] as const) expect(typeof t.latencyOthers[k]).toBe('number');
    }
    // The cost of frame protection, in the same run.
    expect(r.protection).toMatchObject({ n: 3, senders: 'all', bytes: 1024, void: false });
    expect(r.protection!.insecurePerSec).toBeGreaterThan(0);
    expect(typeof r.protection!.ratio).toBe('number');
    expect(r.protection!.pairRatios?.values).toHaveLength(1);
    expect(r.protection!.ratio).toBe(r.protection!.pairRatios!.median);
    const lat = r.latency.filter((l) => l.system === 'vsync');
    expect(lat.length).toBeGreaterThan(0);
    for (const l of lat) {
      expect(l.digest?.agreed).toBe(true);
      expect(l.atSender.count).toBeGreaterThan(0);
      expect(l.atOthers.count).toBeGreaterThan(0);
      // What may stall the members in the window: event-loop delay percentiles and GC pauses.
      expect(l.loopDelay!.p50).toBeLessThanOrEqual(l.loopDelay!.max);
      expect(l.gc!.count).toBeGreaterThanOrEqual(0);
    }
    expect(r.viewChanges.map((v) => v.victim).sort()).toEqual(['coordinator', 'member']);
    for (const v of r.viewChanges) {
      expect(v.error).toBeUndefined();
      expect(typeof v.totalMaxMs).toBe('number');
    }
    expect(r.joins.length).toBeGreaterThan(0);
    for (const j of r.joins) {
      expect(typeof j.joinMs).toBe('number');
      expect(j.stateTransferMs).toBe('n/a');
    }
    expect(r.stateJoins.length).toBeGreaterThan(0);
    for (const j of r.stateJoins) {
      expect(j.error).toBeUndefined();
      expect(typeof j.stateTransferMs).toBe('number');
    }
    expect(r.memory).not.toBeNull();
    expect(r.memory!.overload.peakRssMB).toHaveLength(r.memory!.n);
    expect(r.memory!.hwmMB.every((x) => x > 0)).toBe(true);
    expect(r.memory!.digest?.agreed).toBe(true);
    expect(r.targets.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith('Throughput'))).toBe(true);
    // The HTML report beside the JSON.
    const html = readFileSync(join(dir, 'out.html'), 'utf8');
    for (const c of ['throughput', 'latency', 'viewchanges', 'memory']) expect(html).toContain(`data-chart="${c}"`);
  }, 300_000); // generous: on a busy machine each member process takes seconds to start
});
