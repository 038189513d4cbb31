import { sha256 } from '../util/sha256.js';

/**
 * The simplest replicated state machine: a SHA-256 chain over the delivered payloads
 * (digest = sha256(previous digest || payload)). Two members hold the same digest only if they applied the
 * same payloads in the same order from the same start, which is what state transfer must preserve.
 * `padBytes` makes the transferred state that much larger (test ballast for large transfers); the padding is
 * derived from the digest, so it is checked too.
 */
export class HashChain {
  private state: Uint8Array = new Uint8Array(32);
  /** Reused input of `apply` (previous digest, then the payload) for small payloads: one buffer, not one per message. */
  private readonly scratch = new Uint8Array(32 + 1024);

  constructor(private readonly padBytes = 0) {}

  apply(payload: Uint8Array): void {
    const n = 32 + payload.byteLength;
    // A large payload gets an input of its own, dropped after: the scratch buffer stays small.
    const input = n <= this.scratch.byteLength ? this.scratch.subarray(0, n) : new Uint8Array(n);
    input.set(this.state, 0);
    input.set(payload, 32);
    this.state = sha256(input);
  }

  /** The trace's `state` digest: the first 16 hex characters. */
  digest(): string {
    return Buffer.from(this.state).toString('hex').slice(0, 16);
  }

  snapshot(): Uint8Array {
    const out = new Uint8Array(32 + this.padBytes);
    out.set(this.state, 0);
    for (let i = 32; i < out.length; i++) out[i] = this.state[i % 32]! ^ (i & 0xff);
    return out;
  }

  restore(data: Uint8Array): void {
    if (data.byteLength !== 32 + this.padBytes) throw new RangeError(`hash-chain state must be ${32 + this.padBytes} bytes, got ${data.byteLength}`);
    const state = data.slice(0, 32);
    for (let i = 32; i < data.length; i++) {
      if (data[i] !== (state[i % 32]! ^ (i & 0xff))) throw new RangeError(`hash-chain state corrupt at byte ${i}`);
    }
    this.state = state;
  }

  reset(): void {
    this.state = new Uint8Array(32);
  }
}
