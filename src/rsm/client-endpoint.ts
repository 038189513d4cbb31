import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { ErrorCodes, VsyncError } from '../errors.js';
import { type KeyInput, privateKey, publicKeyLine } from './client-auth.js';
import { ClientQuotas } from './client-quota.js';
import { ConnectionGuard } from './connection-guard.js';
import { EndpointSession } from './endpoint-session.js';
import type { ReplicatedStateMachine } from './replicated-state-machine.js';

export interface ClientEndpointOptions {
  host: string;
  port: number;
  logger?: Logger;
  /**
   * Client id -> secret. A client proves its id with its secret (an HMAC challenge over fresh nonces); the id
   * of every request is then the proved one. Required unless `insecure`.
   */
  clients?: Record<string, string> | ReadonlyMap<string, string>;
  /**
   * Serve wss:// and require a client certificate signed by `ca` (mutual TLS). The certificate's common name is
   * then the client id (a client must claim that id); with `clients` as well, the client must also prove the secret.
   */
  tls?: { cert: string | Buffer; key: string | Buffer; ca: string | Buffer };
  /** Accept clients without authentication (each chooses its own id, and can act as any other): tests only. */
  insecure?: boolean;
  /** This member's Ed25519 private key (KeyObject or PEM); every reply is signed with it. Default: a new key. */
  signingKey?: KeyInput;
  /** Most open connections (default 1024). */
  maxConnections?: number;
  /** Most open connections from one remote address (default 64). */
  maxConnectionsPerAddress?: number;
  /** A connection that has not authenticated by then is closed (default 5000 ms). */
  authTimeoutMs?: number;
  /** An authenticated connection with nothing sent and nothing in flight for this long is closed (default 120,000 ms). */
  idleTimeoutMs?: number;
  /** Largest command accepted (default 1 MiB - 4 KiB; the group's own payload limit applies as well). */
  maxCommandBytes?: number;
  /** Requests per second per client at this member, and the burst above it (defaults 1000 and 1000). */
  ratePerSecond?: number;
  burst?: number;
  /** Most requests of one client in flight at this member (default 256), and their bytes (default 16 MiB). */
  maxInFlight?: number;
  maxInFlightBytes?: number;
  /** Most reply bytes queued for one connection that its client has not read; beyond, it is closed (default 16 MiB). */
  maxBufferedBytes?: number;
}

