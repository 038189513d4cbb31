/**
 * The node's ops endpoint: /healthz (no authentication: it tells only whether every group is primary), /status
 * (node.stats() as JSON), /history (rate samples for the chart), /metrics (Prometheus text) and / (the live web
 * page). Everything but /healthz needs the bearer token when one is set; without a token the server refuses to bind
 * anything but a loopback address unless told `insecure: true`. Bounded: connections, header and request time, idle
 * time; only GET and HEAD, but for one action: POST /recover (recovery after a lost majority, token in the header).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RecoverResult } from '../api/recover.js';
import type { NodeStats, RateSample } from '../api/stats.js';
import { ErrorCodes, VsyncError } from '../errors.js';
import { OpsMetrics } from './metrics.js';
import { PAGE_CSP, PAGE_HTML } from './page.js';

export interface HttpOptions {
  /** Default 127.0.0.1. Without `token`, only a loopback address is accepted (unless `insecure`). */
  host?: string;
  /** Default 0: any free port (see `node.httpUrl`). */
  port?: number;
  /** Bearer token for everything but /healthz (`Authorization: Bearer <token>`; the page takes `/?token=<token>` once). */
  token?: string;
  /** Serve /status, /metrics and the page without a token on a non-loopback address. */
  insecure?: boolean;
  /** Most open connections at once (default 64); more are refused. */
  maxConnections?: number;
  /** Most time to receive a request, headers included (default 10 s). */
  requestTimeoutMs?: number;
}

/** What the server reads from its node, and the one action it may take. */
export interface OpsSource {
  stats(): NodeStats;
  series(): Record<string, RateSample[]>;
  /** POST /recover: recovery after a lost majority (group.recover); absent: the action is not offered. */
  recover?(group: string, opts: { confirm: boolean; signal: AbortSignal }): Promise<RecoverResult>;
}

/** Largest POST body accepted (the recovery action's JSON). */
const MAX_BODY = 4096;
/** How long a recovery action may take before the answer says it is still under way. */
const RECOVER_MS = 30_000;

const COOKIE = 'vsync_token';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The health verdict: healthy when the node is in at least one group and every group is in a primary view. */
export function health(stats: NodeStats): { ok: boolean; reason: string; groups: Array<{ group: string; state: string; primary: boolean; viewId: number | null; reason: string }> } {
  const groups = stats.groups.map((g) => ({
    group: g.group,
    state: g.state,
    primary: g.primary,
    viewId: g.view?.id ?? null,
    reason: g.primary
      ? `primary view ${g.view!.id} of ${g.view!.members.length}`
      : g.minority
        ? `minority: cannot reach a majority of view ${g.view?.id}`
        : g.state === 'joining'
          ? 'joining: no view installed yet'
          : `not a member (${g.state})`,
  }));
  const bad = groups.filter((g) => !g.primary);
  const forming = (stats.forming ?? []).map((f) => `${f.group}: ${f.expect > 0 ? `waiting for ${f.expect} nodes to found it (${f.ready.length} ready)` : 'looking for a running instance'}`);
  const reason = groups.length === 0 ? (forming.length > 0 ? forming.join('; ') : 'not in any group') : bad.length === 0 ? 'every group is in a primary view' : bad.map((g) => `${g.group}: ${g.reason}`).join('; ');
  return { ok: groups.length > 0 && bad.length === 0, reason, groups };
}

export class OpsServer {
  readonly metrics = new OpsMetrics();
  private rendering: Promise<unknown> = Promise.resolve();
  private readonly tokenDigest: Buffer | null;

  private constructor(
    private readonly server: Server,
    private readonly source: OpsSource,
    private readonly log: Logger,
    token: string | undefined,
    readonly url: string,
  ) {
    this.tokenDigest = token === undefined ? null : digest(token);
  }

