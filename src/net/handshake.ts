/**
 * The link handshake (proto/vsync.proto, message Link), without any IO: encoding, validation and the state machine
 * of one side. Each side sends Hello, then answers the peer's Hello with HelloAuth and checks the peer's HelloAuth
 * (timingSafeEqual).
 *
 * The mac binds the whole exchange, so that no answer can be reused on another link (the relay of issue 8: an
 * outsider handing one node's challenge to another and forwarding its answer). Both sides hash the transcript
 * th = SHA-256(label || initiator's Hello message || responder's Hello message), exact bytes as sent: it holds both
 * nonces, both node names, the cluster, the URLs and the directories. Each side's mac is HMAC-SHA256(secret,
 * role label || th), its own role (initiator: the side that dialed; responder: the side that accepted), so an answer
 * is valid only on the link whose two Hellos it saw, in that direction. From th the link keys are derived (HKDF),
 * one per direction (frame-seal.ts protects every frame after the handshake with them).
 *
 * Without a secret the mac is empty and there are no keys; a peer that sends a mac (it has a secret, we do not) is
 * refused.
 *
 * Settings both sides must share are checked on the peer's Hello, before its mac, and refused with a code naming
 * the setting: the wire version (VSYNC_ERR_VERSION), the cluster (VSYNC_ERR_AUTH) and the core's maxPayloadBytes
 * (VSYNC_ERR_CONFIG_MISMATCH: a member drops payloads above its own limit).
 */
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ErrorCode, ErrorCodes } from '../errors.js';
import { WIRE_VERSION } from '../wire/codec.js';
import { vsync } from '../wire/gen/vsync.js';
import { isValidName, isValidUrl } from './options.js';

const W = vsync.wire;

export const NONCE_BYTES = 16;
export const MAC_BYTES = 32;
/** AEAD key length (AES-256-GCM). */
export const KEY_BYTES = 32;
const TRANSCRIPT_LABEL = 'vsync link v2 transcript\0';
const KEYS_LABEL = 'vsync link v2 keys';
const ROLE_LABEL = { initiator: 'vsync link v2 initiator\0', responder: 'vsync link v2 responder\0' } as const;
/** Most directory entries in one Hello or Directory message. */
export const MAX_KNOWN = 1024;
const MAX_TEXT = 256;

export interface NodeAddr {
  node: string;
  url: string;
  /** The node's start time (ms), from its own Hello: the larger one is the later incarnation. */
  epoch: number;
}

export interface LocalIdentity {
  cluster: string;
  node: string;
  /** Advertised URL, '' without a server. */
  url: string;
  epoch: number;
  /** The cluster secret; null: no authentication. */
  key: Buffer | null;
  /** The core's `maxPayloadBytes`: a setting every node must share, sent in Hello and compared. */
  maxPayloadBytes: number;
}

/** What a validated Hello tells about the peer. */
export interface PeerHello {
  node: string;
  url: string;
  epoch: number;
  known: NodeAddr[];
}

export interface Refusal {
  code: ErrorCode;
  reason: string;
  /** The connection goes from this node to itself (say, its own URL among the seeds). */
  self?: boolean;
}

/** A decoded link message. */
export type LinkMessage =
  | { t: 'hello'; hello: vsync.wire.Hello }
  | { t: 'auth'; mac: Uint8Array }
  | { t: 'reject'; code: string; reason: string }
  | { t: 'directory'; known: unknown[] };

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/** Keys of one link, one per direction: what we seal with, and what the peer seals with. */
export interface LinkKeys {
  send: Buffer;
  receive: Buffer;
}

/** SHA-256 over both Hello messages as sent (length-prefixed), initiator's first. */
export function transcriptHash(initiatorHello: Uint8Array, responderHello: Uint8Array): Buffer {
  const len = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return createHash('sha256')
    .update(TRANSCRIPT_LABEL, 'utf8')
    .update(len(initiatorHello.length))
    .update(initiatorHello)
    .update(len(responderHello.length))
    .update(responderHello)
    .digest();
}

/** The mac a side sends: HMAC-SHA256(secret, its role's label || transcript hash). */
export function helloMac(key: Buffer, transcript: Uint8Array, role: 'initiator' | 'responder'): Buffer {
  return createHmac('sha256', key).update(ROLE_LABEL[role], 'utf8').update(transcript).digest();
}

/**
 * HKDF-SHA256 over the secret, salted with the transcript hash (both nonces, both names, the cluster): 64 bytes,
 * the initiator-to-responder key then the responder-to-initiator key.
 */
