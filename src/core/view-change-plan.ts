import { RANKS } from './ballot.js';
import { assert } from './errors.js';
import type { MemberId, View } from './types.js';

/** The bounds a view change respects. */
export interface ViewChangeLimits {
  /** The configured cap on a view's size (`CoreConfig.maxMembers`); ballots cap it at `RANKS` too. */
  maxMembers: number;
}

/** What a flush leader proposes to do with the current view, decided before it sends its prepare. */
export interface ViewChangePlan {
  /** Members of the view this leader can reach (itself first among equals): the flush's acceptors. */
  survivors: readonly MemberId[];
  /** Survivors that leave gracefully in this change (empty when their leave must wait, see below). */
  leavers: MemberId[];
  /** Confirmed joiners admitted by this change, in the order their requests first arrived. */
  joiners: MemberId[];
  /** Survivors that stay in the next view (`survivors − leavers`). */
  stay: number;
  /**
   * The survivors are a majority of the view (the primary component): a flush may start. Otherwise the leader
   * reports `minority` and sends nothing, so a minority freezes nobody.
   */
  primary: boolean;
}

/** The largest view a change may produce. */
export function viewCapacity(limits: ViewChangeLimits): number {
  return Math.min(RANKS, limits.maxMembers);
}

/**
 * The joiners a change admits: the confirmed ones not already in the view, in arrival order, as many as the view
 * has room for beside the survivors, and never more than the members that stay (one may join a lone member):
 * should every joiner vanish right after its admission, those members are still a majority and can remove them.
 */
export function admitJoiners(view: View, confirmed: readonly MemberId[], survivors: number, stay: number, limits: ViewChangeLimits): MemberId[] {
  return roomForJoiners(view, confirmed, survivors, limits).slice(0, Math.max(1, stay - 1));
}

/** The confirmed joiners not in the view, as many as fit beside `survivors` members (no cap by who stays). */
function roomForJoiners(view: View, confirmed: readonly MemberId[], survivors: number, limits: ViewChangeLimits): MemberId[] {
  const joiners = confirmed.filter((j) => !view.members.includes(j));
  return joiners.slice(0, Math.max(0, viewCapacity(limits) - survivors));
}

/**
 * The primary-component and leave/join rules of a view change (docs/protocol.md §1). `survivors` are the members
 * the leader can reach now, `confirmedJoins` the pending joiners that answered its ping (arrival order),
 * `pendingLeaves` the members that asked to leave.
 *
 * Leaves wait when they would cost the majority (a crash at the same time), or when they would hand the group to
 * joiners alone: failures and joins first, the leaves in the next view change. When every survivor leaves and no
 * join is pending, the group dissolves (`stay = 0`, no joiners).
 */
export function planViewChange(
  view: View,
  survivors: readonly MemberId[],
  confirmedJoins: readonly MemberId[],
  pendingLeaves: ReadonlySet<MemberId>,
  limits: ViewChangeLimits,
): ViewChangePlan {
  const n = view.members.length;
  const admissible = roomForJoiners(view, confirmedJoins, survivors.length, limits);
  let leavers = view.members.filter((m) => pendingLeaves.has(m) && survivors.includes(m));
  let stay = survivors.length - leavers.length;
  if ((stay > 0 && 2 * stay <= n - leavers.length) || (stay === 0 && admissible.length > 0)) {
    leavers = [];
    stay = survivors.length;
  }
  const joiners = admissible.slice(0, Math.max(1, stay - 1));
  const primary = 2 * survivors.length > n;
  // "Keep a majority of the view without those who leave gracefully" follows from deferring the leaves above
  // (§11 Q12): with leavers kept, `2·stay > n − |leavers|`; with none, it is the survivor majority itself.
  assert(!primary || stay === 0 || 2 * stay > n - leavers.length, 'a primary plan keeps a majority without its leavers');
  return { survivors, leavers, joiners, stay, primary };
}
