import type { BenchResults, TargetResult } from './results.js';
import { median, round } from './stats.js';

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The issue's targets (3 members on a 2-core machine, 1 KB payloads), judged from a run: for the report only. */
export function evaluateTargets(r: BenchResults): TargetResult[] {
  const out: TargetResult[] = [];
  // Issue 12: ratios in the same run, median of the rounds, 3 members (5 for the last), all sending.
  const ratioTargets: Array<[number, number, 'toMesh' | 'toSeq', number, string]> = [
    [3, 1024, 'toMesh', 1.5, 'the raw ws mesh'],
    [3, 1024, 'toSeq', 0.8, 'the bare batched sequencer'],
    [5, 1024, 'toMesh', 1.25, 'the raw ws mesh'],
    [3, 16 * 1024, 'toMesh', 1.0, 'the raw ws mesh'],
    [3, 64, 'toMesh', 2.0, 'the raw ws mesh'],
  ];
  for (const [n, bytes, key, want, what] of ratioTargets) {
    const x = r.ratios.find((t) => t.n === n && t.senders === 'all' && t.bytes === bytes);
    const v = x?.[key];
    if (!x || !v) continue;
    out.push({
      name: `throughput, ${n} members all sending ${bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} B`}, vs ${what} (median of ${v.values.length} round(s))`,
      target: `>= ${want.toFixed(2)}×`,
      value: `${v.median.toFixed(2)}× (${v.min.toFixed(2)}–${v.max.toFixed(2)})${x.void ? ' VOID' : ''}`,
      met: x.void ? null : v.median >= want,
    });
  }
  const pr = r.protection;
  if (pr) {
    out.push({
      name: 'frame protection vs insecure, 3 members all sending 1 KB (same run)',
      target: '>= 0.90 of the insecure deliveries/s',
      value: `${fmt(pr.protectedPerSec)} vs ${fmt(pr.insecurePerSec)} (ratio ${pr.ratio ?? '?'}${pr.pairRatios ? `, pairs ${pr.pairRatios.min}–${pr.pairRatios.max}` : ''})`,
      met: pr.void || pr.ratio === null ? null : pr.ratio >= 0.9,
    });
  }
  const f = r.latencyFloor;
  // The issue wants, against the paced round trip: safe p50 <= 3x, agreed p50 <= 2x, p99 of both <= 3x.
  for (const [kind, p50x] of [['safe', 3], ['agreed', 2]] as const) {
    const lat = r.latency.find((l) => l.system === 'vsync' && l.n === 3 && l.rate === 1000 && l.senders === 'one' && (l.delivery ?? 'safe') === kind);
    if (!lat || !f) continue;
    // The round trip measured right around the case (older results: the one floor of the run).
    const rtt = lat.floor ?? f.rtt;
    for (const [q, k] of [['p50', p50x], ['p99', 3]] as const) {
      const m = rtt[q] > 0 ? lat.atOthers[q] / rtt[q] : Infinity;
      out.push({
        name: `latency ${q}, ${kind}, at 1,000 msgs/s, 1 KB, one non-sequencer sending, at the other members, vs the ws round trip ${q} around it`,
        target: `<= ${k}×`,
        value: `${round(m, 2)}× (${round(lat.atOthers[q])} µs vs ${round(rtt[q])} µs)`,
        met: lat.void ? null : m <= k,
      });
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
