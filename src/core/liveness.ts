import { FailureDetector } from './failure-detector.js';
import type { MemberId, View } from './types.js';

/**
 * Whom this member counts as live in its view, from three kinds of evidence: heartbeat silence (the failure
 * detector), distrust (a member that did not answer a flush, or through which the ordered stream made no progress:
 * a one-way cut that heartbeats alone do not show), and this member's own watch on the sequencer's progress. One
 * answer, `isLive`, serves both the choice of the flush leader and the survivors of a flush.
 */
export class Liveness {
  private readonly fd: FailureDetector;
  /** Members left out of the next flush until the given tick, although the failure detector still hears them. */
  private readonly distrusted = new Map<MemberId, number>();
  /** Until when this member distrusts the sequencer on its own evidence (member side of §4.2); then it leads. */
  private seqDistrustUntil = -Infinity;
  /** Tick at which this member's received prefix last advanced, or at which it was last not waiting for order. */
  private lastProgressAt = 0;

  constructor(suspectTicks: number, confirmTicks: number) {
    this.fd = new FailureDetector(suspectTicks, confirmTicks);
  }

  /** A new view: watch exactly its other members, with no distrust carried over. */
  watch(others: readonly MemberId[], now: number): void {
    this.distrusted.clear();
    this.seqDistrustUntil = -Infinity;
    this.lastProgressAt = now;
    this.fd.watch(others, now);
  }

  /** Any frame from `m` that passes the shape check is a sign of life. */
  heard(m: MemberId, now: number): void {
    this.fd.heard(m, now);
  }

  /** Advances the detector and lets expired distrust go; returns the members to ping now (newly doubted). */
  tick(now: number): MemberId[] {
    const toPing = this.fd.tick(now);
    for (const [m, until] of this.distrusted) if (until <= now) this.distrusted.delete(m);
    return toPing;
  }

  /** Neither suspected nor distrusted. (This member itself is always live to itself: callers skip it.) */
  isLive(m: MemberId): boolean {
    return !this.fd.isSuspected(m) && !this.distrusted.has(m);
  }

  isDistrusted(m: MemberId): boolean {
    return this.distrusted.has(m);
  }

  /** Leaves `m` out of flushes until tick `until`. */
  distrust(m: MemberId, until: number): void {
    this.distrusted.set(m, until);
  }

  /** Members of the view the failure detector suspects now. */
  get suspects(): ReadonlySet<MemberId> {
    return this.fd.suspects;
  }

  /**
   * Lowest-ranked live member: the one that should run the next flush. Nobody else shares this member's own
   * evidence against the sequencer (the next in line may hear it fine), so while that distrust lasts it runs the
   * view change itself; Paxos ballots keep that safe if the next in line leads too (§11 Q1).
   */
  leaderCandidate(view: View, self: MemberId, now: number): MemberId {
    if (now < this.seqDistrustUntil && this.distrusted.has(view.members[0]!)) return self;
    for (const m of view.members) {
      if (m === self || this.isLive(m)) return m;
    }
    return self;
  }

  /** This member and every live member of the view, in rank order. */
  survivors(view: View, self: MemberId): MemberId[] {
    return view.members.filter((m) => m === self || this.isLive(m));
  }

  /** A member ranked before this one runs a view change: stop leading on the evidence against the sequencer. */
  stepAside(): void {
    this.seqDistrustUntil = -Infinity;
  }

  /** The received prefix advanced: the sequencer orders for this member. */
  progressed(now: number): void {
    this.lastProgressAt = now;
  }

  /**
   * Member side of the progress watch: while this member `waiting` for order (own messages unordered, or a
   * known tail not received) and nothing arrives for `limit` ticks, it distrusts the sequencer for
   * `distrustTicks` and leads the view change itself.
   */
  watchSequencer(sequencer: MemberId, waiting: boolean, now: number, limit: number, distrustTicks: number): void {
    if (!waiting) this.lastProgressAt = now;
    else if (now - this.lastProgressAt > limit) {
      this.seqDistrustUntil = now + distrustTicks;
      this.distrusted.set(sequencer, this.seqDistrustUntil);
      this.lastProgressAt = now;
    }
  }
}
