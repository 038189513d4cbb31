import { sha256 } from '../util/sha256.js';

const cache = new WeakMap<Uint8Array, string>();

/** First 16 hex characters of SHA-256, as the trace format asks; cached per payload object. */
export function payloadHash(payload: Uint8Array): string {
  let h = cache.get(payload);
  if (h === undefined) {
    h = sha256(payload).toString('hex', 0, 8);
    cache.set(payload, h);
  }
  return h;
}
