import { assert } from './errors.js';
import type { MemberId } from './types.js';

const descending = (a: number, b: number): number => b - a;

/**
 * The highest sequence number a majority of a view holds, given one held prefix per member of the view (in any
 * order): the ⌊n/2⌋+1-th highest value. Any majority that runs the next flush includes one of those holders, so
 * the flush's cut covers it (docs/protocol.md §7). Sorts `held` in place: callers pass a scratch array, so that
 * the hot path allocates nothing.
 */
export function majorityHeld(held: number[]): number {
  assert(held.length > 0, () => 'majority of an empty view');
  held.sort(descending);
  return held[Math.floor(held.length / 2)]!;
}

/**
 * The acknowledgements of one view: the highest `received` each member acknowledged (they only grow: a late,
 * lower ack changes nothing). Every member keeps one per view (`ViewState.acks`), since every non-sequencer sends
 * its acks to every other member: the sequencer derives `commit` and `stable` from it (`SequencerState`), the
 * others their own commit (`localCommit`), which saves them the round of the sequencer's status. Holds at most one
 * entry per member of the view (the frame rules take acks only from members).
 */
export class AckTable {
  private readonly acks = new Map<MemberId, number>();
  private readonly scratch: number[] = [];
  /** An ack raised an entry since the last `localCommit`: the commit may have moved (computed once per turn). */
  moved = false;

  /** @param viewStart the view's cut: what a member that has not acknowledged yet is known to hold. */
  constructor(readonly viewStart: number) {}

  /** Records `received` from `member`; true when it raised that member's entry. */
  record(member: MemberId, received: number): boolean {
    const old = this.acks.get(member);
    if (old !== undefined && received <= old) return false;
    this.acks.set(member, received);
    this.moved = true;
    return true;
  }

  /** The highest `received` `member` acknowledged in this view, or undefined if none yet. */
  get(member: MemberId): number | undefined {
    return this.acks.get(member);
  }

  /**
   * The commit a non-sequencer sees for itself: what a majority of `members` holds, counting its own
   * `selfReceived`, the sequencer's (`members[0]`) holding as its `last` (`knownLast`), and every other member's
   * ack (the view start if none yet). Each value is clamped to `knownLast`: nobody holds more than the sequencer
   * sent, and an ack above what this member has heard of counts as `knownLast` only, which is conservative (the
   * frame rules accept such acks from a member legitimately ahead). Every value is what its member really held at
   * some time in this view while not frozen, and logs do not shrink within a view, so the result is held by a
   * majority exactly as the sequencer's `commit` is (§7). O(view).
   */
  localCommit(members: readonly MemberId[], self: MemberId, selfReceived: number, knownLast: number): number {
    this.moved = false;
    const v = this.scratch;
    v.length = 0;
    for (const m of members) {
      const held = m === self ? selfReceived : m === members[0] ? knownLast : (this.acks.get(m) ?? this.viewStart);
      v.push(Math.min(held, knownLast));
    }
    return majorityHeld(v);
  }
}
