/**
 * Frames exchanged between members of one group. The core speaks these plain objects; `src/wire/` maps them
 * to and from protobuf bytes, so the core never depends on an encoding.
 *
 * Every frame carries the view id its sender is in (0 for a joiner that has none yet): receivers use it to
 * drop stale traffic and to help a member that is one view behind.
 */
import type { MemberId } from './types.js';

/** A member's own message on its way to the sequencer. `fseq` numbers forwards per sender per view. */
export interface FwdMsg {
  fseq: number;
  msgNo: number;
  payload: Uint8Array;
  /** Delivery kind (`delivery-kinds.ts`); absent or 0: safe. */
  kind?: number;
  /** Direct: multicast by its sender to every member, not only to the sequencer (absent: false). */
  direct?: boolean;
}

/** One ordered message. `sender` indexes the frame's `senders` table, so ids are not repeated per message. */
export interface Entry {
  sender: number;
  msgNo: number;
  payload: Uint8Array;
  /** Delivery kind (`delivery-kinds.ts`); absent or 0: safe. */
  kind?: number;
  /**
   * The sequencer's multicast of a direct message: the id only, the payload (empty here) came from its sender.
   * Never in a fill, which always carries payloads. Absent: false.
   */
  direct?: boolean;
}

/** The outcome of a flush: the view that follows `prevView`, and the last sequence number of `prevView`. */
export interface Decision {
  prevView: number;
  view: number;
  members: MemberId[];
  leavers: MemberId[];
  cut: number;
}

export interface Accepted {
  ballot: number;
  decision: Decision;
}

export type Body =
  /** `promised`: the flush ballot this member is frozen under (0: none), so a new leader finishes an abandoned flush. */
  | { t: 'heartbeat'; promised: number }
  | { t: 'ping' }
  | { t: 'forward'; msgs: FwdMsg[] }
  /** Ordered messages `first .. first + entries.length - 1`, plus the sequencer's watermarks. */
  | { t: 'msgs'; first: number; senders: MemberId[]; entries: Entry[]; last: number; commit: number; stable: number; fill: boolean }
  | { t: 'ack'; received: number }
  | { t: 'fetch'; from: number; to: number }
  /** A join request; members relay it to the coordinator, so it names the joiner. */
  | { t: 'join'; joiner: MemberId }
  | { t: 'leave' }
  | { t: 'prepare'; ballot: number }
  | { t: 'promise'; ballot: number; received: number; accepted: Accepted | null }
  | { t: 'reject'; ballot: number }
  | { t: 'accept'; ballot: number; decision: Decision; source: MemberId }
  | { t: 'accepted'; ballot: number }
  | { t: 'newView'; decision: Decision }
  | { t: 'exclude' }
  /** A joiner asks for `length` bytes of the state at its join cut, from `offset`. */
  | { t: 'stateRequest'; offset: number; length: number }
  /** Part of that state; `total` is its whole size (-1: no snapshot here for that view). */
  | { t: 'stateChunk'; offset: number; total: number; data: Uint8Array };

export type Frame = Body & { view: number };

export type FrameType = Body['t'];
