import { SMALL_PAYLOAD_BYTES } from '../core/message-log.js';

/**
 * The copies `send()` takes of its callers' payloads. A copy of its own per message would cost an off-heap
 * allocation each (about 1 µs for 1 KB, and garbage-collector work): payloads up to `SHARED_MAX_BYTES` are copied
 * into a shared slab instead, one allocation per `SLAB_BYTES`. A slab lives while any of its messages is held (in
 * the outbox until delivered back, in the sequencer's log until every member has it), and both let go in send
 * order, so the memory pinned is what is held plus about one slab. Payloads of at most `SMALL_PAYLOAD_BYTES` (64)
 * are copied alone, as the log copies them: V8 keeps arrays that small on its heap, where that is cheaper than a view.
 */
const SLAB_BYTES = 64 * 1024;
const SHARED_MAX_BYTES = 8 * 1024;

export class SendCopies {
  private slab: ArrayBuffer | null = null;
  private at = 0;

  copy(p: Uint8Array): Uint8Array {
    const n = p.byteLength;
    if (n <= SMALL_PAYLOAD_BYTES || n > SHARED_MAX_BYTES) return new Uint8Array(p);
    if (this.slab === null || this.at + n > SLAB_BYTES) {
      this.slab = new ArrayBuffer(SLAB_BYTES);
      this.at = 0;
    }
    const out = new Uint8Array(this.slab, this.at, n);
    out.set(p);
    this.at += n;
    return out;
  }
}
