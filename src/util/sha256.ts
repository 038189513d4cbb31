import * as crypto from 'node:crypto';

type OneShot = (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer;

// crypto.hash (Node 20.12+, not yet in our @types/node) hashes without making a Hash object per call: two to three
// times faster on the short payloads the simulator and the traces hash by the hundred thousand. Older Nodes (the
// package allows any 20) take the streaming API.
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

/** SHA-256 of `data`, 32 bytes. */
export const sha256: (data: Uint8Array) => Buffer =
  typeof oneShot === 'function' ? (data) => oneShot('sha256', data, 'buffer') : (data) => crypto.createHash('sha256').update(data).digest();
