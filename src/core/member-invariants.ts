import { assert } from './errors.js';
import type { Accepted } from './frames.js';

/** What `Member.checkInvariants` reads of a member: plain figures, no copies of its log or maps. */
export interface MemberFigures {
  id: string;
  /** Current view id (0 before the first install). */
  view: number;
  /** The cut of the decision that installed the current view. */
  viewCut: number;
  delivered: number;
  /** `log.received`: the contiguous prefix held. */
  received: number;
  /** `log.floor`: garbage-collected up to here (this member's `stable`). */
  floor: number;
  commit: number;
  /**
   * How far delivery may go: up to `commit`, then on over held messages that do not wait for a majority (agreed,
   * fifo; `deliverableUpTo` in delivery-kinds.ts). Equal to `min(commit, received)` when every message is safe.
   */
  deliverable: number;
  knownLast: number;
  promised: number;
  frozen: boolean;
  installPending: boolean;
  accepted: Accepted | null;
  /** Target of the running catch-up fetch, or null. */
  fetchTarget: number | null;
  /** View whose state a joiner is still downloading, or null. */
  downloadView: number | null;
  /** The sequencer's watermarks (rank 0 only), and whether `stable` is at or below every member's ack. */
  sequencer: { commit: number; stable: number; stableHeld: boolean } | null;
}

/**
 * The invariants of docs/protocol.md §8 that a member's own state shows, checked after every input by the
 * simulator (`Member.checkInvariants`). Keeps the last figures seen, so that it can assert that watermarks only
 * grow. Cost: a few comparisons, plus the sequencer's O(view) ack scan done by the caller.
 */
export class InvariantWatch {
  private view = -1;
  private delivered = 0;
  private received = 0;
  private floor = 0;
  private commit = 0;
  private knownLast = 0;
  private promised = 0;
  private seqCommit = 0;
  private seqStable = 0;

  check(f: MemberFigures): void {
    const who = f.id;
    // Across views: deliveries only grow (a new view starts at the cut, which covers all delivered).
    assert(f.delivered >= this.delivered, () => `${who}: delivered went back from ${this.delivered} to ${f.delivered}`);
    if (f.view === this.view) {
      // Within a view every watermark only grows (an install may truncate the log above the cut, and a new
      // sequencer starts from the cut).
      assert(f.received >= this.received, () => `${who}: received went back from ${this.received} to ${f.received}`);
      assert(f.floor >= this.floor, () => `${who}: the log floor went back from ${this.floor} to ${f.floor}`);
      assert(f.commit >= this.commit, () => `${who}: commit went back from ${this.commit} to ${f.commit}`);
      assert(f.knownLast >= this.knownLast, () => `${who}: knownLast went back from ${this.knownLast} to ${f.knownLast}`);
      assert(f.promised >= this.promised, () => `${who}: promised went back from ${this.promised} to ${f.promised} in view ${f.view}`);
      if (f.sequencer) {
        assert(f.sequencer.commit >= this.seqCommit, () => `${who}: the sequencer's commit went back`);
        assert(f.sequencer.stable >= this.seqStable, () => `${who}: the sequencer's stable went back`);
      }
    }
    this.view = f.view;
    this.delivered = f.delivered;
    this.received = f.received;
    this.floor = f.floor;
    this.commit = f.commit;
    this.knownLast = f.knownLast;
    this.promised = f.promised;
    this.seqCommit = f.sequencer?.commit ?? 0;
    this.seqStable = f.sequencer?.stable ?? 0;

    // stable ≤ delivered ≤ received, and nothing safe delivered that is not committed (uniform delivery): past
    // `commit` only agreed and fifo messages may have been delivered.
    assert(f.floor <= f.delivered, () => `${who}: the log floor ${f.floor} is above delivered ${f.delivered}`);
    assert(f.delivered <= f.received, () => `${who}: delivered ${f.delivered} beyond received ${f.received}`);
    assert(f.delivered <= f.deliverable, () => `${who}: delivered ${f.delivered} beyond commit ${f.commit} over a message that waits for a majority (deliverable ${f.deliverable})`);
    assert(f.viewCut <= f.delivered || f.downloadView !== null, () => `${who}: delivered ${f.delivered} below its view's cut ${f.viewCut}`);
    // Elsewhere than at the sequencer, commit (the sequencer's, or counted from the acks, each clamped to it) is
    // never above the sequencer's `last` as this member knows it: nobody holds more than the sequencer sent.
    assert(f.sequencer !== null || f.commit <= f.knownLast, () => `${who}: commit ${f.commit} above the sequencer's last ${f.knownLast}`);
    if (f.sequencer) {
      const s = f.sequencer;
      assert(s.stable <= s.commit && s.commit <= f.received, () => `${who}: sequencer watermarks out of order: stable ${s.stable}, commit ${s.commit}, received ${f.received}`);
      assert(s.stableHeld, () => `${who}: stable ${s.stable} above some member's acknowledged prefix`);
    }
    // Frozen by a promise, or by a decided view it is catching up to; a promise always freezes.
    assert(f.promised === 0 || f.frozen, () => `${who}: promised ${f.promised} but not frozen`);
    assert(!f.frozen || f.promised > 0 || f.installPending, () => `${who}: frozen with no promise and no pending install`);
    // No accept below the promise; what is accepted follows the current view.
    if (f.accepted) {
      assert(f.accepted.ballot <= f.promised, () => `${who}: accepted ballot ${f.accepted!.ballot} above promised ${f.promised}`);
      assert(f.accepted.decision.prevView === f.view, () => `${who}: accepted a decision that does not follow view ${f.view}`);
    }
    // A catch-up fetch runs only while frozen, and asks for what lies above the floor (nobody can lack a GC'd entry).
    if (f.fetchTarget !== null) {
      assert(f.frozen, () => `${who}: fetching while not frozen`);
      assert(f.fetchTarget > f.floor, () => `${who}: fetch target ${f.fetchTarget} at or below the floor ${f.floor}`);
    }
    // A joiner delivers and installs nothing before its state is in place.
    if (f.downloadView !== null) {
      assert(f.downloadView === f.view, () => `${who}: installed view ${f.view} while downloading the state of ${f.downloadView}`);
      assert(f.delivered === f.viewCut, () => `${who}: delivered ${f.delivered} past its join cut ${f.viewCut} before its state`);
    }
  }
}
