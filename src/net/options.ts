/** Options of the transport: their types, defaults and validation. */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { DEFAULT_CONFIG } from '../core/config.js';
import { ErrorCodes, VsyncError } from '../errors.js';

export interface TransportOptions {
  /** Cluster name; peers of another cluster are refused. */
  cluster: string;
  /** Unique node name in the cluster: 1..128 characters, no '#', no control characters. */
  node: string;
  /** Where to listen; port 0 = ephemeral. Omit for a client-only node, which dials but cannot be dialed. */
  listen?: { host: string; port: number };
  /** URL others use to reach us; default ws://<listen host>:<actual port> (this machine's host name for 0.0.0.0 / ::). */
  advertise?: string;
  /** ws:// (or wss://) URLs of some nodes; dialed at start and whenever they are not connected. */
  seeds?: string[];
  /**
   * Shared cluster secret: authenticates peers (handshake.ts) and protects every frame after the handshake
   * (frame-seal.ts). Never sent. A transport needs a secret, `tls`, or `insecure: true`.
   */
  secret?: string | Uint8Array;
  /**
   * Mutual TLS for peer links: serve wss:// with `cert`/`key`, require and verify the peer's certificate against
   * `ca`, and accept a peer only when its certificate names it (CN or a DNS subjectAltName equal to its node name).
   * PEM strings or buffers.
   */
  tls?: TlsOptions;
  /** Run without a secret and without TLS: anyone who can connect is a peer. Warned at start and on every link. */
  insecure?: boolean;
  /** Default: a silent logger. */
  logger?: Logger;
  /** Largest websocket message, in bytes, accepted and sent; default 16 MiB. */
  maxPayload?: number;
  /**
   * The largest message payload this node's groups take (the core's `config.maxPayloadBytes`; default 1 MiB). A
   * member drops a payload above its own limit, so every node of a cluster must have the same: the handshake
   * exchanges it and refuses a peer with another value (VSYNC_ERR_CONFIG_MISMATCH).
   */
  maxPayloadBytes?: number;
  /** Websocket ping interval; a link without a pong (or any message) for 3 intervals is terminated. Default 1000. */
  heartbeatMs?: number;
  /**
   * Redial backoff: exponential from `minMs` to `maxMs` with jitter (default 100..5000). A node other than a seed is
   * no longer dialed once unreachable for `giveUpMs` (default 60 000); its queued frames are then dropped.
   */
  reconnect?: { minMs: number; maxMs: number; giveUpMs?: number };
  /** Bound on bytes queued for one peer while connecting, and on its websocket's `bufferedAmount`; default 64 MiB. */
  maxQueuedBytesPerPeer?: number;
  /** A connection whose handshake has not finished after this long is closed; default 5000. */
  handshakeTimeoutMs?: number;
  /** Most inbound connections still in their handshake (before the upgrade included); default 64. */
  maxPendingHandshakes?: number;
  /** Most of those from one source IP address; default 8. */
  maxPendingHandshakesPerSource?: number;
  /** Most open sockets on the listening server, authenticated links included; default 1024. */
  maxConnections?: number;
  /**
   * Local address outgoing connections are made from. Default: the listen host when it is a specific IP address
   * (so peers see the interface we listen on), otherwise the system's choice.
   */
  localAddress?: string;
}

export interface TlsOptions {
  cert: string | Uint8Array;
  key: string | Uint8Array;
  /** The certificate authority (or authorities) peers' certificates must chain to. */
  ca: string | Uint8Array | Array<string | Uint8Array>;
}

export interface ResolvedOptions {
  cluster: string;
  node: string;
  listen: { host: string; port: number } | null;
  advertise: string | null;
  seeds: string[];
  /** The secret as bytes; null: no authentication. */
  key: Buffer | null;
  logger: Logger;
  maxPayload: number;
  maxPayloadBytes: number;
  heartbeatMs: number;
  reconnect: { minMs: number; maxMs: number; giveUpMs: number };
  maxQueuedBytesPerPeer: number;
  handshakeTimeoutMs: number;
  maxPendingHandshakes: number;
  maxPendingHandshakesPerSource: number;
  maxConnections: number;
  localAddress: string | undefined;
  tls: TlsOptions | null;
  insecure: boolean;
}

const MiB = 1024 * 1024;
export const MAX_NAME_LENGTH = 128;
export const MAX_URL_LENGTH = 1024;

