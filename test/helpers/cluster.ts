import { checkTraces, type CheckReport, type MemberTrace } from '../../src/check/index.js';
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
}

export type FrameFilter = (from: MemberId, to: MemberId, frame: Frame) => boolean;

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
  private readonly rng = new Prng(7);
  private counter = new Map<MemberId, number>();
  rejoinOnExclusion = true;

  constructor(ids: MemberId[], readonly config: Partial<CoreConfig> = {}) {
    for (const id of ids) this.create(id);
    for (const id of ids) this.nodes.get(id)!.m.bootstrap(ids);
    for (const id of ids) this.pump(id);
    this.deliverAll();
  }

  private create(id: MemberId): Node {
    const r = this.rng.fork();
    const sink = new MemorySink();
    const node: Node = { m: new Member({ id, config: this.config, random: () => r.next() }), rec: new TraceRecorder(id, sink), sink, alive: true, paused: false, events: [] };
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
        if (!node || !node.alive || node.paused) continue; // A paused process's frames are lost here, like a full socket.
        if (this.cut.has(`${from}>${to}`)) continue;
        if (this.filter && !this.filter(from, to, frame)) continue;
        this.onFrame?.(from, to, frame);
        if (!node.alive) continue;
        node.m.receive(from, frame);
        this.pump(to);
      }
    }
  }

  pump(id: MemberId): void {
    const node = this.nodes.get(id)!;
    if (!node.alive) return;
    const r = node.m.ready();
    // Frames first: a leader that leaves still sends the view that lets the others go on.
    for (const f of r.frames) for (const to of f.to) this.queue.push({ from: id, to, frame: f.frame });
    for (const e of r.events) {
      node.events.push(e);
      node.rec.record(e);
      if (e.type === 'excluded') {
        node.alive = false;
        node.rec.close();
        if (this.rejoinOnExclusion) {
          const [name, inc] = id.split('#');
          this.join(`${name}#${Number(inc) + 1}`);
        }
        return;
      }
      if (e.type === 'left') {
        node.alive = false;
        return;
      }
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
