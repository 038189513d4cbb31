/**
 * Protection of every message on a link after its handshake: AES-256-GCM, one key per direction (handshake.ts
 * derives them), the nonce a counter of the messages sent in that direction. The counter is never sent: the
 * receiver expects the next one, so a forged, altered, replayed, reordered or dropped-and-later message fails to
 * open, and the link is closed (an attacker in the middle can then only delay or drop, which the protocol survives).
 *
 * Wire form of a sealed message: ciphertext || 16-byte tag. This is the hot path: one cipher object per message
 * (node:crypto has no nonce reset on a cipher), one output buffer. Making that object (OpenSSL's cipher fetch, the
 * key schedule, the JS wrapper) costs more than sealing a 1 KB frame with it, so each side makes the object for
 * its next nonce ahead, once the turn's frames are out (`prepareSoon`): a frame then waits only for the cipher
 * itself, on each of the 2–3 hops a delivery takes. Under load, several frames a turn on one link, the frames
 * after the first make their own objects, as before.
 */
import { type CipherGCM, createCipheriv, createDecipheriv, type DecipherGCM } from 'node:crypto';

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

interface Preparer {
  prepare(): void;
}

// Two sets in turn: the one being drained and the one filling (no array copied per turn).
let toPrepare = new Set<Preparer>();
let draining = new Set<Preparer>();
let prepareScheduled = false;

/**
 * Runs `p.prepare()` after the current turn's frames are written: two immediates later, since the first runs in
 * the same check phase as the member's flush when it was queued from a socket read (before that flush), and only
 * the second is sure to come after the flush's writes. Never from inside the call that consumed the object.
 */
function prepareSoon(p: Preparer): void {
  toPrepare.add(p);
  if (prepareScheduled) return;
  prepareScheduled = true;
  setImmediate(() =>
    setImmediate(() => {
      prepareScheduled = false;
      const all = toPrepare;
      toPrepare = draining;
      draining = all;
      for (const x of all) {
        try {
          x.prepare();
        } catch {
          // Nothing may throw out of an immediate; the next frame makes its own object, and reports what fails.
        }
      }
      all.clear();
    }),
  );
}

export class Sealer implements Preparer {
  private counter = 0;
  private readonly iv = Buffer.alloc(IV_BYTES);
  /** A cipher made ahead for nonce `counter`, or null. */
  private next: CipherGCM | null = null;

  constructor(private readonly key: Buffer) {}

  private make(n: number): CipherGCM {
    setCounter(this.iv, n);
    return createCipheriv('aes-256-gcm', this.key, this.iv);
  }

  prepare(): void {
    if (this.next === null && !this.exhausted) this.next = this.make(this.counter);
  }

  /** Whether another message may be sealed with this key. */
  get exhausted(): boolean {
    return this.counter >= MAX_SEALED_MESSAGES;
  }

  /** ciphertext || tag, in one new buffer. */
  seal(plain: Uint8Array): Buffer {
    const c = this.next ?? this.make(this.counter);
    this.next = null;
    this.counter++;
    prepareSoon(this);
    const out = Buffer.allocUnsafe(plain.byteLength + TAG_BYTES);
    const body = c.update(plain);
    body.copy(out, 0);
    const rest = c.final(); // empty for GCM, kept for completeness
    if (rest.length > 0) rest.copy(out, body.length);
    c.getAuthTag().copy(out, plain.byteLength);
    return out;
  }
}

export class Opener implements Preparer {
  private counter = 0;
  private readonly iv = Buffer.alloc(IV_BYTES);
  /** A decipher made ahead for nonce `counter`, or null. */
  private next: DecipherGCM | null = null;

  constructor(private readonly key: Buffer) {}

  private make(n: number): DecipherGCM {
    setCounter(this.iv, n);
    return createDecipheriv('aes-256-gcm', this.key, this.iv);
  }

  prepare(): void {
    if (this.next === null && this.counter < MAX_SEALED_MESSAGES) this.next = this.make(this.counter);
  }

  /** The plaintext, or null when the message is not the next one sealed with the peer's key. Never throws. */
  open(sealed: Buffer): Buffer | null {
    if (sealed.length < TAG_BYTES || this.counter >= MAX_SEALED_MESSAGES) return null;
    const end = sealed.length - TAG_BYTES;
    // Used once, whatever the outcome: a failed final() leaves a decipher that cannot be used again.
    const ready = this.next;
    this.next = null;
    try {
      const d = ready ?? this.make(this.counter);
      d.setAuthTag(sealed.subarray(end));
      const plain = d.update(sealed.subarray(0, end));
      d.final(); // throws on a bad tag
      this.counter++;
      prepareSoon(this);
      return plain;
    } catch {
      return null;
    }
  }
}
