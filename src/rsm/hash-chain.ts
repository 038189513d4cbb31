import { createHash } from 'node:crypto';

/**
 * The simplest replicated state machine: a SHA-256 chain over the delivered payloads
 * (digest = sha256(previous digest || payload)). Two members hold the same digest only if they applied the
 * same payloads in the same order from the same start, which is what state transfer must preserve.
 */
export class HashChain {
  private state: Uint8Array = new Uint8Array(32);

  apply(payload: Uint8Array): void {
    this.state = createHash('sha256').update(this.state).update(payload).digest();
  }

  /** The trace's `state` digest: the first 16 hex characters. */
  digest(): string {
    return Buffer.from(this.state).toString('hex').slice(0, 16);
  }

  snapshot(): Uint8Array {
    return this.state.slice();
  }

  restore(data: Uint8Array): void {
    if (data.byteLength !== 32) throw new RangeError(`hash-chain state must be 32 bytes, got ${data.byteLength}`);
    this.state = data.slice();
  }
}
