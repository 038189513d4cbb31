/**
 * The delivery menu: what a sender asks of each message (docs/protocol.md §3, "Delivery kinds").
 *
 * - `safe` (the default): total order, delivered once a majority of the view holds it, so whatever any member
 *   delivered (even one that crashes next) every survivor delivers too (uniform).
 * - `agreed`: total order, delivered as soon as it is ordered and received here. A member that crashes may have
 *   delivered a message the survivors never deliver.
 * - `fifo`: per-sender order only. It travels the same ordered path as `agreed` for now, so it gets agreed's
 *   guarantees; the sequencer-free path is not built.
 *
 * On the wire a kind is a small integer (`KindCode`) with `safe` = 0, so proto3 leaves it out for safe messages
 * and a frame without the field means safe.
 */
import { CoreErrorCodes, VsyncError } from './errors.js';

export type DeliveryKind = 'safe' | 'agreed' | 'fifo';

export const DELIVERY_KINDS: readonly DeliveryKind[] = ['safe', 'agreed', 'fifo'];

export const KIND_SAFE = 0;
export const KIND_AGREED = 1;
export const KIND_FIFO = 2;
export type KindCode = typeof KIND_SAFE | typeof KIND_AGREED | typeof KIND_FIFO;

/** Largest valid code: a decoded frame with a larger one is malformed. */
export const MAX_KIND_CODE = KIND_FIFO;

const CODES: Record<DeliveryKind, KindCode> = { safe: KIND_SAFE, agreed: KIND_AGREED, fifo: KIND_FIFO };

export function kindCode(kind: DeliveryKind): KindCode {
  return CODES[kind];
}

/** The kind of a code; anything unknown (absent, out of range) reads as `safe`, the strictest. */
export function kindOf(code: number | undefined): DeliveryKind {
  return code === KIND_AGREED ? 'agreed' : code === KIND_FIFO ? 'fifo' : 'safe';
}

/** True for a code that must wait for a majority (safe, or anything unknown: never deliver early by mistake). */
function waitsForMajority(code: number | undefined): boolean {
  return code !== KIND_AGREED && code !== KIND_FIFO;
}

/** What `deliverableUpTo` needs of the log: the kind of each held sequence number. */
export interface KindLookup {
  get(seq: number): { kind?: number } | undefined;
}

/**
 * The highest sequence number that may be delivered now: the longest prefix of the total order after `delivered`
 * in which every message is held (`≤ received`) and either committed (`≤ commit`, a majority holds it) or of a kind
 * that does not wait for a majority. Total order is kept across kinds: an agreed message waits behind an
 * uncommitted safe one before it. Walks only the received but uncommitted part, so normal operation costs O(1).
 */
export function deliverableUpTo(delivered: number, received: number, commit: number, log: KindLookup): number {
  let upTo = Math.max(delivered, Math.min(commit, received));
  while (upTo < received) {
    const e = log.get(upTo + 1);
    if (e === undefined || waitsForMajority(e.kind)) break;
    upTo++;
  }
  return upTo;
}

/** Refuses anything but a kind code at the call (a bad code on the wire would make every receiver drop the frame). */
export function checkKindCode(kind: unknown): asserts kind is KindCode {
  if (kind !== KIND_SAFE && kind !== KIND_AGREED && kind !== KIND_FIFO) {
    throw new VsyncError(CoreErrorCodes.INVALID_ARGUMENT, `delivery kind code must be 0 (safe), 1 (agreed) or 2 (fifo), got ${String(kind)}`);
  }
}