export function linkKeys(key: Buffer, transcript: Uint8Array, initiator: boolean): LinkKeys {
  const okm = Buffer.from(hkdfSync('sha256', key, transcript, KEYS_LABEL, 2 * KEY_BYTES));
  const i2r = okm.subarray(0, KEY_BYTES);
  const r2i = okm.subarray(KEY_BYTES);
  return initiator ? { send: i2r, receive: r2i } : { send: r2i, receive: i2r };
}

export function encodeHello(local: LocalIdentity, nonce: Uint8Array, known: NodeAddr[]): Uint8Array {
  const hello = { version: WIRE_VERSION, cluster: local.cluster, node: local.node, nonce, url: local.url, known, epoch: local.epoch, maxPayloadBytes: local.maxPayloadBytes };
  return W.Link.encode({ hello }).finish();
}

export function encodeAuth(mac: Uint8Array): Uint8Array {
  return W.Link.encode({ auth: { mac } }).finish();
}

export function encodeReject(r: { code: string; reason: string }): Uint8Array {
  return W.Link.encode({ reject: { code: r.code, reason: clip(r.reason) } }).finish();
}

export function encodeDirectory(known: NodeAddr[]): Uint8Array {
  return W.Link.encode({ directory: { known } }).finish();
}

/** Decodes a link message; null for bytes that are not one. Never throws. */
export function decodeLink(bytes: Uint8Array): LinkMessage | null {
  let m: ReturnType<typeof W.Link.decode>;
  try {
    m = W.Link.decode(bytes);
  } catch {
    return null;
  }
  switch (m.msg) {
    case 'hello':
      return m.hello ? { t: 'hello', hello: m.hello as vsync.wire.Hello } : null;
    case 'auth':
      return { t: 'auth', mac: m.auth?.mac ?? new Uint8Array(0) };
    case 'reject':
      return { t: 'reject', code: clip(m.reject?.code ?? ''), reason: clip(m.reject?.reason ?? '') };
    case 'directory':
      return { t: 'directory', known: m.directory?.known ?? [] };
    default:
      return null;
  }
}

/** A uint64 as protobufjs yields it (a number, or a long.js Long) as a safe integer; null when above 2^53 - 1. */
export function safeU64(v: unknown): number | null {
  if (v == null) return 0;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  const l = v as { low: number; high: number };
  if (typeof l.low !== 'number' || typeof l.high !== 'number') return null;
  const high = l.high >>> 0;
  return high > 0x1fffff ? null : high * 0x1_0000_0000 + (l.low >>> 0);
}

/** Validated directory entries; null if any entry is invalid or there are too many. */
export function checkKnown(list: unknown[]): NodeAddr[] | null {
  if (list.length > MAX_KNOWN) return null;
  const out: NodeAddr[] = [];
  for (const x of list) {
    const a = x as { node?: unknown; url?: unknown; epoch?: unknown };
    const epoch = safeU64(a.epoch);
    if (!isValidName(a.node) || !isValidUrl(a.url) || epoch === null) return null;
    out.push({ node: a.node, url: a.url, epoch });
  }
  return out;
}

/** Validates a peer's Hello: the peer, or why it is refused. */
export function checkHello(h: vsync.wire.Hello, local: LocalIdentity, isOwnNonce: (nonce: Uint8Array) => boolean): PeerHello | Refusal {
  if (h.version !== WIRE_VERSION) {
    return { code: ErrorCodes.VERSION, reason: `wire version ${h.version}, expected ${WIRE_VERSION}` };
  }
  if (h.cluster !== local.cluster) return { code: ErrorCodes.AUTH, reason: `peer is in cluster ${JSON.stringify(clip(h.cluster, 64))}, not ours` };
  if (!isValidName(h.node)) return { code: ErrorCodes.MALFORMED_FRAME, reason: `invalid node name ${JSON.stringify(clip(h.node, 64))}` };
  if (!h.nonce || h.nonce.length !== NONCE_BYTES) return { code: ErrorCodes.MALFORMED_FRAME, reason: `nonce of ${h.nonce?.length ?? 0} bytes, expected ${NONCE_BYTES}` };
  if (h.url !== '' && !isValidUrl(h.url)) return { code: ErrorCodes.MALFORMED_FRAME, reason: 'invalid advertised URL' };
  const epoch = safeU64(h.epoch);
  if (epoch === null) return { code: ErrorCodes.MALFORMED_FRAME, reason: 'invalid epoch' };
  const known = checkKnown(h.known ?? []);
  if (known === null) return { code: ErrorCodes.MALFORMED_FRAME, reason: 'invalid directory (known)' };
  // A member drops payloads above its own limit: with different limits one member's messages would stall at another.
  if (h.maxPayloadBytes !== local.maxPayloadBytes) {
    return {
      code: ErrorCodes.CONFIG_MISMATCH,
      reason: `config.maxPayloadBytes differs: ${local.node} has ${local.maxPayloadBytes}, ${h.node} has ${h.maxPayloadBytes}; every node of a cluster must have the same`,
    };
  }
  if (h.node === local.node) {
    return isOwnNonce(h.nonce)
      ? { code: ErrorCodes.INVALID_ARGUMENT, reason: 'connected to itself', self: true }
      : { code: ErrorCodes.INVALID_ARGUMENT, reason: `duplicate node name: the peer calls itself ${h.node} too` };
  }
  return { node: h.node, url: h.url, epoch, known };
}

