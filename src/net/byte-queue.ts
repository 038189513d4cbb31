/**
 * A FIFO of messages bounded in bytes. Each message also costs ITEM_OVERHEAD, so that empty messages cannot grow
 * it without bound. Holds the caller's arrays, not copies.
 */
export const ITEM_OVERHEAD = 64;

export class ByteQueue {
  private items: Uint8Array[] = [];
  private head = 0;
  private size = 0;

  constructor(readonly limit: number) {}

  /** Bytes held, overhead included. */
  get bytes(): number {
    return this.size;
  }

  get length(): number {
    return this.items.length - this.head;
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
    if (this.head >= this.items.length) return undefined;
    const msg = this.items[this.head]!;
    this.items[this.head] = EMPTY;
    this.head++;
    this.size -= msg.byteLength + ITEM_OVERHEAD;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return msg;
  }

  /** Empties the queue; returns how many messages it held. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.size = 0;
    return n;
  }
}

const EMPTY = new Uint8Array(0);
