import { createHash, type KeyObject } from 'node:crypto';
import { signerOf } from './client-auth.js';
import type { Reply } from './client-connection.js';

/**
 * Schneider's output voting, counting only what a liar cannot multiply: a reply is a vote only if it is signed
 * by one of the members' keys the client was given, and each key and each endpoint votes at most once. One
 * faulty member answering under two names, on two endpoints, or through a man in the middle still has one key.
 */
export class ReplyVotes {
  private readonly usedKeys = new Set<number>();
  private readonly usedUrls = new Set<string>();
  private readonly tally = new Map<string, { n: number; reply: Reply }>();

  constructor(
    private readonly keys: readonly KeyObject[],
    private readonly needed: number,
  ) {}

  /** Distinct verified members that voted. */
  get voters(): number {
    return this.usedKeys.size;
  }

  /**
   * Counts `r`; returns the winning reply once `needed` distinct members agree on it (same result and error),
   * 'counted' for a vote that does not decide yet, or 'refused' for one that cannot count.
   */
  add(r: Reply): Reply | 'counted' | 'refused' {
    if (this.usedUrls.has(r.url)) return 'refused';
    const signer = signerOf(this.keys, r, r.signature);
    if (signer < 0 || this.usedKeys.has(signer)) return 'refused';
    this.usedKeys.add(signer);
    this.usedUrls.add(r.url);
    const key = createHash('sha256').update(r.error).update('\u0000').update(r.result).digest('hex');
    const t = this.tally.get(key) ?? { n: 0, reply: r };
    t.n++;
    this.tally.set(key, t);
    return t.n >= this.needed ? t.reply : 'counted';
  }
}
