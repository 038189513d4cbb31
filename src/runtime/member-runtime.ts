import type { Logger } from 'pino';
import { Deque } from '../core/deque.js';
import { handOver } from '../core/drive.js';
import { type CoreConfig, type CoreEvent, type Frame, Member, type MemberId } from '../core/index.js';
import { ErrorCodes, VsyncError } from '../errors.js';
import { FileSink, traceFilePath } from '../trace/sinks.js';
import { TraceRecorder } from '../trace/trace-recorder.js';

/**
 * What a member runtime needs from its node: a way to put its frames on the wire. Given once, when the node makes
 * the runtime; the group and the sending member are this runtime's own.
 */
export interface FrameOut {
  sendFrame(to: MemberId[], frame: Frame): void;
}

export interface MemberRuntimeOptions {
  group: string;
  id: MemberId;
  config?: Partial<CoreConfig>;
  traceDir?: string;
  logger: Logger;
  out: FrameOut;
  /** Returns 'yield' to let the event loop turn before the next event is handed over. */
  onEvent: (e: CoreEvent) => void | 'yield';
  random?: () => number;
  stateful?: boolean;
}

/**
 * Runs one member incarnation: feeds it frames and ticks, and after each burst of input hands its output over in
 * the order of `handOver` (core/drive.ts): the trace, the wire, then the application. No protocol logic here.
 */
export class MemberRuntime {
  readonly member: Member;
  readonly id: MemberId;
  private readonly recorder: TraceRecorder | null;
  private scheduled = false;
  private readonly backlog = new Deque<CoreEvent>();
  private closed = false;
  /** The core threw where it must not (a bug): this incarnation takes no more input and ends as excluded. */
  private failed = false;

  constructor(private readonly o: MemberRuntimeOptions) {
    this.id = o.id;
    this.member = new Member({ id: o.id, config: o.config, random: o.random ?? Math.random, stateful: o.stateful });
    this.recorder = o.traceDir ? new TraceRecorder(o.id, new FileSink(traceFilePath(o.traceDir, o.id))) : null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Runs `fn` against the core and schedules one output flush for everything produced until then: sends and
   * frames of one turn of the event loop leave together (one forward frame, one multicast, one write per peer).
   * The trace still sees each `send` before its frame leaves, because the flush writes events first.
   */
  input<T>(fn: (m: Member) => T): T | undefined {
    if (this.closed || this.failed) return undefined;
    let r: T;
    try {
      r = fn(this.member);
    } catch (err) {
      // A coded error of a call (send: backpressure, payload too large...) belongs to its caller. Anything else
      // is a bug in the core, and inputs come from timers and socket handlers: it must not escape from there.
      if (err instanceof VsyncError && err.code !== ErrorCodes.INVARIANT) throw err;
      this.fail(err, 'input');
      return undefined;
    }
    this.schedule();
    return r;
  }

  /**
   * The core broke an invariant: log it with its code and end this incarnation the way an exclusion does, so the
   * application's rejoin logic starts a new one, instead of letting the error crash the process. Events produced
   * before the failure are still handed over first, in order.
   */
  private fail(err: unknown, where: string): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.o.logger.error(
      { err, code: ErrorCodes.INVARIANT, group: this.o.group, member: this.id, where },
      'member failed an internal check: ending this incarnation as excluded',
    );
    this.backlog.push({ type: 'excluded', view: this.member.currentView?.id ?? 0 });
    // Later, never from inside the failed call: the handler may start a new incarnation.
    setImmediate(() => this.dispatch());
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  flush(): void {
    if (this.closed || this.failed) return;
    let r;
    try {
      r = this.member.ready();
    } catch (err) {
      this.fail(err, 'ready');
      return;
    }
    // A frame the transport refuses (a bug: it queues or drops, never throws) ends the incarnation, after the
    // events of this output are handed over; the frames after it are not sent.
    let sendError: { err: unknown } | null = null;
    const recorder = this.recorder;
    handOver(r, {
      // Without a trace, no call per event.
      record: recorder ? (e) => recorder.record(e) : undefined,
      frame: (out) => {
        if (sendError !== null) return;
        try {
          this.o.out.sendFrame(out.to, out.frame);
        } catch (err) {
          sendError = { err };
        }
      },
      event: (e) => void this.backlog.push(e),
    });
    if (sendError !== null) this.fail((sendError as { err: unknown }).err, 'send');
    this.dispatch();
  }

  /**
   * Hands events to the application in order. An event handler may ask to yield (the member just joined): the
   * rest waits for the next turn of the event loop, so the code awaiting the join attaches its listeners before
   * the first delivery reaches it.
   */
  private dispatch(): void {
    while (!this.backlog.isEmpty && !this.closed) {
      const e = this.backlog.shift()!;
      let yieldNow = false;
      try {
        yieldNow = this.o.onEvent(e) === 'yield';
      } catch (err) {
        this.o.logger.error({ err }, 'application event handler threw');
      }
      if (yieldNow && !this.backlog.isEmpty) {
        setImmediate(() => this.dispatch());
        return;
      }
    }
  }

  recordState(view: number, hash: string): void {
    this.recorder?.state(view, hash);
  }

  /** Ends the trace (a clean end) while the member keeps running, e.g. to leave afterwards. */
  endTrace(): void {
    this.recorder?.end();
  }

  /** Stops this incarnation; `clean` writes `end` to its trace (a clean shutdown). */
  close(clean: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (clean) this.recorder?.end();
    else this.recorder?.close();
  }
}
