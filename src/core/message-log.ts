import { Deque } from './deque.js';
import { assert } from './errors.js';
import type { MemberId } from './types.js';

/**
 * `p` as an array of its own: a decoded payload is a view into its whole frame, and keeping the view would pin
 * the frame (up to the transport's largest) for as long as the entry lives. Copied once, when it is kept.
 */
export function detach(p: Uint8Array): Uint8Array {
  return ownsBuffer(p) ? p : p.slice();
}

/** True if `p` is its whole buffer: keeping it pins nothing else. */
function ownsBuffer(p: Uint8Array): boolean {
  return p.byteOffset === 0 && p.byteLength === p.buffer.byteLength;
}

/**
 * Payloads up to this size are copied one by one even from a frame: V8 keeps typed arrays this small on its heap
 * (`--typed-array-max-size-in-heap`, 64), where a copy is cheaper than a view into a shared buffer (measured: 0.1-0.2
 * µs against 0.3-0.5 per payload); above it each copy is a buffer of its own off the heap (1.4 µs and more).
 */
export const SMALL_PAYLOAD_BYTES = 64;

/**
 * The share of a frame's buffer that the payloads the log keeps from it must fill for the log to keep them as views
 * into it rather than copy them (`endFrame`): above a half, so two frames that share one buffer (a socket read) cannot
 * both be kept that way; at 3/4, what the log pins stays within 4/3 of the payload bytes it counts. A decrypted frame
 * of 1 KB payloads is about 99% payload, one of 64-byte payloads about 87%.
 */
