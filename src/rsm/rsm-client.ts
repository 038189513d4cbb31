import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ErrorCodes, VsyncError } from '../core/errors.js';
import { type ClientReply, decodeReply, encodeRequest } from './rsm-codec.js';

export interface RsmClientOptions {
  /** Client endpoints of members (`vsync member --client-listen`, or ClientEndpoint). */
  urls: string[];
  /**
   * `crash` (default): members fail only by crashing; the first reply is the answer.
   * `byzantine`: up to `faults` members may answer wrongly; the request goes to 2*faults+1 members and the answer
   * is the first result given by faults+1 different members (Schneider's output voting).
   */
  mode?: 'crash' | 'byzantine';
  faults?: number;
  /** Stable across reconnects (default: a random one per client object). */
  clientId?: string;
  /** A member that has not answered after this long is given up for the next one; the request is retried. */
  retryMs?: number;
}

interface Conn {
  url: string;
  ws: WebSocket;
  open: Promise<void>;
}

/** Voting on equal results from different members. */
function agreed(replies: ClientReply[], needed: number): Uint8Array | null {
  const counts = new Map<string, { n: number; result: Uint8Array; members: Set<string> }>();
  for (const r of replies) {
    const key = Buffer.from(r.result).toString('base64');
    const c = counts.get(key) ?? { n: 0, result: r.result, members: new Set<string>() };
    if (!c.members.has(r.member)) {
      c.members.add(r.member);
      c.n++;
    }
    counts.set(key, c);
    if (c.n >= needed) return c.result;
  }
  return null;
}

/**
 * An external client of a replicated state machine. One request at a time (so a retry is always of the last
 * request, which members answer from their exactly-once table); when a member dies or stalls it moves on to
 * the next and retries with the same request id.
 */
export class RsmClient {
  readonly clientId: string;
  private request = 0;
  private next = 0;
  private readonly conns = new Map<string, Conn>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly o: RsmClientOptions) {
    if (o.urls.length === 0) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'RsmClient needs at least one member URL');
    this.clientId = o.clientId ?? `client:${randomUUID()}`;
  }

  /** Submits a command; resolves with its result (applied exactly once by the group). */
  submit(command: Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const run = this.queue.then(() => this.run(command, opts.signal));
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(command: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const request = ++this.request;
    const byz = this.o.mode === 'byzantine';
    const f = this.o.faults ?? 1;
    const fanout = byz ? Math.min(this.o.urls.length, 2 * f + 1) : 1;
    const needed = byz ? f + 1 : 1;
    const retryMs = this.o.retryMs ?? 2000;
    const bytes = encodeRequest({ client: this.clientId, request, command });
    for (;;) {
      signal?.throwIfAborted();
      if (this.closed) throw new VsyncError(ErrorCodes.CLOSED, 'client closed');
      const targets: string[] = [];
      for (let i = 0; i < fanout; i++) targets.push(this.o.urls[(this.next + i) % this.o.urls.length]!);
      const replies: ClientReply[] = [];
      const answer = await new Promise<Uint8Array | null>((resolve) => {
        const timer = setTimeout(() => done(null), retryMs);
        const cleanups: Array<() => void> = [];
        const done = (r: Uint8Array | null): void => {
          clearTimeout(timer);
          for (const c of cleanups) c();
          resolve(r);
        };
        for (const url of targets) {
          const conn = this.connect(url);
          const onMessage = (data: WebSocket.RawData): void => {
            let rep: ClientReply;
            try {
              rep = decodeReply(new Uint8Array(data as Buffer));
            } catch {
              return;
            }
            if (rep.client !== this.clientId || rep.request !== request || rep.error) return;
            replies.push(rep);
            const r = agreed(replies, needed);
            if (r) done(r);
            else if (byz && replies.length >= targets.length) done(null);
          };
          const onGone = (): void => {
            if (!byz) done(null);
          };
          conn.ws.on('message', onMessage);
          conn.ws.once('close', onGone);
          cleanups.push(() => {
            conn.ws.off('message', onMessage);
            conn.ws.off('close', onGone);
          });
          conn.open.then(() => conn.ws.send(bytes), () => onGone());
        }
        if (signal) {
          const onAbort = (): void => done(null);
          signal.addEventListener('abort', onAbort, { once: true });
          cleanups.push(() => signal.removeEventListener('abort', onAbort));
        }
      });
      if (answer) return answer;
      if (byz && replies.length >= targets.length && replies.length > 0) {
        throw new VsyncError(ErrorCodes.REPLY_MISMATCH, `no ${needed} of ${replies.length} members agree on request ${request}`);
      }
      this.next = (this.next + 1) % this.o.urls.length; // That member is dead or slow: try the next.
    }
  }

  private connect(url: string): Conn {
    const existing = this.conns.get(url);
    if (existing && existing.ws.readyState <= WebSocket.OPEN) return existing;
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 2000 });
    ws.on('error', () => {});
    const open = new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('close', () => reject(new Error('closed')));
    });
    open.catch(() => {});
    const conn = { url, ws, open };
    this.conns.set(url, conn);
    ws.once('close', () => {
      if (this.conns.get(url) === conn) this.conns.delete(url);
    });
    return conn;
  }

  close(): void {
    this.closed = true;
    for (const c of this.conns.values()) c.ws.terminate();
    this.conns.clear();
  }
}
