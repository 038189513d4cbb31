export type BenchMode = 'full' | 'quick' | 'smoke';
export type Senders = 'all' | 'one';

export interface ThroughputCase {
  n: number;
  senders: Senders;
  bytes: number;
}

export interface LatencyCase {
  n: number;
  /** 'one': a member that is not the sequencer; 'seq': the sequencer itself; 'all': every member, the rate split evenly. */
  senders: 'one' | 'seq' | 'all';
  /** Total msgs/s, or 'near-saturation': a fraction of the measured all-senders throughput. */
  rate: number | 'near-saturation';
  bytes: number;
  /** vsync's delivery kind (default safe): agreed skips the wait for a majority. */
  delivery?: 'safe' | 'agreed';
  /** The bare sequencer's frames protected as vsync's are with a secret (sealed-links.ts). */
  sealed?: boolean;
}

export interface BenchSettings {
  mode: BenchMode;
  /** Throughput cases, run for the ws baseline and for vsync. */
  throughput: ThroughputCase[];
  /** Rounds of every throughput case; within a round the systems (mesh, sequencer, vsync) take turns. */
  rounds: number;
  /** Once per cluster, before its first case: all members send 1 KB as fast as they can (JIT, heap growth). */
  clusterWarmupMs: number;
  /** Before each measurement window, with the case's load running. */
  warmupMs: number;
  windowMs: number;
  /** Outstanding group.send() promises per sending vsync member, at saturation. */
  vsyncWindow: number;
  /** Outstanding ws.send() callbacks per connection, at saturation (raw ws baseline). */
  wsWindow: number;
  /**
   * Bound in bytes on what one sender keeps outstanding at saturation (every system): the windows above shrink for
   * large payloads (2,000 sends of 16 KB would be 32 MB in flight per sender, and vsync then delivers nothing
   * within a short window: it is all queueing).
   */
  maxOutstandingBytes: number;
  latency: LatencyCase[];
  /** Also measure the raw ws mesh at 1,000 msgs/s (one sender) as the latency floor. */
  wsLatency: boolean;
  latencyWindowMs: number;
  /**
   * Before each latency window (and the floor's), with the case's paced load running. Longer than `warmupMs`: a
   * latency case follows a cluster's warm-up or the throughput rounds at saturation, and the first second at 1,000/s
   * still pays for that (GC of the saturation's garbage): with 400 ms, the quick mode's median at the other members
   * came out 40–70 µs higher than after 1.5 s (a probe, three pairs), measuring the transition, not the rate.
   */
  latencyWarmupMs: number;
  nearSaturationFraction: number;
  viewChange: { n: number[]; rounds: number; loadPerMember: number; bytes: number };
  /** Joins into a group whose members hold application state of these sizes (state transfer at the join cut). */
  stateTransfer: { n: number; sizes: number[] };
  memory: { n: number; bytes: number; window: number; overloadMs: number; pauseMs: number; afterMs: number };
  /** Quiesce timeout per case. */
  quiesceMs: number;
  /** Digests hash the whole payload of every n-th seq (1: every payload; the others contribute their header). */
  digestFullEvery: number;
  /**
   * The cost of frame protection: `pairs` back-to-back measurements of an insecure and a protected cluster (the
   * order alternating, ABBA), each over `windowMs`; the ratio is the median of the pairs' ratios.
   */
  protection: { pairs: number; windowMs: number };
}

const KB = 1024;

function cases(ns: number[], senders: Senders[], sizes: number[]): ThroughputCase[] {
  const out: ThroughputCase[] = [];
  for (const n of ns) for (const s of senders) for (const bytes of sizes) out.push({ n, senders: s, bytes });
  return out;
}

