import { createHash } from 'node:crypto';

const cache = new WeakMap<Uint8Array, string>();

/** First 16 hex characters of SHA-256, as the trace format asks; cached per payload object. */
export function payloadHash(payload: Uint8Array): string {
  let h = cache.get(payload);
  if (h === undefined) {
    h = createHash('sha256').update(payload).digest('hex').slice(0, 16);
    cache.set(payload, h);
  }
  return h;
}
