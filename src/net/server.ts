/**
 * The node's websocket server: an HTTP (or, with TLS, HTTPS with client certificates) server that only upgrades.
 *
 * Bounds, so that unauthenticated connections cannot starve real peers: every connection counts as
 * unauthenticated from its first TCP byte until its link handshake succeeds (the owner calls `authenticated()`);
 * at most `maxPending` such connections, at most `maxPendingPerSource` from one IP address; a connection that has
 * not upgraded within the handshake timeout is destroyed (the link's own deadline covers the rest); at most
 * `maxConnections` sockets in all.
 */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { ErrorCodes, VsyncError } from '../errors.js';
import type { TlsOptions } from './options.js';

export interface ServerParams {
  host: string;
  port: number;
  maxPayload: number;
  handshakeTimeoutMs: number;
  logger: Logger;
  maxPending: number;
  maxPendingPerSource: number;
  maxConnections: number;
  /** Serve TLS and require a client certificate signed by `tls.ca`. */
  tls: TlsOptions | null;
  /** Whether the owner takes connections at all (started, not closing). */
  accepting(): boolean;
  /** A connection refused by a bound (counted by the owner). */
  refused(reason: string, remoteAddress: string): void;
  /**
   * A new websocket, open, its handshake not begun. `certNames`: what the client certificate names (TLS only).
   * `authenticated` ends the connection's count as unauthenticated.
   */
  onConnection(ws: WebSocket, remoteAddress: string, certNames: string[] | null, authenticated: () => void): void;
}

interface Unauthenticated {
  source: string;
  timer: NodeJS.Timeout | null;
  release: () => void;
}

/** The names a certificate vouches for: its subject CN and its DNS subjectAltNames. */
export function certificateNames(cert: PeerCertificate | null | undefined): string[] {
  if (!cert || Object.keys(cert).length === 0) return [];
  const names: string[] = [];
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') names.push(cn);
  else if (Array.isArray(cn)) names.push(...(cn as string[]));
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const m = /^\s*DNS:(.+)$/.exec(part);
    if (m) names.push(m[1]!.trim());
  }
  return names;
}

export class LinkServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private closing: Promise<void> | null = null;
  /** Connections not authenticated yet, by `address|port`; and their count per source address. */
  private readonly unauth = new Map<string, Unauthenticated>();
  private readonly perSource = new Map<string, number>();

  private constructor(private readonly params: ServerParams) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: params.maxPayload, perMessageDeflate: false, clientTracking: false });
    this.wss.on('error', (err) => params.logger.warn({ err: err.message }, 'websocket server error'));
    // Request and header timeouts are checked at this interval (Node's default: 30 s).
    const checking = Math.max(100, Math.min(1000, params.handshakeTimeoutMs));
    const onRequest = (_req: IncomingMessage, res: import('node:http').ServerResponse): void => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end('vsync: websocket only\n');
    };
    if (params.tls) {
      const { cert, key, ca } = params.tls;
      this.http = createHttpsServer(
        {
          cert, key, ca,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
          handshakeTimeout: params.handshakeTimeoutMs,
          connectionsCheckingInterval: checking,
        } as import('node:https').ServerOptions,
        onRequest,
      ) as unknown as Server;
      this.http.on('tlsClientError', () => {});
    } else {
      this.http = createServer({ connectionsCheckingInterval: checking }, onRequest);
    }
    this.http.maxConnections = params.maxConnections;
    this.http.headersTimeout = params.handshakeTimeoutMs;
    this.http.requestTimeout = params.handshakeTimeoutMs;
    this.http.on('connection', (socket: Socket) => this.onSocket(socket));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Connections not authenticated yet (in all, and from `source`). */
  pending(source?: string): number {
    return source === undefined ? this.unauth.size : (this.perSource.get(source) ?? 0);
  }

  private onSocket(socket: Socket): void {
    const source = socket.remoteAddress ?? 'unknown';
    const id = `${source}|${socket.remotePort ?? 0}`;
    let reason: string | null = null;
    if (this.closing || !this.params.accepting()) reason = 'not accepting';
    else if (this.unauth.size >= this.params.maxPending) reason = `${this.params.maxPending} connections in their handshake`;
    else if ((this.perSource.get(source) ?? 0) >= this.params.maxPendingPerSource) reason = `${this.params.maxPendingPerSource} connections from ${source} in their handshake`;
    if (reason !== null) {
      this.params.refused(reason, source);
      socket.destroy();
      return;
    }
    socket.on('error', () => socket.destroy());
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    const entry: Unauthenticated = {
      source,
      timer: setTimeout(() => socket.destroy(), this.params.handshakeTimeoutMs),
      release: () => {
        if (this.unauth.get(id) !== entry) return;
        this.unauth.delete(id);
        if (entry.timer) clearTimeout(entry.timer);
        const n = (this.perSource.get(source) ?? 1) - 1;
        if (n <= 0) this.perSource.delete(source);
        else this.perSource.set(source, n);
      },
    };
    this.unauth.set(id, entry);
    socket.once('close', entry.release);
  }

  /** Listens; resolves once listening. */
  static listen(params: ServerParams, signal?: AbortSignal): Promise<LinkServer> {
    const s = new LinkServer(params);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        cleanup();
        s.http.close();
        reject(new VsyncError(ErrorCodes.INVALID_ARGUMENT, `transport: cannot listen on ${params.host}:${params.port}: ${err.message}`, { cause: err }));
      };
      const onAbort = () => {
        cleanup();
        void s.close().then(() => reject(new VsyncError(ErrorCodes.ABORTED, 'transport: start aborted')));
      };
      const cleanup = () => {
        s.http.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      s.http.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      s.http.listen(params.port, params.host, () => {
        cleanup();
        s.http.on('error', (err) => params.logger.warn({ err: err.message }, 'server error'));
        resolve(s);
      });
    });
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** Stops accepting, drops connections not yet upgraded; resolves when every connection is gone. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const e of this.unauth.values()) {
        if (e.timer) clearTimeout(e.timer);
        e.timer = null;
      }
      this.http.close(() => resolve());
      this.http.closeAllConnections();
      this.wss.close();
    });
    return this.closing;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const remote = req.socket.remoteAddress ?? 'unknown';
    const entry = this.unauth.get(`${remote}|${req.socket.remotePort ?? 0}`);
    if (this.closing || !this.params.accepting() || !entry) {
      socket.destroy();
      return;
    }
    // The link's handshake deadline takes over from here.
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    socket.on('error', () => socket.destroy());
    const certNames = this.params.tls ? certificateNames((req.socket as TLSSocket).getPeerCertificate?.()) : null;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.closing) ws.terminate();
      else this.params.onConnection(ws, remote, certNames, entry.release);
    });
  }
}
