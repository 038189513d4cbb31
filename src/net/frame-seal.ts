/**
 * Protection of every message on a link after its handshake: AES-256-GCM, one key per direction (handshake.ts
 * derives them), the nonce a counter of the messages sent in that direction. The counter is never sent: the
 * receiver expects the next one, so a forged, altered, replayed, reordered or dropped-and-later message fails to
 * open, and the link is closed (an attacker in the middle can then only delay or drop, which the protocol survives).
 *
 * Wire form of a sealed message: ciphertext || 16-byte tag. This is the hot path: one cipher object per message
 * (node:crypto has no nonce reset on a cipher), one output buffer.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

export const TAG_BYTES = 16;
const IV_BYTES = 12;
/**
 * Messages per direction before the link must be replaced: far below GCM's limits for one key with unique nonces,
 * and within exact integers.
 */
export const MAX_SEALED_MESSAGES = 2 ** 48;

/** Writes counter `n` into the last 8 bytes of the 12-byte IV (the first 4 stay zero). */
function setCounter(iv: Buffer, n: number): void {
  iv.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 4);
  iv.writeUInt32BE(n >>> 0, 8);
}

export class Sealer {
  private counter = 0;
  private readonly iv = Buffer.alloc(IV_BYTES);

  constructor(private readonly key: Buffer) {}

  /** Whether another message may be sealed with this key. */
  get exhausted(): boolean {
    return this.counter >= MAX_SEALED_MESSAGES;
  }

  /** ciphertext || tag, in one new buffer. */
  seal(plain: Uint8Array): Buffer {
    setCounter(this.iv, this.counter++);
    const c = createCipheriv('aes-256-gcm', this.key, this.iv);
    const out = Buffer.allocUnsafe(plain.byteLength + TAG_BYTES);
    const body = c.update(plain);
    body.copy(out, 0);
    const rest = c.final(); // empty for GCM, kept for completeness
    if (rest.length > 0) rest.copy(out, body.length);
    c.getAuthTag().copy(out, plain.byteLength);
    return out;
  }
}

export class Opener {
  private counter = 0;
  private readonly iv = Buffer.alloc(IV_BYTES);

  constructor(private readonly key: Buffer) {}

  /** The plaintext, or null when the message is not the next one sealed with the peer's key. Never throws. */
  open(sealed: Buffer): Buffer | null {
    if (sealed.length < TAG_BYTES || this.counter >= MAX_SEALED_MESSAGES) return null;
    setCounter(this.iv, this.counter);
    const end = sealed.length - TAG_BYTES;
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, this.iv);
      d.setAuthTag(sealed.subarray(end));
      const plain = d.update(sealed.subarray(0, end));
      d.final(); // throws on a bad tag
      this.counter++;
      return plain;
    } catch {
      return null;
    }
  }
}
