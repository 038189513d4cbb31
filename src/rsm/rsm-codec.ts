import { ErrorCodes, VsyncError } from '../errors.js';
import protobuf from 'protobufjs/minimal.js';
import { vsync } from '../wire/gen/vsync.js';

const R = vsync.rsm;

export interface Command {
  client: string;
  request: number;
  body: Uint8Array;
}

export interface ClientEntry {
  client: string;
  request: number;
  result: Uint8Array;
  /** The command failed (its state machine threw): a repeat is answered with this error, not a result. */
  error?: string;
}

export interface ClientRequest {
  client: string;
  request: number;
  command: Uint8Array;
}

export interface ClientReply {
  client: string;
  request: number;
  result: Uint8Array;
  member: string;
  error: string;
}

function num(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : v == null ? 0 : Number(v as bigint);
  if (!Number.isSafeInteger(n) || n < 0) throw new VsyncError(ErrorCodes.MALFORMED_FRAME, `${what}: not a safe integer`);
  return n;
}

function decodeWith<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof VsyncError) throw err;
    throw new VsyncError(ErrorCodes.MALFORMED_FRAME, `${what}: ${(err as Error).message}`);
  }
}

export const encodeCommand = (c: Command): Uint8Array => R.Command.encode(c).finish();
export const decodeCommand = (b: Uint8Array): Command => decodeWith(() => {
  const m = R.Command.decode(b);
  if (!m.client) throw new VsyncError(ErrorCodes.MALFORMED_FRAME, 'command without a client id');
  return { client: m.client, request: num(m.request, 'command.request'), body: m.body ?? new Uint8Array(0) };
}, 'command');

/**
 * Failed entries travel as extra top-level fields 3 ({1: client, 2: error}) appended after the generated
 * encoding: protobuf merges concatenated messages, and the generated decoder skips a field it does not know.
 */
const SNAPSHOT_ERRORS_FIELD = 3;

export const encodeSnapshot = (app: Uint8Array, clients: ClientEntry[]): Uint8Array => {
  const base = R.Snapshot.encode({ app, clients: clients.map(({ client, request, result }) => ({ client, request, result })) }).finish();
  const failed = clients.filter((c) => c.error);
  if (failed.length === 0) return base;
  const w = protobuf.Writer.create();
  for (const c of failed) w.uint32((SNAPSHOT_ERRORS_FIELD << 3) | 2).fork().uint32((1 << 3) | 2).string(c.client).uint32((2 << 3) | 2).string(c.error!).ldelim();
  const extra = w.finish();
  const out = new Uint8Array(base.byteLength + extra.byteLength);
  out.set(base, 0);
  out.set(extra, base.byteLength);
  return out;
};

export const decodeSnapshot = (b: Uint8Array): { app: Uint8Array; clients: ClientEntry[] } => decodeWith(() => {
  const m = R.Snapshot.decode(b);
  const clients: ClientEntry[] = (m.clients ?? []).map((c) => ({ client: c.client ?? '', request: num(c.request, 'snapshot.request'), result: c.result ?? new Uint8Array(0) }));
  const errors = new Map<string, string>();
  const r = protobuf.Reader.create(b);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== SNAPSHOT_ERRORS_FIELD || (tag & 7) !== 2) {
      r.skipType(tag & 7);
      continue;
    }
    const end = r.uint32() + r.pos;
    let client = '';
    let error = '';
    while (r.pos < end) {
      const t = r.uint32();
      if (t === ((1 << 3) | 2)) client = r.string();
      else if (t === ((2 << 3) | 2)) error = r.string();
      else r.skipType(t & 7);
    }
    if (client && error) errors.set(client, error);
  }
  for (const c of clients) {
    const e = errors.get(c.client);
    if (e) c.error = e;
  }
  return { app: m.app ?? new Uint8Array(0), clients };
}, 'snapshot');

export const encodeRequest = (r: ClientRequest): Uint8Array => R.ClientRequest.encode(r).finish();
export const decodeRequest = (b: Uint8Array): ClientRequest => decodeWith(() => {
  const m = R.ClientRequest.decode(b);
  if (!m.client) throw new VsyncError(ErrorCodes.MALFORMED_FRAME, 'request without a client id');
  return { client: m.client, request: num(m.request, 'request.request'), command: m.command ?? new Uint8Array(0) };
}, 'client request');

export const encodeReply = (r: ClientReply): Uint8Array => R.ClientReply.encode(r).finish();
export const decodeReply = (b: Uint8Array): ClientReply => decodeWith(() => {
  const m = R.ClientReply.decode(b);
  return { client: m.client ?? '', request: num(m.request, 'reply.request'), result: m.result ?? new Uint8Array(0), member: m.member ?? '', error: m.error ?? '' };
}, 'client reply');
