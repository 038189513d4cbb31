import { Deque } from './deque.js';
import { assert } from './errors.js';
import type { MemberId } from './types.js';

/**
 * `p` as an array of its own: a decoded payload is a view into its whole frame, and keeping the view would pin
 * the frame (up to the transport's largest) for as long as the entry lives. Copied once, when it is kept.
 */
export function detach(p: Uint8Array): Uint8Array {
  return p.byteOffset === 0 && p.byteLength === p.buffer.byteLength ? p : p.slice();
}

export interface LogEntry {
  sender: MemberId;
  msgNo: number;
  payload: Uint8Array;
  /** Delivery kind code (`delivery-kinds.ts`); absent: safe. */
  kind?: number;
  /** The sequencer's own log only: a direct message, multicast by id only (`direct-store.ts`). */
  direct?: boolean;
}

/**
 * Ordered messages by global sequence number: a contiguous run `floor+1 .. received`, plus a bounded buffer of
 * messages that arrived ahead of a gap. Entries at or below `floor` were stable (every member had them) and are
 * gone. The log outlives a view change: the tail of the old view stays until the new view has it everywhere,
 * because a member still installing may have to fetch it.
 */
export class MessageLog {
  /** Entries `floor+1 .. received`, in order: item i holds sequence number `floor + 1 + i`. */
  private readonly items = new Deque<LogEntry>();
  private ahead = new Map<number, LogEntry>();
  private aheadBytesTotal = 0;
  floor = 0;
  received = 0;
  bytes = 0;
  /** Most payload bytes held ahead of a gap (config `maxAheadBytes`); beyond it entries are refused and fetched later. */
  aheadByteLimit = Infinity;

  constructor(start = 0) {
    this.reset(start);
  }

  reset(start: number): void {
    this.items.clear();
    this.ahead.clear();
    this.aheadBytesTotal = 0;
    this.floor = start;
    this.received = start;
    this.bytes = 0;
  }

  get size(): number {
    return this.received - this.floor;
  }

  get totalBytes(): number {
    return this.bytes + this.aheadBytesTotal;
  }

  get aheadBytes(): number {
    return this.aheadBytesTotal;
  }

  get(seq: number): LogEntry | undefined {
    if (seq <= this.floor || seq > this.received) return undefined;
    return this.items.at(seq - this.floor - 1);
  }

  /** Appends the next contiguous entry (the sequencer's path). */
  append(entry: LogEntry): number {
    this.items.push(entry);
    this.bytes += entry.payload.byteLength;
    this.received++;
    return this.received;
  }

  /**
   * Adds `seq` if it is new and within `limit`; entries more than `window` ahead of the contiguous run are
   * refused so that a gap cannot make the buffer grow without bound, and so are entries that would take the
   * buffer past `aheadByteLimit`. Kept payloads are copied out of their frames (`detach`). Returns true if the
   * entry was new.
   */
  add(seq: number, entry: LogEntry, limit: number, window: number): boolean {
    if (seq <= this.received || seq > limit) return false;
    if (seq === this.received + 1) {
      this.append({ sender: entry.sender, msgNo: entry.msgNo, payload: detach(entry.payload), kind: entry.kind });
      this.drainAhead(limit);
      return true;
    }
    if (seq > this.received + window || this.ahead.has(seq)) return false;
    if (this.aheadBytesTotal + entry.payload.byteLength > this.aheadByteLimit) return false;
    this.ahead.set(seq, { sender: entry.sender, msgNo: entry.msgNo, payload: detach(entry.payload), kind: entry.kind });
    this.aheadBytesTotal += entry.payload.byteLength;
    return true;
  }

  get hasGap(): boolean {
    return this.ahead.size > 0;
  }

  private drainAhead(limit: number): void {
    while (this.ahead.size > 0) {
      const next = this.received + 1;
      const e = this.ahead.get(next);
      if (e === undefined || next > limit) return;
      this.ahead.delete(next);
      this.aheadBytesTotal -= e.payload.byteLength;
      this.append(e);
    }
  }

  /** Drops everything above `seq`: those messages were ordered in a view that ended before them. */
  truncateAbove(seq: number): void {
    this.ahead.clear();
    this.aheadBytesTotal = 0;
    if (seq >= this.received) return;
    assert(seq >= this.floor, () => `truncate to ${seq} below floor ${this.floor}`);
    for (let n = this.received - seq; n > 0; n--) this.bytes -= this.items.pop()!.payload.byteLength;
    this.received = seq;
  }

  /** Forgets entries up to `seq` once every member has them. */
  gc(seq: number): void {
    const upTo = Math.min(seq, this.received);
    if (upTo <= this.floor) return;
    for (let n = upTo - this.floor; n > 0; n--) this.bytes -= this.items.shift()!.payload.byteLength;
    this.floor = upTo;
  }
}
