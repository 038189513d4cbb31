/**
 * The bench's second baseline: a bare batched fixed sequencer over `ws`, the machine's limit for a totally ordered
 * multicast without vsync's guarantees (no reliability, no flush, no protobuf, no frame protection). Members send
 * each payload to the sequencer as one ws message; the sequencer orders what it got, and multicasts batches of up to
 * MAX_BATCH entries, each a 12-byte order header followed by the payload, as one ws message to every member.
 *
 * Order header (little-endian): u32 seq, u32 sender (worker index), u32 payload length.
 */
export const ORDER_HEADER_BYTES = 12;
/** Entries per batch at most; a batch also goes out at the end of the event-loop turn that filled it. */
export const MAX_BATCH = 64;

export interface OrderedEntry {
  sender: number;
  payload: Uint8Array;
}

/** One batch: the entries in order, numbered from `firstSeq`. Copies each payload once (into the batch). */
export function encodeBatch(entries: readonly OrderedEntry[], firstSeq: number): Buffer {
  let size = 0;
  for (const e of entries) size += ORDER_HEADER_BYTES + e.payload.byteLength;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  let seq = firstSeq;
  for (const e of entries) {
    out.writeUInt32LE(seq++ >>> 0, pos);
    out.writeUInt32LE(e.sender >>> 0, pos + 4);
    out.writeUInt32LE(e.payload.byteLength, pos + 8);
    pos += ORDER_HEADER_BYTES;
    out.set(e.payload, pos);
    pos += e.payload.byteLength;
  }
  return out;
}

/**
 * Calls `deliver` for each entry of a batch, in order; payloads are views into `batch` (not copies). Returns false
 * (after delivering the entries before it) when the batch is truncated.
 */
export function decodeBatch(batch: Buffer, deliver: (seq: number, sender: number, payload: Buffer) => void): boolean {
  let pos = 0;
  while (pos < batch.length) {
    if (pos + ORDER_HEADER_BYTES > batch.length) return false;
    const seq = batch.readUInt32LE(pos);
    const sender = batch.readUInt32LE(pos + 4);
    const len = batch.readUInt32LE(pos + 8);
    pos += ORDER_HEADER_BYTES;
    if (pos + len > batch.length) return false;
    deliver(seq, sender, batch.subarray(pos, pos + len));
    pos += len;
  }
  return true;
}

/**
 * The sequencer's side: collects submitted payloads and sends them as numbered batches (to every member, through
 * `multicast`), then delivers them locally in the same order.
 */
export class BatchingSequencer {
  private pending: OrderedEntry[] = [];
  private nextSeq = 1;
  private scheduled = false;

  constructor(
    private readonly multicast: (batch: Buffer) => void,
    private readonly deliver: (seq: number, sender: number, payload: Uint8Array) => void,
  ) {}

  submit(sender: number, payload: Uint8Array): void {
    this.pending.push({ sender, payload });
    if (this.pending.length >= MAX_BATCH) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const entries = this.pending;
    this.pending = [];
    const first = this.nextSeq;
    this.nextSeq += entries.length;
    this.multicast(encodeBatch(entries, first));
    let seq = first;
    for (const e of entries) this.deliver(seq++, e.sender, e.payload);
  }
}
