import { AckTable, majorityHeld } from './ack-table.js';
import type { MemberId } from './types.js';

/**
 * What the sequencer (rank 0 of the view) keeps: the next forward number it expects from each sender, and, in the
 * view's `AckTable`, each member's acknowledged contiguous received prefix, from which it derives
 * - `commit`: the highest sequence number a majority of the view has received (`majorityHeld`, which the other
 *   members use too, for their own commit). Messages up to it may be delivered: any majority that runs the next
 *   flush includes one of those members, so the flush's cut covers it.
 * - `stable`: the highest sequence number every member has received; the log can forget up to it.
 */
export class SequencerState {
  private readonly expected = new Map<MemberId, number>();
  private scratch: number[] = [];
  commit: number;
  stable: number;
  /** Highest sequence number multicast to the view so far. */
  broadcastUpTo: number;

  private readonly advancedAt = new Map<MemberId, number>();

  /**
   * @param acks the view's ack table (`ViewState.acks`): one table per view, whoever reads it.
   */
  constructor(
    private readonly viewStart: number,
    private readonly startedAt = 0,
    private readonly acks = new AckTable(viewStart),
  ) {
    this.commit = viewStart;
    // Unknown until every member has acknowledged in this view: a member still installing may need the old tail.
    this.stable = 0;
    this.broadcastUpTo = viewStart;
  }

  expectedFseq(sender: MemberId): number {
    return this.expected.get(sender) ?? 1;
  }

  setExpectedFseq(sender: MemberId, fseq: number): void {
    this.expected.set(sender, fseq);
  }

  ack(member: MemberId, received: number, now = 0): void {
    if (this.acks.record(member, received)) this.advancedAt.set(member, now);
  }

  /**
   * Members that lag behind `last` and whose acknowledgements have not advanced for `limit` ticks since they last
   * advanced or last had everything (`patientLimit` for the members in `patient`: joiners still loading their
   * state, whose log bound stops their acks). Called every tick while unfrozen.
   */
  stalled(members: readonly MemberId[], self: MemberId, last: number, now: number, limit: number, patient?: ReadonlySet<MemberId>, patientLimit = limit): MemberId[] {
    const out: MemberId[] = [];
    for (const m of members) {
      if (m === self) continue;
      const ack = this.acks.get(m) ?? this.viewStart;
      // A member that has everything is not late: its clock starts when it falls behind, not at its last
      // advance, or a quiet spell longer than `limit` would blame whoever has not acked the next order yet.
      if (ack >= last) {
        this.advancedAt.set(m, now);
        continue;
      }
      const since = this.advancedAt.get(m) ?? this.startedAt;
      if (now - since > (patient?.has(m) ? patientLimit : limit)) out.push(m);
    }
    return out;
  }

  /** True when `stable` is at or below every other member's acknowledged prefix and `selfReceived` (O(view)). */
  stableHeld(members: readonly MemberId[], self: MemberId, selfReceived: number): boolean {
    if (this.stable > selfReceived) return false;
    for (const m of members) if (m !== self && this.stable > (this.acks.get(m) ?? this.viewStart)) return false;
    return true;
  }

  /** Returns true when `commit` or `stable` moved. */
  recompute(members: readonly MemberId[], self: MemberId, selfReceived: number): boolean {
    const v = this.scratch;
    v.length = 0;
    let all = true;
    let least = Infinity;
    for (const m of members) {
      const a = m === self ? selfReceived : this.acks.get(m);
      if (a === undefined) all = false;
      const held = a ?? this.viewStart;
      v.push(held);
      if (held < least) least = held;
    }
    const commit = Math.max(this.commit, majorityHeld(v));
    const stable = all ? Math.max(this.stable, least) : this.stable;
    const changed = commit !== this.commit || stable !== this.stable;
    this.commit = commit;
    this.stable = stable;
    return changed;
  }
}
