import type { DigestComparison } from './digest.js';
import type { HistogramData, Percentiles } from './histogram.js';
import type { ProfileSummary } from './profile.js';
import type { BenchMode, Senders } from './settings.js';
import type { GcPauses, LoopDelay } from './stalls.js';

export interface MemberRate {
  name: string;
  /** Deliveries per second at this member (vsync: the ordered stream, own messages included; ws: received + own). */
  deliveriesPerSec: number;
  /** Of which other members' messages (what came over the network). */
  receivedPerSec: number;
  mbPerSec: number;
  /** Messages this member sent per second during the window. */
  sentPerSec: number;
  /** CPU use of the process during the window, % of one core. */
  cpuPct: number;
  rssMB: number;
}

export interface ProtectionResult {
  n: number;
  senders: Senders;
  bytes: number;
  /** Median deliveries/s per member, frames protected (AES-256-GCM) and not (`insecure`). */
  protectedPerSec: number;
  insecurePerSec: number;
  /** protected / insecure: the median of the pairs' ratios (each pair measured back to back). */
  ratio: number | null;
  /** The pairs' ratios: median, min, max and each. */
  pairRatios?: Spread | null;
  /** Measurement window of each side of a pair, ms. */
  windowMs?: number;
  /** Deliveries per CPU-second of all members (medians of the rounds), and their ratio: the cost in work. */
  protectedPerCpuSec: number;
  insecurePerCpuSec: number;
  cpuRatio: number | null;
  rounds: number;
  void: boolean;
}

/** vsync with each member in its own network namespace (netns.ts) against the same case on 127.0.0.1. */
export interface NetnsResult {
  n: number;
  senders: Senders;
  bytes: number;
  /** Null when `tc netem` worked; else why it did not (the case then ran without delay). */
  netemMissing: string | null;
  cases: Array<{
    /** One-way delay between two members, ms (0: none). */
    delayMs: number;
    /** Deliveries/s per member over the rounds: on 127.0.0.1, in the namespaces, and their ratio per round. */
    loopback: Spread | null;
    netns: Spread | null;
    ratio: Spread | null;
  }>;
}

/** ws: the raw mesh; seq: the bare batched sequencer (seq-baseline.ts); vsync: vsync. */
export type BenchSystem = 'ws' | 'seq' | 'vsync';

export interface ThroughputResult {
  system: BenchSystem;
  /** Which round of the case (1-based): the systems take turns within each round. */
  round?: number;
  n: number;
  senders: Senders;
  bytes: number;
  windowMs: number;
  members: MemberRate[];
  medianDeliveriesPerSec: number;
  minDeliveriesPerSec: number;
  medianMBps: number;
  /** vsync only: median deliveries/s divided by the ws mesh's for the same case, in the same round. */
  ratioToBaseline: number | null;
  /** vsync only: the same against the bare batched sequencer, in the same round. */
  ratioToSeq?: number | null;
  /** Latency at saturation (closed loop, so it mostly measures the queue of outstanding sends). */
  latencySelf: Percentiles;
  latencyOthers: Percentiles;
  /** vsync: every member delivered the same sequence (else the numbers are void). ws: per-sender FIFO gaps. */
  digest: DigestComparison | null;
  quiesced: boolean;
  void: boolean;
  error?: string;
}

/** A spread over rounds: the median, the extremes, and every round's value. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  values: number[];
}

/** One throughput case over all its rounds: deliveries/s per system, and vsync's ratios to each baseline. */
export interface RatioResult {
  n: number;
  senders: Senders;
  bytes: number;
  rounds: number;
  /** Median deliveries/s per member of each round, per system (null: the system was not measured). */
  mesh: Spread | null;
  seq: Spread | null;
  vsync: Spread | null;
  /** vsync / mesh and vsync / seq, each round's pair measured back to back. */
  toMesh: Spread | null;
  toSeq: Spread | null;
  /** Some round of some system was void (digests disagreed, or it did not quiesce). */
  void: boolean;
}

