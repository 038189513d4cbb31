import { createHash } from 'node:crypto';
import { checkTraces, type CheckReport, type MemberTrace } from '../../src/check/index.js';
import { handOver } from '../../src/core/drive.js';
import { type CoreConfig, type CoreEvent, type Frame, Member, type MemberId } from '../../src/core/index.js';
import { Prng } from '../../src/sim/prng.js';
import { MemorySink } from '../../src/trace/sinks.js';
import { TraceRecorder } from '../../src/trace/trace-recorder.js';

interface Node {
  m: Member;
  rec: TraceRecorder;
  sink: MemorySink;
  alive: boolean;
  paused: boolean;
  events: CoreEvent[];
  /** Stateful mode: the application state this member holds. */
  app: TextLog | null;
}

export type FrameFilter = (from: MemberId, to: MemberId, frame: Frame) => boolean;

/** What became of a frame taken off the network: handed over, or lost (and why). */
export type FrameFate = 'delivered' | 'cut' | 'filtered' | 'down';

export interface TestClusterOptions {
  /**
   * The group has application state (MemberOptions.stateful): every member keeps a TextLog of what it delivered,
   * hands it over on `snapshot`, takes it on `state`, and writes its digest to the trace so the checker compares it.
   */
  stateful?: boolean;
}

/**
 * The application of the stateful mode: the delivered payloads, as text, in order. Readable when printed, and
 * two members agree on it only if they delivered the same messages in the same order from the same start.
 */
export class TextLog {
  entries: string[] = [];

  apply(payload: Uint8Array): void {
    this.entries.push(new TextDecoder().decode(payload));
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.entries));
  }

  restore(data: Uint8Array): void {
    this.entries = JSON.parse(new TextDecoder().decode(data)) as string[];
  }

  /** The trace's `state` digest: 16 hex characters. */
  digest(): string {
    return createHash('sha256').update(this.snapshot()).digest('hex').slice(0, 16);
  }
}

/**
 * A scripted cluster for pinning hard cases: zero-latency FIFO links, and the test decides exactly which frames
 * get through (a filter), who crashes, pauses or is cut off, and when.
 */
export class TestCluster {
  readonly nodes = new Map<MemberId, Node>();
  private readonly traces: Array<{ me: string; sink: MemorySink }> = [];
  private queue: Array<{ from: MemberId; to: MemberId; frame: Frame }> = [];
  private readonly cut = new Set<string>();
  filter: FrameFilter | null = null;
  /** Called for every frame that is delivered: lets a test act at an exact protocol moment. */
  onFrame: ((from: MemberId, to: MemberId, frame: Frame) => void) | null = null;
  /** Called for every frame taken off the network, delivered or not (the scenario files' `print frames`). */
  onWire: ((from: MemberId, to: MemberId, frame: Frame, fate: FrameFate) => void) | null = null;
  private readonly rng = new Prng(7);
  private counter = new Map<MemberId, number>();
  rejoinOnExclusion = true;

  readonly stateful: boolean;

  constructor(ids: MemberId[], readonly config: Partial<CoreConfig> = {}, opts: TestClusterOptions = {}) {
    this.stateful = opts.stateful ?? false;
    for (const id of ids) this.create(id);
    for (const id of ids) this.nodes.get(id)!.m.bootstrap(ids);
    for (const id of ids) this.pump(id);
    this.deliverAll();
  }

  private create(id: MemberId): Node {
    const r = this.rng.fork();
    const sink = new MemorySink();
    const node: Node = {
      m: new Member({ id, config: this.config, random: () => r.next(), stateful: this.stateful }),
      rec: new TraceRecorder(id, sink),
      sink,
      alive: true,
      paused: false,
      events: [],
      app: this.stateful ? new TextLog() : null,
    };
    this.nodes.set(id, node);
    this.traces.push({ me: id, sink });
    return node;
  }

  member(id: MemberId): Member {
    return this.nodes.get(id)!.m;
  }

  events(id: MemberId): CoreEvent[] {
    return this.nodes.get(id)!.events;
  }

  join(id: MemberId, contacts?: MemberId[]): void {
    const n = this.create(id);
    n.m.join(contacts ?? this.aliveIds().filter((x) => x !== id));
    this.pump(id);
  }

  /** Stateful mode: the application state `id` holds. */
  app(id: MemberId): TextLog {
    const app = this.nodes.get(id)!.app;
    if (!app) throw new Error('the cluster is not stateful');
    return app;
  }

  /** Graceful leave of `id`. */
  leave(id: MemberId): void {
    this.member(id).leave();
    this.pump(id);
  }

  send(id: MemberId, text?: string): number {
    const c = (this.counter.get(id) ?? 0) + 1;
    this.counter.set(id, c);
    const msgNo = this.member(id).send(new TextEncoder().encode(text ?? `${id}:${c}`));
    this.pump(id);
    return msgNo;
  }

  crash(id: MemberId): void {
    const n = this.nodes.get(id)!;
    n.alive = false;
    n.rec.close();
  }

  pause(id: MemberId): void {
    this.nodes.get(id)!.paused = true;
  }

  resume(id: MemberId): void {
    this.nodes.get(id)!.paused = false;
  }

  /** Cuts every link between the two sides, both ways. */
  partition(a: MemberId[], b: MemberId[]): void {
    for (const x of a) for (const y of b) {
      this.cut.add(`${x}>${y}`);
      this.cut.add(`${y}>${x}`);
    }
  }

