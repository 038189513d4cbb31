/**
 * Per-client limits at one client endpoint: a token bucket of requests per second, and the requests and bytes
 * a client may have in flight (submitted, not yet answered) over all its connections. Entries of idle clients
 * are dropped, so the table holds at most the clients with a live connection or recent traffic.
 */
export interface QuotaOptions {
  ratePerSecond: number;
  burst: number;
  maxInFlight: number;
  maxInFlightBytes: number;
}

interface Entry {
  tokens: number;
  at: number;
  inFlight: number;
  inFlightBytes: number;
  connections: number;
}

export type QuotaRefusal = 'rate' | 'in-flight' | 'in-flight-bytes';

export class ClientQuotas {
  private readonly clients = new Map<string, Entry>();
  private sweepAt = 1024;

  constructor(
    private readonly o: QuotaOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  private entry(client: string): Entry {
    let e = this.clients.get(client);
    if (!e) {
      e = { tokens: this.o.burst, at: this.now(), inFlight: 0, inFlightBytes: 0, connections: 0 };
      this.clients.set(client, e);
    }
    return e;
  }

  connected(client: string): void {
    this.entry(client).connections++;
    if (this.clients.size >= this.sweepAt) this.gc(client, this.entry(client));
  }

  disconnected(client: string): void {
    const e = this.clients.get(client);
    if (!e) return;
    e.connections--;
    this.gc(client, e);
  }

  /** Takes one request of `bytes` for `client`, or says which limit refuses it. */
  take(client: string, bytes: number): QuotaRefusal | null {
    const e = this.entry(client);
    const t = this.now();
    e.tokens = Math.min(this.o.burst, e.tokens + ((t - e.at) * this.o.ratePerSecond) / 1000);
    e.at = t;
    if (e.tokens < 1) return 'rate';
    if (e.inFlight >= this.o.maxInFlight) return 'in-flight';
    if (e.inFlightBytes + bytes > this.o.maxInFlightBytes) return 'in-flight-bytes';
    e.tokens--;
    e.inFlight++;
    e.inFlightBytes += bytes;
    return null;
  }

  done(client: string, bytes: number): void {
    const e = this.clients.get(client);
    if (!e) return;
    e.inFlight--;
    e.inFlightBytes -= bytes;
    this.gc(client, e);
  }

  /**
   * A client with nothing open and nothing in flight is forgotten once its bucket would be full again (so a
   * reconnect does not refill it early); the others are swept when the table has doubled since the last sweep.
   */
  private gc(client: string, e: Entry): void {
    if (this.idleAndFull(e)) this.clients.delete(client);
    if (this.clients.size >= this.sweepAt) {
      for (const [c, x] of this.clients) if (this.idleAndFull(x)) this.clients.delete(c);
      this.sweepAt = Math.max(1024, this.clients.size * 2);
    }
  }

  private idleAndFull(e: Entry): boolean {
    return e.connections <= 0 && e.inFlight <= 0 && e.tokens + ((this.now() - e.at) * this.o.ratePerSecond) / 1000 >= this.o.burst;
  }

  get size(): number {
    return this.clients.size;
  }
}
