import { randomUUID, type KeyObject, X509Certificate } from 'node:crypto';
import { abortError } from '../api/abort.js';
import { optionalBoolean, optionalSignal, optionsObject } from '../api/validate.js';
import { type ErrorCode, ErrorCodes, VsyncError } from '../errors.js';
import { type KeyInput, publicKey, signerOf } from './client-auth.js';
import { ClientConnection, type Reply } from './client-connection.js';
import { ReplyVotes } from './reply-votes.js';

export interface RsmClientOptions {
  /** Client endpoints of members (`vsync member --client-listen`, or ClientEndpoint): ws:// or wss:// URLs. */
  urls: string[];
  /**
   * `crash` (default): members fail only by crashing; the first reply is the answer.
   * `byzantine`: up to `faults` members may answer wrongly; the request goes to 2*faults+1 members and the answer
   * is the first result signed by faults+1 distinct members' keys, from as many distinct endpoints (Schneider's
   * output voting). Needs `memberKeys`.
   */
  mode?: 'crash' | 'byzantine';
  faults?: number;
  /** The client's id; with `secret`, the id the members know this client by. Default: a random one (insecure). */
  clientId?: string;
  /**
   * Connect without authenticating (no `secret`, no `tls`): only an endpoint started with `insecure: true` takes
   * such a client. Tests only. Without it, a client with neither `secret` nor `tls` is refused at construction.
   */
  insecure?: boolean;
  /** The client's secret (the endpoints' `clients` table): the client proves its id with it. */
  secret?: string;
  /**
   * Mutual TLS with members serving wss:// (ClientEndpoint `tls`): this client's certificate and key, and the CA
   * of the members' certificates. The certificate's common name is the client id (the default for `clientId`).
   */
  tls?: { cert: string | Buffer; key: string | Buffer; ca: string | Buffer };
  /** Members' Ed25519 public keys (PEM or KeyObject). Replies are checked against them; byzantine mode counts them. */
  memberKeys?: KeyInput[];
  /** A member that has not answered after this long is given up for the next one; the request is retried (default 2000 ms). */
  retryMs?: number;
  /** Default bound of one submit, overridable per call (default 30,000 ms). */
  timeoutMs?: number;
  /** Pause after a round in which no member answered: doubles from minBackoffMs up to maxBackoffMs, with jitter. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Answers that another member would give alike: retrying elsewhere cannot help. */
const FINAL: ReadonlySet<string> = new Set([ErrorCodes.INVALID_ARGUMENT, ErrorCodes.PAYLOAD_TOO_LARGE, ErrorCodes.STALE_REQUEST, ErrorCodes.MALFORMED_FRAME]);

type Outcome = { ok: Reply } | { fatal: VsyncError } | { failed: string[]; answered: number };

/** The common name of a certificate, or undefined. */
function commonName(cert: string | Buffer): string | undefined {
  try {
    return /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(cert).subject)?.[1];
  } catch {
    throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: tls.cert is not a certificate');
  }
}

function positive(v: number | undefined, def: number, what: string): number {
  const n = v ?? def;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `RsmClient: ${what} must be a positive number, got ${String(v)}`);
  return n;
}

function validUrls(urls: unknown): string[] {
  if (!Array.isArray(urls) || urls.length === 0) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: urls must be a non-empty array of ws:// or wss:// URLs');
  const seen = new Set<string>();
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u as string);
    } catch {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `RsmClient: urls: '${String(u)}' is not a URL`);
    }
    if (typeof u !== 'string' || (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:')) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `RsmClient: urls: '${String(u)}' is not a ws:// or wss:// URL`);
    }
    if (seen.has(parsed.href)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `RsmClient: urls: '${u}' is listed twice`);
    seen.add(parsed.href);
  }
  return urls as string[];
}