/** Checks the peer's mac: HMAC(key, peer's role label || transcript); empty without a key. */
export function checkMac(local: LocalIdentity, transcript: Uint8Array, peerRole: 'initiator' | 'responder', mac: Uint8Array): Refusal | null {
  if (local.key === null) {
    return mac.length === 0 ? null : { code: ErrorCodes.AUTH, reason: 'the peer authenticates with a secret and this node has none' };
  }
  if (mac.length !== MAC_BYTES) return { code: ErrorCodes.AUTH, reason: mac.length === 0 ? 'the peer sent no mac (it has no secret)' : 'bad mac' };
  const expected = helloMac(local.key, transcript, peerRole);
  return timingSafeEqual(expected, mac) ? null : { code: ErrorCodes.AUTH, reason: 'bad mac (wrong secret, or not the link it was computed for)' };
}

/** One step of the handshake, in answer to one received message. */
export type HandshakeStep =
  /** Send `bytes` to the peer and wait for its next message. */
  | { kind: 'reply'; bytes: Uint8Array }
  /** The peer is authenticated; `keys` protect the frames that follow (null without a secret). */
  | { kind: 'done'; peer: PeerHello; keys: LinkKeys | null }
  /** Send a Reject and close. */
  | { kind: 'refuse'; refusal: Refusal }
  /** The peer refused us. */
  | { kind: 'refused'; code: string; reason: string };

/** One side of a handshake: Hello out, then the peer's Hello and HelloAuth in, in that order. */
export class Handshake {
  readonly nonce = newNonce();
  private peer: PeerHello | null = null;
  private ownHello: Uint8Array | null = null;
  private transcript: Buffer | null = null;

  /** `initiator`: this side dialed the connection (the other side accepted it). */
  constructor(
    private readonly local: LocalIdentity,
    private readonly isOwnNonce: (nonce: Uint8Array) => boolean,
    readonly initiator: boolean,
  ) {}

  private get role(): 'initiator' | 'responder' {
    return this.initiator ? 'initiator' : 'responder';
  }

  /** The node the peer's Hello named (not authenticated yet); null before it. */
  get peerNode(): string | null {
    return this.peer?.node ?? null;
  }

  /** Our Hello, to send first. */
  hello(known: NodeAddr[]): Uint8Array {
    this.ownHello = encodeHello(this.local, this.nonce, known);
    return this.ownHello;
  }

  receive(bytes: Uint8Array): HandshakeStep {
    const m = decodeLink(bytes);
    if (m === null) return refuse(ErrorCodes.MALFORMED_FRAME, 'malformed handshake message');
    if (m.t === 'reject') return { kind: 'refused', code: m.code, reason: m.reason };
    if (this.peer === null) {
      if (m.t !== 'hello') return refuse(ErrorCodes.MALFORMED_FRAME, `expected Hello, got ${m.t}`);
      const checked = checkHello(m.hello, this.local, this.isOwnNonce);
      if (!('node' in checked)) return { kind: 'refuse', refusal: checked };
      if (this.ownHello === null) return refuse(ErrorCodes.INVARIANT, 'peer Hello before ours was sent');
      this.peer = checked;
      this.transcript = this.initiator ? transcriptHash(this.ownHello, bytes) : transcriptHash(bytes, this.ownHello);
      const mac = this.local.key === null ? new Uint8Array(0) : helloMac(this.local.key, this.transcript, this.role);
      return { kind: 'reply', bytes: encodeAuth(mac) };
    }
    if (m.t !== 'auth') return refuse(ErrorCodes.MALFORMED_FRAME, `expected HelloAuth, got ${m.t}`);
    const transcript = this.transcript!;
    const bad = checkMac(this.local, transcript, this.initiator ? 'responder' : 'initiator', m.mac);
    if (bad) return { kind: 'refuse', refusal: bad };
    const keys = this.local.key === null ? null : linkKeys(this.local.key, transcript, this.initiator);
    return { kind: 'done', peer: this.peer, keys };
  }
}

function refuse(code: ErrorCode, reason: string): HandshakeStep {
  return { kind: 'refuse', refusal: { code, reason } };
}

/** A string from the wire, cut to a loggable length. */
export function clip(s: string, max = MAX_TEXT): string {
  return s.length <= max ? s : `${s.slice(0, max)}...`;
}
