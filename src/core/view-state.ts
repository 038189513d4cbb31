import { AckTable } from './ack-table.js';
import type { Accepted, Decision } from './frames.js';
import type { PromiseReply } from './paxos-choice.js';
import { SequencerState } from './sequencer-state.js';
import type { MemberId } from './types.js';

/** A flush this member leads: Paxos-style prepare/accept over the survivors of the view. */
export interface Attempt {
  ballot: number;
  survivors: MemberId[];
  leavers: MemberId[];
  joiners: MemberId[];
  phase: 'prepare' | 'accept';
  promises: Map<MemberId, PromiseReply>;
  acks: Set<MemberId>;
  decision: Decision | null;
  source: MemberId | null;
  lastProgressAt: number;
  lastSendAt: number;
}

/**
 * A decision this member made as flush leader that leaves it out of the next view (it leaves, or an adopted value
 * excludes it). It stays, frozen, to resend the `newView` until a majority of the new view confirmed it or a flush
 * timeout passed: a member that has gone answers nothing, and nobody else may know the view was decided (§5.5).
 */
export interface Announce {
  decision: Decision;
  /** Members of the new view heard from in a view ≥ `decision.view`: they have it. */
  confirmed: Set<MemberId>;
  /** Tick of the decision. */
  since: number;
  lastSendAt: number;
}

/** Fetching missing ordered messages up to `target` (during a flush or before installing a decided view). */
export interface Fetch {
  target: number;
  sources: MemberId[];
  idx: number;
  lastAt: number;
}

/**
 * Everything a member keeps for one view and forgets at the next install: a new `ViewState` is built there, so
 * nothing of a flush, of the sequencer's bookkeeping or of the watermarks leaks from one view into the next.
 */
export class ViewState {
  // Member side of the flush.
  /**
   * Promised a ballot, or decided into a next view it is catching up to: it forwards, acknowledges, orders and
   * delivers nothing until the install. The application sees this as blocked (`block` … `unblock`).
   */
  frozen = false;
  /** The ballot this member promised in this view (0: none). */
  promised = 0;
  accepted: Accepted | null = null;
  pendingAccept: { ballot: number; decision: Decision; leader: MemberId } | null = null;
  /** A decided next view this member installs once it holds the messages up to its cut (and its state). */
  installPending: Decision | null = null;
  fetch: Fetch | null = null;

  // Leader side of the flush.
  attempt: Attempt | null = null;
  /** Decided out of the next view by its own flush: announcing it before it goes (`flush-leader.ts`, `announce`). */
  announce: Announce | null = null;
  /** The highest flush round this member used in this view. */
  round = 0;
  nextAttemptAt = 0;
  /** When the need for a view change was first seen (changes arriving together make one view). */
  changeSince: number | null = null;
  minorityReported = false;
  /** A member of the view said it is frozen by a flush whose leader gave up: only a new view releases it. */
  sawFrozen = false;

  // The ordered stream.
  /**
   * Highest sequence number known to be held by a majority of the view: deliverable. At a non-sequencer, the max
   * of the sequencer's `commit` and its own count (`AckTable.localCommit`).
   */
  commit: number;
  /** The sequencer's `last`: the highest sequence number it ordered, as far as this member knows. */
  knownLast: number;
  lastAckSent: number;
  /** The highest `received` each member acknowledged in this view (every member keeps it: acks go to all). */
  readonly acks: AckTable;
  /** The sequencer's state: only at rank 0. */
  readonly sequencer: SequencerState | null;

  /**
   * @param cut the cut of the decision that installed the view: every watermark starts there.
   * @param joiners members admitted by the change that installed the view (empty for view 1 and at a joiner).
   */
  constructor(
    cut: number,
    isSequencer: boolean,
    now: number,
    readonly joiners: ReadonlySet<MemberId>,
  ) {
    this.commit = cut;
    this.knownLast = cut;
    this.lastAckSent = cut;
    this.acks = new AckTable(cut);
    this.sequencer = isSequencer ? new SequencerState(cut, now, this.acks) : null;
  }
}
