/**
 * A FIFO of messages bounded in bytes. Each message also costs ITEM_OVERHEAD, so that empty messages cannot grow
 * it without bound. Holds the caller's arrays, not copies.
 */
import { Deque } from '../core/deque.js';

export const ITEM_OVERHEAD = 64;

export class ByteQueue {
  private readonly items = new Deque<Uint8Array>();
  private size = 0;

  constructor(readonly limit: number) {}

  /** Bytes held, overhead included. */
  get bytes(): number {
    return this.size;
  }

  get length(): number {
    return this.items.length;
  }

  /** false (and nothing queued) when the message does not fit. */
  push(msg: Uint8Array): boolean {
    const cost = msg.byteLength + ITEM_OVERHEAD;
    if (this.size + cost > this.limit) return false;
    this.items.push(msg);
    this.size += cost;
    return true;
  }

  shift(): Uint8Array | undefined {
    const msg = this.items.shift();
    if (msg !== undefined) this.size -= msg.byteLength + ITEM_OVERHEAD;
    return msg;
  }

  /** Empties the queue; returns how many messages it held. */
  clear(): number {
    const n = this.length;
    this.items.clear();
    this.size = 0;
    return n;
  }
}

