import { createHmac, createPrivateKey, createPublicKey, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { ErrorCodes, VsyncError } from '../errors.js';

/**
 * The client endpoint's cryptography. A client proves its id with an HMAC over both sides' fresh nonces, the
 * client id and the member's name (so no proof can be replayed on another connection or to another member); the
 * member answers with its own proof (so a man in the middle without the client's secret cannot pose as the
 * member). Both derive a session key; every later frame carries a counter and an HMAC under it, so a frame that
 * is altered, replayed, reordered or injected is refused. Replies are also signed with the member's Ed25519 key:
 * that signature, not a name inside the reply, is what byzantine voting counts.
 */

const te = new TextEncoder();

/** 4-byte big-endian length, then the bytes: no two different field lists give the same input. */
function lp(parts: Array<Uint8Array | string | number>): Buffer {
  const bufs: Buffer[] = [];
  for (const p of parts) {
    let b: Buffer;
    if (typeof p === 'number') {
      b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(p));
    } else b = Buffer.from(typeof p === 'string' ? te.encode(p) : p);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.byteLength);
    bufs.push(len, b);
  }
  return Buffer.concat(bufs);
}

const mac = (key: Uint8Array | string, label: string, parts: Array<Uint8Array | string | number>): Uint8Array =>
  createHmac('sha256', key).update(label).update('\u0000').update(lp(parts)).digest();

export function clientProof(secret: string, ns: Uint8Array, nc: Uint8Array, client: string, member: string): Uint8Array {
  return mac(secret, 'vsync-client-auth-client', [ns, nc, client, member]);
}

export function memberProof(secret: string, ns: Uint8Array, nc: Uint8Array, client: string, member: string): Uint8Array {
  return mac(secret, 'vsync-client-auth-member', [ns, nc, client, member]);
}

export function sessionKey(secret: string, ns: Uint8Array, nc: Uint8Array, client: string, member: string): Uint8Array {
  return mac(secret, 'vsync-client-session', [ns, nc, client, member]);
}

export function requestMac(key: Uint8Array, counter: number, request: number, command: Uint8Array): Uint8Array {
  return mac(key, 'vsync-client-request', [counter, request, command]);
}

export interface SignedReply {
  client: string;
  request: number;
  result: Uint8Array;
  member: string;
  error: string;
}

/** What a member signs: the whole answer and to whom it is. */
export function signedReplyBytes(r: SignedReply): Uint8Array {
  return lp(['vsync-client-reply-v1', r.client, r.request, r.result, r.member, r.error]);
}

export function replyMac(key: Uint8Array, counter: number, r: SignedReply, signature: Uint8Array): Uint8Array {
  return mac(key, 'vsync-client-reply', [counter, signedReplyBytes(r), signature]);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

export type KeyInput = KeyObject | string | Buffer;

function ed25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${what} must be an Ed25519 key, got ${key.asymmetricKeyType}`);
  return key;
}

/** A member's signing key from a KeyObject or PEM. */
export function privateKey(k: KeyInput, what = 'signingKey'): KeyObject {
  try {
    return ed25519(typeof k === 'object' && 'asymmetricKeyType' in k ? k : createPrivateKey(k as string | Buffer), what);
  } catch (err) {
    if (err instanceof VsyncError) throw err;
    throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${what}: not a private key (${(err as Error).message})`);
  }
}

/** A member's public key from a KeyObject (public or private), PEM, or the base64 of its SPKI DER (one line). */
export function publicKey(k: KeyInput, what = 'memberKeys'): KeyObject {
  try {
    const key = typeof k === 'object' && 'asymmetricKeyType' in k
      ? k
      : typeof k === 'string' && !k.includes('-----BEGIN')
        ? createPublicKey({ key: Buffer.from(k.trim(), 'base64'), format: 'der', type: 'spki' })
        : createPublicKey(k as string | Buffer);
    return ed25519(key.type === 'private' ? createPublicKey(key) : key, what);
  } catch (err) {
    if (err instanceof VsyncError) throw err;
    throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${what}: not a public key (${(err as Error).message})`);
  }
}

/** The one-line form of a public key: base64 of its SPKI DER (what `vsync member` prints). */
export const publicKeyLine = (k: KeyObject): string => createPublicKey(k).export({ type: 'spki', format: 'der' }).toString('base64');

export const signReply = (key: KeyObject, r: SignedReply): Uint8Array => sign(null, signedReplyBytes(r), key);

/** Index of the key in `keys` that signed `r`, or -1. */
export function signerOf(keys: readonly KeyObject[], r: SignedReply, signature: Uint8Array): number {
  if (signature.byteLength !== 64) return -1;
  const data = signedReplyBytes(r);
  for (let i = 0; i < keys.length; i++) {
    try {
      if (verify(null, data, keys[i]!, signature)) return i;
    } catch {
      // Not this key.
    }
  }
  return -1;
}