/** A node (or cluster) name that we accept, from options and from peers. */
export function isValidName(s: unknown): s is string {
  // eslint-disable-next-line no-control-regex
  return typeof s === 'string' && s.length > 0 && s.length <= MAX_NAME_LENGTH && !/[#\u0000-\u001f\u007f]/.test(s);
}

/** A ws:// or wss:// URL with a host. */
export function isValidUrl(s: unknown): s is string {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_URL_LENGTH) return false;
  try {
    const u = new URL(s);
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function invalid(message: string): VsyncError {
  return new VsyncError(ErrorCodes.INVALID_ARGUMENT, `transport: ${message}`);
}

function positiveInt(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(`${what} must be a positive integer, got ${String(value)}`);
  return value;
}

export function resolveOptions(opts: TransportOptions): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') throw invalid('options required');
  if (!isValidName(opts.cluster)) throw invalid(`invalid cluster name ${JSON.stringify(opts.cluster)}`);
  if (!isValidName(opts.node)) {
    throw invalid(`invalid node name ${JSON.stringify(opts.node)}: 1..${MAX_NAME_LENGTH} characters, no '#' or control characters`);
  }
  let listen: ResolvedOptions['listen'] = null;
  if (opts.listen != null) {
    const { host, port } = opts.listen;
    if (typeof host !== 'string') throw invalid('listen.host must be a string');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(`listen.port must be 0..65535, got ${String(port)}`);
    listen = { host, port };
  }
  if (opts.advertise != null && !isValidUrl(opts.advertise)) throw invalid(`advertise must be a ws:// or wss:// URL, got ${JSON.stringify(opts.advertise)}`);
  if (opts.advertise != null && listen === null) throw invalid('advertise needs listen: a node without a server cannot be dialed');
  const seeds = [...new Set(opts.seeds ?? [])];
  for (const s of seeds) if (!isValidUrl(s)) throw invalid(`seed must be a ws:// or wss:// URL, got ${JSON.stringify(s)}`);
  let key: Buffer | null = null;
  if (opts.secret != null) {
    if (typeof opts.secret === 'string') key = Buffer.from(opts.secret, 'utf8');
    else if (opts.secret instanceof Uint8Array) key = Buffer.from(opts.secret); // a copy: the caller may reuse its array
    else throw invalid('secret must be a string or a Uint8Array');
    if (key.length === 0) throw invalid('secret is empty');
  }
  let tls: TlsOptions | null = null;
  if (opts.tls != null) {
    const { cert, key: tlsKey, ca } = opts.tls;
    const pem = (x: unknown): boolean => (typeof x === 'string' && x.length > 0) || (x instanceof Uint8Array && x.length > 0);
    if (!pem(cert) || !pem(tlsKey) || !(Array.isArray(ca) ? ca.length > 0 && ca.every(pem) : pem(ca))) {
      throw invalid('tls needs cert, key and ca (PEM strings or buffers)');
    }
    tls = { cert, key: tlsKey, ca };
  }
  if (opts.insecure !== undefined && typeof opts.insecure !== 'boolean') throw invalid('insecure must be a boolean');
  const insecure = opts.insecure === true;
  if (key === null && tls === null && !insecure) {
    throw invalid('no `secret` and no `tls`: peers would not be authenticated. Pass a cluster secret (`secret`), mutual TLS (`tls: { cert, key, ca }`), or `insecure: true` to run an open cluster');
  }
  const minMs = positiveInt(opts.reconnect?.minMs, 100, 'reconnect.minMs');
  const maxMs = positiveInt(opts.reconnect?.maxMs, 5000, 'reconnect.maxMs');
  if (maxMs < minMs) throw invalid('reconnect.maxMs must be >= reconnect.minMs');
  const giveUpMs = positiveInt(opts.reconnect?.giveUpMs, 60_000, 'reconnect.giveUpMs');
  const base = opts.logger ?? pino({ level: 'silent' });
  // Bind the node name unless the caller's logger already carries it.
  const logger = base.bindings().node === opts.node ? base : base.child({ node: opts.node });
  return {
    cluster: opts.cluster,
    node: opts.node,
    listen,
    advertise: opts.advertise ?? null,
    seeds,
    key,
    logger,
    maxPayload: positiveInt(opts.maxPayload, 16 * MiB, 'maxPayload'),
    maxPayloadBytes: positiveInt(opts.maxPayloadBytes, DEFAULT_CONFIG.maxPayloadBytes, 'maxPayloadBytes'),
    heartbeatMs: positiveInt(opts.heartbeatMs, 1000, 'heartbeatMs'),
    reconnect: { minMs, maxMs, giveUpMs },
    maxQueuedBytesPerPeer: positiveInt(opts.maxQueuedBytesPerPeer, 64 * MiB, 'maxQueuedBytesPerPeer'),
    handshakeTimeoutMs: positiveInt(opts.handshakeTimeoutMs, 5000, 'handshakeTimeoutMs'),
    maxPendingHandshakes: positiveInt(opts.maxPendingHandshakes, 64, 'maxPendingHandshakes'),
    maxPendingHandshakesPerSource: positiveInt(opts.maxPendingHandshakesPerSource, 8, 'maxPendingHandshakesPerSource'),
    maxConnections: positiveInt(opts.maxConnections, 1024, 'maxConnections'),
    tls,
    insecure,
    localAddress: opts.localAddress ?? (listen && isIP(listen.host) !== 0 && !['0.0.0.0', '::'].includes(listen.host) ? listen.host : undefined),
  };
}

/** The default advertised URL for a server bound to `host`:`port` (wss:// when it serves TLS). */
export function defaultAdvertise(host: string, port: number, scheme: 'ws' | 'wss' = 'ws'): string {
  const wildcard = host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
  const h = wildcard ? hostname() : host;
  return h.includes(':') && !h.startsWith('[') ? `${scheme}://[${h}]:${port}` : `${scheme}://${h}:${port}`;
}
