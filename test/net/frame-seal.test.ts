/** Frame protection without sockets: AES-256-GCM with a counter nonce, one key per direction. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Opener, Sealer, TAG_BYTES } from '../../src/net/frame-seal.js';

const pair = () => {
  const key = randomBytes(32);
  return { s: new Sealer(key), o: new Opener(key) };
};

describe('frame seal', () => {
  it('round-trips messages in order, adding only the tag; the bytes on the wire are not the plaintext', () => {
    const { s, o } = pair();
    for (const n of [0, 1, 17, 1024, 70_000]) {
      const plain = randomBytes(n);
      const sealed = s.seal(plain);
      expect(sealed.length).toBe(n + TAG_BYTES);
      if (n >= 16) expect(sealed.subarray(0, n).equals(plain)).toBe(false);
      expect(o.open(sealed)?.equals(plain)).toBe(true);
    }
  });

  it('refuses forged, altered, replayed, reordered and truncated messages, and the wrong key', () => {
    const { s, o } = pair();
    const m1 = s.seal(Buffer.from('one'));
    const m2 = s.seal(Buffer.from('two'));
    const m3 = s.seal(Buffer.from('three'));
    expect(o.open(randomBytes(40))).toBeNull(); // forged
    expect(o.open(m2)).toBeNull(); // reordered (m1 expected first)
    const altered = Buffer.from(m1);
    altered[0]! ^= 1;
    expect(o.open(altered)).toBeNull();
    expect(o.open(m1.subarray(0, 5))).toBeNull(); // truncated
    expect(o.open(Buffer.alloc(3))).toBeNull();
    expect(o.open(m1)?.toString()).toBe('one');
    expect(o.open(m1)).toBeNull(); // replayed
    expect(o.open(m2)?.toString()).toBe('two');
    expect(o.open(m3)?.toString()).toBe('three');
    const other = new Opener(randomBytes(32));
    expect(other.open(new Sealer(randomBytes(32)).seal(Buffer.from('x')))).toBeNull();
  });

  it('makes the next nonce\'s cipher ahead between turns, and a refused message spoils neither that one nor the next', async () => {
    const { s, o } = pair();
    const turn = () => new Promise<void>((r) => setImmediate(() => setImmediate(() => setImmediate(r))));
    for (let i = 0; i < 5; i++) {
      // Several in one turn: the first uses the object made ahead, the rest make their own.
      const msgs = [0, 1, 2].map((k) => Buffer.from(`turn ${i} message ${k}`));
      const sealed = msgs.map((m) => s.seal(m));
      expect(o.open(randomBytes(30))).toBeNull(); // forged: uses up the decipher made ahead
      sealed.forEach((x, k) => expect(o.open(x)?.equals(msgs[k]!)).toBe(true));
      expect(o.open(sealed[2]!)).toBeNull(); // replayed
      await turn();
    }
    // Made ahead for the right nonce: a message sealed in a later turn opens; one sealed for an earlier nonce does not.
    const late = s.seal(Buffer.from('late'));
    await turn();
    expect(o.open(late)?.toString()).toBe('late');
  });
});
