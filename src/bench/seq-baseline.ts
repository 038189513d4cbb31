/**
 * The bench's second baseline: a bare batched fixed sequencer over `ws`, the machine's limit for a totally ordered
 * multicast without vsync's guarantees (no reliability, no flush, no protobuf, no frame protection). Members send
 * the payloads of one event-loop turn to the sequencer as one ws message (up to MAX_BATCH, each after a 4-byte
 * length), as vsync batches a turn's sends into one forward frame; the sequencer orders what it got, and multicasts
 * batches of up to MAX_BATCH entries, each a 12-byte order header followed by the payload, as one ws message to
 * every member.
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

/** A member's submissions to the sequencer: each payload after its u32 length (little-endian). */
export function encodeSubmissions(payloads: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const p of payloads) size += 4 + p.byteLength;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const p of payloads) {
    out.writeUInt32LE(p.byteLength, pos);
    out.set(p, pos + 4);
    pos += 4 + p.byteLength;
  }
  return out;
}

/** Calls `submit` with each payload (a view into `msg`); false when the message is truncated. */
export function decodeSubmissions(msg: Buffer, submit: (payload: Buffer) => void): boolean {
  let pos = 0;
  while (pos < msg.length) {
    if (pos + 4 > msg.length) return false;
    const len = msg.readUInt32LE(pos);
    pos += 4;
    if (pos + len > msg.length) return false;
    submit(msg.subarray(pos, pos + len));
    pos += len;
  }
  return true;
}

/** Items of one event-loop turn, handed on together: at MAX_BATCH items at once, otherwise at the end of the turn. */
class TurnBatch<T> {
  private pending: T[] = [];
  private scheduled = false;

  constructor(private readonly emit: (items: T[]) => void) {}

  push(item: T): void {
    this.pending.push(item);
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
    const items = this.pending;
    this.pending = [];
    this.emit(items);
  }
}

/** A member's side: the payloads of one turn (up to MAX_BATCH) leave as one message, through `send`. */
export class SubmissionBatcher {
  private readonly batch: TurnBatch<Uint8Array>;

  constructor(send: (msg: Buffer) => void) {
    this.batch = new TurnBatch((ps) => send(encodeSubmissions(ps)));
  }

  submit(payload: Uint8Array): void {
    this.batch.push(payload);
  }

  flush(): void {
    this.batch.flush();
  }
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
  private readonly batch = new TurnBatch<OrderedEntry>((entries) => this.order(entries));
  private nextSeq = 1;

  constructor(
    private readonly multicast: (batch: Buffer) => void,
    private readonly deliver: (seq: number, sender: number, payload: Uint8Array) => void,
  ) {}

  submit(sender: number, payload: Uint8Array): void {
    this.batch.push({ sender, payload });
  }

  flush(): void {
    this.batch.flush();
  }

  private order(entries: OrderedEntry[]): void {
    const first = this.nextSeq;
    this.nextSeq += entries.length;
    this.multicast(encodeBatch(entries, first));
    let seq = first;
    for (const e of entries) this.deliver(seq++, e.sender, e.payload);
  }
}
