import { ErrorCodes, VsyncError } from '../core/errors.js';
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

export const encodeSnapshot = (app: Uint8Array, clients: ClientEntry[]): Uint8Array => R.Snapshot.encode({ app, clients }).finish();
export const decodeSnapshot = (b: Uint8Array): { app: Uint8Array; clients: ClientEntry[] } => decodeWith(() => {
  const m = R.Snapshot.decode(b);
  return {
    app: m.app ?? new Uint8Array(0),
    clients: (m.clients ?? []).map((c) => ({ client: c.client ?? '', request: num(c.request, 'snapshot.request'), result: c.result ?? new Uint8Array(0) })),
  };
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
