import protobuf from 'protobufjs/minimal.js';
import { ErrorCodes, VsyncError } from '../errors.js';

/**
 * The client endpoint's frames, one protobuf message per WebSocket message in each direction. Hand-written with
 * protobufjs's Writer/Reader (flat messages with a `kind`) so that the group's generated wire code stays untouched.
 * Strings are bounded before they are read; unknown fields are skipped, so later versions can add fields.
 */

export const ClientKind = { AUTH: 1, REQUEST: 2 } as const;
export const ServerKind = { CHALLENGE: 1, WELCOME: 2, REPLY: 3, REFUSED: 4 } as const;

/** Client -> member. */
export interface ClientMsg {
  kind: number;
  /** auth: the client id being proved. */
  client: string;
  nonce: Uint8Array;
  proof: Uint8Array;
  request: number;
  command: Uint8Array;
  /** Frames after the handshake are numbered 1, 2, ... per connection and direction, and MACed. */
  counter: number;
  mac: Uint8Array;
}

/** Member -> client. */
export interface ServerMsg {
  kind: number;
  nonce: Uint8Array;
  member: string;
  /** challenge: the largest command this endpoint takes, so a client refuses a larger one itself. */
  maxCommandBytes: number;
  /** challenge: 1 when the endpoint authenticates clients. */
  auth: number;
  proof: Uint8Array;
  client: string;
  request: number;
  result: Uint8Array;
  error: string;
  /** reply: Ed25519 signature by the member's key over signedReplyBytes(). */
  signature: Uint8Array;
  counter: number;
  mac: Uint8Array;
  message: string;
}

type FieldType = 'uint' | 'string' | 'bytes';
type Schema<T> = Record<number, [keyof T & string, FieldType]>;

const CLIENT: Schema<ClientMsg> = {
  1: ['kind', 'uint'], 2: ['client', 'string'], 3: ['nonce', 'bytes'], 4: ['proof', 'bytes'], 5: ['request', 'uint'],
  6: ['command', 'bytes'], 7: ['counter', 'uint'], 8: ['mac', 'bytes'],
};
const SERVER: Schema<ServerMsg> = {
  1: ['kind', 'uint'], 2: ['nonce', 'bytes'], 3: ['member', 'string'], 4: ['maxCommandBytes', 'uint'], 5: ['auth', 'uint'],
  6: ['proof', 'bytes'], 7: ['client', 'string'], 8: ['request', 'uint'], 9: ['result', 'bytes'], 10: ['error', 'string'],
  11: ['signature', 'bytes'], 12: ['counter', 'uint'], 13: ['mac', 'bytes'], 14: ['message', 'string'],
};

/** Longest string field read (client ids, member ids, error codes, messages). */
export const MAX_STRING_BYTES = 1024;

const EMPTY = new Uint8Array(0);

function defaults<T>(schema: Schema<T>): T {
  const o: Record<string, unknown> = {};
  for (const [name, type] of Object.values(schema) as Array<[string, FieldType]>) o[name] = type === 'uint' ? 0 : type === 'string' ? '' : EMPTY;
  return o as T;
}

function encode<T>(schema: Schema<T>, msg: Partial<T>): Uint8Array {
  const w = protobuf.Writer.create();
  for (const [no, [name, type]] of Object.entries(schema) as Array<[string, [keyof T & string, FieldType]]>) {
    const v = msg[name] as unknown;
    if (v === undefined) continue;
    const tag = Number(no) << 3;
    if (type === 'uint') {
      if (v === 0) continue;
      if (!Number.isSafeInteger(v) || (v as number) < 0) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${name}: not a non-negative safe integer`);
      w.uint32(tag | 0).uint64(v as number);
    } else if (type === 'string') {
      if (v === '') continue;
      w.uint32(tag | 2).string(v as string);
    } else {
      if ((v as Uint8Array).byteLength === 0) continue;
      w.uint32(tag | 2).bytes(v as Uint8Array);
    }
  }
  return w.finish();
}

function decode<T>(schema: Schema<T>, bytes: Uint8Array, what: string): T {
  const out = defaults(schema) as Record<string, unknown>;
  try {
    const r = protobuf.Reader.create(bytes);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = schema[tag >>> 3];
      const wire = tag & 7;
      if (!field) {
        r.skipType(wire);
        continue;
      }
      const [name, type] = field;
      if (type === 'uint') {
        if (wire !== 0) throw new Error(`${name}: wrong wire type`);
        const v = r.uint64() as unknown as { toString(): string } | number;
        const n = typeof v === 'number' ? v : Number(v.toString());
        if (!Number.isSafeInteger(n)) throw new Error(`${name}: not a safe integer`);
        out[name] = n;
      } else {
        if (wire !== 2) throw new Error(`${name}: wrong wire type`);
        if (type === 'string') {
          // Peek at the length before reading, so a huge string is refused before it is decoded.
          const start = r.pos;
          const len = r.uint32();
          if (len > MAX_STRING_BYTES) throw new Error(`${name}: longer than ${MAX_STRING_BYTES} bytes`);
          r.pos = start;
          out[name] = r.string();
        } else {
          // A copy into a plain Uint8Array (Buffer#slice would be a view), so a kept value does not pin the frame.
          out[name] = new Uint8Array(r.bytes());
        }
      }
    }
  } catch (err) {
    throw new VsyncError(ErrorCodes.MALFORMED_FRAME, `${what}: ${(err as Error).message}`);
  }
  return out as T;
}

export const encodeClientMsg = (m: Partial<ClientMsg>): Uint8Array => encode(CLIENT, m);
export const decodeClientMsg = (b: Uint8Array): ClientMsg => decode(CLIENT, b, 'client frame');
export const encodeServerMsg = (m: Partial<ServerMsg>): Uint8Array => encode(SERVER, m);
export const decodeServerMsg = (b: Uint8Array): ServerMsg => decode(SERVER, b, 'server frame');
