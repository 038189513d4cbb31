import { createHash, type Hash } from 'node:crypto';

/**
 * What a member delivered, as SHA-256 digests of fixed sequence-number blocks: block k covers seqs
 * [k * size + 1, (k + 1) * size] (or the part of it this member saw since the last reset). Each delivery feeds
 * (seq, sender, payload length, payload header, and the whole payload for every `fullEvery`-th seq) into its
 * block's hash, so two members agree on a block exactly when they delivered the same messages, from the same
 * senders, at the same sequence numbers.
 */
export interface DigestBlock {
  from: number;
  to: number;
  hash: string;
}

export interface DigestReport {
  /** First and last seq delivered since the reset (0 when none). */
  first: number;
  last: number;
  deliveries: number;
  /** Deliveries whose seq was not the previous one + 1. */
  gaps: number;
  blocks: DigestBlock[];
}

export class BlockDigest {
  private blocks: DigestBlock[] = [];
  private hash: Hash | null = null;
  private blockFrom = 0;
  private blockIdx = -1;
  private first = 0;
  private last = 0;
  private deliveries = 0;
  private gaps = 0;
  /** Per-delivery records are staged here and hashed in batches (one native call per few KB, not per delivery). */
  private readonly stage = Buffer.alloc(16 * 1024);
  private pos = 0;
  private readonly senders = new Map<string, Buffer>();

  /**
   * `size`: seqs per block. `fullEvery`: hash the whole payload of every delivery whose seq is a multiple of it
   * (1: every payload); the others contribute their first 16 bytes (the bench header: send time, sender index and
   * counter, which identify the message) and their length. The choice depends on seq only, so members agree.
   */
  constructor(
    private size = 1024,
    private fullEvery = 16,
  ) {}

  /** Forgets everything; `size` and `fullEvery` change from now on. */
  reset(size = this.size, fullEvery = this.fullEvery): void {
    this.size = size;
    this.fullEvery = fullEvery;
    this.blocks = [];
    this.hash = null;
    this.pos = 0;
    this.blockIdx = -1;
    this.first = this.last = this.deliveries = this.gaps = 0;
  }

  private senderBytes(sender: string): Buffer {
    let b = this.senders.get(sender);
    if (!b) {
      if (this.senders.size > 10_000) this.senders.clear();
      b = Buffer.from(sender);
      this.senders.set(sender, b);
    }
    return b;
  }

  add(seq: number, sender: string, payload: Uint8Array): void {
    if (this.deliveries > 0 && seq !== this.last + 1) this.gaps++;
    if (this.deliveries === 0) this.first = seq;
    this.deliveries++;
    const idx = Math.floor((seq - 1) / this.size);
    if (idx !== this.blockIdx) {
      this.close();
      this.blockIdx = idx;
      this.blockFrom = seq;
      this.hash = createHash('sha256');
    }
    this.last = seq;
    const sb = this.senderBytes(sender);
    if (this.pos + 28 + sb.length > this.stage.length) this.drain();
    const st = this.stage;
    let p = this.pos;
    st.writeUIntLE(seq, p, 6);
    st.writeUInt32LE(payload.byteLength, p + 6);
    st.writeUInt16LE(sb.length, p + 10);
    p += 12;
    const head = Math.min(16, payload.byteLength);
    for (let i = 0; i < head; i++) st[p + i] = payload[i]!;
    p += 16;
    p += sb.copy(st, p);
    this.pos = p;
    if (seq % this.fullEvery === 0) {
      this.drain();
      this.hash!.update(payload);
    }
  }

  private drain(): void {
    if (this.pos > 0 && this.hash) this.hash.update(this.stage.subarray(0, this.pos));
    this.pos = 0;
  }

  private close(): void {
    this.drain();
    if (this.hash) this.blocks.push({ from: this.blockFrom, to: this.last, hash: this.hash.digest('hex') });
    this.hash = null;
  }

  /** The blocks so far, including the current, still open one (its digest is taken on a copy). */
  report(): DigestReport {
    this.drain();
    const blocks = [...this.blocks];
    if (this.hash) blocks.push({ from: this.blockFrom, to: this.last, hash: this.hash.copy().digest('hex') });
    return { first: this.first, last: this.last, deliveries: this.deliveries, gaps: this.gaps, blocks };
  }
}

export interface DigestComparison {
  /** Every member delivered the same sequence over the compared range, with no gaps and at least one delivery. */
  agreed: boolean;
  /** The seq range covered by blocks that every member reported with the same bounds. */
  from: number;
  to: number;
  /** Deliveries (per member) covered by the comparison. */
  verified: number;
  mismatches: number;
  gaps: number;
  /** SHA-256 over the compared block digests (the same at every member when agreed). */
  digest: string;
  /** Last seq delivered at each member. */
  lastSeqs: number[];
}

/** Compares members' digests over the blocks they all reported with the same bounds. */
export function compareDigests(reports: DigestReport[]): DigestComparison {
  const lastSeqs = reports.map((r) => r.last);
  const gaps = reports.reduce((a, r) => a + r.gaps, 0);
  if (reports.length === 0) return { agreed: false, from: 0, to: 0, verified: 0, mismatches: 0, gaps, digest: '', lastSeqs };
  const maps = reports.map((r) => new Map(r.blocks.map((b) => [`${b.from}-${b.to}`, b.hash])));
  let verified = 0;
  let mismatches = 0;
  let from = Infinity;
  let to = 0;
  const all = createHash('sha256');
  for (const b of reports[0]!.blocks) {
    const key = `${b.from}-${b.to}`;
    if (!maps.every((m) => m.has(key))) continue;
    if (maps.every((m) => m.get(key) === b.hash)) {
      verified += b.to - b.from + 1;
      all.update(b.hash);
      from = Math.min(from, b.from);
      to = Math.max(to, b.to);
    } else {
      mismatches++;
    }
  }
  return {
    agreed: mismatches === 0 && gaps === 0 && verified > 0,
    from: verified ? from : 0,
    to,
    verified,
    mismatches,
    gaps,
    digest: all.digest('hex'),
    lastSeqs,
  };
}
