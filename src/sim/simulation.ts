import type { CoreEvent, Frame, Member, MemberId } from '../core/index.js';
import { handOver } from '../core/drive.js';
import { InvariantError } from '../errors.js';
import { HashChain } from '../rsm/hash-chain.js';
import { MemorySink, type TraceLine } from '../trace/sinks.js';
import { TraceRecorder } from '../trace/trace-recorder.js';
import { simDeliveryKind } from './delivery-mix.js';
import { EventQueue } from './event-queue.js';
import { HostileFrames } from './hostile-frames.js';
import { createMember } from './mutants.js';
import { type FaultKind, SIM_STEP_MS, type SimOptions } from './options.js';
import { Prng } from './prng.js';

/** One process slot: hosts at most one member incarnation at a time (`name#incarnation`). */
interface Slot {
  name: string;
  inc: number;
  id: MemberId;
  member: Member | null;
  recorder: TraceRecorder | null;
  state: 'up' | 'down' | 'paused';
  inbox: Array<{ from: MemberId; frame: Frame }>;
  /** Step at which a downed or excluded slot comes back as a new incarnation (-1: not scheduled). */
  restartAt: number;
  resumeAt: number;
  sent: number;
  joinedAt: number;
  /** The replicated application: a hash chain over delivered payloads (as `vsync member --state-machine hashchain`). */
  app: HashChain;
}

type Ev =
  | { k: 'frame'; to: MemberId; from: MemberId; fromName: string; frame: Frame }
  | { k: 'tick'; slot: Slot }
  | { k: 'step' };

export interface SimStats {
  views: number;
  sends: number;
  delivered: number;
  crashes: number;
  restarts: number;
  pauses: number;
  partitions: number;
  oneWayCuts: number;
  joins: number;
  leaves: number;
  excluded: number;
  faultsDuringFlush: number;
  frames: number;
  dropped: number;
  duplicated: number;
  settled: boolean;
  settleSteps: number;
  /** Frames the members dropped by a rule of frame-rules.ts, per reason (not in the summary line). */
  rejected: Record<string, number>;
  /** With an adversary: hostile frames injected, and the largest value of each `Member.footprint` field seen. */
  injected: number;
  maxFootprint: Record<string, number>;
}

export interface SimRun {
  traces: Array<{ file: string; me: string; events: TraceLine[] }>;
  stats: SimStats;
  /** An invariant of the core that failed (a bug the core caught itself), with the member and step. */
  invariant: string | null;
}

const MAX_PAUSED_INBOX = 20_000;
const FIRST_EXTRA_SLOT = 1000;

/**
 * Runs members on the real core over a simulated network, all from one seed. The fault phase draws frame loss,
 * duplication, reordering, delay, partitions (symmetric and one-way), crashes, pauses, restarts, joins, leaves
 * and multicasts; a settle phase then heals everything and waits for the group to converge.
 */
export class Simulation {
  private readonly rng: Prng;
  private readonly netRng: Prng;
  private readonly appRng: Prng;
  private readonly q = new EventQueue<Ev>();
  private readonly slots: Slot[] = [];
  private readonly byId = new Map<MemberId, Slot>();
  private readonly cuts = new Map<string, number>();
  private readonly heals: Array<{ at: number; pairs: string[] }> = [];
  private readonly allTraces: Array<{ file: string; me: string; sink: MemorySink }> = [];
  private time = 0;
  private step = 0;
  private settling = false;
  private invariant: string | null = null;
  private readonly rates: Record<string, number>;
  private readonly has: (f: FaultKind) => boolean;
  private nextSlotName = FIRST_EXTRA_SLOT;
  private readonly encoder = new TextEncoder();
  readonly stats: SimStats = {
    views: 0, sends: 0, delivered: 0, crashes: 0, restarts: 0, pauses: 0, partitions: 0, oneWayCuts: 0, joins: 0,
    leaves: 0, excluded: 0, faultsDuringFlush: 0, frames: 0, dropped: 0, duplicated: 0, settled: false, settleSteps: 0,
    rejected: {}, injected: 0, maxFootprint: {},
  };
  private readonly hostile: HostileFrames | null = null;
  private readonly advRng: Prng | null = null;

