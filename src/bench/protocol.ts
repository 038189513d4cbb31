/**
 * The line protocol between the bench parent and its worker processes: one JSON object per line, commands on the
 * worker's stdin (each with an `id`), replies and events on its stdout.
 */
import type { DigestReport } from './digest.js';
import type { HistogramData } from './histogram.js';
import type { GcPauses, LoopDelay } from './stalls.js';

/** ws: a raw mesh; seq: the bare batched sequencer (seq-baseline.ts); vsync: a member. */
export type WorkerMode = 'ws' | 'vsync' | 'seq';

export type Command =
  /** vsync: start a node (seeds: ws URLs of members) and join the group; ws: listen for mesh connections. */
  /** `stateBytes` (vsync): join with state-transfer hooks, and hold application state of that many bytes. */
  | { cmd: 'start'; mode: WorkerMode; name: string; index: number; seeds?: string[]; group?: string; stateBytes?: number; insecure?: boolean; host?: string; sealed?: boolean }
  /** Replaces this member's application state (stateful members) by `bytes` bytes. */
  | { cmd: 'state'; bytes: number }
  /** ws: dial these URLs; resolves once the worker has `expect` open connections (dialed plus accepted). */
  | { cmd: 'mesh'; dial: string[]; expect: number }
  /** ws: echo every message back to its sender (the far end of the ping-pong), instead of counting it. */
  | { cmd: 'echo'; on: boolean }
  /** ws, connected to one echoing peer: paced pings for `ms`; replies with the round trips (HistogramData, µs). */
  | { cmd: 'pingpong'; rate: number; bytes: number; ms: number }
  /** Starts multicasting. rate 0: as fast as possible with `window` sends outstanding; otherwise `rate` msgs/s. */
  /** `delivery` (vsync): the delivery kind of every send (default safe). */
  | { cmd: 'load'; rate: number; bytes: number; window: number; delivery?: 'safe' | 'agreed' | 'fifo' }
  | { cmd: 'stop' }
  | { cmd: 'status' }
  /** Counts deliveries for `ms` milliseconds from now (resetting the latency histograms first if `resetHist`). */
  | { cmd: 'window'; ms: number; resetHist?: boolean }
  | { cmd: 'hist'; reset?: boolean }
  /**
   * The digest since the last reset; `reset` starts a new one, with blocks of `blockSize` seqs (default 1024) and
   * the whole payload hashed for every `fullEvery`-th seq (default 16; 1: every payload).
   */
  | { cmd: 'digest'; reset?: boolean; blockSize?: number; fullEvery?: number }
  | { cmd: 'mem' }
  /** Leaves (vsync), closes and exits with code 0 (so that --cpu-prof writes its profile). */
  | { cmd: 'exit' };

export interface StartReply {
  url: string;
  memberId: string | null;
  pid: number;
  /** wallNow() - monoNow() in this process: the same in every process unless their timeOrigins are skewed. */
  wallMinusMono: number;
  /** Times on the monoNow() clock, ms. */
  tProcess: number;
  tStartCmd: number;
  tNodeStarted: number;
  tJoined: number;
  viewId: number;
  members: string[];
  /** Stateful members: size of the state received when joining (null when none was received). */
  stateReceived: number | null;
}

export interface StatusReply {
  sent: number;
  completed: number;
  failed: number;
  skipped: number;
  outstanding: number;
  delivered: number;
  received: number;
  lastSeq: number;
  viewId: number;
  members: string[];
  memberId: string | null;
  lastError: string | null;
}

export interface WindowReply {
  ms: number;
  /** Every delivery (vsync: the whole ordered stream, own messages included; ws: received plus own sends). */
  deliveries: number;
  bytes: number;
  /** Deliveries of other members' messages only (what came over the network). */
  received: number;
  sent: number;
  /** CPU time of the process during the window, ms. */
  cpuUserMs: number;
  cpuSystemMs: number;
  rss: number;
  /** Event-loop utilization during the window (0..1). */
  elu: number;
  /** Longest event-loop stall seen during the window (timer lateness beyond its 1 ms interval), ms. */
  loopDelayMaxMs: number;
  /** Event-loop delay percentiles during the window, ms. */
  loopDelay: LoopDelay;
  /** GC pauses during the window. */
  gc: GcPauses;
  /** The window on the monotonic clock (process.hrtime, the clock of V8 CPU profiles), µs. */
  hrFromUs: number;
  hrToUs: number;
}

export interface HistReply {
  /** Latency of own messages, send() to delivery here. */
  self: HistogramData;
  /** Latency of other members' messages, their send() to delivery here. */
  others: HistogramData;
}

export type DigestReply = DigestReport;

export interface MemReply {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Unsolicited events (vsync). `t`: monoNow() ms. */
export type WorkerEvent =
  | { ev: 'view'; t: number; id: number; members: string[]; me: string | null }
  | { ev: 'block'; t: number }
  | { ev: 'unblock'; t: number }
  | { ev: 'excluded'; t: number; member: string; rejoining: boolean }
  | { ev: 'minority'; t: number }
  | { ev: 'error'; t: number; message: string };

/**
 * The clock the bench stamps payloads and events with, in ms: CLOCK_MONOTONIC (as process.hrtime reads it), which every process
 * on the machine reads alike. performance.timeOrigin + performance.now() would do as well only if no process saw
 * the wall clock step or slew between the starts of two processes (each fixes its timeOrigin from the wall clock
 * when it starts); the bench measures that skew (wallMinusMono) and reports it.
 */
export function monoNow(): number {
  return performance.now() + MONO_MINUS_PERF;
}

/**
 * performance.now() reads the same monotonic clock as process.hrtime, from this process's start: it differs from
 * CLOCK_MONOTONIC by a constant, measured once here (the sample with the tightest bracket). It is the cheaper call
 * (no BigInt per reading), and the bench reads the clock twice per message.
 */
const MONO_MINUS_PERF = ((): number => {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 64; i++) {
    const before = performance.now();
    const mono = Number(process.hrtime.bigint()) / 1e6;
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offset = mono - (before + after) / 2;
    }
  }
  return offset;
})();

/** The wall clock as the issue suggests it (performance.timeOrigin + performance.now()), ms. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
