/**
 * Dials one URL while its owner wants a connection there, with exponential backoff and jitter between attempts.
 * A seed is dialed for as long as it is not connected; any other URL is given up after `giveUpMs` of failures.
 */
import { Backoff } from './backoff.js';

export interface DialerHooks {
  /** Whether a connection to the dialer's URL is still needed. */
  wanted(d: Dialer): boolean;
  /** Starts one attempt; the owner reports its end with attemptOpened() or attemptFailed(). */
  dial(d: Dialer): void;
  /** A URL other than a seed has been unreachable for too long. */
  giveUp(d: Dialer): void;
}

export interface DialerOptions {
  minMs: number;
  maxMs: number;
  giveUpMs: number;
  /** A link that stayed open this long resets the backoff when it drops. */
  stableMs: number;
}

export class Dialer {
  /** The node behind the URL: expected (a directory entry) or learned (a seed). */
  node: string | null;
  /** The URL leads to this node itself: never dial it again. */
  self = false;
  /** Why the last attempt failed (null: it opened, or none ended yet): join errors report it. */
  lastError: string | null = null;
  private readonly backoff: Backoff;
  private timer: NodeJS.Timeout | null = null;
  private dialing = false;
  private failingSince: number | null = null;
  private openedAt: number | null = null;
  private closed = false;

  constructor(
    readonly url: string,
    readonly seed: boolean,
    node: string | null,
    private readonly opts: DialerOptions,
    private readonly hooks: DialerHooks,
  ) {
    this.node = node;
    this.backoff = new Backoff(opts.minMs, opts.maxMs);
  }

  /** Neither dialing nor waiting to. */
  get idle(): boolean {
    return !this.dialing && this.timer === null;
  }

  /** A connection is needed now (say, a frame was queued): dial at once unless attempts are failing. */
  kick(): void {
    if (this.closed || this.self || !this.idle || !this.hooks.wanted(this)) return;
    if (this.failingSince === null) this.attempt();
    else this.schedule();
  }

  /** The node's last link dropped: dial again after a backoff delay. */
  linkLost(): void {
    if (this.openedAt !== null && Date.now() - this.openedAt >= this.opts.stableMs) this.backoff.reset();
    this.openedAt = null;
    this.schedule();
  }

  /** A link to the node opened (whoever dialed it). */
  connected(): void {
    this.failingSince = null;
    this.openedAt = Date.now();
  }

  attemptOpened(): void {
    this.lastError = null;
    this.dialing = false;
    this.failingSince = null;
    this.openedAt = Date.now();
  }

  attemptFailed(reason?: string): void {
    this.dialing = false;
    if (reason !== undefined) this.lastError = reason;
    if (this.closed) return;
    const now = Date.now();
    this.failingSince ??= now;
    if (!this.seed && now - this.failingSince >= this.opts.giveUpMs) {
      this.hooks.giveUp(this);
      return;
    }
    this.schedule();
  }

  /** The URL turned out to be this node's own. */
  markSelf(): void {
    this.dialing = false;
    this.self = true;
    this.clearTimer();
  }

  close(): void {
    this.closed = true;
    this.clearTimer();
  }

  private schedule(): void {
    if (this.closed || this.self || !this.idle || !this.hooks.wanted(this)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed && this.hooks.wanted(this)) this.attempt();
    }, this.backoff.next());
  }

  private attempt(): void {
    this.dialing = true;
    this.hooks.dial(this);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
