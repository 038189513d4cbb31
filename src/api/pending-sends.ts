import { Deque } from '../core/deque.js';
import { ErrorCodes, VsyncError } from '../errors.js';
import type { SendResult } from './group.js';

interface PendingSend {
  msgNo: number;
  resolve: (r: SendResult) => void;
  reject: (e: unknown) => void;
}

/**
 * The sends whose delivery promise is still open, in message-number order. A member's own messages are delivered
 * back to it in that order (the core's outbox asserts it), so the next one to settle is always the head: a queue,
 * not a map keyed by number, which costs a hash insert, lookup and delete per message.
 */
export class PendingSends {
  private readonly q = new Deque<PendingSend>();

  get size(): number {
    return this.q.length;
  }

  /** The promise of message `msgNo`'s delivery; numbers must come in increasing order. */
  add(msgNo: number): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) => this.q.push({ msgNo, resolve, reject }));
  }

  /** Message `msgNo` was delivered back to its sender: its promise resolves. */
  delivered(msgNo: number, seq: number, viewId: number): void {
    let p = this.q.peek();
    // Never true while the core keeps own deliveries in order; if it ever were, those sends are settled, not hung.
    while (p !== undefined && p.msgNo < msgNo) {
      this.q.shift();
      p.reject(new VsyncError(ErrorCodes.INVARIANT, `message ${p.msgNo} was passed over by the delivery of ${msgNo}`));
      p = this.q.peek();
    }
    if (p === undefined || p.msgNo !== msgNo) return;
    this.q.shift();
    p.resolve({ seq, viewId });
  }

  /** Every open promise rejects with `err` (the member left, was excluded, or the node closed). */
  rejectAll(err: unknown): void {
    for (let p = this.q.shift(); p !== undefined; p = this.q.shift()) p.reject(err);
  }
}
