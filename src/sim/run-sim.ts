import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CheckReport, checkTraces, type MemberTrace, type Violation } from '../check/index.js';
import type { SimOptions } from './options.js';
import { type SimStats, Simulation } from './simulation.js';

export interface SimResult {
  seed: number;
  stats: SimStats;
  report: CheckReport;
  /** The first violation: an invariant the core caught, or the checker's first finding. */
  firstViolation: Violation | null;
  traces: MemberTrace[];
}

/** One seeded run: simulate, then decide every trace property with the checker. */
export function runSimulation(opts: SimOptions): SimResult {
  const run = new Simulation(opts).run();
  const traces = run.traces as unknown as MemberTrace[];
  const report = checkTraces(traces, { liveness: run.invariant === null });
  let firstViolation: Violation | null = report.violations[0] ?? null;
  if (firstViolation === null && !run.stats.settled && run.invariant === null) {
    firstViolation = { property: 'liveness', message: `the group did not settle within ${opts.settleSteps} steps after the faults stopped` };
  }
  if (run.invariant !== null) firstViolation = { property: 'core-invariant', message: run.invariant };
  return { seed: opts.seed, stats: run.stats, report, firstViolation, traces };
}

/** Writes one `.jsonl` file per member incarnation; returns the folder. */
export function writeTraces(traces: MemberTrace[], dir?: string): string {
  const out = dir ?? mkdtempSync(join(tmpdir(), 'vsync-sim-'));
  mkdirSync(out, { recursive: true });
  for (const t of traces) {
    writeFileSync(join(out, t.file), t.events.map((e) => JSON.stringify(e)).join('\n') + (t.events.length ? '\n' : ''));
  }
  return out;
}

export function summaryLine(r: SimResult, members: number): string {
  const s = r.stats;
  const violations = Object.values(r.report.counts.violationsByProperty).reduce((a, b) => a + b, 0) +
    (r.firstViolation !== null && r.report.ok ? 1 : 0);
  return `seed=${r.seed} members=${members} views=${s.views} sends=${s.sends} delivered=${s.delivered} crashes=${s.crashes} ` +
    `restarts=${s.restarts} pauses=${s.pauses} partitions=${s.partitions} one-way=${s.oneWayCuts} joins=${s.joins} leaves=${s.leaves} ` +
    `excluded=${s.excluded} faults-in-flush=${s.faultsDuringFlush} frames=${s.frames} dropped=${s.dropped} dup=${s.duplicated} ` +
    `settled=${s.settled ? `${s.settleSteps}steps` : 'no'} violations=${violations}`;
}
