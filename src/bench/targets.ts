import type { BenchResults, TargetResult } from './results.js';
import { median, round } from './stats.js';

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The targets (3 members on a 2-core machine, 1 KB payloads), judged from a run: for the report only. */
export function evaluateTargets(r: BenchResults): TargetResult[] {
  const out: TargetResult[] = [];
  const tp = r.throughput.find((t) => t.n === 3 && t.senders === 'all' && t.bytes === 1024);
  const base = r.baseline.find((t) => t.n === 3 && t.senders === 'all' && t.bytes === 1024);
  if (tp) {
    out.push({
      name: 'throughput, 3 members all sending 1 KB, at every member',
      target: '>= 120,000 deliveries/s',
      value: `${fmt(tp.minDeliveriesPerSec)} (min of members)${tp.void ? ' VOID' : ''}`,
      met: tp.void ? null : tp.minDeliveriesPerSec >= 120_000,
    });
    if (base) {
      out.push({
        name: 'throughput vs the raw ws mesh (same case)',
        target: '>= baseline',
        value: `${fmt(tp.minDeliveriesPerSec)} vs ${fmt(base.medianDeliveriesPerSec)} (ratio ${tp.ratioToBaseline ?? '?'})`,
        met: tp.void ? null : tp.minDeliveriesPerSec >= base.medianDeliveriesPerSec,
      });
    }
  }
  const pr = r.protection;
  if (pr) {
    out.push({
      name: 'frame protection vs insecure, 3 members all sending 1 KB (same run)',
      target: '>= 0.90 of the insecure deliveries/s',
      value: `${fmt(pr.protectedPerSec)} vs ${fmt(pr.insecurePerSec)} (ratio ${pr.ratio ?? '?'})`,
      met: pr.void || pr.ratio === null ? null : pr.ratio >= 0.9,
    });
  }
  const lat = r.latency.find((l) => l.system === 'vsync' && l.n === 3 && l.rate === 1000 && l.senders === 'one');
  if (lat) {
    for (const [where, p] of [['at the sender', lat.atSender], ['at the other members', lat.atOthers]] as const) {
      out.push({ name: `latency p50 at 1,000 msgs/s, ${where}`, target: '<= 150 µs', value: `${round(p.p50)} µs`, met: lat.void ? null : p.p50 <= 150 });
      out.push({ name: `latency p99 at 1,000 msgs/s, ${where}`, target: '<= 2 ms', value: `${round(p.p99)} µs`, met: lat.void ? null : p.p99 <= 2000 });
    }
  }
  for (const kind of ['member', 'coordinator'] as const) {
    const vc5 = r.viewChanges.filter((v) => v.n === 5 && v.victim === kind && v.flushInstallMs !== null);
    if (vc5.length === 0) continue;
    const fi = vc5.map((v) => v.flushInstallMs!);
    out.push({
      name: `flush + install after detection, 5 members, ${kind} killed (median of kills)`,
      target: '<= 20 ms',
      value: `${round(median(fi), 1)} ms (max ${round(Math.max(...fi), 1)} ms, ${fi.length} kills)`,
      met: median(fi) <= 20,
    });
  }
  const det = r.viewChanges.filter((v) => v.detectionMs !== null).map((v) => v.detectionMs!);
  if (det.length) {
    out.push({ name: 'failure detection (SIGKILL to flush start; max of kills)', target: '< 1 s', value: `${round(Math.max(...det))} ms (median ${round(median(det))} ms)`, met: Math.max(...det) < 1000 });
  }
  return out;
}