  cutOneWay(from: MemberId, to: MemberId): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  aliveIds(): MemberId[] {
    return [...this.nodes].filter(([, n]) => n.alive).map(([id]) => id);
  }

  /** Runs `n` ticks; after each, delivers frames until the network is empty. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const [id, node] of [...this.nodes]) {
        if (!node.alive || node.paused) continue;
        node.m.tick();
        this.pump(id);
      }
      this.deliverAll();
    }
  }

  /** Ticks until `pred` holds; fails the test after `max` ticks. */
  until(pred: () => boolean, max = 2000, what = 'condition'): number {
    for (let i = 0; i < max; i++) {
      if (pred()) return i;
      this.tick();
    }
    throw new Error(`timed out after ${max} ticks waiting for ${what}`);
  }

  deliverAll(limit = 1_000_000): void {
    let budget = limit;
    while (this.queue.length > 0 && budget-- > 0) {
      const q = this.queue;
      this.queue = [];
      for (const { from, to, frame } of q) {
        const node = this.nodes.get(to);
        if (!node || !node.alive || node.paused) {
          this.onWire?.(from, to, frame, 'down');
          continue; // A paused process's frames are lost here, like a full socket.
        }
        if (this.cut.has(`${from}>${to}`)) {
          this.onWire?.(from, to, frame, 'cut');
          continue;
        }
        if (this.filter && !this.filter(from, to, frame)) {
          this.onWire?.(from, to, frame, 'filtered');
          continue;
        }
        this.onWire?.(from, to, frame, 'delivered');
        this.onFrame?.(from, to, frame);
        if (!node.alive) continue;
        node.m.receive(from, frame);
        this.pump(to);
      }
    }
  }

  /**
   * Takes the member's output, in the order of `handOver` (core/drive.ts): events to its trace, frames onto the
   * network, events to the test's record and the application.
   */
  pump(id: MemberId): void {
    const node = this.nodes.get(id)!;
    if (!node.alive) return;
    let provided = false;
    const ended = handOver(node.m.ready(), {
      record: (e) => node.rec.record(e),
      frame: (f) => {
        for (const to of f.to) this.queue.push({ from: id, to, frame: f.frame });
      },
      event: (e) => {
        node.events.push(e);
        if (node.app) provided = this.applyToState(node, e) || provided;
        if (e.type === 'excluded') {
          node.alive = false;
          node.rec.close();
          if (this.rejoinOnExclusion) {
            const [name, inc] = id.split('#');
            this.join(`${name}#${Number(inc) + 1}`);
          }
          return 'ended';
        }
        if (e.type === 'left') {
          node.alive = false;
          return 'ended';
        }
      },
    });
    // A snapshot handed over may let the member answer a joiner's waiting request at once: zero latency here,
    // where the simulator waits for the member's next tick or frame.
    if (provided && !ended) this.pump(id);
  }

  /** The application side of state transfer, in event order; true when a snapshot was handed to the core. */
  private applyToState(node: Node, e: CoreEvent): boolean {
    const app = node.app!;
    switch (e.type) {
      case 'deliver':
        app.apply(e.payload);
        return false;
      case 'install':
        if (!node.m.awaitingState) node.rec.state(e.view.id, app.digest());
        return false;
      case 'snapshot':
        node.m.provideSnapshot(e.view, app.snapshot());
        return true;
      case 'state':
        app.restore(e.data);
        node.rec.state(e.view, app.digest());
        return false;
      default:
        return false;
    }
  }

  /** Views installed by `id`, as id lists. */
  views(id: MemberId): Array<{ id: number; members: readonly MemberId[] }> {
    return this.events(id).filter((e): e is Extract<CoreEvent, { type: 'install' }> => e.type === 'install').map((e) => e.view);
  }

  delivered(id: MemberId): string[] {
    return this.events(id).filter((e): e is Extract<CoreEvent, { type: 'deliver' }> => e.type === 'deliver').map((e) => `${e.sender}/${e.msgNo}`);
  }

  /** All alive members are in one view with exactly the alive members, and nothing is in flight. */
  settled(): boolean {
    const alive = this.aliveIds();
    const v = this.member(alive[0]!).currentView;
    if (!v) return false;
    return alive.every((id) => {
      const m = this.member(id);
      return m.isQuiescent && m.currentView?.id === v.id && m.deliveredSeq === this.member(alive[0]!).deliveredSeq;
    }) && v.members.length === alive.length && alive.every((id) => v.members.includes(id));
  }

  /** Ends every alive member cleanly and checks all traces. */
  finish(opts: { liveness?: boolean } = {}): CheckReport {
    if (opts.liveness !== false) this.until(() => this.settled(), 3000, 'the group to settle');
    for (const n of this.nodes.values()) if (n.alive) n.rec.end();
    return checkTraces(this.memberTraces(), { liveness: opts.liveness !== false });
  }

  memberTraces(): MemberTrace[] {
    return this.traces.map((t) => ({ file: `${t.me}.jsonl`, me: t.me, events: t.sink.lines })) as unknown as MemberTrace[];
  }
}

export function expectOk(report: CheckReport): void {
  if (!report.ok) throw new Error(`checker found violations:\n${report.violations.map((v) => `${v.property}: ${v.message}`).join('\n')}`);
}
