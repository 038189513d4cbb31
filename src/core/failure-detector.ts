import type { MemberId } from './types.js';

/**
 * Heartbeat-silence detector with a double-check: a silent member is first doubted and pinged directly, and only
 * suspected if it stays silent through the confirmation window, so one late heartbeat never evicts a healthy
 * member. Any frame from a member counts as a sign of life.
 */
export class FailureDetector {
  private lastHeard = new Map<MemberId, number>();
  private doubtedAt = new Map<MemberId, number>();
  private suspected = new Set<MemberId>();

  constructor(
    private readonly suspectTicks: number,
    private readonly confirmTicks: number,
  ) {}

  /** Starts watching exactly `members` (the current view), giving each a fresh grace period. */
  watch(members: Iterable<MemberId>, now: number): void {
    this.lastHeard.clear();
    this.doubtedAt.clear();
    this.suspected.clear();
    for (const m of members) this.lastHeard.set(m, now);
  }

  heard(m: MemberId, now: number): void {
    if (!this.lastHeard.has(m)) return;
    this.lastHeard.set(m, now);
    this.doubtedAt.delete(m);
    this.suspected.delete(m);
  }

  /** Advances the detector; returns the members to ping now (newly doubted). */
  tick(now: number): MemberId[] {
    const toPing: MemberId[] = [];
    for (const [m, t] of this.lastHeard) {
      if (this.suspected.has(m)) continue;
      const d = this.doubtedAt.get(m);
      if (d === undefined) {
        if (now - t >= this.suspectTicks) {
          this.doubtedAt.set(m, now);
          toPing.push(m);
        }
      } else if (now - d >= this.confirmTicks) {
        this.suspected.add(m);
      }
    }
    return toPing;
  }

  isSuspected(m: MemberId): boolean {
    return this.suspected.has(m);
  }

  get suspects(): ReadonlySet<MemberId> {
    return this.suspected;
  }
}