/**
 * An external client of a replicated state machine. One request at a time (so a retry is always of the last
 * request, which members answer from their exactly-once table). It moves on to the next member at once when one
 * is unreachable or answers with an error (excluded, backpressure, no majority), after `retryMs` when one is
 * silent, pauses with exponential backoff and jitter between rounds over all members, and gives up after the
 * submit's timeout with VSYNC_ERR_NO_QUORUM (a member said the group has no majority) or VSYNC_ERR_UNREACHABLE.
 */
export class RsmClient {
  readonly clientId: string;
  private readonly urls: string[];
  private readonly keys: KeyObject[];
  private readonly mode: 'crash' | 'byzantine';
  private readonly faults: number;
  private readonly retryMs: number;
  private readonly timeoutMs: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  /**
   * Request numbers start from the clock (microseconds), so that a client restarted under the same id keeps
   * numbering above its last run: members answer a number at or below a client's last one from their cache.
   */
  private request = Date.now() * 1000;
  private next = 0;
  private readonly conns = new Map<string, Promise<ClientConnection>>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly closeAc = new AbortController();

  constructor(private readonly o: RsmClientOptions) {
    if (typeof o !== 'object' || o === null) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: options are required');
    this.urls = validUrls(o.urls);
    if (o.mode !== undefined && o.mode !== 'crash' && o.mode !== 'byzantine') throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `RsmClient: mode is 'crash' or 'byzantine', got ${String(o.mode)}`);
    this.mode = o.mode ?? 'crash';
    this.faults = o.faults ?? 1;
    if (!Number.isInteger(this.faults) || this.faults < 0) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: faults must be a non-negative integer');
    if (o.secret !== undefined && (typeof o.secret !== 'string' || o.secret.length === 0)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: secret must be a non-empty string');
    if (o.secret !== undefined && o.clientId === undefined) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: a secret needs its clientId');
    optionalBoolean(o.insecure, 'RsmClient: insecure');
    // Secure by default, like Node.start: a client that cannot prove who it is says so explicitly.
    if (o.secret === undefined && o.tls === undefined && o.insecure !== true) {
      throw new VsyncError(
        ErrorCodes.INVALID_ARGUMENT,
        'RsmClient: no `secret` and no `tls`: the client would not authenticate. Pass `clientId` and `secret` (from the endpoint\'s clients table), `tls: { cert, key, ca }`, or `insecure: true` for an endpoint that runs without authentication',
      );
    }
    if (o.clientId !== undefined && (typeof o.clientId !== 'string' || o.clientId.length === 0 || o.clientId.length > 256)) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: clientId must be a string of 1 to 256 characters');
    }
    if (o.memberKeys !== undefined && !Array.isArray(o.memberKeys)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: memberKeys must be an array');
    this.keys = (o.memberKeys ?? []).map((k) => publicKey(k));
    if (this.mode === 'byzantine') {
      const n = 2 * this.faults + 1;
      if (this.faults < 1) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: byzantine mode needs faults >= 1');
      if (this.urls.length < n) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `RsmClient: byzantine mode with ${this.faults} faults needs at least ${n} urls`);
      if (this.keys.length < n) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `RsmClient: byzantine mode with ${this.faults} faults needs the public keys of at least ${n} members (memberKeys)`);
    }
    this.retryMs = positive(o.retryMs, 2000, 'retryMs');
    this.timeoutMs = positive(o.timeoutMs, 30_000, 'timeoutMs');
    this.minBackoffMs = positive(o.minBackoffMs, 100, 'minBackoffMs');
    this.maxBackoffMs = Math.max(this.minBackoffMs, positive(o.maxBackoffMs, 2000, 'maxBackoffMs'));
    if (o.tls !== undefined && (typeof o.tls !== 'object' || o.tls === null || !o.tls.cert || !o.tls.key || !o.tls.ca)) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient: tls needs cert, key and ca');
    }
    this.clientId = o.clientId ?? (o.tls ? commonName(o.tls.cert) : undefined) ?? `client:${randomUUID()}`;
  }

  /** The number of the last request submitted (a retry of it through another path is answered from the cache). */
  get lastRequest(): number {
    return this.request;
  }

  /** Submits a command; resolves with its result (applied exactly once by the group). */
  submit(command: Uint8Array, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Uint8Array> {
    if (!(command instanceof Uint8Array)) return Promise.reject(new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient.submit: command must be a Uint8Array'));
    let timeoutMs: number;
    let signal: AbortSignal | undefined;
    try {
      const o = optionsObject(opts, 'RsmClient.submit: options');
      optionalSignal(o['signal'], 'RsmClient.submit: options.signal');
      signal = o['signal'] as AbortSignal | undefined;
      timeoutMs = positive(o['timeoutMs'] as number | undefined, this.timeoutMs, 'timeoutMs');
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.queue.then(() => this.run(command, timeoutMs, signal));
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(command: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
    const request = ++this.request;
    const deadline = performance.now() + timeoutMs;
    const seen = new Set<string>();
    for (let round = 0; ; round++) {
      if (signal?.aborted) throw abortError(signal);
      if (this.closed) throw new VsyncError(ErrorCodes.CLOSED, 'client closed');
      const outcome = await this.round(request, command, deadline, signal);
      if ('ok' in outcome) {
        if (outcome.ok.error) throw new VsyncError(outcome.ok.error as ErrorCode, outcome.ok.message || `request ${request}: ${outcome.ok.error}`);
        return outcome.ok.result;
      }
      if ('fatal' in outcome) throw outcome.fatal;
      if (signal?.aborted) throw abortError(signal);
      if (this.closed) throw new VsyncError(ErrorCodes.CLOSED, 'client closed');
      for (const f of outcome.failed) seen.add(f);
      if (outcome.failed.length >= this.urls.length && outcome.failed.every((c) => c === ErrorCodes.AUTH)) {
        throw new VsyncError(ErrorCodes.AUTH, `request ${request}: every member refused this client's credentials`);
      }
      if (this.mode === 'byzantine' && outcome.answered >= this.urls.length) {
        throw new VsyncError(ErrorCodes.REPLY_MISMATCH, `no ${this.faults + 1} of ${outcome.answered} members agree on request ${request}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) break;
      // Exponential backoff with jitter: many clients of a group that is down do not retry in step.
      const base = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.min(round, 20));
      await this.sleep(Math.min(left, base / 2 + (Math.random() * base) / 2), signal);
      this.next = (this.next + 1) % this.urls.length;
    }
    if (seen.has(ErrorCodes.NO_QUORUM)) {
      throw new VsyncError(ErrorCodes.NO_QUORUM, `request ${request}: the group has no majority (members said so within ${timeoutMs} ms)`);
    }
    throw new VsyncError(ErrorCodes.UNREACHABLE, `request ${request}: no member could be reached within ${timeoutMs} ms (${[...seen].join(', ') || 'no attempt'})`);
  }

  /** One pass over the members, starting at `next`: resolves with an answer or the reasons each member failed. */
  private round(request: number, command: Uint8Array, deadline: number, signal?: AbortSignal): Promise<Outcome> {
    const byz = this.mode === 'byzantine';
    const order = this.urls.map((_, i) => this.urls[(this.next + i) % this.urls.length]!);
    const want = byz ? 2 * this.faults + 1 : 1;
    const votes = byz ? new ReplyVotes(this.keys, this.faults + 1) : null;
    return new Promise<Outcome>((resolve) => {
      const failed: string[] = [];
      const cleanups = new Set<() => void>();
      let launched = 0;
      let active = 0;
      let answered = 0;
      let finished = false;
      const finish = (o: Outcome): void => {
        if (finished) return;
        finished = true;
        for (const c of cleanups) c();
        resolve(o);
      };
      const more = (): void => {
        while (!finished && active < want && launched < order.length) launch(order[launched++]!);
        if (!finished && active === 0) finish({ failed, answered });
      };
      const launch = (url: string): void => {
        active++;
        let settled = false;
        let off: Array<() => void> = [];
        const settle = (why: string | null): void => {
          if (settled) return;
          settled = true;
          active--;
          if (why) failed.push(why);
          clearTimeout(timer);
          for (const f of off) f();
          cleanups.delete(drop);
          more();
        };
        const drop = (): void => {
          settled = true;
          clearTimeout(timer);
          for (const f of off) f();
        };
        cleanups.add(drop);
        const wait = Math.max(1, Math.min(this.retryMs, deadline - performance.now()));
        const timer = setTimeout(() => settle('timeout'), wait);
        this.connection(url, wait).then(
          (conn) => {
            if (settled || finished) return;
            if (command.byteLength > conn.maxCommandBytes && conn.maxCommandBytes > 0) {
              finish({ fatal: new VsyncError(ErrorCodes.PAYLOAD_TOO_LARGE, `command of ${command.byteLength} bytes exceeds the endpoint's ${conn.maxCommandBytes}`) });
              return;
            }
            off = [
              conn.onClosed(() => settle(ErrorCodes.UNREACHABLE)),
              conn.onReply((r) => {
                if (settled || finished || r.client !== this.clientId || r.request !== request) return;
                this.onReply(r, votes, finish, settle, () => answered++);
              }),
            ];
            conn.send(request, command);
          },
          (err: unknown) => settle(err instanceof VsyncError && err.code === ErrorCodes.AUTH ? ErrorCodes.AUTH : ErrorCodes.UNREACHABLE),
        );
      };
      const roundTimer = setTimeout(() => finish({ failed: [...failed, 'timeout'], answered }), Math.max(1, deadline - performance.now()));
      cleanups.add(() => clearTimeout(roundTimer));
      if (signal) {
        const onAbort = (): void => finish({ failed, answered });
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.add(() => signal.removeEventListener('abort', onAbort));
      }
      const onClose = (): void => finish({ failed, answered });
      this.closeAc.signal.addEventListener('abort', onClose, { once: true });
      cleanups.add(() => this.closeAc.signal.removeEventListener('abort', onClose));
      more();
    });
  }

  private onReply(r: Reply, votes: ReplyVotes | null, finish: (o: Outcome) => void, settle: (why: string | null) => void, counted: () => void): void {
    if (votes === null) {
      // Crash mode: the first reply decides, once it is shown to come from a known member (when keys are given).
      if (this.keys.length > 0 && signerOf(this.keys, r, r.signature) < 0) return settle('bad-signature');
      if (r.error && !FINAL.has(r.error)) return settle(r.error);
      this.next = this.urls.indexOf(r.url);
      return finish({ ok: r });
    }
    // Byzantine mode: a retryable error is no vote; anything else (a result or a final error) is voted on.
    if (r.error && !FINAL.has(r.error)) return settle(r.error);
    const v = votes.add(r);
    if (v === 'refused') return settle('bad-signature');
    counted();
    if (v !== 'counted') return finish({ ok: v });
    settle(null);
  }

  private connection(url: string, timeoutMs: number): Promise<ClientConnection> {
    const existing = this.conns.get(url);
    if (existing) return existing;
    const p = ClientConnection.open(url, { clientId: this.clientId, secret: this.o.secret, tls: this.o.tls, timeoutMs });
    this.conns.set(url, p);
    p.then(
      (c) => {
        if (this.closed) c.close();
        c.onClosed(() => {
          if (this.conns.get(url) === p) this.conns.delete(url);
        });
      },
      () => {
        if (this.conns.get(url) === p) this.conns.delete(url);
      },
    );
    return p;
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        this.closeAc.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.closeAc.signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeAc.abort();
    for (const p of this.conns.values()) p.then((c) => c.close(), () => {});
    this.conns.clear();
  }
}
