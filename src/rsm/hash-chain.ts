import { createHash } from 'node:crypto';

/**
 * The simplest replicated state machine: a SHA-256 chain over the delivered payloads
 * (digest = sha256(previous digest || payload)). Two members hold the same digest only if they applied the
 * same payloads in the same order from the same start, which is what state transfer must preserve.
 * `padBytes` makes the transferred state that much larger (test ballast for large transfers); the padding is
 * derived from the digest, so it is checked too.
 */
export class HashChain {
  private state: Uint8Array = new Uint8Array(32);

  constructor(private readonly padBytes = 0) {}

  apply(payload: Uint8Array): void {
    this.state = createHash('sha256').update(this.state).update(payload).digest();
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