  constructor(private readonly opts: SimOptions) {
    if (opts.members < 2 || opts.members > 64) throw new RangeError('members must be between 2 and 64');
    const root = new Prng(opts.seed);
    this.rng = root.fork();
    this.netRng = root.fork();
    this.appRng = root.fork();
    if (opts.adversary) {
      // Forked last, and only with an adversary: runs without one keep their streams.
      this.advRng = root.fork();
      this.hostile = new HostileFrames(this.advRng.fork(), () => [...this.byId.keys()]);
    }
    this.has = (f) => opts.faults.has(f);
    // Fault rates are drawn per seed, so seeds differ in character and not only in detail.
    const r = (lo: number, hi: number): number => lo + this.rng.next() * (hi - lo);
    this.rates = {
      drop: this.has('drop') ? r(0, 0.05) : 0,
      dup: this.has('dup') ? r(0, 0.04) : 0,
      reorder: this.has('reorder') ? r(0, 0.15) : 0,
      jitter: this.has('delay') ? r(1, 20) : 0,
      partition: this.has('partition') ? r(0.001, 0.004) : 0,
      oneWay: this.has('partition') ? r(0.0005, 0.002) : 0,
      crash: this.has('crash') ? r(0.002, 0.006) : 0,
      pause: this.has('pause') ? r(0.001, 0.003) : 0,
      join: this.has('join') ? r(0.0005, 0.002) : 0,
      leave: this.has('leave') ? r(0.0005, 0.002) : 0,
    };
  }

  run(): SimRun {
    const n = this.opts.members;
    const ids: MemberId[] = [];
    for (let i = 0; i < n; i++) {
      const s = this.newSlot(`n${i}`);
      ids.push(s.id);
    }
    for (const s of this.slots) {
      s.member!.bootstrap(ids);
      this.pump(s);
    }
    for (const s of this.slots) this.q.push(this.rng.int(0, SIM_STEP_MS - 1), { k: 'tick', slot: s });
    this.q.push(SIM_STEP_MS, { k: 'step' });

    const maxSteps = this.opts.steps + this.opts.settleSteps;
    while (this.q.size > 0 && this.invariant === null) {
      const { time, item } = this.q.pop()!;
      this.time = time;
      if (item.k === 'step') {
        this.step++;
        if (this.step === this.opts.steps) this.startSettling();
        if (this.onStep() || this.step >= maxSteps) break;
        this.q.push(time + SIM_STEP_MS, item);
      } else if (item.k === 'tick') {
        this.onTick(item.slot);
        this.q.push(time + SIM_STEP_MS, item);
      } else {
        this.onFrame(item);
      }
    }
    if (this.stats.settled) for (const s of this.slots) if (s.state === 'up' && s.member) s.recorder!.end();
    for (const s of this.slots) if (s.member) this.countRejected(s.member);
    return { traces: this.collectTraces(), stats: this.stats, invariant: this.invariant };
  }

  // ------------------------------------------------------------ slots and incarnations

  private newSlot(name: string): Slot {
    const s: Slot = { name, inc: 0, id: '', member: null, recorder: null, state: 'down', inbox: [], restartAt: -1, resumeAt: -1, sent: 0, joinedAt: 0, app: new HashChain() };
    this.slots.push(s);
    this.incarnate(s);
    return s;
  }

  private incarnate(s: Slot): void {
    s.inc++;
    s.id = `${s.name}#${s.inc}`;
    s.state = 'up';
    s.inbox = [];
    s.restartAt = -1;
    s.sent = 0;
    const seed = this.rng.fork();
    s.app = new HashChain();
    s.member = createMember({ id: s.id, config: this.opts.config, random: () => seed.next(), stateful: this.opts.stateful }, this.opts.mutation);
    const sink = new MemorySink();
    s.recorder = new TraceRecorder(s.id, sink);
    this.allTraces.push({ file: `${s.id}.jsonl`, me: s.id, sink });
    this.byId.set(s.id, s);
  }

