import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { ErrorCodes, VsyncError } from '../errors.js';
import { clientProof, equalBytes, memberProof, replyMac, requestMac, sessionKey } from './client-auth.js';
import { ClientKind, decodeServerMsg, encodeClientMsg, type ServerMsg, ServerKind } from './client-wire.js';

export interface ClientConnectionOptions {
  clientId: string;
  /** The client's secret; without it the connection only works with an endpoint that does not authenticate. */
  secret?: string;
  /** Connect and authenticate within this long, or fail with VSYNC_ERR_UNREACHABLE. */
  timeoutMs: number;
  /** Mutual TLS for wss:// URLs: the client's certificate and key, and the CA that signed the members' certificates. */
  tls?: { cert: string | Buffer; key: string | Buffer; ca: string | Buffer };
  /** Largest reply accepted. */
  maxReplyBytes?: number;
}

export interface Reply {
  url: string;
  client: string;
  request: number;
  result: Uint8Array;
  member: string;
  error: string;
  message: string;
  signature: Uint8Array;
}

/**
 * One authenticated connection from a client to one member's client endpoint. Requests and replies after the
 * handshake are numbered and MACed under the session key (when the client has a secret), so nothing on the
 * path can alter, inject or replay them without the connection noticing and closing.
 */
export class ClientConnection {
  private lastOut = 0;
  private lastIn = 0;
  private readonly listeners = new Set<(r: Reply) => void>();
  private readonly closers = new Set<() => void>();
  private closed = false;

  private constructor(
    readonly url: string,
    private readonly ws: WebSocket,
    private readonly key: Uint8Array | null,
    readonly member: string,
    readonly maxCommandBytes: number,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => this.onClose());
  }

  static open(url: string, o: ClientConnectionOptions): Promise<ClientConnection> {
    return new Promise<ClientConnection>((resolve, reject) => {
      const tlsOpts = o.tls && url.startsWith('wss:') ? { cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca } : {};
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: o.timeoutMs, maxPayload: o.maxReplyBytes ?? 64 * 1024 * 1024, ...tlsOpts });
      // Certificate-based authentication counts only over TLS verified against the CA the client was given.
      const viaTls = o.tls !== undefined && url.startsWith('wss:');
      let settled = false;
      const fail = (err: VsyncError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.terminate();
        reject(err);
      };
      const timer = setTimeout(() => fail(new VsyncError(ErrorCodes.UNREACHABLE, `${url}: no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
      ws.on('error', (err) => fail(new VsyncError(ErrorCodes.UNREACHABLE, `${url}: ${err.message}`)));
      ws.once('close', () => fail(new VsyncError(ErrorCodes.UNREACHABLE, `${url}: connection closed during the handshake`)));
      const nonce = randomBytes(32);
      let challenge: ServerMsg | null = null;
      const onMessage = (data: Buffer, isBinary: boolean): void => {
        let m: ServerMsg;
        try {
          if (!isBinary) throw new Error('text frame');
          m = decodeServerMsg(new Uint8Array(data));
        } catch (err) {
          return fail(new VsyncError(ErrorCodes.MALFORMED_FRAME, `${url}: ${(err as Error).message}`));
        }
        if (m.kind === ServerKind.REFUSED) return fail(new VsyncError(m.error === ErrorCodes.AUTH ? ErrorCodes.AUTH : ErrorCodes.UNREACHABLE, `${url} refused: ${m.message || m.error}`));
        if (challenge === null) {
          if (m.kind !== ServerKind.CHALLENGE || m.nonce.byteLength !== 32) return fail(new VsyncError(ErrorCodes.MALFORMED_FRAME, `${url}: expected a challenge`));
          if (m.auth === 2 && !viaTls) return fail(new VsyncError(ErrorCodes.AUTH, `${url} authenticates by certificate: give the client its tls certificate and a wss:// URL`));
          if (m.auth === 0 && o.secret !== undefined) {
            // Someone answers without asking for proof: an endpoint set up insecurely, or someone posing as one.
            return fail(new VsyncError(ErrorCodes.AUTH, `${url} does not authenticate clients; refusing to talk to it with a secret`));
          }
          if (m.auth === 1 && o.secret === undefined) return fail(new VsyncError(ErrorCodes.AUTH, `${url} requires authentication: give the client a secret`));
          challenge = m;
          const proof = o.secret !== undefined && m.auth === 1 ? clientProof(o.secret, m.nonce, nonce, o.clientId, m.member) : undefined;
          ws.send(encodeClientMsg({ kind: ClientKind.AUTH, client: o.clientId, nonce, proof }));
          return;
        }
        if (m.kind !== ServerKind.WELCOME) return fail(new VsyncError(ErrorCodes.MALFORMED_FRAME, `${url}: expected a welcome`));
        let key: Uint8Array | null = null;
        if (o.secret !== undefined && challenge.auth === 1) {
          if (!equalBytes(m.proof, memberProof(o.secret, challenge.nonce, nonce, o.clientId, challenge.member))) {
            return fail(new VsyncError(ErrorCodes.AUTH, `${url} could not prove it knows this client's secret`));
          }
          key = sessionKey(o.secret, challenge.nonce, nonce, o.clientId, challenge.member);
        }
        settled = true;
        clearTimeout(timer);
        ws.off('message', onMessage);
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        ws.on('error', () => {});
        const conn = new ClientConnection(url, ws, key, challenge.member, challenge.maxCommandBytes);
        if (ws.readyState !== WebSocket.OPEN) conn.onClose();
        resolve(conn);
      };
      ws.on('message', onMessage);
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(request: number, command: Uint8Array): void {
    if (this.closed) return;
    const counter = ++this.lastOut;
    const mac = this.key ? requestMac(this.key, counter, request, command) : undefined;
    this.ws.send(encodeClientMsg({ kind: ClientKind.REQUEST, request, command, counter, mac }));
  }

  onReply(fn: (r: Reply) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onClosed(fn: () => void): () => void {
    if (this.closed) {
      queueMicrotask(fn);
      return () => {};
    }
    this.closers.add(fn);
    return () => this.closers.delete(fn);
  }

  close(): void {
    this.ws.terminate();
    this.onClose();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    let m: ServerMsg;
    try {
      if (!isBinary) throw new Error('text frame');
      m = decodeServerMsg(new Uint8Array(data));
    } catch {
      return this.close();
    }
    if (m.kind !== ServerKind.REPLY) return this.close();
    const reply = { client: m.client, request: m.request, result: m.result, member: m.member, error: m.error };
    if (this.key && (m.counter !== this.lastIn + 1 || !equalBytes(m.mac, replyMac(this.key, m.counter, reply, m.signature)))) {
      return this.close(); // Altered, injected or replayed on the way: nothing more from this connection is trusted.
    }
    this.lastIn = m.counter;
    const r: Reply = { url: this.url, ...reply, message: m.message, signature: m.signature };
    for (const fn of [...this.listeners]) fn(r);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    for (const fn of [...this.closers]) fn();
    this.closers.clear();
  }
}
