import { randomBytes, type KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { type ErrorCode, ErrorCodes, VsyncError } from '../errors.js';
import { clientProof, equalBytes, memberProof, replyMac, requestMac, sessionKey, signReply, type SignedReply } from './client-auth.js';
import type { ClientQuotas } from './client-quota.js';
import { ClientKind, type ClientMsg, decodeClientMsg, encodeServerMsg, MAX_STRING_BYTES, ServerKind } from './client-wire.js';
import type { ConnectionGuard } from './connection-guard.js';
import type { ReplicatedStateMachine } from './replicated-state-machine.js';

export interface SessionContext {
  rsm: ReplicatedStateMachine;
  log: Logger;
  guard: ConnectionGuard;
  quotas: ClientQuotas;
  /** Client id -> secret; null: insecure (clients are not authenticated). */
  secrets: ReadonlyMap<string, string> | null;
  /** Mutual TLS: the client certificate's common name is the client id. */
  tls: boolean;
  signingKey: KeyObject;
  maxCommandBytes: number;
  idleTimeoutMs: number;
  /** Most reply bytes waiting in one connection's send buffer: a client that does not read is cut off. */
  maxBufferedBytes: number;
  /** Rate-limited warnings: a flood of bad frames must not flood the log. */
  warn: (obj: object, msg: string) => void;
}

interface InFlight {
  request: number;
  ac: AbortController;
  answered: boolean;
}

/**
 * One client connection at a member: challenge, authentication, then requests, each checked (MAC, size,
 * shape, quota) before it is submitted, and answered exactly once with a signed reply. Nothing here throws out of
 * a handler: a frame that breaks the protocol closes the connection.
 */
export class EndpointSession {
  private readonly nonce = randomBytes(32);
  private readonly member: string;
  private client: string | null = null;
  private key: Uint8Array | null = null;
  private lastIn = 0;
  private lastOut = 0;
  private readonly inFlight = new Set<InFlight>();
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    private readonly c: SessionContext,
  ) {
    this.member = c.rsm.group.memberId ?? '';
    ws.on('message', (data, isBinary) => {
      try {
        this.onMessage(data as Buffer, isBinary);
      } catch (err) {
        c.log.error({ err, code: ErrorCodes.INVARIANT }, 'client session failed; closing it');
        this.close(1011, 'internal error');
      }
    });
    ws.on('close', () => this.onClose());
    ws.on('error', () => this.onClose());
    this.send({ kind: ServerKind.CHALLENGE, nonce: this.nonce, member: this.member, maxCommandBytes: c.maxCommandBytes, auth: c.secrets ? 1 : c.tls ? 2 : 0 });
  }

  /** The group has no majority: answer every request in flight so its client tries another member. */
  noQuorum(): void {
    for (const f of [...this.inFlight]) {
      this.answer(f, { result: new Uint8Array(0), error: ErrorCodes.NO_QUORUM }, 'this member is in a minority partition');
      f.ac.abort(new VsyncError(ErrorCodes.NO_QUORUM, 'no majority'));
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) return this.refuse(ErrorCodes.MALFORMED_FRAME, 'binary frames only');
    let m: ClientMsg;
    try {
      m = decodeClientMsg(new Uint8Array(data));
    } catch (err) {
      return this.refuse(ErrorCodes.MALFORMED_FRAME, (err as Error).message);
    }
    if (this.client === null) {
      if (m.kind !== ClientKind.AUTH) return this.refuse(ErrorCodes.AUTH, 'authenticate first');
      return this.onAuth(m);
    }
    if (m.kind !== ClientKind.REQUEST) return this.refuse(ErrorCodes.MALFORMED_FRAME, `unexpected frame kind ${m.kind}`);
    this.onRequest(m);
  }

  private onAuth(m: ClientMsg): void {
    const client = m.client;
    if (client.length === 0 || client.startsWith('local:')) return this.refuse(ErrorCodes.AUTH, 'bad client id');
    if (m.nonce.byteLength !== 32) return this.refuse(ErrorCodes.AUTH, 'nonce must be 32 bytes');
    if (this.c.tls) {
      // The TLS layer verified the certificate against the CA; the id it names is the only one this client may use.
      const cn = (this.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
      if (typeof cn !== 'string' || cn !== client) {
        this.c.warn({ client, cn, remote: this.socket.remoteAddress }, 'client id does not match its certificate');
        return this.refuse(ErrorCodes.AUTH, 'client id does not match the certificate');
      }
    }
    if (this.c.secrets) {
      const secret = this.c.secrets.get(client);
      if (secret === undefined || !equalBytes(m.proof, clientProof(secret, this.nonce, m.nonce, client, this.member))) {
        this.c.warn({ client, remote: this.socket.remoteAddress }, 'client authentication failed');
        return this.refuse(ErrorCodes.AUTH, 'authentication failed');
      }
      this.key = sessionKey(secret, this.nonce, m.nonce, client, this.member);
      this.send({ kind: ServerKind.WELCOME, proof: memberProof(secret, this.nonce, m.nonce, client, this.member) });
    } else {
      this.send({ kind: ServerKind.WELCOME });
    }
    this.client = client;
    this.c.quotas.connected(client);
    this.c.guard.authenticated(this.socket);
    this.touch();
  }

  private onRequest(m: ClientMsg): void {
    const client = this.client!;
    if (this.key) {
      if (m.counter !== this.lastIn + 1 || !equalBytes(m.mac, requestMac(this.key, m.counter, m.request, m.command))) {
        this.c.warn({ client, remote: this.socket.remoteAddress }, 'client frame with a bad MAC or counter');
        return this.refuse(ErrorCodes.AUTH, 'bad frame MAC or counter');
      }
    }
    this.lastIn = m.counter;
    this.touch();
    const f: InFlight = { request: m.request, ac: new AbortController(), answered: false };
    const bytes = m.command.byteLength;
    if (bytes > this.c.maxCommandBytes) {
      return this.answer(f, { result: new Uint8Array(0), error: ErrorCodes.PAYLOAD_TOO_LARGE }, `command of ${bytes} bytes exceeds ${this.c.maxCommandBytes}`);
    }
    if (this.c.rsm.noQuorum) return this.answer(f, { result: new Uint8Array(0), error: ErrorCodes.NO_QUORUM }, 'this member is in a minority partition');
    const invalid = this.c.rsm.validate(m.command);
    if (invalid) return this.answer(f, { result: new Uint8Array(0), error: ErrorCodes.INVALID_ARGUMENT }, `command refused: ${invalid}`.slice(0, MAX_STRING_BYTES));
    const refusal = this.c.quotas.take(client, bytes);
    if (refusal) return this.answer(f, { result: new Uint8Array(0), error: ErrorCodes.BACKPRESSURE }, `client limit reached: ${refusal}`);
    this.inFlight.add(f);
    this.c.rsm.submit(m.command, { client, request: m.request, signal: f.ac.signal }).then(
      (result) => this.answer(f, { result, error: '' }),
      (err: unknown) => {
        const code = err instanceof VsyncError ? err.code : ErrorCodes.INVALID_ARGUMENT;
        this.answer(f, { result: new Uint8Array(0), error: code }, err instanceof Error ? err.message.slice(0, MAX_STRING_BYTES) : '');
      },
    ).finally(() => {
      this.inFlight.delete(f);
      this.c.quotas.done(client, bytes);
      this.touch();
    }).catch(() => {});
  }

  private answer(f: InFlight, r: { result: Uint8Array; error: ErrorCode | '' }, message = ''): void {
    if (f.answered || this.closed) return;
    f.answered = true;
    const reply: SignedReply = { client: this.client!, request: f.request, result: r.result, member: this.c.rsm.group.memberId ?? this.member, error: r.error };
    const signature = signReply(this.c.signingKey, reply);
    const counter = ++this.lastOut;
    this.send({
      kind: ServerKind.REPLY, ...reply, signature, counter, message,
      mac: this.key ? replyMac(this.key, counter, reply, signature) : undefined,
    });
  }

  /** Closes the connection when it has been idle (nothing received, nothing in flight) for idleTimeoutMs. */
  private touch(): void {
    if (this.closed) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.inFlight.size > 0) this.touch();
      else this.close(1001, 'idle');
    }, this.c.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private refuse(code: ErrorCode, message: string): void {
    this.send({ kind: ServerKind.REFUSED, error: code, message: message.slice(0, MAX_STRING_BYTES) });
    this.close(code === ErrorCodes.AUTH ? 4001 : 4000, code);
  }

  private send(m: Parameters<typeof encodeServerMsg>[0]): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.c.maxBufferedBytes) {
      this.c.warn({ client: this.client, remote: this.socket.remoteAddress }, 'client does not read its replies; closing');
      this.close(1008, 'replies not read');
      this.ws.terminate();
      return;
    }
    this.ws.send(encodeServerMsg(m));
  }

  private close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason);
    this.onClose();
    // A peer that does not finish the closing handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const f of this.inFlight) f.ac.abort(new VsyncError(ErrorCodes.CLOSED, 'client connection closed'));
    if (this.client !== null) this.c.quotas.disconnected(this.client);
  }
}
