import type { Accepted, Decision } from './frames.js';
import type { MemberId } from './types.js';

/** A survivor's answer to a prepare: how far its log reaches, and the value it last accepted (if any). */
export interface PromiseReply {
  received: number;
  accepted: Accepted | null;
}

/** The value a flush leader proposes once every survivor promised, and where the others fetch the messages. */
export interface Choice {
  decision: Decision;
  /** The survivor with the longest log (this leader on a tie): it holds every message up to any cut chosen. */
  source: MemberId;
  /** The decision is one a survivor already accepted, proposed again, not a fresh one. */
  adopted: boolean;
  /** The longest log among the survivors: no cut may go beyond it, or nobody could supply the tail. */
  longest: number;
}

/**
 * The Paxos choice at the end of the prepare phase. A value some survivor accepted may already be chosen by a
 * majority, so the one with the highest ballot is proposed again (otherwise two views could follow this one);
 * only when nobody accepted anything is the leader free to propose `fresh`, cut at the longest log among the
 * survivors. `promises` is iterated in arrival order: on equal ballots or logs the first wins, except that the
 * leader (`self`) wins a tie for the source, so it fetches nothing when it can.
 */
export function chooseDecision(promises: ReadonlyMap<MemberId, PromiseReply>, self: MemberId, fresh: Omit<Decision, 'cut'>): Choice {
  let best: Accepted | null = null;
  let source = self;
  let longest = -1;
  for (const [m, p] of promises) {
    if (p.accepted && (best === null || p.accepted.ballot > best.ballot)) best = p.accepted;
    if (p.received > longest || (p.received === longest && m === self)) {
      longest = p.received;
      source = m;
    }
  }
  if (best) return { decision: best.decision, source, adopted: true, longest };
  return { decision: { ...fresh, cut: longest }, source, adopted: false, longest };
}
