import type { Frame } from './frames.js';
import type { MemberId, View } from './types.js';

/** What the core hands to the application (and to the trace), in the order it happened. */
export type CoreEvent =
  | { type: 'install'; view: View; joined: MemberId[]; left: MemberId[] }
  /** `kind`: the delivery kind code the sender asked for (`delivery-kinds.ts`; absent: safe). */
  | { type: 'deliver'; view: number; seq: number; sender: MemberId; msgNo: number; payload: Uint8Array; kind?: number }
  /** A message leaves for the sequencer in `view` (again, after a view change, if it was not delivered). */
  | { type: 'send'; view: number; msgNo: number; payload: Uint8Array; kind?: number }
  | { type: 'block'; view: number }
  | { type: 'unblock'; view: number }
  /** This member's graceful leave is complete. */
  | { type: 'left'; view: number }
  /**
   * This incarnation is out of the group for good; a new incarnation may join. `reason` is set when the member
   * removed itself rather than being left out by the others.
   */
  | { type: 'excluded'; view: number; reason?: ExcludedReason }
  /**
   * This member cannot reach a majority of its view: no view change and no new delivery until the partition heals
   * (sends still queue, up to the send window). Reported once per view.
   */
  | { type: 'minority'; view: number; reachable: number; members: number }
  /**
   * This joiner was not admitted within `joinTimeoutTicks` (the group did not answer: contacts gone or
   * unreachable, the group full, ...). It has stopped asking and is final, like `left`; join again as a new
   * incarnation. Only a joiner gets this, never a member.
   */
  | { type: 'join-failed'; view: 0; reason: 'timeout'; waitedTicks: number }
  /**
   * Stateful groups: the application must hand its state as of now (the cut of `view`, right after the install)
   * to `Member.provideSnapshot(view, bytes)` before it applies any later delivery.
   */
  | { type: 'snapshot'; view: number }
  /** Stateful groups, joiner: the group state at the cut of the view that admitted this member. Apply it. */
  | { type: 'state'; view: number; data: Uint8Array };

/**
 * Why a member removed itself: `state-unavailable`, a joiner of a stateful group whose state providers are gone
 * before it had its state, decided into a view it cannot install without it.
 */
export type ExcludedReason = 'state-unavailable';

export interface Outgoing {
  to: MemberId[];
  frame: Frame;
}

export interface Ready {
  events: CoreEvent[];
  frames: Outgoing[];
}
