import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, sleep } from './cluster.js';
import { compareDigests, type DigestComparison } from './digest.js';
import { Histogram, type HistogramData, type Percentiles } from './histogram.js';
import { profileOf, summarizeProfile } from './profile.js';
import { type WorkerEvent, monoNow } from './protocol.js';
import type {
  BenchResults, BenchSystem, JoinResult, NetnsResult, LatencyFloor, RatioResult, Spread, LatencyResult, MemberRate, MemoryResult, ProfileResult, ProtectionResult, RssSeriesPoint, ThroughputResult, ViewChangeResult,
} from './results.js';
import { BenchNet, netnsUnavailable } from './netns.js';
import { type BenchSettings, type LatencyCase, type ThroughputCase, windowFor } from './settings.js';
import { type GcPauses, type LoopDelay, combineStalls } from './stalls.js';
import { MB, max, median, round } from './stats.js';
import { evaluateTargets } from './targets.js';
import { clockOffsets, type WorkerHandle } from './worker-handle.js';

export interface RunOptions {
  settings: BenchSettings;
  /** Also profile vsync at saturation (node --cpu-prof on the members). */
  profile: boolean;
  profileDir?: string;
  /** Payload size of the profiled case (default 1 KB; 64 B shows the per-message costs). */
  profileBytes?: number;
  /** Members in the profiled case (default 3). */
  profileMembers?: number;
  /** Which parts to run (default: all). */
  only?: Set<string>;
  progress: (line: string) => void;
}

const kb = (b: number): string => (b >= 1024 * 1024 ? `${b / 1024 / 1024}MB` : b >= 1024 ? `${b / 1024}KB` : `${b}B`);
export const caseLabel = (c: { n: number; senders: string; bytes: number }): string => `n=${c.n} ${c.senders === 'all' ? 'all send' : 'one sends'} ${kb(c.bytes)}`;