/**
 * The latency floor: a paced ws ping-pong between two processes, the same size and rate as the latency case, in a
 * window before the first paced vsync case and after each (run.ts, FloorProbe).
 */
export interface LatencyFloor {
  rate: number;
  bytes: number;
  /** Of each window. */
  windowMs: number;
  /** Round trips of all windows pooled, µs. */
  rtt: Percentiles;
  hist: HistogramData;
  /** Each window's round trips, in the order measured (absent in results written before 2026-12-01 evening). */
  windows?: Percentiles[];
}

/** How reports name a latency case's system. */
export function systemName(system: LatencyResult['system']): string {
  return system === 'ws' ? 'ws mesh' : system === 'seq' ? 'bare sequencer' : 'vsync';
}

export interface LatencyResult {
  /**
   * ws: the raw mesh's one-way latency; seq: the bare batched sequencer at the floor's rate and size, one
   * non-sequencer sending (a sequencer's latency on this machine without vsync's guarantees); vsync.
   */
  system: 'ws' | 'seq' | 'vsync';
  n: number;
  senders: 'one' | 'seq' | 'all';
  /** vsync's delivery kind of the sends (absent: safe). */
  delivery?: 'safe' | 'agreed';
  /** The bare sequencer with its frames sealed as vsync's (AES-256-GCM per link and direction). */
  sealed?: boolean;
  label: string;
  /** Offered total rate, msgs/s. */
  rate: number;
  achievedRate: number;
  bytes: number;
  windowMs: number;
  /** At the sender(s): send() to delivery back, µs. */
  atSender: Percentiles;
  /** At the other members: the sender's send() to delivery there, µs. */
  atOthers: Percentiles;
  /**
   * vsync or the bare sequencer with one non-sequencer sending: atOthers split by role, the sequencer and the other
   * receivers. A safe delivery takes three hops at the sequencer (the forward, the multicast, a receiver's ack) and
   * two at the others; an agreed one (and the bare sequencer's) one at the sequencer and two at the others.
   */
  byRole?: { atSequencer: Percentiles; atReceivers: Percentiles };
  /** The distribution at the other members (for the HTML report's chart). */
  othersHist?: HistogramData;
  /** vsync or the bare sequencer at the floor's rate and size: the floor's round trips in the windows right before and after this case, pooled. */
  floor?: Percentiles;
  /** atOthers as multiples of `floor` (same percentile). */
  floorMultiples?: { p50: number; p90: number; p99: number } | null;
  /** Longest event-loop delay of any member during the window, ms (a blocked or descheduled process). */
  loopDelayMaxMs: number;
  /** Event-loop delay during the window, ms: each percentile the highest of any member's. */
  loopDelay?: LoopDelay;
  /** GC pauses during the window, summed over the members (maxMs: the longest of any). */
  gc?: GcPauses;
  digest: DigestComparison | null;
  void: boolean;
  error?: string;
}

export interface ViewChangeResult {
  n: number;
  victim: 'member' | 'coordinator';
  round: number;
  /** SIGKILL to the first 'block' (flush start) at any survivor, ms. */
  detectionMs: number | null;
  /** First 'block' to the new view installed at the last survivor, ms. */
  flushInstallMs: number | null;
  /** SIGKILL to the new view at every survivor: median and max, ms. */
  totalMedianMs: number | null;
  totalMaxMs: number | null;
  newViewId: number | null;
  error?: string;
}

export interface JoinResult {
  n: number;
  round: number;
  /** node.join() called to the first view at the joiner, ms (state: empty). */
  joinMs: number | null;
  /** node.join() called to the view with the joiner at the last existing member, ms. */
  viewAtOthersMs: number | null;
  /** Process spawn to joined, ms (process start, module loading, Node.start, join). */
  spawnToJoinedMs: number | null;
  /** Empty-state joins: 'n/a'. Joins into a stateful group: join() to first view including the state transfer, ms. */
  stateTransferMs: number | 'n/a';
  /** Size of the state transferred (stateful groups only). */
  stateBytes?: number;
  error?: string;
}

