import { type CoreConfig, type CoreEvent, type Frame, Member, type MemberId } from '../../src/core/index.js';
import { EventQueue } from '../../src/sim/event-queue.js';
import { Prng } from '../../src/sim/prng.js';

/**
 * Issue 9, finding 4, on the real core: one founder and several joiners started at once, every member sending
 * as soon as it is in, on a loaded machine (every process stalls now and then, so its 10 ms ticks run late and
 * its input waits). Measures how long each joiner takes to be admitted. Times are in simulated milliseconds.
 */
export interface JoinLoadOptions {
  seed: number;
  joiners: number;
  /** Messages per member per 10 ms tick once it is a member (150 msg/s ≈ 1.5). */
  sendPerTick: number;
  payloadBytes: number;
  /** Chance per tick that a process stalls, and the stall's length range in ms. */
  stallChance: number;
  stallMs: [number, number];
  /** One-way network latency range in ms. */
  latencyMs: [number, number];
  stateful: boolean;
  durationMs: number;
  config?: Partial<CoreConfig>;
  debug?: (line: string) => void;
}

export const DEFAULT_JOIN_LOAD: Omit<JoinLoadOptions, 'seed'> = {
  joiners: 4,
  sendPerTick: 1.5,
  payloadBytes: 200,
  stallChance: 0.02,
  stallMs: [20, 300],
  latencyMs: [0.2, 3],
  stateful: false,
  durationMs: 20_000,
};

interface Proc {
  name: string;
  inc: number;
  m: Member;
  busyUntil: number;
  /** When this slot started asking to join (first incarnation), and when it first became a member. */
  askedAt: number;
  admittedAt: number;
}

type Ev = { k: 'tick'; p: Proc } | { k: 'frame'; to: MemberId; from: MemberId; frame: Frame } | { k: 'start'; p: Proc };

export interface JoinLoadResult {
  /** Admission delay per joiner in ms (Infinity: never admitted). */
  delays: number[];
  excluded: number;
  views: number;
}

export function runJoinLoad(o: JoinLoadOptions): JoinLoadResult {
  const rng = new Prng(o.seed);
  const q = new EventQueue<Ev>();
  const procs: Proc[] = [];
  const byId = new Map<MemberId, Proc>();
  let now = 0;
  let excluded = 0;
  const viewIds = new Set<number>();
  const payload = new Uint8Array(o.payloadBytes);

  const make = (name: string, inc: number): Member => {
    const r = rng.fork();
    return new Member({ id: `${name}#${inc}`, config: o.config, random: () => r.next(), stateful: o.stateful });
  };
  const contactsOf = (p: Proc): MemberId[] => procs.filter((x) => x !== p).map((x) => x.m.id);

  const pump = (p: Proc): void => {
    const r = p.m.ready();
    for (const f of r.frames) {
      for (const to of f.to) {
        const lat = o.latencyMs[0] + rng.next() * (o.latencyMs[1] - o.latencyMs[0]);
        q.push(now + lat, { k: 'frame', to, from: p.m.id, frame: f.frame });
      }
    }
    for (const e of r.events) onEvent(p, e);
  };

  const onEvent = (p: Proc, e: CoreEvent): void => {
    if (o.debug && e.type !== 'deliver' && e.type !== 'send') o.debug(`${now.toFixed(0)} ${p.m.id} ${JSON.stringify(e, (k, v) => (k === 'payload' || k === 'data' ? undefined : v))}`);
    if (e.type === 'install') {
      viewIds.add(e.view.id);
      if (p.admittedAt < 0 && !p.m.awaitingState) p.admittedAt = now;
    } else if (e.type === 'state') {
      if (p.admittedAt < 0) p.admittedAt = now;
    } else if (e.type === 'snapshot') {
      p.m.provideSnapshot(e.view, new Uint8Array(1024));
    } else if (e.type === 'excluded') {
      excluded++;
      // As the API does: a new incarnation joins again.
      p.inc++;
      byId.delete(p.m.id);
      p.m = make(p.name, p.inc);
      byId.set(p.m.id, p);
      p.m.join(contactsOf(p));
      pump(p);
    }
  };

  const founder: Proc = { name: 'f', inc: 1, m: make('f', 1), busyUntil: 0, askedAt: 0, admittedAt: 0 };
  procs.push(founder);
  byId.set(founder.m.id, founder);
  for (let i = 0; i < o.joiners; i++) {
    const p: Proc = { name: `j${i}`, inc: 1, m: make(`j${i}`, 1), busyUntil: 0, askedAt: -1, admittedAt: -1 };
    procs.push(p);
    byId.set(p.m.id, p);
  }
  founder.m.bootstrap([founder.m.id]);
  pump(founder);
  for (const p of procs) q.push(rng.next() * 10, { k: 'tick', p });
  for (const p of procs) if (p !== founder) q.push(100 + rng.next() * 50, { k: 'start', p });

  while (q.size > 0) {
    const { time, item } = q.pop()!;
    if (time > o.durationMs) break;
    now = time;
    if (item.k === 'frame') {
      const p = byId.get(item.to);
      if (!p || p.m.id !== item.to) continue;
      if (p.busyUntil > now) {
        q.push(p.busyUntil, item);
        continue;
      }
      p.m.receive(item.from, item.frame);
      pump(p);
    } else if (item.k === 'start') {
      item.p.askedAt = now;
      item.p.m.join(contactsOf(item.p));
      pump(item.p);
    } else {
      const p = item.p;
      // setInterval under load: a late timer fires once, not once per missed period.
      if (p.busyUntil > now) {
        q.push(p.busyUntil, item);
        continue;
      }
      q.push(now + 10, item);
      if (rng.chance(o.stallChance)) p.busyUntil = now + o.stallMs[0] + rng.next() * (o.stallMs[1] - o.stallMs[0]);
      p.m.tick();
      if (p.m.phase === 'member' && !p.m.awaitingState) {
        let n = Math.floor(o.sendPerTick) + (rng.chance(o.sendPerTick % 1) ? 1 : 0);
        while (n-- > 0 && p.m.canSend(payload.byteLength)) p.m.send(payload);
      }
      pump(p);
    }
  }
  const delays = procs.filter((p) => p !== founder).map((p) => (p.admittedAt < 0 ? Infinity : p.admittedAt - p.askedAt));
  return { delays, excluded, views: viewIds.size };
}
