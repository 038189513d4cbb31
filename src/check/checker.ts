import { indexTraces, type TraceIndex, type TraceStats } from './index-traces.js';
import { checkDeliveryIntegrity, checkNoDuplication, checkSameViewDelivery, checkSendingViewDelivery } from './properties/delivery.js';
import { checkReliableFifo } from './properties/fifo.js';
import { checkLiveness } from './properties/liveness.js';
import { checkLocalMonotonicity, checkSelfInclusion, checkViewAgreement } from './properties/membership.js';
import { checkPrimaryComponent } from './properties/primary-component.js';
import { checkSelfDelivery } from './properties/self-delivery.js';
import { checkStateAgreement } from './properties/state.js';
import { checkTotalOrder } from './properties/total-order.js';
import { checkUniformDelivery } from './properties/uniform.js';
import { checkVirtualSynchrony } from './properties/virtual-synchrony.js';
import { checkWellformed } from './properties/wellformed.js';
import { PROPERTIES, type PropertyName } from './property-names.js';
import { inLineage, splitLineages } from './lineages.js';
import { readTraceDir } from './read-traces.js';
import type { MemberTrace, Violation } from './trace-types.js';

export { PROPERTIES, type PropertyName };

export interface CheckOptions {
  /** Check liveness at a quiescent end (default true); off for runs stopped mid-flight. */
  liveness?: boolean;
}

export interface CheckReport {
  ok: boolean;
  /** The first violation of each violated property, in PROPERTIES order. */
  violations: Violation[];
  counts: { violationsByProperty: Record<string, number> };
  stats: TraceStats;
}

const CHECKS: Record<PropertyName, (index: TraceIndex) => Violation[]> = {
  'trace-wellformed': checkWellformed,
  'self-inclusion': checkSelfInclusion,
  'local-monotonicity': checkLocalMonotonicity,
  'view-agreement': checkViewAgreement,
  'primary-component': checkPrimaryComponent,
  'delivery-integrity': checkDeliveryIntegrity,
  'no-duplication': checkNoDuplication,
  'sending-view-delivery': checkSendingViewDelivery,
  'same-view-delivery': checkSameViewDelivery,
  'virtual-synchrony': checkVirtualSynchrony,
  'uniform-delivery': checkUniformDelivery,
  'total-order': checkTotalOrder,
  'reliable-fifo': checkReliableFifo,
  'self-delivery': checkSelfDelivery,
  'state-agreement': checkStateAgreement,
  liveness: checkLiveness,
};

export function checkTraces(traces: readonly MemberTrace[], opts: CheckOptions = {}): CheckReport {
  // Each lineage of the group (lineages.ts: a recovery after a lost majority starts one) is checked on its own.
  const lineages = splitLineages(traces);
  const several = lineages.length > 1;
  const violations: Violation[] = [];
  const violationsByProperty: Record<string, number> = {};
  const stats: TraceStats = { traces: 0, members: 0, views: 0, sends: 0, deliveries: 0, tornLines: 0 };
  const indexes = lineages.map((l) => indexTraces(l.traces));
  for (const index of indexes) for (const k of Object.keys(stats) as Array<keyof TraceStats>) stats[k] += index.stats[k];
  for (const property of PROPERTIES) {
    if (property === 'liveness' && opts.liveness === false) continue;
    violationsByProperty[property] = 0;
    for (const [i, index] of indexes.entries()) {
      const found = CHECKS[property](index);
      violationsByProperty[property] += found.length;
      const first = found[0];
      if (first && violationsByProperty[property] === found.length) violations.push(inLineage(first, lineages[i]!.gid, several));
    }
  }
  return { ok: violations.length === 0, violations, counts: { violationsByProperty }, stats };
}

export async function checkTraceDir(dir: string, opts: CheckOptions = {}): Promise<CheckReport> {
  return checkTraces(await readTraceDir(dir), opts);
}

export function totalViolations(report: CheckReport): number {
  return Object.values(report.counts.violationsByProperty).reduce((a, b) => a + b, 0);
}

/** Lines for a terminal: the first violation of each violated property, then one summary line. */
export function formatReport(report: CheckReport): string[] {
  const lines: string[] = [];
  for (const v of report.violations) {
    const more = (report.counts.violationsByProperty[v.property] ?? 1) - 1;
    lines.push(`VIOLATION ${v.property}: ${v.message}${more > 0 ? ` (+${more} more)` : ''}`);
  }
  const s = report.stats;
  if (s.tornLines > 0) lines.push(`check: tolerated ${s.tornLines} torn last line(s) (processes killed mid-write)`);
  lines.push(
    `check: traces=${s.traces} members=${s.members} views=${s.views} sends=${s.sends} deliveries=${s.deliveries} violations=${totalViolations(report)}`,
  );
  return lines;
}