/** Runs the benchmark; never throws for a failing case (it is recorded in `problems` and the case marked void). */
export async function runBench(o: RunOptions): Promise<BenchResults> {
  const s = o.settings;
  const t0 = Date.now();
  const say = (line: string): void => o.progress(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
  const want = (part: string): boolean => !o.only || o.only.has(part);
  const res: BenchResults = {
    meta: {
      mode: s.mode,
      startedAt: new Date().toISOString(),
      durationS: 0,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '',
      loadavgStart: loadavg().map((x) => round(x, 2)),
      loadavgEnd: [],
      timeOriginSkewUs: 0,
      settings: s,
      notes: [
        'deliveries/s count every message delivered at a member: in vsync the whole ordered stream (own messages included); in the ws mesh what it received plus what it sent (self delivery), so both count the same stream',
        `every delivery is hashed in both systems (SHA-256 of seq, sender, length and the payload's 16-byte header, plus the whole payload of every ${s.digestFullEvery === 1 ? '' : `${s.digestFullEvery}th `}seq), so the baseline does the same per-delivery work; vsync members compare these digests`,
        `closed-loop sending keeps ${s.vsyncWindow} group.send() promises outstanding per vsync sender (and as many own messages not yet delivered per sender of the bare sequencer), ${s.wsWindow} ws.send() callbacks per ws connection; at most ${s.maxOutstandingBytes / (1024 * 1024)} MiB of payload outstanding per sender (fewer sends for large payloads)`,
        'one sender (vsync): a member that is not the sequencer (its messages take the forward hop)',
        'latency: the sender puts its send time in the payload and receivers subtract it from their own; the clock is CLOCK_MONOTONIC (process.hrtime), shared by all processes of the machine (timeOrigin-based wall time is fixed per process at its start, so a wall-clock step between two starts skews it: see timeOriginSkewUs)',
        'detection: SIGKILL to the first block event (flush start) at a survivor; it includes batchChangesTicks after suspicion',
      ],
    },
    baseline: [],
    seqBaseline: [],
    throughput: [],
    ratios: [],
    latencyFloor: null,
    latency: [],
    viewChanges: [],
    joins: [],
    stateJoins: [],
    memory: null,
    profile: null,
    protection: null,
    targets: [],
    problems: [],
    warnings: [],
  };
  const problem = (p: string): void => {
    res.problems.push(p);
    say(`PROBLEM: ${p}`);
  };
  const warn = (p: string): void => {
    res.warnings.push(p);
    say(`WARNING: ${p}`);
  };
  if (res.meta.loadavgStart[0]! > res.meta.cpus * 0.5) {
    res.meta.notes.push(`the machine was busy when the run started (load average ${res.meta.loadavgStart.join(', ')}): numbers are lower and noisier than on an idle machine`);
  }

  const ns = [...new Set(s.throughput.map((c) => c.n))];
  const latNs = [...new Set(s.latency.map((c) => c.n))];

  // ---- throughput: the raw ws mesh, the bare batched sequencer and vsync, taking turns in every round ----
  const vsyncKept = new Map<number, Cluster>();
  try {
    if (want('baseline') || want('throughput')) {
      for (const n of ns) {
        const keep = want('latency') && latNs.includes(n);
        const c = await throughputRounds(n, s, res, { mesh: want('baseline'), seq: want('baseline'), vsync: want('throughput'), keepVsync: keep }, say, problem, warn);
        if (c) vsyncKept.set(n, c);
      }
    }

    // ---- latency: the floor (a paced ws ping-pong) in a window before and after each paced vsync case ----
    if (want('latency')) {
      const paced = s.latency.find((l) => typeof l.rate === 'number');
      let floor: FloorProbe | null = null;
      if (paced) {
        try {
          floor = await FloorProbe.start(paced.rate as number, paced.bytes, s, say);
        } catch (err) {
          problem(`latency floor (ws ping-pong): ${(err as Error).message}`);
        }
      }
      // The floor's last window, while nothing else was measured since: the window before the next paced case.
      let floorBefore: HistogramData | null = null;
      const floorWindow = async (): Promise<HistogramData | null> => {
        try {
          return floor ? await floor.measure() : null;
        } catch (err) {
          problem(`latency floor (ws ping-pong): ${(err as Error).message}`);
          await floor?.close();
          floor = null;
          return null;
        }
      };
      try {
        for (const n of latNs) {
          let c = vsyncKept.get(n) ?? null;
          vsyncKept.delete(n);
          try {
            if (!c) {
              say(`vsync: starting ${n} member processes`);
              c = await Cluster.vsync(n);
              await warmCluster(c, s, say);
            }
            for (const lc of s.latency.filter((x) => x.n === n)) {
              let rate: number;
              if (lc.rate === 'near-saturation') {
                let sat = res.ratios.find((t) => t.n === n && t.senders === 'all' && t.bytes === lc.bytes && t.vsync)?.vsync?.median;
                if (!sat) {
                  say(`latency: measuring saturation first (n=${n}, all send, ${kb(lc.bytes)})`);
                  sat = (await throughputCase(c, { n, senders: 'all', bytes: lc.bytes }, s, 'vsync', say, problem)).medianDeliveriesPerSec;
                }
                rate = Math.max(100, Math.round(sat * s.nearSaturationFraction));
              } else {
                rate = lc.rate;
              }
              const compared = floor !== null && lc.rate === floor.rate && lc.bytes === floor.bytes;
              if (compared && floorBefore === null) floorBefore = await floorWindow();
              const l = await latencyCase(c, lc, rate, s, 'vsync', say, problem, warn);
              const floorAfter = compared ? await floorWindow() : null;
              compareWithFloor(l, floorBefore, floorAfter, say);
              floorBefore = floorAfter;
              res.latency.push(l);
            }
          } catch (err) {
            problem(`vsync latency n=${n}: ${(err as Error).message}`);
          } finally {
            await c?.close();
            floorBefore = null; // the next cluster's start and warm-up come between
          }
        }
        // The bare batched sequencer at the floor's rate and size (one non-sequencer sending), between two windows
        // of the floor of its own: what a sequencer's delivery costs on this machine without vsync's guarantees.
        // Then the same with its frames sealed as vsync's are with a secret: what frame protection costs that
        // sequencer here (the floor, a ws ping-pong, is not protected). Each case between two windows of its own:
        // a cluster's start comes between the two cases.
        for (const sealed of [false, true]) {
          if (!floor) break;
          let c: Cluster | null = null;
          const what = `bare sequencer${sealed ? ', frames sealed' : ''}`;
          try {
            say(`${what}: starting 3 processes for its latency at the floor's rate (one non-sequencer sending)`);
            const { rate, bytes } = floor; // floorWindow() drops the probe if a window fails
            c = await Cluster.seq(3, sealed);
            const before = await floorWindow();
            const l = await latencyCase(c, { n: 3, senders: 'one', rate, bytes, ...(sealed ? { sealed } : {}) }, rate, s, 'seq', say, problem, warn);
            compareWithFloor(l, before, await floorWindow(), say);
            res.latency.push(l);
          } catch (err) {
            problem(`${what} latency: ${(err as Error).message}`);
          } finally {
            await c?.close();
          }
        }
      } finally {
        if (floor) {
          res.latencyFloor = floor.pooled();
          await floor.close();
        }
      }
    }
  } finally {
    await Promise.all([...vsyncKept.values()].map((c) => c.close()));
  }

  // ---- the cost of frame protection: the same case without a secret ----
  if (want('throughput')) {
    try {
      res.protection = await protectionCost(s, res, say, problem, warn);
    } catch (err) {
      problem(`frame protection vs insecure: ${(err as Error).message}`);
    }
  }

  // ---- across hosts: members in network namespaces (only when asked for by name) ----
  if (o.only?.has('netns')) {
    try {
      res.netns = await acrossHosts(s, say, problem, warn);
    } catch (err) {
      problem(`netns: ${(err as Error).message}`);
    }
  }

  // ---- view changes and joins ----
  if (want('viewchange')) {
    for (const n of s.viewChange.n) {
      try {
        await viewChanges(n, s, res, say, problem);
      } catch (err) {
        problem(`view changes n=${n}: ${(err as Error).message}`);
      }
    }
  }

  // ---- joins with state transfer ----
  if (want('state')) {
    try {
      await stateJoins(s, res, say, problem);
    } catch (err) {
      problem(`state transfer: ${(err as Error).message}`);
    }
  }

  // ---- memory ----
  if (want('memory')) {
    try {
      res.memory = await memory(s, say, problem, warn);
    } catch (err) {
      problem(`memory: ${(err as Error).message}`);
    }
  }

  // ---- CPU profile ----
  if (o.profile) {
    try {
      res.profile = await profile(s, o.profileDir, o.profileBytes ?? 1024, o.profileMembers ?? 3, say, problem);
    } catch (err) {
      problem(`profile: ${(err as Error).message}`);
    }
  }

  const offs = clockOffsets.splice(0);
  res.meta.timeOriginSkewUs = offs.length ? round((Math.max(...offs) - Math.min(...offs)) * 1000, 1) : 0;
  res.targets = evaluateTargets(res);
  res.meta.loadavgEnd = loadavg().map((x) => round(x, 2));
  res.meta.durationS = round((Date.now() - t0) / 1000, 1);
  return res;
}

type Say = (line: string) => void;

/**
 * 3 members, all sending 1 KB: frames protected (a cluster secret, as every vsync cluster of the bench) against the
 * same case with `insecure: true`. Both clusters run side by side, idle but for the one being measured. The
 * measurements come in pairs, back to back, the order alternating (insecure first, then protected first: ABBA), so
 * a change of the machine's load within a pair hits both sides alike and a drift across pairs cancels; the ratio is
 * the median of the pairs' ratios, reported with their spread.
 */
async function protectionCost(s: BenchSettings, _res: BenchResults, say: Say, problem: (p: string) => void, warn: (p: string) => void): Promise<ProtectionResult> {
  const tc: ThroughputCase = { n: 3, senders: 'all', bytes: 1024 };
  const { pairs, windowMs } = s.protection;
  const sw: BenchSettings = { ...s, windowMs };
  let insecure: Cluster | null = null;
  let prot: Cluster | null = null;
  try {
    say(`protection: an insecure and a protected cluster of ${tc.n}, ${pairs} pair(s) of ${windowMs} ms windows, order alternating`);
    insecure = await Cluster.vsync(tc.n, [], undefined, true);
    prot = await Cluster.vsync(tc.n, [], undefined, false);
    await warmCluster(insecure, s, say);
    await warmCluster(prot, s, say);
    const ins: ThroughputResult[] = [];
    const pro: ThroughputResult[] = [];
    const ratios: number[] = [];
    // A pair counts only if both groups kept all their members throughout: on a busy machine a member may be
    // excluded (and rejoin), and a group of two measured against one of three says nothing about protection.
    const whole = async (c: Cluster): Promise<boolean> => {
      const st = await c.statuses();
      return st.length === tc.n && st.every((x) => x.members.length === tc.n && x.viewId === st[0]!.viewId);
    };
    for (let i = 0; i < pairs; i++) {
      try {
        await insecure.waitFullView(tc.n, s.quiesceMs);
        await prot.waitFullView(tc.n, s.quiesceMs);
      } catch (err) {
        problem(`protection, pair ${i + 1}: ${(err as Error).message}`);
        continue;
      }
      const insecureFirst = i % 2 === 0;
      const a = await throughputCase(insecureFirst ? insecure : prot, tc, sw, 'vsync', say, problem);
      const b = await throughputCase(insecureFirst ? prot : insecure, tc, sw, 'vsync', say, problem);
      const [ri, rp] = insecureFirst ? [a, b] : [b, a];
      if (!(await whole(insecure)) || !(await whole(prot))) {
        warn(`protection, pair ${i + 1}: a member left its group's view during the pair; the pair is not counted`);
        continue;
      }
      ins.push(ri);
      pro.push(rp);
      if (!ri.void && !rp.void && ri.medianDeliveriesPerSec > 0) ratios.push(rp.medianDeliveriesPerSec / ri.medianDeliveriesPerSec);
    }
    const insecurePerSec = median(ins.map((r) => r.medianDeliveriesPerSec));
    const protectedPerSec = median(pro.map((r) => r.medianDeliveriesPerSec));
    const pairRatios = spread(ratios, 3);
    const ratio = pairRatios ? pairRatios.median : null;
    // Deliveries per CPU-second (all members): what protection costs in work, less sensitive to a busy machine.
    const perCpu = (r: ThroughputResult): number => {
      const cpu = r.members.reduce((a, m) => a + m.cpuPct, 0) / 100;
      return cpu > 0 ? r.members.reduce((a, m) => a + m.deliveriesPerSec, 0) / cpu : 0;
    };
    const insecurePerCpuSec = Math.round(median(ins.map(perCpu)));
    const protectedPerCpuSec = Math.round(median(pro.map(perCpu)));
    const cpuRatio = insecurePerCpuSec > 0 ? round(protectedPerCpuSec / insecurePerCpuSec, 3) : null;
    const sp = pairRatios ? ` (pairs ${pairRatios.min}–${pairRatios.max})` : '';
    say(`protection: protected ${Math.round(protectedPerSec)} vs insecure ${Math.round(insecurePerSec)} deliveries/s per member; ratio ${ratio ?? '?'}${sp}; per CPU-second ${protectedPerCpuSec} vs ${insecurePerCpuSec} (ratio ${cpuRatio ?? '?'})`);
    return { ...tc, protectedPerSec, insecurePerSec, ratio, pairRatios, windowMs, protectedPerCpuSec, insecurePerCpuSec, cpuRatio, rounds: pairs, void: ratios.length === 0 || [...ins, ...pro].some((r) => r.void) };
  } finally {
    await Promise.all([insecure?.close(), prot?.close()]);
  }
}

/**
 * 3 members all sending 1 KB, each in its own network namespace (netns.ts), against the same on 127.0.0.1, measured
 * in turn in each round; with `tc netem`, at 0, 0.5 and 2 ms one way. Without netem it runs without delay and says so.
 */
async function acrossHosts(s: BenchSettings, say: Say, problem: (p: string) => void, warn: (p: string) => void): Promise<NetnsResult | null> {
  const why = netnsUnavailable();
  if (why) {
    warn(`netns: skipped (${why})`);
    return null;
  }
  const tc: ThroughputCase = { n: 3, senders: 'all', bytes: 1024 };
  const net = new BenchNet(tc.n);
  let local: Cluster | null = null;
  let spaced: Cluster | null = null;
  try {
    net.setup();
    const delays = net.setDelay(0.5) ? [0, 0.5, 2] : [0];
    if (net.netemMissing) warn(`netns: tc netem is not available here (${net.netemMissing}): the namespaces run without delay`);
    net.setDelay(0);
    say(`netns: ${tc.n} members in network namespaces against ${tc.n} on 127.0.0.1, one-way delay ${delays.join(', ')} ms, ${s.rounds} round(s) each`);
    local = await Cluster.vsync(tc.n);
    spaced = await Cluster.vsync(tc.n, [], undefined, false, (i) => ({ netns: net.ns(i), host: net.host(i) }));
    await warmCluster(local, s, say);
    await warmCluster(spaced, s, say);
    const out: NetnsResult = { ...tc, netemMissing: net.netemMissing, cases: [] };
    for (const d of delays) {
      net.setDelay(d);
      const lo: number[] = [];
      const ns: number[] = [];
      const ratios: number[] = [];
      for (let r = 0; r < s.rounds; r++) {
        const order: Array<[Cluster, number[]]> = r % 2 === 0 ? [[local, lo], [spaced, ns]] : [[spaced, ns], [local, lo]];
        for (const [c, xs] of order) xs.push((await throughputCase(c, tc, s, 'vsync', say, problem)).medianDeliveriesPerSec);
        if (lo[r]! > 0) ratios.push(ns[r]! / lo[r]!);
      }
      const row = { delayMs: d, loopback: spread(lo), netns: spread(ns), ratio: spread(ratios, 2) };
      out.cases.push(row);
      say(`netns, ${d} ms one way${net.netemMissing ? ' (no netem: no delay)' : ''}: ${row.netns?.median ?? '-'} vs ${row.loopback?.median ?? '-'} deliveries/s per member on 127.0.0.1, ratio ${row.ratio?.median ?? '-'} (${row.ratio?.min ?? '-'}–${row.ratio?.max ?? '-'})`);
    }
    return out;
  } finally {
    await Promise.all([local?.close(), spaced?.close()]);
    net.cleanup();
  }
}

/** Runs every member at full speed for a while, unmeasured: the first seconds of a process are much slower (JIT). */
async function warmCluster(c: Cluster, s: BenchSettings, say: Say): Promise<void> {
  say(`warming up (${s.clusterWarmupMs} ms, all send 1KB, not measured)`);
  const ws = c.alive();
  await Promise.all(ws.map((w) => w.load(0, 1024, c.mode === 'ws' ? s.wsWindow : s.vsyncWindow)));
  await sleep(s.clusterWarmupMs);
  await Promise.all(ws.map((w) => w.stop()));
  const q = await c.quiesce(s.quiesceMs);
  if (!q.ok) throw new Error('the cluster did not quiesce after its warm-up');
  await Promise.all(ws.map((w) => w.digest(true, 1024, s.digestFullEvery)));
}

const SYSTEM_LABEL: Record<BenchSystem, string> = { ws: 'baseline ws mesh', seq: 'baseline sequencer', vsync: 'vsync' };

const spread = (xs: number[], digits = 0): Spread | null =>
  xs.length ? { median: round(median(xs), digits), min: round(Math.min(...xs), digits), max: round(Math.max(...xs), digits), values: xs.map((x) => round(x, digits)) } : null;

/**
 * Every throughput case of `n` members, `s.rounds` times: the clusters of every system run side by side (idle but
 * for the one measured), and within a round each case is measured on each system in turn (the order rotating from
 * round to round), so a change of the machine's load hits all alike. vsync's ratios are taken per round, from
 * measurements made back to back, and reported as median and spread. Returns the vsync cluster when `keepVsync`.
 */
async function throughputRounds(
  n: number, s: BenchSettings, res: BenchResults, which: { mesh: boolean; seq: boolean; vsync: boolean; keepVsync: boolean },
  say: Say, problem: (p: string) => void, warn: (p: string) => void,
): Promise<Cluster | null> {
  const clusters = new Map<BenchSystem, Cluster>();
  let kept: Cluster | null = null;
  try {
    const start: Array<[BenchSystem, boolean, () => Promise<Cluster>]> = [
      ['ws', which.mesh, () => Cluster.ws(n)],
      ['seq', which.seq, () => Cluster.seq(n)],
      ['vsync', which.vsync, () => Cluster.vsync(n)],
    ];
    // Started together (process start-up is mostly waiting), warmed up one at a time (that is CPU-bound).
    const on = start.filter(([, yes]) => yes);
    say(`starting ${on.map(([sys]) => SYSTEM_LABEL[sys]).join(', ')}: ${n} processes each`);
    const made = await Promise.allSettled(on.map(([, , make]) => make()));
    for (let i = 0; i < on.length; i++) {
      const sys = on[i]![0];
      const m = made[i]!;
      if (m.status === 'rejected') {
        problem(`${SYSTEM_LABEL[sys]} n=${n}: ${(m.reason as Error).message}`);
        continue;
      }
      clusters.set(sys, m.value);
      try {
        await warmCluster(m.value, s, say);
      } catch (err) {
        problem(`${SYSTEM_LABEL[sys]} n=${n}: ${(err as Error).message}`);
      }
    }
    const systems = [...clusters.keys()];
    const tcs = s.throughput.filter((x) => x.n === n);
    for (let rnd = 1; rnd <= s.rounds; rnd++) {
      const order = systems.map((_, i) => systems[(i + rnd - 1) % systems.length]!);
      for (const tc of tcs) {
        const got = new Map<BenchSystem, ThroughputResult>();
        for (const sys of order) {
          const r = await throughputCase(clusters.get(sys)!, tc, s, sys, say, problem);
          r.round = rnd;
          got.set(sys, r);
          (sys === 'ws' ? res.baseline : sys === 'seq' ? res.seqBaseline : res.throughput).push(r);
        }
        const v = got.get('vsync');
        if (v) {
          const ratio = (b: ThroughputResult | undefined): number | null => (b && b.medianDeliveriesPerSec > 0 && !b.void ? round(v.medianDeliveriesPerSec / b.medianDeliveriesPerSec, 2) : null);
          v.ratioToBaseline = ratio(got.get('ws'));
          v.ratioToSeq = ratio(got.get('seq'));
          if (s.rounds > 1) say(`round ${rnd}/${s.rounds} ${caseLabel(tc)}: vsync / mesh ${v.ratioToBaseline ?? '-'}, vsync / sequencer ${v.ratioToSeq ?? '-'}`);
        }
      }
    }
    for (const tc of tcs) {
      const same = (r: ThroughputResult): boolean => r.n === tc.n && r.senders === tc.senders && r.bytes === tc.bytes;
      const ok = (r: ThroughputResult): boolean => !r.void;
      const of = (xs: ThroughputResult[]): ThroughputResult[] => xs.filter(same);
      const all = [...of(res.baseline), ...of(res.seqBaseline), ...of(res.throughput)];
      const rate = (xs: ThroughputResult[]): Spread | null => spread(of(xs).filter(ok).map((r) => r.medianDeliveriesPerSec));
      const vs = of(res.throughput).filter(ok);
      const rr: RatioResult = {
        ...tc,
        rounds: s.rounds,
        mesh: rate(res.baseline),
        seq: rate(res.seqBaseline),
        vsync: rate(res.throughput),
        toMesh: spread(vs.map((r) => r.ratioToBaseline).filter((x): x is number => x !== null), 2),
        toSeq: spread(vs.map((r) => r.ratioToSeq ?? null).filter((x): x is number => x !== null), 2),
        void: all.some((r) => r.void),
      };
      res.ratios.push(rr);
      const sp = (x: Spread | null): string => (x ? `${x.median} (${x.min}–${x.max})` : '-');
      say(`${caseLabel(tc)} over ${s.rounds} round(s): vsync / mesh ${sp(rr.toMesh)}, vsync / sequencer ${sp(rr.toSeq)}`);
    }

    // The mesh's one-way latency at 1,000/s (one sender), as before.
    const mesh = clusters.get('ws');
    if (mesh && s.wsLatency && n === 3) {
      res.latency.push(await latencyCase(mesh, { n, senders: 'one', rate: 1000, bytes: 1024 }, 1000, s, 'ws', say, problem, warn));
    }
    if (which.keepVsync) {
      kept = clusters.get('vsync') ?? null;
      clusters.delete('vsync');
    }
    return kept;
  } finally {
    await Promise.all([...clusters.values()].map((c) => c.close()));
  }
}

/**
 * The latency floor: two ws processes, one sending `bytes`-byte pings at `rate`/s, the other echoing; the round
 * trip is what any protocol over this machine's loopback pays for one exchange. The pair lives through the whole
 * latency section and measures a window (after an unmeasured warm-up) before the first paced vsync case and after
 * each: each case is compared with the round trip of the windows right around it, since on a shared VM the round
 * trip moves by half within minutes (89 to 193 µs on the 2-core VM of the README) and a floor measured once,
 * minutes before a case, moved its ratio as much.
 */
class FloorProbe {
  private readonly windows: HistogramData[] = [];

  private constructor(
    private readonly c: Cluster,
    readonly rate: number,
    readonly bytes: number,
    private readonly s: BenchSettings,
    private readonly say: Say,
  ) {}

  static async start(rate: number, bytes: number, s: BenchSettings, say: Say): Promise<FloorProbe> {
    say(`latency floor: a ws ping-pong between two processes, ${rate}/s, ${kb(bytes)}, before and after each paced case`);
    const c = await Cluster.ws(2);
    try {
      await c.workers[1]!.call({ cmd: 'echo', on: true });
    } catch (err) {
      await c.close();
      throw err;
    }
    return new FloorProbe(c, rate, bytes, s, say);
  }

  /** One window after its warm-up; kept for `pooled`. */
  async measure(): Promise<HistogramData> {
    const { rate, bytes, s } = this;
    const pinger = this.c.workers[0]!;
    await pinger.call({ cmd: 'pingpong', rate, bytes, ms: Math.max(300, s.latencyWarmupMs) }, 60_000);
    const hist = await pinger.call<HistogramData>({ cmd: 'pingpong', rate, bytes, ms: s.latencyWindowMs }, s.latencyWindowMs + 60_000);
    this.windows.push(hist);
    const p = pctl([hist]);
    this.say(`latency floor, window ${this.windows.length}: round trip p50 ${fmtUs(p.p50)} p90 ${fmtUs(p.p90)} p99 ${fmtUs(p.p99)} max ${fmtUs(p.max)} (${p.count} pings)`);
    return hist;
  }

  /** Every window pooled, and each window's percentiles (null when none was measured). */
  pooled(): LatencyFloor | null {
    if (this.windows.length === 0) return null;
    const h = new Histogram();
    for (const w of this.windows) h.add(w);
    const hist = h.toJSON();
    return { rate: this.rate, bytes: this.bytes, windowMs: this.s.latencyWindowMs, rtt: pctl([hist]), hist, windows: this.windows.map((w) => pctl([w])) };
  }

  close(): Promise<void> {
    return this.c.close();
  }
}

function pctl(hs: Array<{ buckets: Array<[number, number]>; count: number; min: number; max: number; sum: number }>) {
  const h = new Histogram();
  for (const x of hs) h.add(x);
  const p = h.percentiles();
  return { count: p.count, p50: round(p.p50, 1), p90: round(p.p90, 1), p99: round(p.p99, 1), max: round(p.max, 1), mean: round(p.mean, 1) };
}

async function pickSenders(c: Cluster, senders: 'all' | 'one' | 'seq'): Promise<WorkerHandle[]> {
  const alive = c.alive();
  if (senders === 'all') return alive;
  if (c.mode === 'ws') return [alive[alive.length - 1]!];
  const { coordinator, others } = await c.coordinator();
  return senders === 'seq' ? [coordinator] : [others[others.length - 1]!];
}

/** Compares the members' digests since the last reset, and resets them. */
async function checkDigests(c: Cluster, ws: WorkerHandle[], requireComplete: boolean, fullEvery: number, blockSize = 1024): Promise<DigestComparison> {
  const reports = await Promise.all(ws.map((w) => w.digest(true, blockSize, fullEvery)));
  const cmp = compareDigests(reports);
  if (c.mode === 'ws') {
    // Per-sender FIFO only: no total order to compare.
    return { ...cmp, agreed: cmp.gaps === 0, verified: reports.reduce((a, r) => a + r.deliveries, 0) };
  }
  if (requireComplete && !reports.every((r) => r.deliveries === cmp.verified)) {
    return { ...cmp, agreed: false };
  }
  return cmp;
}

async function throughputCase(c: Cluster, tc: ThroughputCase, s: BenchSettings, system: BenchSystem, say: Say, problem: (p: string) => void): Promise<ThroughputResult> {
  const label = `${SYSTEM_LABEL[system]} ${caseLabel(tc)}`;
  const members = c.alive();
  const senders = await pickSenders(c, tc.senders);
  const window = windowFor(system === 'ws' ? s.wsWindow : s.vsyncWindow, tc.bytes, s);
  const empty = { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  const r: ThroughputResult = {
    system, n: tc.n, senders: tc.senders, bytes: tc.bytes, windowMs: s.windowMs, members: [], medianDeliveriesPerSec: 0, minDeliveriesPerSec: 0,
    medianMBps: 0, ratioToBaseline: null, latencySelf: empty, latencyOthers: empty, digest: null, quiesced: false, void: true,
  };
  try {
    await Promise.all(members.map((w) => w.digest(true, 1024, s.digestFullEvery)));
    await Promise.all(senders.map((w) => w.load(0, tc.bytes, window)));
    await sleep(s.warmupMs);
    const wins = await Promise.all(members.map((w) => w.window(s.windowMs, true)));
    const hists = await Promise.all(members.map((w) => w.hist()));
    await Promise.all(senders.map((w) => w.stop()));
    const q = await c.quiesce(s.quiesceMs, members);
    r.quiesced = q.ok;
    if (!q.ok) problem(`${label}: did not quiesce within ${s.quiesceMs} ms (last seqs ${q.statuses.map((x) => x.lastSeq).join(',')}, outstanding ${q.statuses.map((x) => x.outstanding).join(',')})`);
    r.members = wins.map((w, i): MemberRate => ({
      name: members[i]!.name,
      deliveriesPerSec: Math.round((w.deliveries * 1000) / w.ms),
      receivedPerSec: Math.round((w.received * 1000) / w.ms),
      mbPerSec: round((w.bytes * 1000) / w.ms / MB, 1),
      sentPerSec: Math.round((w.sent * 1000) / w.ms),
      cpuPct: Math.round(((w.cpuUserMs + w.cpuSystemMs) * 100) / w.ms),
      rssMB: round(w.rss / MB, 1),
    }));
    r.medianDeliveriesPerSec = Math.round(median(r.members.map((m) => m.deliveriesPerSec)));
    r.minDeliveriesPerSec = Math.min(...r.members.map((m) => m.deliveriesPerSec));
    r.medianMBps = round(median(r.members.map((m) => m.mbPerSec)), 1);
    r.latencySelf = pctl(hists.filter((_, i) => senders.includes(members[i]!)).map((h) => h.self));
    r.latencyOthers = pctl(hists.map((h) => h.others));
    r.digest = await checkDigests(c, members, true, s.digestFullEvery);
    r.void = !r.quiesced || !r.digest.agreed;
    if (!r.digest.agreed) {
      problem(`${label}: ${system !== 'ws' ? 'digests disagree' : 'FIFO gaps'} (verified ${r.digest.verified}, mismatches ${r.digest.mismatches}, gaps ${r.digest.gaps}, last seqs ${r.digest.lastSeqs.join(',')})`);
    }
    const st = q.statuses.filter((x) => x.failed > 0);
    if (st.length) problem(`${label}: ${st.reduce((a, x) => a + x.failed, 0)} sends failed (${st[0]!.lastError})`);
    say(`${label}: ${r.medianDeliveriesPerSec.toLocaleString('en-US')} deliveries/s per member (min ${r.minDeliveriesPerSec.toLocaleString('en-US')}), ${r.medianMBps} MB/s, cpu ${r.members.map((m) => m.cpuPct + '%').join(' ')}${system !== 'ws' ? `, digest ${r.digest.agreed ? 'agreed' : 'DISAGREED'} over ${r.digest.verified} deliveries` : ''}`);
  } catch (err) {
    r.error = (err as Error).message;
    problem(`${label}: ${r.error}`);
    await Promise.all(senders.map((w) => w.stop().catch(() => {})));
    await c.quiesce(s.quiesceMs, members).catch(() => {});
  }
  return r;
}

async function latencyCase(
  c: Cluster, lc: LatencyCase, rate: number, s: BenchSettings, system: LatencyResult['system'], say: Say, problem: (p: string) => void, warn: (p: string) => void,
): Promise<LatencyResult> {
  const who = lc.senders === 'all' ? `${lc.n} senders` : lc.senders === 'seq' ? '1 sender (the sequencer)' : '1 sender';
  const label = `${lc.rate === 'near-saturation' ? `near saturation (${Math.round(s.nearSaturationFraction * 100)}%)` : `${rate}/s`}, ${who}${lc.delivery ? `, ${lc.delivery}` : ''}${lc.sealed ? ', frames sealed' : ''}`;
  const members = c.alive();
  const senders = await pickSenders(c, lc.senders);
  const empty = { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  const r: LatencyResult = {
    system, n: lc.n, senders: lc.senders, ...(lc.delivery ? { delivery: lc.delivery } : {}), ...(lc.sealed ? { sealed: true } : {}), label, rate, achievedRate: 0, bytes: lc.bytes, windowMs: s.latencyWindowMs,
    atSender: empty, atOthers: empty, loopDelayMaxMs: 0, digest: null, void: true,
  };
  try {
    await Promise.all(members.map((w) => w.digest(true, 1024, s.digestFullEvery)));
    const per = rate / senders.length;
    await Promise.all(senders.map((w) => w.load(per, lc.bytes, system === 'ws' ? s.wsWindow : s.vsyncWindow, system === 'vsync' ? lc.delivery : undefined)));
    await sleep(s.latencyWarmupMs);
    const wins = await Promise.all(members.map((w) => w.window(s.latencyWindowMs, true)));
    const hists = await Promise.all(members.map((w) => w.hist()));
    await Promise.all(senders.map((w) => w.stop()));
    const q = await c.quiesce(s.quiesceMs, members);
    if (!q.ok) problem(`latency ${system} n=${lc.n} ${label}: did not quiesce`);
    r.achievedRate = Math.round(wins.filter((_, i) => senders.includes(members[i]!)).reduce((a, w) => a + (w.sent * 1000) / w.ms, 0));
    r.atSender = pctl(hists.filter((_, i) => senders.includes(members[i]!)).map((h) => h.self));
    r.atOthers = pctl(hists.map((h) => h.others));
    if (system !== 'ws' && lc.senders === 'one') {
      const { coordinator } = await c.coordinator();
      const role = (keep: (w: WorkerHandle) => boolean): Percentiles => pctl(hists.filter((_, i) => keep(members[i]!)).map((h) => h.others));
      r.byRole = { atSequencer: role((w) => w === coordinator), atReceivers: role((w) => w !== coordinator && !senders.includes(w)) };
    }
    const merged = new Histogram();
    for (const h of hists) merged.add(h.others);
    r.othersHist = merged.toJSON();
    r.loopDelayMaxMs = round(max(wins.map((w) => w.loopDelayMaxMs)), 1);
    const st = combineStalls(wins);
    r.loopDelay = st.loopDelay;
    r.gc = st.gc;
    r.digest = await checkDigests(c, members, true, s.digestFullEvery);
    r.void = !q.ok || !r.digest.agreed;
    if (!r.digest.agreed) problem(`latency ${system} n=${lc.n} ${label}: ${system !== 'ws' ? 'digests disagree' : 'FIFO gaps'}`);
    if (r.achievedRate < rate * 0.9) warn(`latency ${system} n=${lc.n} ${label}: achieved only ${r.achievedRate} of ${rate} msgs/s`);
    const f = (p: { p50: number; p99: number; max: number }): string => `p50 ${fmtUs(p.p50)} p99 ${fmtUs(p.p99)} max ${fmtUs(p.max)}`;
    const roles = r.byRole ? ` (at the sequencer ${f(r.byRole.atSequencer)}; at the other receivers ${f(r.byRole.atReceivers)})` : '';
    say(`latency ${system} n=${lc.n} ${label} (${r.achievedRate} msgs/s, ${kb(lc.bytes)}): at sender ${f(r.atSender)}; at others ${f(r.atOthers)}${roles}; ${stallText(st)}`);
  } catch (err) {
    r.error = (err as Error).message;
    problem(`latency ${system} n=${lc.n} ${label}: ${r.error}`);
    await Promise.all(senders.map((w) => w.stop().catch(() => {})));
  }
  return r;
}

/** A case at the floor's rate and size against the floor's windows right before and after it, pooled. */
function compareWithFloor(l: LatencyResult, before: HistogramData | null, after: HistogramData | null, say: Say): void {
  if (!before || !after || l.void) return;
  const f = pctl([before, after]);
  const x = (a: number, b: number): number => (b > 0 ? round(a / b, 2) : 0);
  l.floor = f;
  l.floorMultiples = { p50: x(l.atOthers.p50, f.p50), p90: x(l.atOthers.p90, f.p90), p99: x(l.atOthers.p99, f.p99) };
  say(`latency ${l.system} n=${l.n} ${l.label}: at others ${l.floorMultiples.p50}× / ${l.floorMultiples.p90}× / ${l.floorMultiples.p99}× the round trip around it (p50 ${fmtUs(f.p50)}, p99 ${fmtUs(f.p99)}; p50 / p90 / p99)`);
}

/** Event-loop delay and GC pauses of a window, for the progress lines. */
function stallText(st: { loopDelay: LoopDelay; gc: GcPauses }): string {
  const d = st.loopDelay;
  return `event-loop delay p50 ${d.p50}ms p90 ${d.p90}ms p99 ${d.p99}ms max ${d.max}ms; GC ${st.gc.count} pauses (${st.gc.major} major, ${st.gc.over1ms} of 1 ms or more) ${st.gc.totalMs}ms in all, longest ${st.gc.maxMs}ms`;
}

export function fmtUs(us: number): string {
  if (us >= 10_000) return `${(us / 1000).toFixed(0)}ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(1)}ms`;
  return `${us.toFixed(0)}µs`;
}

// ---- view changes ----------------------------------------------------------------------------------------------

function eventsSince(w: WorkerHandle, from: number): WorkerEvent[] {
  return w.events.slice(from);
}

async function killAndMeasure(c: Cluster, victim: WorkerHandle, kind: 'member' | 'coordinator', n: number, round_: number): Promise<ViewChangeResult> {
  const r: ViewChangeResult = { n, victim: kind, round: round_, detectionMs: null, flushInstallMs: null, totalMedianMs: null, totalMaxMs: null, newViewId: null };
  const victimId = victim.memberId;
  const survivors = c.alive().filter((w) => w !== victim);
  const marks = survivors.map((w) => w.events.length);
  const t0 = monoNow();
  victim.signal('SIGKILL');
  const views = await Promise.all(
    survivors.map((w, i) => w.waitEvent((e) => e.ev === 'view' && !e.members.includes(victimId ?? '?'), 15_000, marks[i]) as Promise<Extract<WorkerEvent, { ev: 'view' }>>),
  );
  const blocks: number[] = [];
  survivors.forEach((w, i) => {
    const b = eventsSince(w, marks[i]!).find((e) => e.ev === 'block' && e.t >= t0);
    if (b) blocks.push(b.t);
  });
  const installs = views.map((v) => v.t - t0);
  r.newViewId = views[0]!.id;
  r.totalMedianMs = round(median(installs), 1);
  r.totalMaxMs = round(max(installs), 1);
  if (blocks.length > 0) {
    const first = Math.min(...blocks);
    r.detectionMs = round(first - t0, 1);
    r.flushInstallMs = round(Math.max(...views.map((v) => v.t)) - first, 1);
  }
  return r;
}

async function joinAndMeasure(c: Cluster, n: number, round_: number, fullEvery: number): Promise<JoinResult> {
  const r: JoinResult = { n, round: round_, joinMs: null, viewAtOthersMs: null, spawnToJoinedMs: null, stateTransferMs: 'n/a' };
  const existing = c.alive();
  const marks = existing.map((w) => w.events.length);
  const tSpawn = monoNow();
  const w = c.spawn();
  const info = await w.start('vsync', c.urls(existing));
  await w.digest(true, 32, fullEvery);
  const id = info.memberId!;
  const views = await Promise.all(
    existing.map((x, i) => x.waitEvent((e) => e.ev === 'view' && e.members.includes(id), 15_000, marks[i]) as Promise<Extract<WorkerEvent, { ev: 'view' }>>),
  );
  r.joinMs = round(info.tJoined - info.tNodeStarted, 1);
  r.viewAtOthersMs = round(Math.max(...views.map((v) => v.t)) - info.tNodeStarted, 1);
  r.spawnToJoinedMs = round(info.tJoined - tSpawn, 1);
  return r;
}

async function viewChanges(n: number, s: BenchSettings, res: BenchResults, say: Say, problem: (p: string) => void): Promise<void> {
  say(`view changes: starting ${n} member processes (each sending ${s.viewChange.loadPerMember} msgs/s of ${kb(s.viewChange.bytes)})`);
  const c = await Cluster.vsync(n);
  try {
    const loadAll = async (): Promise<void> => {
      await Promise.all(c.alive().map((w) => w.load(s.viewChange.loadPerMember, s.viewChange.bytes, s.vsyncWindow)));
    };
    // Small blocks: members that joined later share most of them with the others.
    await Promise.all(c.alive().map((w) => w.digest(true, 32, s.digestFullEvery)));
    await loadAll();
    await sleep(500);
    for (let round_ = 1; round_ <= s.viewChange.rounds; round_++) {
      for (const kind of ['member', 'coordinator'] as const) {
        try {
          const { coordinator, others } = await c.coordinator();
          const victim = kind === 'coordinator' ? coordinator : others[others.length - 1]!;
          const v = await killAndMeasure(c, victim, kind, n, round_);
          res.viewChanges.push(v);
          say(`view change n=${n} SIGKILL ${kind}: detection ${v.detectionMs} ms, flush+install ${v.flushInstallMs} ms, new view at survivors after ${v.totalMedianMs} ms (max ${v.totalMaxMs})`);
        } catch (err) {
          res.viewChanges.push({ n, victim: kind, round: round_, detectionMs: null, flushInstallMs: null, totalMedianMs: null, totalMaxMs: null, newViewId: null, error: (err as Error).message });
          problem(`view change n=${n} kill ${kind}: ${(err as Error).message}`);
          throw err;
        }
        await sleep(300);
        try {
          const j = await joinAndMeasure(c, n, round_, s.digestFullEvery);
          res.joins.push(j);
          say(`join n=${n} (empty state): joined after ${j.joinMs} ms, in the view at every member after ${j.viewAtOthersMs} ms; spawn to joined ${j.spawnToJoinedMs} ms; state transfer n/a`);
          await c.waitFullView(n, 15_000);
          // The newcomer sends too, like the others.
          await c.workers[c.workers.length - 1]!.load(s.viewChange.loadPerMember, s.viewChange.bytes, s.vsyncWindow);
        } catch (err) {
          res.joins.push({ n, round: round_, joinMs: null, viewAtOthersMs: null, spawnToJoinedMs: null, stateTransferMs: 'n/a', error: (err as Error).message });
          problem(`join n=${n}: ${(err as Error).message}`);
          throw err;
        }
        await sleep(300);
      }
    }
    await Promise.all(c.alive().map((w) => w.stop()));
    const q = await c.quiesce(s.quiesceMs);
    if (!q.ok) problem(`view changes n=${n}: did not quiesce after the last view change`);
    const d = await checkDigests(c, c.alive(), false, s.digestFullEvery, 32);
    if (!d.agreed) problem(`view changes n=${n}: digests disagree (verified ${d.verified}, mismatches ${d.mismatches}, gaps ${d.gaps})`);
    else say(`view changes n=${n}: digests agreed over the ${d.verified} deliveries that every survivor saw`);
  } finally {
    await c.close();
  }
}

// ---- state transfer ----------------------------------------------------------------------------------------------

async function stateJoins(s: BenchSettings, res: BenchResults, say: Say, problem: (p: string) => void): Promise<void> {
  const { n, sizes } = s.stateTransfer;
  say(`state transfer: starting ${n} stateful members (getState/setState); each size: one member joins, then leaves`);
  const c = await Cluster.vsync(n, [], 0);
  try {
    await Promise.all(c.alive().map((w) => w.load(s.viewChange.loadPerMember, s.viewChange.bytes, s.vsyncWindow)));
    for (const bytes of sizes) {
      const r: JoinResult = { n, round: 1, joinMs: null, viewAtOthersMs: null, spawnToJoinedMs: null, stateTransferMs: 'n/a', stateBytes: bytes };
      try {
        await Promise.all(c.alive().map((w) => w.call({ cmd: 'state', bytes })));
        const existing = c.alive();
        const tSpawn = monoNow();
        const w = c.spawn();
        const info = await w.start('vsync', c.urls(existing), 0);
        r.joinMs = round(info.tJoined - info.tNodeStarted, 1);
        r.stateTransferMs = r.joinMs;
        r.spawnToJoinedMs = round(info.tJoined - tSpawn, 1);
        const got = info.stateReceived;
        if (got !== bytes) problem(`state transfer of ${bytes} bytes: the joiner received ${got ?? 'no'} state`);
        say(`state transfer: join with ${kb(bytes)} of state took ${r.joinMs} ms (join() to first view with the state in place)`);
        await w.exit(10_000);
        await c.waitFullView(n, 15_000);
      } catch (err) {
        r.error = (err as Error).message;
        problem(`state transfer of ${kb(bytes)}: ${r.error}`);
      }
      res.stateJoins.push(r);
    }
    await Promise.all(c.alive().map((w) => w.stop()));
    await c.quiesce(s.quiesceMs);
  } finally {
    await c.close();
  }
}

// ---- memory ------------------------------------------------------------------------------------------------------

async function memory(s: BenchSettings, say: Say, problem: (p: string) => void, warn: (p: string) => void): Promise<MemoryResult> {
  const m = s.memory;
  say(`memory: starting ${m.n} member processes; overload: all send ${kb(m.bytes)} as fast as possible with ${m.window} sends outstanding each`);
  const c = await Cluster.vsync(m.n);
  const series: RssSeriesPoint[] = [];
  const tStart = Date.now();
  const rssNow = (): number[] => c.workers.map((w) => round((w.procMem()?.rss ?? 0) / MB, 1));
  let sampler: NodeJS.Timeout | null = null;
  const samples: Array<{ t: number; rss: number[] }> = [];
  const sample = (): void => {
    const x = { t: Date.now() - tStart, rss: rssNow() };
    samples.push(x);
  };
  const peakOf = (from: number, to: number, i: number): number => max(samples.filter((x) => x.t >= from && x.t < to).map((x) => x.rss[i] ?? 0));
  try {
    const freshRss = rssNow();
    await warmCluster(c, s, say);
    const startRss = rssNow();
    sampler = setInterval(sample, 200);
    await Promise.all(c.workers.map((w) => w.digest(true, 1024, s.digestFullEvery)));
    await Promise.all(c.workers.map((w) => w.load(0, m.bytes, m.window)));
    const ovFrom = Date.now() - tStart;
    const ovWin = await Promise.all(c.workers.map((w) => w.window(m.overloadMs)));
    const ovTo = Date.now() - tStart;
    // After a warm-up (the first quarter), the peak of the middle part against the peak of the last part.
    const split = (from: number, to: number): [number, number] => [from + (to - from) / 4, from + ((to - from) * 5) / 8];
    const [ovWarm, ovMid] = split(ovFrom, ovTo);
    const idx = c.workers.map((_, i) => i);
    const first = idx.map((i) => peakOf(ovWarm, ovMid, i));
    const second = idx.map((i) => peakOf(ovMid, ovTo + 1, i));
    const bounded = (a: number[], b: number[]): boolean => b.every((x, i) => x <= a[i]! * 1.1 + 16);
    const overload = {
      ms: m.overloadMs,
      freshRssMB: freshRss,
      startRssMB: startRss,
      peakRssMB: idx.map((i) => peakOf(ovFrom, ovTo + 1, i)),
      afterWarmupPeakMB: first,
      lastPartPeakMB: second,
      deliveriesPerSec: Math.round(median(ovWin.map((w) => (w.deliveries * 1000) / w.ms))),
      bounded: bounded(first, second),
    };
    say(`memory overload: peak RSS ${overload.peakRssMB.join(' / ')} MB (first half ${first.join(' / ')}, second half ${second.join(' / ')}), ${overload.deliveriesPerSec} deliveries/s`);
    if (!overload.bounded) warn(`memory: RSS grew under sustained overload (peak after warm-up ${first.join('/')} MB, in the last part ${second.join('/')} MB)`);

    // One member (not the sequencer) is paused while the others keep sending as fast as they can.
    const { others } = await c.coordinator();
    const victim = others[others.length - 1]!;
    const victimId = victim.memberId ?? '?';
    const vi = c.workers.indexOf(victim);
    const survivors = c.alive().filter((w) => w !== victim);
    const marks = survivors.map((w) => w.events.length);
    const vMark = victim.events.length;
    say(`memory: SIGSTOP ${victimId} for ${m.pauseMs / 1000} s while the others keep sending`);
    const tStop = monoNow();
    const pFrom = Date.now() - tStart;
    victim.signal('SIGSTOP');
    const pWin = await Promise.all(survivors.map((w) => w.window(m.pauseMs)));
    const pTo = Date.now() - tStart;
    victim.signal('SIGCONT');
    const [pWarm, pMid] = split(pFrom, pTo);
    let excludedAfterMs: number | null = null;
    const exViews = survivors.map((w, i) => w.events.slice(marks[i]).find((e) => e.ev === 'view' && !e.members.includes(victimId)));
    if (exViews.every((e) => e !== undefined)) excludedAfterMs = round(Math.max(...exViews.map((e) => e!.t)) - tStop, 1);
    await sleep(m.afterMs);
    const aTo = Date.now() - tStart;
    const rejoined = victim.events.slice(vMark).some((e) => e.ev === 'excluded') && victim.events.slice(vMark).some((e) => e.ev === 'view');
    const pFirst = idx.map((i) => peakOf(pWarm, pMid, i));
    const pSecond = idx.map((i) => peakOf(pMid, pTo + 1, i));
    const pause = {
      ms: m.pauseMs,
      paused: victimId,
      peakRssMB: idx.map((i) => peakOf(pFrom, pTo + 1, i)),
      afterWarmupPeakMB: pFirst,
      lastPartPeakMB: pSecond,
      pausedAfterPeakMB: peakOf(pTo, aTo + 1, vi),
      excludedAfterMs,
      rejoined,
      deliveriesPerSec: Math.round(median(pWin.map((w) => (w.deliveries * 1000) / w.ms))),
      bounded: bounded(pFirst.filter((_, i) => i !== vi), pSecond.filter((_, i) => i !== vi)),
    };
    say(`memory pause: survivors' peak RSS ${pause.peakRssMB.filter((_, i) => i !== vi).join(' / ')} MB; ${victimId} ${excludedAfterMs === null ? 'was not excluded' : `excluded after ${excludedAfterMs} ms`}; after SIGCONT: peak ${pause.pausedAfterPeakMB} MB, ${rejoined ? 'rejoined as a new incarnation' : 'did not rejoin (yet)'}; ${pause.deliveriesPerSec} deliveries/s at the survivors during the pause`);
    if (!pause.bounded) warn(`memory: survivors' RSS grew while a member was paused (peak after warm-up ${pFirst.join('/')} MB, in the last part ${pSecond.join('/')} MB)`);
    if (excludedAfterMs === null) warn(`memory: the paused member ${victimId} was not excluded within ${m.pauseMs} ms`);

    await Promise.all(c.alive().map((w) => w.stop()));
    if (sampler) clearInterval(sampler);
    sampler = null;
    const q = await c.quiesce(s.quiesceMs, survivors);
    if (!q.ok) problem('memory: the survivors did not quiesce after the pause');
    const d = await checkDigests(c, survivors, false, s.digestFullEvery);
    if (!d.agreed) problem(`memory: survivors' digests disagree (verified ${d.verified}, mismatches ${d.mismatches}, gaps ${d.gaps})`);
    const hwm = c.workers.map((w) => round((w.procMem()?.hwm ?? 0) / MB, 1));
    // One point per ~second keeps the JSON small.
    for (let i = 0; i < samples.length; i += 5) series.push({ t: samples[i]!.t, rssMB: samples[i]!.rss });
    return { n: m.n, bytes: m.bytes, window: m.window, overload, pause, hwmMB: hwm, series, digest: d };
  } finally {
    if (sampler) clearInterval(sampler);
    await c.close();
  }
}

// ---- CPU profile -----------------------------------------------------------------------------------------------

async function profile(s: BenchSettings, dirOpt: string | undefined, bytes: number, n: number, say: Say, problem: (p: string) => void): Promise<ProfileResult> {
  const dir = dirOpt ?? mkdtempSync(join(tmpdir(), 'vsync-prof-'));
  say(`profile: ${n} members with --cpu-prof (into ${dir}), all sending ${kb(bytes)} as fast as possible; only the measurement window is summarized`);
  const c = await Cluster.vsync(n, ['--cpu-prof', '--cpu-prof-dir', dir]);
  await warmCluster(c, s, say);
  let rate = 0;
  let cpuUs = 0;
  const roles = new Map<number, string>();
  const ranges = new Map<number, { fromUs: number; toUs: number }>();
  try {
    const { coordinator } = await c.coordinator();
    for (const w of c.workers) roles.set(w.pid, w === coordinator ? 'sequencer' : 'member');
    await Promise.all(c.workers.map((w) => w.load(0, bytes, s.vsyncWindow)));
    await sleep(s.warmupMs);
    const wins = await Promise.all(c.workers.map((w) => w.window(Math.max(s.windowMs, 5000))));
    rate = Math.round(median(wins.map((w) => (w.deliveries * 1000) / w.ms)));
    const deliveries = wins.reduce((a, w) => a + w.deliveries, 0);
    cpuUs = deliveries > 0 ? round((wins.reduce((a, w) => a + w.cpuUserMs + w.cpuSystemMs, 0) * 1000) / deliveries, 1) : 0;
    c.workers.forEach((w, i) => ranges.set(w.pid, { fromUs: wins[i]!.hrFromUs, toUs: wins[i]!.hrToUs }));
    await Promise.all(c.workers.map((w) => w.stop()));
    await c.quiesce(s.quiesceMs);
  } finally {
    await c.close();
  }
  const members: ProfileResult['members'] = [];
  for (const w of c.workers) {
    const f = profileOf(dir, w.pid);
    if (!f) {
      problem(`profile: no profile for ${w.name} (pid ${w.pid})`);
      continue;
    }
    const sum = summarizeProfile(f, 20, ranges.get(w.pid));
    members.push({ name: w.name, role: roles.get(w.pid) ?? 'member', ...sum });
  }
  say(`profile: ${rate} deliveries/s per member while profiling, ${cpuUs} µs of CPU per delivery; ${members.length} profiles in ${dir}`);
  return { case: `vsync n=${n} all send ${kb(bytes)} (saturation, after the warm-up)`, deliveriesPerSec: rate, cpuUsPerDelivery: cpuUs, members, dir };
}