  /** A new incarnation joins through whoever is up. */
  private rejoin(s: Slot): void {
    const contacts = this.slots.filter((o) => o !== s && o.state !== 'down' && o.member !== null).map((o) => o.id);
    if (contacts.length === 0) {
      s.restartAt = this.step + 10;
      return;
    }
    if (s.inc > 0) this.stats.restarts++;
    this.byId.delete(s.id);
    this.incarnate(s);
    s.joinedAt = this.step;
    s.member!.join(contacts);
    this.pump(s);
  }

  private countRejected(m: Member): void {
    for (const [k, v] of Object.entries(m.rejectedFrames)) this.stats.rejected[k] = (this.stats.rejected[k] ?? 0) + (v ?? 0);
  }

  private kill(s: Slot): void {
    if (s.member) this.countRejected(s.member);
    s.recorder?.close();
    s.member = null;
    s.recorder = null;
    s.state = 'down';
    s.inbox = [];
  }

  // ------------------------------------------------------------ the event loop

  private guard(s: Slot, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (err instanceof InvariantError || (err as { code?: string }).code === 'VSYNC_ERR_INVARIANT') {
        this.invariant = `${s.id} at step ${this.step}: ${(err as Error).message}`;
        return;
      }
      throw err;
    }
  }

  private onTick(s: Slot): void {
    if (s.state === 'down') {
      if (s.restartAt >= 0 && this.step >= s.restartAt) this.rejoin(s);
      return;
    }
    if (s.state === 'paused' || s.member === null) return;
    const m = s.member;
    if (m.phase === 'joining' && this.step - s.joinedAt > 300) {
      // Its contacts may all be gone: start over as a new incarnation with the members that are up now.
      this.kill(s);
      s.restartAt = this.step;
      return;
    }
    this.guard(s, () => {
      m.tick();
      if (!this.settling && m.phase === 'member') this.workload(s, m);
    });
    this.pump(s);
  }

  private workload(s: Slot, m: Member): void {
    if (!this.appRng.chance(this.opts.sendRate)) return;
    const burst = this.appRng.chance(0.1) ? this.appRng.int(2, 20) : 1;
    for (let i = 0; i < burst; i++) {
      const body = `${s.id}:${++s.sent}:${'x'.repeat(this.appRng.int(0, 64))}`;
      const payload = this.encoder.encode(body);
      if (!m.canSend(payload.byteLength)) return;
      m.send(payload, simDeliveryKind(this.opts.delivery, this.opts.seed, s.id, s.sent));
    }
  }

  private onFrame(e: Extract<Ev, { k: 'frame' }>): void {
    const s = this.byId.get(e.to);
    if (!s || s.id !== e.to || s.state === 'down' || s.member === null) return;
    // Most of the time nothing is cut: skip building the key.
    if (this.cuts.size > 0 && this.cuts.has(`${e.fromName}>${s.name}`)) {
      this.stats.dropped++;
      return;
    }
    if (s.state === 'paused') {
      if (s.inbox.length < MAX_PAUSED_INBOX) s.inbox.push({ from: e.from, frame: e.frame });
      return;
    }
    const m = s.member;
    this.guard(s, () => m.receive(e.from, e.frame));
    this.pump(s);
  }

  /**
   * Takes the member's output, in the order of `handOver` (core/drive.ts): events to its trace, frames into the
   * network, events to the application. Every input to a member (bootstrap, join, tick, frame, leave) is followed
   * by this, so it is where the member is checked after every event. A snapshot the application hands over goes
   * out with the member's next output (its next tick or frame), not at once.
   */
  private pump(s: Slot): void {
    const m = s.member;
    if (m === null) return;
    let r;
    try {
      r = m.ready();
    } catch (err) {
      if (err instanceof InvariantError) {
        this.invariant = `${s.id} at step ${this.step}: ${err.message}`;
        return;
      }
      throw err;
    }
    handOver(r, {
      record: (ev) => s.recorder!.record(ev),
      frame: (out) => {
        for (const to of out.to) this.transmit(s, to, out.frame);
      },
      event: (ev) => this.onMemberEvent(s, ev),
    });
    if (s.member === m) this.afterEvent(s, m);
  }

  /**
   * THE place the simulator checks a member after every event it handled: each input to a member ends in `pump`,
   * which calls this once the output is handed over. Per-member invariant checks go here (inside `guard`, so a
   * broken invariant ends the run with the member and step). A member whose incarnation just ended is not checked.
   */
  private afterEvent(s: Slot, m: Member): void {
    // The core's own invariants after every input (mutant runs test the checker of src/check/ instead: the core's
    // check would stop them before the checker sees the broken traces).
    if (this.opts.mutation === undefined) this.guard(s, () => m.checkInvariants());
  }

  /** What the simulated application does with one event of its member; 'ended' when the incarnation is over. */
  private onMemberEvent(s: Slot, ev: CoreEvent): void | 'ended' {
    if (this.opts.stateful) this.applyToState(s, ev);
    if (ev.type === 'excluded') {
      this.stats.excluded++;
      this.kill(s);
      s.restartAt = this.step + this.rng.int(5, 30);
      return 'ended';
    }
    if (ev.type === 'left') {
      this.kill(s);
      if (!this.settling && this.has('restart')) s.restartAt = this.step + this.rng.int(20, 200);
      return 'ended';
    }
  }

  /** The application side of state transfer: apply deliveries, hand snapshots over, take received state. */
  private applyToState(s: Slot, ev: CoreEvent): void {
    switch (ev.type) {
      case 'deliver':
        s.app.apply(ev.payload);
        break;
      case 'install':
        if (!s.member!.awaitingState) s.recorder!.state(ev.view.id, s.app.digest());
        break;
      case 'snapshot':
        s.member!.provideSnapshot(ev.view, s.app.snapshot());
        break;
      case 'state':
        s.app.restore(ev.data);
        s.recorder!.state(ev.view, s.app.digest());
        break;
      default:
        break;
    }
  }

  private transmit(from: Slot, to: MemberId, frame: Frame): void {
    this.stats.frames++;
    const dest = this.byId.get(to);
    if (!dest) return;
    const net = this.netRng;
    if ((this.cuts.size > 0 && this.cuts.has(`${from.name}>${dest.name}`)) || (this.rates['drop']! > 0 && net.chance(this.rates['drop']!))) {
      this.stats.dropped++;
      return;
    }
    const copies = this.rates['dup']! > 0 && net.chance(this.rates['dup']!) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let c = 0; c < copies; c++) {
      let delay = 0.2 + net.next() * 0.5 + (this.rates['jitter']! > 0 ? net.next() * this.rates['jitter']! : 0);
      if (this.rates['reorder']! > 0 && net.chance(this.rates['reorder']!)) delay += 5 + net.next() * 40;
      this.q.push(this.time + delay, { k: 'frame', to, from: from.id, fromName: from.name, frame });
    }
  }

  // ------------------------------------------------------------ faults (once per step)

  /** Returns true when the run is over. */
  private onStep(): boolean {
    for (const s of this.slots) {
      if (s.state === 'paused' && this.step >= s.resumeAt) this.resume(s);
    }
    for (let i = this.heals.length - 1; i >= 0; i--) {
      const h = this.heals[i]!;
      if (this.step >= h.at) {
        this.uncut(h.pairs);
        this.heals.splice(i, 1);
      }
    }
    if (this.settling) {
      this.stats.settleSteps++;
      if (this.step % 10 === 0 && this.converged()) {
        this.stats.settled = true;
        return true;
      }
      return false;
    }
    this.injectFaults();
    if (this.hostile) this.attack();
    return false;
  }

  /** Hands hostile frames to members, as if from an authenticated link of their (claimed) sender. */
  private attack(): void {
    const rng = this.advRng!;
    const adv = this.opts.adversary!;
    let n = Math.floor(adv.rate) + (rng.chance(adv.rate % 1) ? 1 : 0);
    const targets = this.slots.filter((s) => s.state === 'up' && s.member !== null);
    while (n-- > 0 && targets.length > 0) {
      const t = rng.pick(targets);
      const m = t.member!;
      const view = m.currentView;
      let from = `evil#${rng.int(1, 3)}`;
      if (adv.asMembers) {
        const others = view ? view.members.filter((x) => x !== t.id) : [];
        if (others.length === 0) continue;
        from = rng.pick(others);
      }
      const frame = this.hostile!.frame(view?.id ?? 0, m.deliveredSeq);
      // A non-member asking to join in its own name is a joiner, and once admitted a member (that may lie):
      // that is the other adversary. This one stays outside the group.
      if (!adv.asMembers && frame.t === 'join' && frame.joiner === from) continue;
      this.stats.injected++;
      this.q.push(this.time + rng.next(), { k: 'frame', to: t.id, from, fromName: this.byId.get(from)?.name ?? 'evil', frame });
    }
    for (const s of this.slots) {
      if (s.member === null) continue;
      for (const [k, v] of Object.entries(s.member.footprint)) if (v > (this.stats.maxFootprint[k] ?? 0)) this.stats.maxFootprint[k] = v;
    }
  }

  private injectFaults(): void {
    const rng = this.rng;
    const r = this.rates;
    // Recomputed before each fault: an earlier fault of this step may have taken a slot down.
    const upNow = (): Slot[] => this.slots.filter((s) => s.state === 'up' && s.member !== null && s.member.phase === 'member');
    let up = upNow();
    if (up.length === 0) return;
    if (r['crash']! > 0 && rng.chance(r['crash']!)) {
      const victim = rng.pick(up);
      if (this.canLose([victim])) {
        this.noteFault();
        this.stats.crashes++;
        this.kill(victim);
        if (this.has('restart')) victim.restartAt = this.step + rng.int(10, 150);
      }
    }
    up = upNow();
    if (r['pause']! > 0 && rng.chance(r['pause']!) && up.length > 0) {
      const victim = rng.pick(up);
      if (this.canLose([victim])) {
        this.noteFault();
        this.stats.pauses++;
        victim.state = 'paused';
        victim.resumeAt = this.step + rng.int(20, 250);
      }
    }
    if (r['partition']! > 0 && rng.chance(r['partition']!)) {
      const live = this.slots.filter((s) => s.state !== 'down');
      const k = rng.int(1, Math.max(1, Math.floor((live.length - 1) / 2)));
      const side: Slot[] = [];
      const pool = [...live];
      for (let i = 0; i < k && pool.length > 0; i++) side.push(pool.splice(Math.floor(rng.next() * pool.length), 1)[0]!);
      if (side.length > 0 && this.canLose(side)) {
        this.noteFault();
        this.stats.partitions++;
        const pairs: string[] = [];
        for (const a of side) for (const b of this.slots) if (!side.includes(b)) pairs.push(`${a.name}>${b.name}`, `${b.name}>${a.name}`);
        this.cut(pairs, this.step + rng.int(20, 150));
      }
    }
    up = upNow();
    if (r['oneWay']! > 0 && rng.chance(r['oneWay']!) && up.length >= 2) {
      const a = rng.pick(up);
      const b = rng.pick(up.filter((s) => s !== a));
      if (this.canLose([a, b])) {
        this.noteFault();
        this.stats.oneWayCuts++;
        this.cut([`${a.name}>${b.name}`], this.step + rng.int(20, 150));
      }
    }
    if (r['join']! > 0 && rng.chance(r['join']!) && this.slots.length < 2 * this.opts.members && this.slots.length < 64) {
      this.noteFault();
      this.stats.joins++;
      const s = this.newSlotDown(`n${this.nextSlotName++}`);
      this.rejoin(s);
    }
    up = upNow();
    if (r['leave']! > 0 && rng.chance(r['leave']!) && up.length > 0) {
      const victim = rng.pick(up);
      if (this.canLose([victim])) {
        this.noteFault();
        this.stats.leaves++;
        victim.member!.leave();
        this.pump(victim);
      }
    }
  }

  private newSlotDown(name: string): Slot {
    const s: Slot = { name, inc: 0, id: `${name}#0`, member: null, recorder: null, state: 'down', inbox: [], restartAt: -1, resumeAt: -1, sent: 0, joinedAt: 0, app: new HashChain() };
    this.slots.push(s);
    this.q.push(this.time + this.rng.int(1, SIM_STEP_MS), { k: 'tick', slot: s });
    return s;
  }

  private noteFault(): void {
    if (this.slots.some((s) => s.member?.isBlocked)) this.stats.faultsDuringFlush++;
  }

  /**
   * The harness keeps a majority of every current view healthy, so the group can always make progress: the
   * protocol itself is what must stay safe when more fails; this only keeps the liveness phase meaningful.
   */
  private canLose(victims: Slot[]): boolean {
    const lost = new Set(victims.map((v) => v.id));
    const views = new Map<number, readonly MemberId[]>();
    for (const s of this.slots) {
      const v = s.member?.currentView;
      if (v) views.set(v.id, v.members);
    }
    for (const members of views.values()) {
      let healthy = 0;
      for (const id of members) {
        const s = this.byId.get(id);
        if (!s || s.id !== id || lost.has(id) || s.state !== 'up' || s.member === null || s.member.phase !== 'member') continue;
        if (this.isCutOff(s)) continue;
        healthy++;
      }
      if (2 * healthy <= members.length + 1) return false;
    }
    return true;
  }

  private isCutOff(s: Slot): boolean {
    for (const key of this.cuts.keys()) {
      const [a, b] = key.split('>');
      if (a === s.name || b === s.name) return true;
    }
    return false;
  }

  private cut(pairs: string[], healAt: number): void {
    for (const p of pairs) this.cuts.set(p, (this.cuts.get(p) ?? 0) + 1);
    this.heals.push({ at: healAt, pairs });
  }

  private uncut(pairs: string[]): void {
    for (const p of pairs) {
      const c = (this.cuts.get(p) ?? 0) - 1;
      if (c <= 0) this.cuts.delete(p);
      else this.cuts.set(p, c);
    }
  }

  private resume(s: Slot): void {
    s.state = 'up';
    const inbox = s.inbox;
    s.inbox = [];
    for (const { from, frame } of inbox) {
      if (s.member === null) break;
      const m = s.member;
      this.guard(s, () => m.receive(from, frame));
      this.pump(s);
    }
  }

  // ------------------------------------------------------------ settling

  private startSettling(): void {
    this.settling = true;
    this.heals.length = 0;
    this.cuts.clear();
    for (const s of this.slots) {
      if (s.state === 'paused') this.resume(s);
    }
  }

  /**
   * For debugging a run that does not settle: where each slot is, one line each. Reads only the member's public
   * getters, so it keeps working however the core arranges its fields.
   */
  describe(): string[] {
    return this.slots.map((s) => {
      const head = `${s.id} ${s.state} restartAt=${s.restartAt}`;
      const m = s.member;
      if (m === null) return head;
      const v = m.currentView;
      return `${head} phase=${m.phase} view=${v ? `${v.id}:${v.members.join(',')}` : '-'} quiescent=${m.isQuiescent} ` +
        `blocked=${m.isBlocked} pending=${m.pendingSends} delivered=${m.deliveredSeq} received=${m.receivedSeq} ` +
        `stable=${m.stableSeq} commit=${m.commitSeq} suspects=${m.suspectedMembers.join(',')}`;
    });
  }

  private converged(): boolean {
    const up = this.slots.filter((s) => s.state !== 'down' || s.restartAt >= 0);
    if (up.some((s) => s.state !== 'up' || s.member === null || !s.member.isQuiescent)) return false;
    const v0 = up[0]?.member?.currentView;
    if (!v0) return false;
    const ids = new Set(up.map((s) => s.id));
    if (v0.members.length !== ids.size || v0.members.some((m) => !ids.has(m))) return false;
    const d0 = up[0]!.member!.deliveredSeq;
    return up.every((s) => s.member!.currentView!.id === v0.id && s.member!.deliveredSeq === d0);
  }

  private collectTraces(): SimRun['traces'] {
    const views = new Set<number>();
    let sends = 0;
    let delivered = 0;
    for (const t of this.allTraces) {
      for (const l of t.sink.lines) {
        if (l.ev === 'install') views.add((l['view'] as { id: number }).id);
        else if (l.ev === 'send') sends++;
        else if (l.ev === 'deliver') delivered++;
      }
    }
    this.stats.views = views.size;
    this.stats.sends = sends;
    this.stats.delivered = delivered;
    return this.allTraces.map((t) => ({ file: t.file, me: t.me, events: t.sink.lines }));
  }
}
