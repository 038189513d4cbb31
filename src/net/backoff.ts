/** Exponential backoff with jitter: attempt n waits a random time in [cap/2, cap], cap = min(max, min * 2^n). */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const cap = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(1, Math.round(cap / 2 + (this.random() * cap) / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
