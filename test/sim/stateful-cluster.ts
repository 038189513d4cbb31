import { type CoreConfig, type CoreEvent, type Frame, Member, type MemberId } from '../../src/core/index.js';
import { Prng } from '../../src/sim/prng.js';

type Filter = (from: MemberId, to: MemberId, frame: Frame) => boolean;

/**
 * A scripted cluster of stateful members (state transfer on), for the open questions of docs/protocol.md §11:
 * zero-latency FIFO links, a frame filter, crashes. Each member's application state is the list of payloads it
 * delivered, so a joiner's state is checkable; a snapshot is handed over at once.
 */
export class StatefulCluster {
  readonly members = new Map<MemberId, Member>();
  readonly events = new Map<MemberId, CoreEvent[]>();
  readonly state = new Map<MemberId, string[]>();
  private readonly dead = new Set<MemberId>();
  private queue: Array<{ from: MemberId; to: MemberId; frame: Frame }> = [];
  private readonly rng = new Prng(11);
  filter: Filter | null = null;

  constructor(ids: MemberId[], readonly config: Partial<CoreConfig> = {}) {
    for (const id of ids) this.create(id).bootstrap(ids);
    for (const id of ids) this.pump(id);
    this.deliverAll();
  }

  private create(id: MemberId): Member {
    const r = this.rng.fork();
    const m = new Member({ id, config: this.config, random: () => r.next(), stateful: true });
    this.members.set(id, m);
    this.events.set(id, []);
    this.state.set(id, []);
    return m;
  }

  member(id: MemberId): Member {
    return this.members.get(id)!;
  }

  alive(id: MemberId): boolean {
    const m = this.members.get(id);
    return m !== undefined && !this.dead.has(id) && m.phase !== 'left' && m.phase !== 'excluded';
  }

  join(id: MemberId, contacts: MemberId[]): void {
    this.create(id).join(contacts);
    this.pump(id);
  }

  send(id: MemberId, text: string): void {
    this.member(id).send(new TextEncoder().encode(text));
    this.pump(id);
  }

  crash(id: MemberId): void {
    this.dead.add(id);
  }

  has(id: MemberId, type: CoreEvent['type']): boolean {
    return this.events.get(id)!.some((e) => e.type === type);
  }

  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const [id, m] of [...this.members]) {
        if (this.dead.has(id)) continue;
        m.tick();
        this.pump(id);
      }
      this.deliverAll();
    }
  }

  until(pred: () => boolean, max: number, what: string): number {
    for (let i = 0; i < max; i++) {
      if (pred()) return i;
      this.tick();
    }
    throw new Error(`timed out after ${max} ticks waiting for ${what}`);
  }

  private deliverAll(): void {
    while (this.queue.length > 0) {
      const q = this.queue;
      this.queue = [];
      for (const { from, to, frame } of q) {
        const m = this.members.get(to);
        if (!m || this.dead.has(to) || (this.filter && !this.filter(from, to, frame))) continue;
        m.receive(from, frame);
        this.pump(to);
      }
    }
  }

  private pump(id: MemberId): void {
    if (this.dead.has(id)) return;
    const m = this.member(id);
    const r = m.ready();
    for (const f of r.frames) for (const to of f.to) this.queue.push({ from: id, to, frame: f.frame });
    for (const e of r.events) {
      this.events.get(id)!.push(e);
      const st = this.state.get(id)!;
      if (e.type === 'deliver') st.push(new TextDecoder().decode(e.payload));
      else if (e.type === 'snapshot') m.provideSnapshot(e.view, new TextEncoder().encode(JSON.stringify(st)));
      else if (e.type === 'state') this.state.set(id, JSON.parse(new TextDecoder().decode(e.data)) as string[]);
    }
  }
}