const positive = (v: number | undefined, def: number, what: string): number => {
  const n = v ?? def;
  if (!Number.isFinite(n) || n <= 0) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${what} must be a positive number, got ${String(v)}`);
  return n;
};

/**
 * Where external clients (not group members: Schneider's clients, Spread's open groups) submit commands to a
 * replicated state machine over WebSocket, and get the reply once the command is applied at this member.
 * Clients authenticate; connections, request sizes, rates and requests in flight are bounded.
 */
export class ClientEndpoint {
  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    private readonly guard: ConnectionGuard,
    private readonly key: KeyObject,
    readonly url: string,
  ) {}

  static async start(rsm: ReplicatedStateMachine, o: ClientEndpointOptions): Promise<ClientEndpoint> {
    if (typeof o !== 'object' || o === null) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'ClientEndpoint.start: options are required');
    if (typeof o.host !== 'string' || o.host.length === 0) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `host must be a non-empty string, got ${String(o.host)}`);
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `port must be an integer in 0..65535, got ${String(o.port)}`);
    const log = (o.logger ?? pino({ level: 'silent' })).child({ endpoint: 'clients' });
    if (!o.clients && !o.tls && !o.insecure) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'ClientEndpoint needs `clients` (client id -> secret), `tls`, or `insecure: true`');
    }
    if (o.tls && (!o.tls.cert || !o.tls.key || !o.tls.ca)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'tls needs cert, key and ca');
    const secrets = o.clients ? new Map(o.clients instanceof Map ? o.clients : Object.entries(o.clients)) : null;
    for (const [id, s] of secrets ?? []) {
      if (typeof id !== 'string' || id.length === 0 || typeof s !== 'string' || s.length < 8) {
        throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `clients: each client needs a non-empty id and a secret of at least 8 characters (${id})`);
      }
    }
    const key = o.signingKey !== undefined ? privateKey(o.signingKey) : generateKeyPairSync('ed25519').privateKey;
    const maxCommandBytes = Math.floor(positive(o.maxCommandBytes, 1024 * 1024 - 4096, 'maxCommandBytes'));
    const authTimeoutMs = positive(o.authTimeoutMs, 5000, 'authTimeoutMs');
    const guard = new ConnectionGuard({
      maxConnections: positive(o.maxConnections, 1024, 'maxConnections'),
      maxPerAddress: positive(o.maxConnectionsPerAddress, 64, 'maxConnectionsPerAddress'),
      authTimeoutMs,
    });
    const quotas = new ClientQuotas({
      ratePerSecond: positive(o.ratePerSecond, 1000, 'ratePerSecond'),
      burst: positive(o.burst, 1000, 'burst'),
      maxInFlight: positive(o.maxInFlight, 256, 'maxInFlight'),
      maxInFlightBytes: positive(o.maxInFlightBytes, 16 * 1024 * 1024, 'maxInFlightBytes'),
    });
    let warned = 0;
    let windowStart = 0;
    let suppressed = 0;
    const warn = (obj: object, msg: string): void => {
      const now = Date.now();
      if (now - windowStart > 10_000) {
        if (suppressed > 0) log.warn({ suppressed }, 'client warnings suppressed in the last 10 s');
        windowStart = now;
        warned = 0;
        suppressed = 0;
      }
      if (warned++ < 10) log.warn(obj, msg);
      else suppressed++;
    };

    const refuseHttp = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(426, { connection: 'close' }).end();
    };
    let server: Server;
    try {
      server = o.tls
        ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, refuseHttp)
        : createServer(refuseHttp);
    } catch (err) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `tls: ${(err as Error).message}`);
    }
    server.headersTimeout = authTimeoutMs;
    server.requestTimeout = authTimeoutMs;
    server.on('connection', (socket: Socket) => guard.admit(socket));
    server.on('clientError', (_err, socket) => socket.destroy());
    server.on('tlsClientError', (_err, socket) => socket.destroy());
    // The frame limit leaves room for the MAC, counters and ids around a command of maxCommandBytes.
    const wss = new WebSocketServer({ noServer: true, maxPayload: maxCommandBytes + 4096, perMessageDeflate: false });
    const sessions = new Set<EndpointSession>();
    const ctx = { rsm, log, guard, quotas, secrets, tls: o.tls !== undefined, signingKey: key, maxCommandBytes, idleTimeoutMs: positive(o.idleTimeoutMs, 120_000, 'idleTimeoutMs'),
      maxBufferedBytes: positive(o.maxBufferedBytes, 16 * 1024 * 1024, 'maxBufferedBytes'), warn };
    server.on('upgrade', (req, socket: Socket, head) => {
      if (!guard.resolve(socket)) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const s = new EndpointSession(ws, socket, ctx);
        sessions.add(s);
        ws.once('close', () => sessions.delete(s));
      });
    });
    rsm.group.on('minority', () => {
      for (const s of sessions) s.noQuorum();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // A deep accept queue: a burst of connections reaches the guard (and is refused there) instead of waiting
      // half-open in the kernel.
      server.listen({ port: o.port, host: o.host, backlog: 2048 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => log.error({ err }, 'client endpoint server error'));
    const addr = server.address() as { port: number };
    const host = o.host.includes(':') ? `[${o.host}]` : o.host;
    return new ClientEndpoint(server, wss, guard, key, `${o.tls ? 'wss' : 'ws'}://${host}:${addr.port}`);
  }

  /** This member's public key (PEM): what byzantine-mode clients are given to verify its replies. */
  get publicKey(): string {
    return this.key.type === 'private' ? exportPublic(this.key) : '';
  }

  /** This member's public key as one line (base64 of its SPKI DER); `memberKeys` takes it as well as PEM. */
  get publicKeyLine(): string {
    return publicKeyLine(this.key);
  }

  /** Open sockets (authenticated or not). */
  get connections(): number {
    return this.guard.size;
  }

  /** Sockets refused by the connection caps so far. */
  get refusedConnections(): number {
    return this.guard.refused;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.guard.destroyAll();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function exportPublic(k: KeyObject): string {
  return createPublicKey(k).export({ type: 'spki', format: 'pem' }).toString();
}
