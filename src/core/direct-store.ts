import { detach } from './message-log.js';
import type { MemberId } from './types.js';

/**
 * What a non-sequencer keeps of direct messages (docs/protocol.md §3, "Direct payloads") for one view:
 * - payloads that senders multicast in `forward` frames, until the sequencer's id-only entry for them arrives;
 * - ordered entries whose id arrived before their payload ("awaiting"): not `received` until completed, since
 *   `received` means holding the payload (the flush's cut, acks, commit and uniformity rest on it).
 * Both are bounded; whatever does not fit is dropped and the ordered entry is fetched from the sequencer like any
 * gap, so nothing is lost. Cleared at every install: a view's direct traffic serves that view only.
 */
export class DirectStore {
  /** Payloads by sender, then msgNo; a sender's msgNos arrive in increasing order over a FIFO link. */
  private readonly payloads = new Map<MemberId, Map<number, Uint8Array>>();
  /** Highest msgNo per sender already in the log: its payload, or an older one, is no longer needed. */
  private readonly settled = new Map<MemberId, number>();
  /** Ordered entries waiting for their payload, by sequence number (inserted in increasing order as a rule). */
  private readonly waiting = new Map<number, AwaitingEntry>();
  /** The same, by sender then msgNo: a payload that arrives finds its entry. */
  private readonly waitingIds = new Map<MemberId, Map<number, AwaitingEntry>>();
  private payloadBytes = 0;
  private payloadCount = 0;

  /**
   * `maxBytes`, `maxCount`: bounds of the payloads kept (config `maxAheadBytes`, `maxLogEntries`); `maxCount` also
   * bounds the awaiting entries, as the log's window bounds the entries it holds ahead of a gap.
   */
  constructor(
    private readonly maxBytes: number,
    private readonly maxCount: number,
  ) {}

  get bytes(): number {
    return this.payloadBytes;
  }

  get count(): number {
    return this.payloadCount;
  }

  get awaiting(): number {
    return this.waiting.size;
  }

  clear(): void {
    this.payloads.clear();
    this.settled.clear();
    this.waiting.clear();
    this.waitingIds.clear();
    this.payloadBytes = 0;
    this.payloadCount = 0;
  }

  /**
   * Keeps the payload of `sender`'s direct message `msgNo`, copied out of its frame. Refused (false) when that
   * message or a later one of the sender is already in the log, when it is held already, or when it does not fit.
   */
  put(sender: MemberId, msgNo: number, payload: Uint8Array): boolean {
    if (msgNo <= (this.settled.get(sender) ?? 0)) return false;
    if (this.payloadCount >= this.maxCount || this.payloadBytes + payload.byteLength > this.maxBytes) return false;
    let m = this.payloads.get(sender);
    if (m === undefined) {
      m = new Map();
      this.payloads.set(sender, m);
    }
    if (m.has(msgNo)) return false;
    m.set(msgNo, detach(payload));
    this.payloadBytes += payload.byteLength;
    this.payloadCount++;
    return true;
  }

  get(sender: MemberId, msgNo: number): Uint8Array | undefined {
    return this.payloads.get(sender)?.get(msgNo);
  }

  /**
   * `sender`'s `msgNo` is in the log now: its payload goes, and so do older ones of that sender (a sender's
   * messages are ordered in msgNo order, so those are in the log or will come by a fetch with their payloads).
   */
  settle(sender: MemberId, msgNo: number): void {
    // Called for every message added to the log: with nothing held (small messages only, the common case) it
    // costs one comparison. A payload that then comes for a message already in the log (its entry came by a fill)
    // is kept until the sender's next settle or the install, within the store's bounds.
    if (this.payloadCount === 0) return;
    const old = this.settled.get(sender);
    // Bounded by count too: only a lying sequencer names more senders than a view has.
    if (old === undefined ? this.settled.size < this.maxCount : msgNo > old) this.settled.set(sender, msgNo);
    const m = this.payloads.get(sender);
    if (m === undefined) return;
    // The oldest first (insertion order); one that arrived out of order stays until a later settle or the install.
    for (const [n, p] of m) {
      if (n > msgNo) break;
      m.delete(n);
      this.payloadBytes -= p.byteLength;
      this.payloadCount--;
    }
    if (m.size === 0) this.payloads.delete(sender);
  }

  /**
   * Keeps an ordered entry whose payload has not arrived (false when it is held already or the bound is reached:
   * then it is fetched like any missing entry). `since` lets a fetch wait a little for the payload.
   */
  wait(entry: AwaitingEntry): boolean {
    if (this.waiting.has(entry.seq) || this.waiting.size >= this.maxCount) return false;
    let m = this.waitingIds.get(entry.sender);
    if (m === undefined) {
      m = new Map();
      this.waitingIds.set(entry.sender, m);
    }
    if (m.has(entry.msgNo)) return false;
    m.set(entry.msgNo, entry);
    this.waiting.set(entry.seq, entry);
    return true;
  }

  /** Takes the awaiting entry of `sender`'s `msgNo`, if any: its payload just arrived. */
  claim(sender: MemberId, msgNo: number): AwaitingEntry | undefined {
    const m = this.waitingIds.get(sender);
    const e = m?.get(msgNo);
    if (e === undefined) return undefined;
    m!.delete(msgNo);
    if (m!.size === 0) this.waitingIds.delete(sender);
    this.waiting.delete(e.seq);
    return e;
  }

  /** When the entry at `seq` started to wait for its payload, or undefined if it does not. */
  waitingSince(seq: number): number | undefined {
    return this.waiting.get(seq)?.since;
  }

  /** Forgets awaiting entries at or below `seq`: they reached the log by another way (a fill). */
  dropThrough(seq: number): void {
    for (const [s, e] of this.waiting) {
      if (s > seq) break;
      this.claim(e.sender, e.msgNo);
    }
  }
}

/** An ordered entry held without its payload. */
export interface AwaitingEntry {
  seq: number;
  sender: MemberId;
  msgNo: number;
  kind: number | undefined;
  /** Tick at which it started to wait. */
  since: number;
}

/**
 * The payload of this member's own message `msgNo` from its outbox (whose msgNos increase along it), or undefined:
 * the sender completes its own direct entries without waiting for anything.
 */
export function ownPayload(outbox: { readonly length: number; at(i: number): { msgNo: number; payload: Uint8Array } | undefined }, msgNo: number): Uint8Array | undefined {
  let lo = 0;
  let hi = outbox.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = outbox.at(mid)!;
    if (m.msgNo === msgNo) return m.payload;
    if (m.msgNo < msgNo) lo = mid + 1;
    else hi = mid;
  }
  return undefined;
}
