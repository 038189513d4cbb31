/**
 * A small log-bucketed latency histogram (HDR-like, fixed relative error): values in microseconds, 16 buckets per
 * power of two (about 4.4 % relative bucket width), from 1 µs up to about 1.2 hours. It keeps counts, not samples,
 * so it merges across processes by adding counts.
 */
const SUB = 16;
const MAX_EXP = 32;
const BUCKETS = MAX_EXP * SUB;

export interface HistogramData {
  /** Sparse: [bucket index, count] pairs. */
  buckets: Array<[number, number]>;
  count: number;
  min: number;
  max: number;
  sum: number;
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class Histogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  /** Records one value in microseconds (values below 1 µs count as 1 µs; negative values as 0). */
  record(us: number): void {
    const v = us > 0 ? us : 0;
    this.counts[Histogram.bucketOf(v)]! += 1;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  static bucketOf(v: number): number {
    if (v < 1) return 0;
    const b = Math.floor(Math.log2(v) * SUB);
    return b >= BUCKETS ? BUCKETS - 1 : b;
  }

  /** The representative value of a bucket: the geometric middle of its range. */
  static valueOf(bucket: number): number {
    return Math.pow(2, (bucket + 0.5) / SUB);
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.min = Infinity;
    this.max = 0;
    this.sum = 0;
  }

  toJSON(): HistogramData {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, min: this.count ? this.min : 0, max: this.max, sum: this.sum };
  }

  static from(d: HistogramData): Histogram {
    const h = new Histogram();
    h.add(d);
    return h;
  }

  add(d: HistogramData): void {
    for (const [i, c] of d.buckets) this.counts[i]! += c;
    if (d.count > 0) {
      this.count += d.count;
      this.sum += d.sum;
      this.min = Math.min(this.min, d.min);
      this.max = Math.max(this.max, d.max);
    }
  }

  /** The value at quantile q (0..1): the bucket's representative value, clamped to [min, max]. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, Histogram.valueOf(i)));
    }
    return this.max;
  }

  percentiles(): Percentiles {
    return {
      count: this.count,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      max: this.count ? this.max : 0,
      mean: this.count ? this.sum / this.count : 0,
    };
  }
}
