import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashChain } from '../../src/rsm/hash-chain.js';
import { payloadHash } from '../../src/trace/payload-hash.js';

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

// The simulator's application and the traces hash every delivery; the fast path must give the same digests.
describe('hashing on the simulator path', () => {
  it('HashChain is sha256(previous || payload), for payloads below and above its scratch buffer', () => {
    const chain = new HashChain();
    let state: Uint8Array = new Uint8Array(32);
    for (const len of [0, 1, 64, 1024, 1025, 5000, 3]) {
      const p = randomBytes(len);
      chain.apply(p);
      state = sha(state, p);
      expect(chain.digest()).toBe(Buffer.from(state).toString('hex').slice(0, 16));
    }
    const copy = new HashChain();
    copy.restore(chain.snapshot());
    expect(copy.digest()).toBe(chain.digest());
  });

  it('payloadHash is the first 16 hex characters of sha256', () => {
    const p = new TextEncoder().encode('n1#1:7:xxxx');
    expect(payloadHash(p)).toBe(sha(p).toString('hex').slice(0, 16));
    expect(payloadHash(new Uint8Array(0))).toBe(sha(new Uint8Array(0)).toString('hex').slice(0, 16));
  });
});