const ADOPT_SHARE = 0.75;

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
  /**
   * In-order entries of the frame being read whose payloads are views into that frame (`addFromFrame`,
   * `appendFromFrame`), until `endFrame` decides whether they stay so. Never holds views into more than one frame.
   */
  private unsealed: LogEntry[] = [];
  floor = 0;
  received = 0;
  bytes = 0;
  /** Most payload bytes held ahead of a gap (config `maxAheadBytes`); beyond it entries are refused and fetched later. */
  aheadByteLimit = Infinity;

  constructor(start = 0) {
    this.reset(start);
  }

  reset(start: number): void {
    this.unsealed = [];
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
    if (this.unsealed.length > 0) this.endFrame(); // No view into a frame leaves the log.
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
    return this.addEntry(seq, entry, limit, window, 'copy');
  }

  /**
   * `add` for the entries of one frame, read in order: an entry that extends the contiguous run keeps its view into
   * the frame until `endFrame`, which keeps the views or copies all of them into one buffer (no allocation, or one
   * per frame, instead of one per payload). The frame's bytes must not change afterwards (the transport hands over
   * each frame in a buffer of its own, never reused). Entries kept ahead of a gap are still copied one by one: they are dropped one by one, and a
   * shared buffer would live until its last payload went. The log takes `entry` itself (pass a fresh object).
   */
  addFromFrame(seq: number, entry: LogEntry, limit: number, window: number): boolean {
    return this.addEntry(seq, entry, limit, window, 'view');
  }

  /**
   * `add` for a member's own message, ordered by the sequencer as an id only (`Member.multicastOrdered`): its
   * payload is the one the outbox held, which send() copied (a buffer of its own, or a slice of a send slab that
   * holds the member's next sends in order), so it is kept as it is, neither copied nor taken as a frame's view.
   * The log's own payloads are a run of consecutive sends, so their slabs add at most two slabs beyond their bytes.
   */
  addOwn(seq: number, entry: LogEntry, limit: number, window: number): boolean {
    return this.addEntry(seq, entry, limit, window, 'own');
  }

  /** `append` for the entries of one frame (the sequencer ordering a `forward` frame): sealed at `endFrame`; takes `entry`. */
  appendFromFrame(entry: LogEntry): number {
    this.keepView(entry);
    return this.append(entry);
  }

  /**
   * Seals the payloads kept since the last call (views into the frame just read). When they are most of that frame's
   * buffer (at least `ADOPT_SHARE`: a decrypted frame is a buffer of its own, and its payloads are most of it) they
   * stay views into it, uncopied; otherwise they are copied into one buffer of their own (small ones,
   * `SMALL_PAYLOAD_BYTES`, one by one). Either way a buffer holds payloads of one frame in sequence order (a second
   * frame in the same buffer cannot also pass the share), and the log drops a prefix (`gc`) or a suffix
   * (`truncateAbove`, which copies out the survivors of a split buffer). So the bytes it pins are at most
   * `totalBytes / ADOPT_SHARE` plus the one buffer that straddles `floor`: one frame.
   */
  endFrame(): void {
    const es = this.unsealed;
    if (es.length === 0) return;
    this.unsealed = [];
    let total = 0;
    let large = 0;
    for (const e of es) {
      const n = e.payload.byteLength;
      total += n;
      if (n > SMALL_PAYLOAD_BYTES) large += n;
    }
    if (total >= ADOPT_SHARE * es[0]!.payload.buffer.byteLength) return;
    const buf = large > 0 ? new Uint8Array(large) : null;
    let at = 0;
    for (const e of es) {
      const n = e.payload.byteLength;
      if (n <= SMALL_PAYLOAD_BYTES) {
        e.payload = e.payload.slice();
        continue;
      }
      buf!.set(e.payload, at);
      // The constructor, not subarray(): subarray goes through the species lookup and is slower.
      e.payload = new Uint8Array(buf!.buffer, at, n);
      at += n;
    }
  }

  /** Bytes of the buffers the log's payloads keep alive (each counted once): for tests of the memory bound. */
  pinnedBytes(): number {
    const seen = new Set<ArrayBufferLike>();
    let total = 0;
    const count = (p: Uint8Array): void => {
      if (seen.has(p.buffer)) return;
      seen.add(p.buffer);
      total += p.buffer.byteLength;
    };
    for (const e of this.items) count(e.payload);
    for (const e of this.ahead.values()) count(e.payload);
    return total;
  }

  private keepView(entry: LogEntry): void {
    const p = entry.payload;
    if (ownsBuffer(p)) return;
    // A view into another buffer than the pending ones: the caller moved on to another frame without endFrame.
    if (this.unsealed.length > 0 && this.unsealed[0]!.payload.buffer !== p.buffer) this.endFrame();
    this.unsealed.push(entry);
  }

  /**
   * `keep`: 'copy' copies the payload out of whatever holds it (`detach`); 'view': the caller's fresh entry is ours
   * and, if in order, keeps its view until `endFrame`; 'own': the caller's fresh entry is ours, payload as it is.
   */
  private addEntry(seq: number, entry: LogEntry, limit: number, window: number, keep: 'copy' | 'view' | 'own'): boolean {
    if (seq <= this.received || seq > limit) return false;
    const inOrder = seq === this.received + 1;
    if (!inOrder && (seq > this.received + window || this.ahead.has(seq))) return false;
    if (!inOrder && this.aheadBytesTotal + entry.payload.byteLength > this.aheadByteLimit) return false;
    const kept: LogEntry = keep !== 'copy' ? entry : { sender: entry.sender, msgNo: entry.msgNo, payload: entry.payload, kind: entry.kind };
    if (keep === 'view' && inOrder) this.keepView(kept);
    else if (keep !== 'own') kept.payload = detach(kept.payload);
    if (inOrder) {
      this.append(kept);
      this.drainAhead(limit);
    } else {
      this.ahead.set(seq, kept);
      this.aheadBytesTotal += kept.payload.byteLength;
    }
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
    this.endFrame();
    this.ahead.clear();
    this.aheadBytesTotal = 0;
    if (seq >= this.received) return;
    assert(seq >= this.floor, () => `truncate to ${seq} below floor ${this.floor}`);
    // The lowest dropped payload that shares a buffer: only that buffer can also hold survivors.
    let cut: Uint8Array | undefined;
    for (let n = this.received - seq; n > 0; n--) {
      const p = this.items.pop()!.payload;
      this.bytes -= p.byteLength;
      if (!ownsBuffer(p)) cut = p;
    }
    this.received = seq;
    // At offset 0 it was the buffer's first payload: no survivor shares it.
    if (cut === undefined || cut.byteOffset === 0) return;
    // Its survivors would pin the dropped part in the middle of the log: copy them out. They are the last shared
    // payloads before the cut, down to offset 0 (small ones of the same frame, copied alone, may lie between): at
    // most one frame's entries.
    for (let i = this.items.length - 1; i >= 0; i--) {
      const p = this.items.at(i)!.payload;
      if (ownsBuffer(p)) continue;
      if (p.buffer !== cut.buffer) break;
      this.items.at(i)!.payload = p.slice();
      if (p.byteOffset === 0) break;
    }
  }

  /** Forgets entries up to `seq` once every member has them. */
  gc(seq: number): void {
    const upTo = Math.min(seq, this.received);
    if (upTo <= this.floor) return;
    this.endFrame();
    for (let n = upTo - this.floor; n > 0; n--) this.bytes -= this.items.shift()!.payload.byteLength;
    this.floor = upTo;
  }
}
