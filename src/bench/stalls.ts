/**
 * What stalls a bench worker during a measurement window: the event loop's delay (a 1 ms timer's lateness: the
 * process was busy in one piece of work, or not scheduled at all) and garbage-collection pauses. The latency case
 * puts these next to its percentiles, so a millisecond tail can be matched to the stalls that make it.
 */
import { type IntervalHistogram, PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop delay beyond the timer's interval, ms. */
export interface LoopDelay {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** GC pauses during the window (V8 'gc' performance entries). */
export interface GcPauses {
  count: number;
  /** Mark-compact (major) collections among them. */
  major: number;
  totalMs: number;
  maxMs: number;
  /** Pauses of 1 ms or more: those that can show in a latency tail of milliseconds. */
  over1ms: number;
}

export interface StallReport {
  loopDelay: LoopDelay;
  gc: GcPauses;
}

const RESOLUTION_MS = 1;

const emptyGc = (): GcPauses => ({ count: 0, major: 0, totalMs: 0, maxMs: 0, over1ms: 0 });

export class StallMonitor {
  private readonly loop: IntervalHistogram;
  private gc = emptyGc();

  constructor() {
    // Enabled in a window only: its timer wakes the process every RESOLUTION_MS, and an idle worker (the other
    // clusters of a throughput round, the floor's pair during a vsync case) waking 1,000 times a second costs some
    // 30 ms of CPU a second on a small VM, taken from the processes being measured.
    this.loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const g = this.gc;
        g.count++;
        if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) g.major++;
        g.totalMs += e.duration;
        if (e.duration > g.maxMs) g.maxMs = e.duration;
        if (e.duration >= 1) g.over1ms++;
      }
    });
    obs.observe({ entryTypes: ['gc'] });
  }

  /** Timer samples taken since the last reset (none outside a window). */
  get samples(): number {
    return this.loop.count;
  }

  /** Starts a window. */
  reset(): void {
    this.loop.enable();
    this.loop.reset();
    this.gc = emptyGc();
  }

  /** The window since the last reset, which it ends. */
  report(): StallReport {
    // The histogram holds whole timer intervals (ns): what is beyond the interval is the delay.
    const beyond = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
    const h = this.loop;
    h.disable();
    const g = this.gc;
    return {
      loopDelay: { p50: beyond(h.percentile(50)), p90: beyond(h.percentile(90)), p99: beyond(h.percentile(99)), max: beyond(h.max) },
      gc: { ...g, totalMs: Math.round(g.totalMs * 100) / 100, maxMs: Math.round(g.maxMs * 100) / 100 },
    };
  }
}

/** The members' windows together: each loop-delay percentile the highest of any member's, GC pauses summed. */
export function combineStalls(rs: StallReport[]): StallReport {
  const hi = (f: (r: StallReport) => number): number => rs.reduce((a, r) => Math.max(a, f(r)), 0);
  const sum = (f: (r: StallReport) => number): number => Math.round(rs.reduce((a, r) => a + f(r), 0) * 100) / 100;
  return {
    loopDelay: { p50: hi((r) => r.loopDelay.p50), p90: hi((r) => r.loopDelay.p90), p99: hi((r) => r.loopDelay.p99), max: hi((r) => r.loopDelay.max) },
    gc: { count: sum((r) => r.gc.count), major: sum((r) => r.gc.major), totalMs: sum((r) => r.gc.totalMs), maxMs: hi((r) => r.gc.maxMs), over1ms: sum((r) => r.gc.over1ms) },
  };
}
