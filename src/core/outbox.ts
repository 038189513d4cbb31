import { Deque } from './deque.js';
import type { KindCode } from './delivery-kinds.js';
import { assert } from './errors.js';

export interface OwnMsg {
  msgNo: number;
  payload: Uint8Array;
  /** Forward number in the current view; 0 while not yet sent in this view (blocked). */
  fseq: number;
  /** Tick of the last forward, for retransmission. */
  sentAt: number;
  /** Delivery kind code (`delivery-kinds.ts`). */
  kind: KindCode;
}

/**
 * This member's messages from send() until they are delivered back to it. FIFO: the sequencer orders a sender's
 * messages in forward order, so deliveries always take the head. Bounded by count and bytes (the send window).
 */
export class Outbox {
  private readonly items = new Deque<OwnMsg>();
  bytes = 0;
  nextMsgNo = 1;
  /** Next forward number to assign in this view. */
  nextFseq = 1;
  /** Highest own msgNo seen ordered in this view: those need no more forwarding. */
  orderedMsgNo = 0;

  get length(): number {
    return this.items.length;
  }

  hasRoom(bytes: number, maxCount: number, maxBytes: number): boolean {
    return this.length < maxCount && (this.length === 0 || this.bytes + bytes <= maxBytes);
  }

  push(payload: Uint8Array, kind: KindCode = 0): OwnMsg {
    const m: OwnMsg = { msgNo: this.nextMsgNo++, payload, fseq: 0, sentAt: 0, kind };
    this.items.push(m);
    this.bytes += payload.byteLength;
    return m;
  }

  at(i: number): OwnMsg | undefined {
    return this.items.at(i);
  }

  /** The head was delivered: it must be the message with `msgNo`. */
  delivered(msgNo: number): OwnMsg {
    const m = this.items.peek();
    assert(m !== undefined && m.msgNo === msgNo, () => `own delivery ${msgNo} out of FIFO order (head ${m?.msgNo})`);
    this.items.shift();
    this.bytes -= m.payload.byteLength;
    return m;
  }

  /** A new view: nothing is forwarded in it yet. */
  newView(): void {
    this.nextFseq = 1;
    this.orderedMsgNo = 0;
    for (const m of this.items) {
      m.fseq = 0;
      m.sentAt = 0;
    }
  }

  /**
   * Index of the first message not yet ordered in this view, or -1. Message numbers increase along the outbox,
   * so a binary search does it: this runs every tick, with up to a full send window queued.
   */
  firstUnordered(): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items.at(mid)!.msgNo > this.orderedMsgNo) hi = mid;
      else lo = mid + 1;
    }
    return lo < this.items.length ? lo : -1;
  }
}
