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
  const index = indexTraces(traces);
  const violations: Violation[] = [];
  const violationsByProperty: Record<string, number> = {};
  for (const property of PROPERTIES) {
    if (property === 'liveness' && opts.liveness === false) continue;
    const found = CHECKS[property](index);
    violationsByProperty[property] = found.length;
    const first = found[0];
    if (first) violations.push(first);
  }
  return { ok: violations.length === 0, violations, counts: { violationsByProperty }, stats: index.stats };
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