export function settingsFor(mode: BenchMode): BenchSettings {
  switch (mode) {
    case 'full':
      return {
        mode,
        throughput: cases([3, 5], ['all', 'one'], [64, KB, 16 * KB]),
        rounds: 3,
        clusterWarmupMs: 4000,
        warmupMs: 1000,
        windowMs: 3000,
        vsyncWindow: 2000,
        wsWindow: 1000,
        maxOutstandingBytes: 8 * KB * KB,
        latency: [
          { n: 3, senders: 'one', rate: 1000, bytes: KB },
          { n: 3, senders: 'one', rate: 1000, bytes: KB, delivery: 'agreed' },
          { n: 3, senders: 'seq', rate: 1000, bytes: KB },
          { n: 3, senders: 'all', rate: 'near-saturation', bytes: KB },
          { n: 5, senders: 'one', rate: 1000, bytes: KB },
          { n: 5, senders: 'all', rate: 'near-saturation', bytes: KB },
        ],
        wsLatency: true,
        latencyWindowMs: 5000,
        latencyWarmupMs: 1500,
        nearSaturationFraction: 0.8,
        viewChange: { n: [5, 3], rounds: 3, loadPerMember: 200, bytes: KB },
        stateTransfer: { n: 3, sizes: [0, KB * KB, 16 * KB * KB, 64 * KB * KB] },
        memory: { n: 3, bytes: KB, window: 5000, overloadMs: 15_000, pauseMs: 10_000, afterMs: 5000 },
        quiesceMs: 30_000,
        digestFullEvery: 16,
        protection: { pairs: 8, windowMs: 3000 },
      };
    case 'quick':
      return {
        mode,
        // Every case issue 12 sets a target for: 3 members at three sizes, and 5 members at 1 KB.
        throughput: [...cases([3], ['all'], [KB, 16 * KB, 64]), ...cases([5], ['all'], [KB])],
        rounds: 3,
        clusterWarmupMs: 2000,
        warmupMs: 400,
        windowMs: 1000,
        vsyncWindow: 2000,
        wsWindow: 1000,
        maxOutstandingBytes: 8 * KB * KB,
        latency: [
          { n: 3, senders: 'one', rate: 1000, bytes: KB },
          { n: 3, senders: 'one', rate: 1000, bytes: KB, delivery: 'agreed' },
          { n: 3, senders: 'all', rate: 'near-saturation', bytes: KB },
        ],
        wsLatency: true,
        latencyWindowMs: 1500,
        latencyWarmupMs: 1500,
        nearSaturationFraction: 0.8,
        viewChange: { n: [5], rounds: 1, loadPerMember: 200, bytes: KB },
        stateTransfer: { n: 3, sizes: [0, 16 * KB * KB] },
        memory: { n: 3, bytes: KB, window: 5000, overloadMs: 3000, pauseMs: 3000, afterMs: 2000 },
        quiesceMs: 15_000,
        digestFullEvery: 16,
        protection: { pairs: 6, windowMs: 1500 },
      };
    case 'smoke':
      return {
        mode,
        throughput: [
          { n: 3, senders: 'all', bytes: KB },
          { n: 3, senders: 'one', bytes: 64 },
        ],
        rounds: 1,
        clusterWarmupMs: 300,
        warmupMs: 200,
        windowMs: 400,
        vsyncWindow: 1000,
        wsWindow: 500,
        maxOutstandingBytes: 8 * KB * KB,
        latency: [{ n: 3, senders: 'one', rate: 1000, bytes: KB }],
        wsLatency: false,
        latencyWindowMs: 400,
        latencyWarmupMs: 200,
        nearSaturationFraction: 0.8,
        viewChange: { n: [3], rounds: 1, loadPerMember: 100, bytes: KB },
        stateTransfer: { n: 3, sizes: [64 * KB] },
        memory: { n: 3, bytes: KB, window: 2000, overloadMs: 800, pauseMs: 2000, afterMs: 1000 },
        quiesceMs: 15_000,
        digestFullEvery: 16,
        protection: { pairs: 1, windowMs: 400 },
      };
  }
}

/** A sender's window at saturation for payloads of `bytes`: the count, bounded by maxOutstandingBytes. */
export function windowFor(count: number, bytes: number, s: BenchSettings): number {
  return Math.max(1, Math.min(count, Math.floor(s.maxOutstandingBytes / Math.max(1, bytes))));
}