  static async start(o: HttpOptions, source: OpsSource, log: Logger): Promise<OpsServer> {
    const host = o.host ?? '127.0.0.1';
    const port = o.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `http.port must be an integer in 0..65535, got ${String(port)}`);
    if (o.token !== undefined && (typeof o.token !== 'string' || o.token.length < 8)) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'http.token must be a string of at least 8 characters');
    }
    if (o.token === undefined && !o.insecure && !isLoopback(host)) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `http on ${host} (not loopback) needs http.token, or http.insecure: true to serve without authentication`);
    }
    const maxConnections = o.maxConnections ?? 64;
    const requestTimeoutMs = o.requestTimeoutMs ?? 10_000;
    let ops: OpsServer | null = null;
    const server = createServer({ requestTimeout: requestTimeoutMs, headersTimeout: Math.min(requestTimeoutMs, 5000), keepAliveTimeout: 5000, connectionsCheckingInterval: 1000 }, (req, res) => {
      if (ops) ops.handle(req, res);
      else res.writeHead(503).end();
    });
    server.maxConnections = maxConnections;
    server.maxRequestsPerSocket = 1000;
    // Idle sockets (a client that opened a connection and says nothing) are closed.
    server.setTimeout(30_000, (socket) => socket.destroy());
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new VsyncError(ErrorCodes.INVALID_ARGUMENT, `http: cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (err) => log.warn({ err: err.message }, 'http server error'));
        resolve();
      });
    });
    const addr = server.address() as { port: number };
    const shown = host.includes(':') ? `[${host}]` : host;
    ops = new OpsServer(server, source, log, o.token, `http://${shown}:${addr.port}`);
    if (o.token === undefined) log.info({ url: ops.url }, 'ops http endpoint started without a token (loopback only)');
    else log.info({ url: ops.url }, 'ops http endpoint started');
    return ops;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, url: req.url }, 'http request failed');
      if (!res.headersSent) this.json(res, 500, { error: ErrorCodes.INVARIANT, message: 'internal error' });
      else res.destroy();
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const post = req.method === 'POST';
    if (req.method !== 'GET' && req.method !== 'HEAD' && !post) {
      res.setHeader('Allow', 'GET, HEAD, POST');
      this.json(res, 405, { error: ErrorCodes.INVALID_ARGUMENT, message: 'only GET and HEAD (POST on /recover)' });
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://ops.invalid');
    } catch {
      this.json(res, 400, { error: ErrorCodes.INVALID_ARGUMENT, message: 'bad request target' });
      return;
    }
    if (post !== (url.pathname === '/recover')) {
      res.setHeader('Allow', post ? 'GET, HEAD' : 'POST');
      this.json(res, 405, { error: ErrorCodes.INVALID_ARGUMENT, message: post ? 'POST only on /recover' : '/recover takes POST' });
      return;
    }
    if (url.pathname === '/healthz') {
      const h = health(this.source.stats());
      this.json(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'unavailable', reason: h.reason, groups: h.groups });
      return;
    }
    if (url.pathname === '/' && url.searchParams.has('token') && this.tokenDigest) {
      // Browsers cannot send a header on navigation: a good token becomes a same-site cookie and leaves the address bar.
      const t = url.searchParams.get('token') ?? '';
      if (this.tokenOk(t)) {
        res.writeHead(303, { Location: '/', 'Set-Cookie': `${COOKIE}=${encodeURIComponent(t)}; HttpOnly; SameSite=Strict; Path=/` }).end();
        return;
      }
    }
    if (!this.authorized(req, post)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="vsync"');
      if (url.pathname === '/') {
        res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8' }).end('401: open this page as /?token=<token> (the node\'s http.token)\n');
      } else {
        this.json(res, 401, { error: ErrorCodes.AUTH, message: 'missing or wrong bearer token' });
      }
      return;
    }
    switch (url.pathname) {
      case '/status':
        this.json(res, 200, this.source.stats());
        return;
      case '/history':
        this.json(res, 200, { now: Date.now(), groups: this.source.series() });
        return;
      case '/metrics':
        this.serveMetrics(res);
        return;
      case '/recover':
        this.serveRecover(req, res);
        return;
      case '/':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_CSP, 'Referrer-Policy': 'no-referrer' });
        res.end(req.method === 'HEAD' ? undefined : PAGE_HTML);
        return;
      default:
        this.json(res, 404, { error: ErrorCodes.INVALID_ARGUMENT, message: `no such path: ${url.pathname}` });
    }
  }

  private serveMetrics(res: ServerResponse): void {
    // One scrape at a time: render() resets and refills the shared metric objects.
    const p = this.rendering.then(() => this.metrics.render(this.source.stats()));
    this.rendering = p.catch(() => {});
    p.then(
      (text) => {
        res.writeHead(200, { 'Content-Type': this.metrics.contentType });
        res.end(text);
      },
      (err: unknown) => {
        this.log.warn({ err: (err as Error).message }, 'metrics rendering failed');
        if (!res.headersSent) this.json(res, 500, { error: ErrorCodes.INVARIANT, message: 'metrics failed' });
      },
    );
  }

  /** `headerOnly`: the action takes the token from the Authorization header only, never from the page's cookie. */
  private authorized(req: IncomingMessage, headerOnly = false): boolean {
    if (this.tokenDigest === null) return true;
    const h = req.headers.authorization;
    if (h?.startsWith('Bearer ') && this.tokenOk(h.slice(7).trim())) return true;
    if (headerOnly) return false;
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, v] = part.trim().split('=', 2);
      if (k === COOKIE && v !== undefined) {
        try {
          if (this.tokenOk(decodeURIComponent(v))) return true;
        } catch {
          // a malformed cookie is no token
        }
      }
    }
    return false;
  }

  /**
   * POST /recover with `{"group": "<g>", "confirm": true}` (Content-Type application/json, which a web page of another
   * origin cannot send without asking first): the operator's recovery after a lost majority. 200 with the result;
   * 400 / 404 / 409 with the error's code when it is refused.
   */
  private serveRecover(req: IncomingMessage, res: ServerResponse): void {
    const recover = this.source.recover;
    if (!recover) {
      this.json(res, 404, { error: ErrorCodes.INVALID_ARGUMENT, message: 'this endpoint offers no recovery' });
      return;
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      this.json(res, 415, { error: ErrorCodes.INVALID_ARGUMENT, message: 'POST /recover takes Content-Type: application/json' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else if (!res.headersSent) {
        // Answer once and drop the rest unread; the connection closes after the answer.
        res.setHeader('Connection', 'close');
        this.json(res, 413, { error: ErrorCodes.INVALID_ARGUMENT, message: `body over ${MAX_BODY} bytes` });
      }
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (size > MAX_BODY) return;
      let body: Record<string, unknown>;
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        body = v as Record<string, unknown>;
      } catch {
        this.json(res, 400, { error: ErrorCodes.INVALID_ARGUMENT, message: 'body: a JSON object {"group": "<name>", "confirm": true}' });
        return;
      }
      const group = body['group'];
      if (typeof group !== 'string' || group.length === 0 || group.length > 256) {
        this.json(res, 400, { error: ErrorCodes.INVALID_ARGUMENT, message: 'body.group: the group name' });
        return;
      }
      this.log.warn({ group, remote: req.socket.remoteAddress }, 'recovery asked through the ops endpoint');
      recover(group, { confirm: body['confirm'] === true, signal: AbortSignal.timeout(RECOVER_MS) }).then(
        (result) => this.json(res, 200, result),
        (err: unknown) => {
          const code = err instanceof VsyncError ? err.code : ErrorCodes.INVARIANT;
          const status = code === ErrorCodes.INVALID_ARGUMENT ? 400 : code === ErrorCodes.NOT_MEMBER ? 404 : code === ErrorCodes.NOT_IN_MINORITY ? 409 : code === ErrorCodes.ABORTED ? 504 : 500;
          this.json(res, status, { error: code, message: err instanceof Error ? err.message : String(err) });
        },
      );
    });
  }

  private tokenOk(t: string): boolean {
    return this.tokenDigest !== null && timingSafeEqual(digest(t), this.tokenDigest);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }
}
