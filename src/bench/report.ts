import type { Percentiles } from './histogram.js';
import { type BenchResults, type Spread, systemName } from './results.js';
import { caseLabel, fmtUs } from './run.js';

const num = (x: number): string => Math.round(x).toLocaleString('en-US');

function table(head: string[], rows: string[][], right: boolean[] = []): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (s: string, i: number): string => (right[i] ? s.padStart(w[i]!) : s.padEnd(w[i]!));
  const line = (r: string[]): string => r.map((c, i) => cell(c, i)).join('  ').trimEnd();
  return [line(head), w.map((x) => '-'.repeat(x)).join('  ').trimEnd(), ...rows.map(line)];
}

const lat = (p: Percentiles): string[] => [fmtUs(p.p50), fmtUs(p.p90), fmtUs(p.p99), fmtUs(p.max)];
const ms = (x: number | null): string => (x === null ? '-' : `${x.toFixed(1)} ms`);

/** The terminal report: one table per part, then the targets and the problems. */
export function formatReport(r: BenchResults): string[] {
  const out: string[] = [];
  out.push(`vsync bench (${r.meta.mode}) — ${r.meta.node}, ${r.meta.cpus} × ${r.meta.cpuModel}, load average at start ${r.meta.loadavgStart.join(' ')}, end ${r.meta.loadavgEnd.join(' ')}; ${r.meta.durationS} s; timeOrigin skew between workers ${r.meta.timeOriginSkewUs} µs (not used: stamps are CLOCK_MONOTONIC)`);

  if (r.ratios.length) {
    const rounds = Math.max(...r.ratios.map((x) => x.rounds));
    out.push('', `Throughput: deliveries/s per member (median of members), median of ${rounds} round(s) [min–max]; the systems take turns in each round; vsync's ratios per round, median (min–max)`);
    const sp = (x: Spread | null): string => (x ? `${num(x.median)} [${num(x.min)}–${num(x.max)}]` : '-');
    const rt = (x: Spread | null): string => (x ? `${x.median.toFixed(2)} (${x.min.toFixed(2)}–${x.max.toFixed(2)})` : '-');
    const rows = r.ratios.map((x) => {
      const vs = r.throughput.filter((t) => caseLabel(t) === caseLabel(x));
      const agreed = vs.filter((t) => t.digest?.agreed).length;
      const cpu = vs.length ? vs[Math.floor(vs.length / 2)]!.members.map((m) => `${m.cpuPct}`).join('/') : '-';
      return [caseLabel(x), sp(x.mesh), sp(x.seq), `${sp(x.vsync)}${x.void ? ' VOID' : ''}`, rt(x.toMesh), rt(x.toSeq), cpu, vs.length ? `${agreed}/${vs.length} ok` : '-'];
    });
    out.push(...table(['case', 'ws mesh', 'bare sequencer', 'vsync', 'vsync / mesh', 'vsync / sequencer', 'vsync cpu %', 'digests'], rows, [false, true, true, true, true, true, true, false]));
  }

  if (r.netns) {
    const x = r.netns;
    out.push('', `Across hosts: ${caseLabel(x)}, each member in its own network namespace, against the same on 127.0.0.1 (deliveries/s per member, median of the rounds; ratio per round)${x.netemMissing ? `; tc netem is not available here (${x.netemMissing}), so without delay` : ''}`);
    for (const c of x.cases) {
      out.push(`  ${c.delayMs} ms one way: ${c.netns ? num(c.netns.median) : '-'} vs ${c.loopback ? num(c.loopback.median) : '-'}, ratio ${c.ratio ? `${c.ratio.median} (${c.ratio.min}–${c.ratio.max})` : '-'}`);
    }
  }
  if (r.protection) {
    const p = r.protection;
    out.push('', `Frame protection (AES-256-GCM per link and direction) vs insecure, ${caseLabel(p)}: ${num(p.protectedPerSec)} vs ${num(p.insecurePerSec)} deliveries/s per member (medians of ${p.rounds} pairs), ratio ${p.ratio ?? "-"}${p.pairRatios ? ` (median of the pairs' ratios; ${p.pairRatios.min}–${p.pairRatios.max})` : ''}; per CPU-second ${num(p.protectedPerCpuSec)} vs ${num(p.insecurePerCpuSec)}, ratio ${p.cpuRatio ?? "-"}${p.void ? " VOID" : ""}`);
  }

  if (r.latencyFloor) {
    const f = r.latencyFloor;
    out.push('', `Latency floor: a ws ping-pong between two processes, ${num(f.rate)}/s, ${f.bytes} B: round trip p50 ${fmtUs(f.rtt.p50)}, p90 ${fmtUs(f.rtt.p90)}, p99 ${fmtUs(f.rtt.p99)}, max ${fmtUs(f.rtt.max)} (${num(f.rtt.count)} pings${f.windows ? ` in ${f.windows.length} windows, before and after each paced case; their p50s ${f.windows.map((w) => fmtUs(w.p50)).join(', ')}` : ''})`);
    for (const l of r.latency) {
      if (l.floorMultiples) out.push(`  ${systemName(l.system)} n=${l.n} ${l.label}, at the other members: ${l.floorMultiples.p50}× / ${l.floorMultiples.p90}× / ${l.floorMultiples.p99}× the round trip${l.floor ? ` around it (p50 ${fmtUs(l.floor.p50)}, p99 ${fmtUs(l.floor.p99)})` : ''} (p50 / p90 / p99)`);
      if (l.floorMultiples && l.byRole) {
        const s = l.byRole.atSequencer;
        const o = l.byRole.atReceivers;
        out.push(`    by role: at the sequencer p50 ${fmtUs(s.p50)} p99 ${fmtUs(s.p99)}; at the other receivers p50 ${fmtUs(o.p50)} p99 ${fmtUs(o.p99)}`);
      }
    }
  }

  if (r.latency.length) {
    out.push('', 'Latency: send() to delivery (sender wall time in the payload), at the sender and at the other members');
    const rows = r.latency.map((l) => [
      systemName(l.system), `n=${l.n}`, l.label, `${l.bytes >= 1024 ? `${l.bytes / 1024}KB` : `${l.bytes}B`}`, num(l.achievedRate),
      ...(l.system === 'ws' ? ['-', '-', '-', '-'] : lat(l.atSender)), ...lat(l.atOthers),
      l.loopDelay ? `${l.loopDelay.p90} / ${l.loopDelay.p99} / ${l.loopDelay.max}ms` : `- / - / ${l.loopDelayMaxMs.toFixed(1)}ms`,
      l.gc ? `${l.gc.count} (${l.gc.over1ms} ≥1ms), max ${l.gc.maxMs.toFixed(1)}ms` : '-',
      l.digest ? (l.digest.agreed ? 'ok' : 'DISAGREE') : '-',
    ]);
    out.push(...table(['system', 'n', 'load', 'size', 'msgs/s', 'snd p50', 'p90', 'p99', 'max', 'oth p50', 'p90', 'p99', 'max', 'loop delay p90/p99/max', 'GC pauses', 'digest'], rows,
      [false, false, false, true, true, true, true, true, true, true, true, true, true, true, true, false]));
    out.push('  loop delay: a 1 ms timer\'s lateness in the member processes (each percentile the highest of any member); GC pauses: all members together');
  }

  if (r.viewChanges.length) {
    out.push('', 'View changes: SIGKILL under light load; detection = kill to first flush start (block), flush+install = first block to the new view at the last survivor');
    const rows = r.viewChanges.map((v) => [`n=${v.n}`, v.victim, String(v.round), ms(v.detectionMs), ms(v.flushInstallMs), ms(v.totalMedianMs), ms(v.totalMaxMs), v.error ? `ERROR ${v.error}` : '']);
    out.push(...table(['n', 'killed', 'round', 'detection', 'flush+install', 'new view (median)', '(max)', ''], rows, [false, false, true, true, true, true, true, false]));
  }
  if (r.joins.length) {
    out.push('', 'Joins (empty state): join() to first view at the joiner; to the view at every member; process spawn to joined');
    const rows = r.joins.map((j) => [`n=${j.n}`, String(j.round), ms(j.joinMs), ms(j.viewAtOthersMs), ms(j.spawnToJoinedMs), 'n/a', j.error ? `ERROR ${j.error}` : '']);
    out.push(...table(['n', 'round', 'join', 'in view everywhere', 'spawn to joined', 'state transfer', ''], rows, [false, true, true, true, true, true, false]));
  }
  if (r.stateJoins.length) {
    out.push('', 'Joins with state transfer (stateful group, under light load): join() to first view with the state in place');
    const size = (b: number | undefined): string => (b === undefined ? '-' : b >= 1 << 20 ? `${b / (1 << 20)} MB` : b >= 1024 ? `${b / 1024} KB` : `${b} B`);
    const rows = r.stateJoins.map((j) => [`n=${j.n}`, size(j.stateBytes), ms(j.joinMs), ms(j.spawnToJoinedMs), j.error ? `ERROR ${j.error}` : '']);
    out.push(...table(['n', 'state', 'join incl. transfer', 'spawn to joined', ''], rows, [false, true, true, true, false]));
  }

  if (r.memory) {
    const m = r.memory;
    out.push('', `Memory (RSS from /proc, MB per member; ${m.n} members, ${m.bytes} B, ${m.window} sends outstanding per member)`);
    const rows = [
      ['fresh processes', m.overload.freshRssMB.join(' / '), ''],
      ['after warm-up', m.overload.startRssMB.join(' / '), ''],
      [`overload ${m.overload.ms / 1000} s: peak`, m.overload.peakRssMB.join(' / '), `${num(m.overload.deliveriesPerSec)} deliv/s; after warm-up ${m.overload.afterWarmupPeakMB.join('/')}, last part ${m.overload.lastPartPeakMB.join('/')}: ${m.overload.bounded ? 'bounded' : 'GROWING'}`],
      [`one paused ${m.pause.ms / 1000} s: peak`, m.pause.peakRssMB.join(' / '), `${num(m.pause.deliveriesPerSec)} deliv/s at survivors; after warm-up ${m.pause.afterWarmupPeakMB.join('/')}, last part ${m.pause.lastPartPeakMB.join('/')}: ${m.pause.bounded ? 'bounded' : 'GROWING'}`],
      ['paused one after SIGCONT', String(m.pause.pausedAfterPeakMB), `excluded ${m.pause.excludedAfterMs === null ? 'never' : `after ${m.pause.excludedAfterMs} ms`}; ${m.pause.rejoined ? 'rejoined' : 'not rejoined'}`],
      ['VmHWM at the end', m.hwmMB.join(' / '), m.digest ? `survivors' digests ${m.digest.agreed ? 'agreed' : 'DISAGREE'}` : ''],
    ];
    out.push(...table(['phase', 'RSS MB', ''], rows));
  }

  if (r.profile) {
    out.push('', `CPU profile of vsync at saturation (${r.profile.case}, ${num(r.profile.deliveriesPerSec)} deliv/s while profiling${r.profile.cpuUsPerDelivery ? `, ${r.profile.cpuUsPerDelivery} µs of CPU per delivery (all members)` : ''}; self time, % of busy time)`);
    for (const m of r.profile.members) {
      out.push(`  ${m.name} (${m.role}, ${m.totalMs} ms busy):`);
      out.push(...table(['self %', 'function', 'where'], m.top.slice(0, 12).map((e) => [e.pct.toFixed(1), e.fn, e.where]), [true, false, false]).map((l) => `    ${l}`));
      out.push(`    by layer (self time): ${m.byLayer.map((e) => `${e.fn} ${e.pct}%`).join(', ')}`);
      out.push(`    project functions by total time: ${m.inclusive.slice(0, 10).map((e) => `${e.fn} (${e.where}) ${e.pct}%`).join(', ')}`);
      out.push(`    by file: ${m.byFile.slice(0, 8).map((e) => `${e.fn} ${e.pct}%`).join(', ')}`);
    }
    out.push(`  profiles: ${r.profile.dir}`);
  }

  if (r.targets.length) {
    out.push('', 'Targets (for the report; 3 members, 1 KB, this machine)');
    out.push(...table(['target', 'wanted', 'measured', 'met'], r.targets.map((t) => [t.name, t.target, t.value, t.met === null ? 'void' : t.met ? 'yes' : 'NO'])));
  }
  out.push('');
  if (r.warnings.length) {
    out.push(`Warnings (${r.warnings.length}):`);
    for (const p of r.warnings) out.push(`  - ${p}`);
  }
  if (r.problems.length) {
    out.push(`Problems (${r.problems.length}):`);
    for (const p of r.problems) out.push(`  - ${p}`);
  } else {
    out.push('No problems: every digest agreed, every case quiesced.');
  }
  return out;
}
