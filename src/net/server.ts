/**
 * The node's websocket server: an HTTP server that only upgrades, with bounded header and request times and a
 * bound on connections still in their handshake.
 */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { ErrorCodes, VsyncError } from '../core/errors.js';

export interface ServerParams {
  host: string;
  port: number;
  maxPayload: number;
  handshakeTimeoutMs: number;
  logger: Logger;
  /** Whether one more connection may start a handshake; false refuses the upgrade. */
  admitConnection(): boolean;
  /** A new websocket, open, its handshake not begun. */
  onConnection(ws: WebSocket, remoteAddress: string): void;
}

export class LinkServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private closing: Promise<void> | null = null;

  private constructor(private readonly params: ServerParams) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: params.maxPayload, perMessageDeflate: false, clientTracking: false });
    this.wss.on('error', (err) => params.logger.warn({ err: err.message }, 'websocket server error'));
    // Request and header timeouts are checked at this interval (Node's default: 30 s).
    const checking = Math.max(100, Math.min(1000, params.handshakeTimeoutMs));
    this.http = createServer({ connectionsCheckingInterval: checking }, (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end('vsync: websocket only\n');
    });
    this.http.headersTimeout = params.handshakeTimeoutMs;
    this.http.requestTimeout = params.handshakeTimeoutMs;
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
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
      this.http.close(() => resolve());
      this.http.closeAllConnections();
      this.wss.close();
    });
    return this.closing;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing || !this.params.admitConnection()) {
      socket.destroy();
      return;
    }
    socket.on('error', () => socket.destroy());
    const remote = req.socket.remoteAddress ?? 'unknown';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.closing) ws.terminate();
      else this.params.onConnection(ws, remote);
    });
  }
}