export interface RssSeriesPoint {
  t: number;
  rssMB: number[];
}

export interface MemoryResult {
  n: number;
  bytes: number;
  window: number;
  overload: {
    ms: number;
    /** RSS of the fresh processes, and after the cluster warm-up (right before the overload). */
    freshRssMB: number[];
    startRssMB: number[];
    peakRssMB: number[];
    /**
     * Peak after the warm-up (the first quarter of the period) in the middle part and in the last part of the period:
     * bounded means the last is not much above the middle (at most 10 % + 16 MB).
     */
    afterWarmupPeakMB: number[];
    lastPartPeakMB: number[];
    deliveriesPerSec: number;
    bounded: boolean;
  };
  pause: {
    ms: number;
    paused: string;
    /** Peak RSS of each member while one is SIGSTOPped (the paused one's is frozen). */
    peakRssMB: number[];
    afterWarmupPeakMB: number[];
    lastPartPeakMB: number[];
    /** Peak RSS of the paused member after SIGCONT (it works through what its socket buffered). */
    pausedAfterPeakMB: number;
    /** SIGSTOP to the view without the paused member at the survivors, ms (null: never excluded). */
    excludedAfterMs: number | null;
    /** After SIGCONT: the paused member was told it was excluded, and joined again as a new incarnation. */
    rejoined: boolean;
    /** Survivors' deliveries per second during the pause. */
    deliveriesPerSec: number;
    bounded: boolean;
  };
  /** VmHWM per member at the end, MB. */
  hwmMB: number[];
  series: RssSeriesPoint[];
  digest: DigestComparison | null;
  error?: string;
}

export interface ProfileEntry {
  fn: string;
  where: string;
  /** Self time, or for `inclusive` lists the total time, ms. */
  selfMs: number;
  pct: number;
}

export interface ProfileResult {
  case: string;
  deliveriesPerSec: number;
  /**
   * CPU time (user + system, all members) per delivery (counted at every member), µs: what a change costs in work,
   * comparable between builds measured in the same sitting even when a busy machine lowers the rate.
   */
  cpuUsPerDelivery?: number;
  members: Array<{ name: string; role: string } & ProfileSummary>;
  dir: string;
  error?: string;
}

export interface TargetResult {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
}

export interface BenchResults {
  meta: {
    mode: BenchMode;
    startedAt: string;
    durationS: number;
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    loadavgStart: number[];
    loadavgEnd: number[];
    /**
     * How far apart the workers' performance.timeOrigin + performance.now() clocks were (max - min of wall minus
     * monotonic time over every worker), µs. The bench stamps with the monotonic clock, so this does not affect it.
     */
    timeOriginSkewUs: number;
    settings: unknown;
    notes: string[];
  };
  /** The raw ws mesh, every round of every case. */
  baseline: ThroughputResult[];
  /** The bare batched sequencer, every round of every case. */
  seqBaseline: ThroughputResult[];
  /** vsync, every round of every case. */
  throughput: ThroughputResult[];
  /** Per case, over its rounds: what the README's table reports. */
  ratios: RatioResult[];
  latencyFloor: LatencyFloor | null;
  latency: LatencyResult[];
  viewChanges: ViewChangeResult[];
  joins: JoinResult[];
  /** Joins into a group of stateful members (getState/setState), by state size. */
  stateJoins: JoinResult[];
  memory: MemoryResult | null;
  profile: ProfileResult | null;
  /** The cost of frame protection: the same case with a cluster secret (protected) and `insecure`, in one run. */
  protection: ProtectionResult | null;
  /** Only with `--only netns`. */
  netns?: NetnsResult | null;
  targets: TargetResult[];
  /** What voids a number or is a bug: digests disagreeing, hangs, crashes, failed sends. They make the exit code 1. */
  problems: string[];
  /** What looks wrong but depends on timing: memory growth, an offered rate not reached. */
  warnings: string[];
}
