import { createServer, type Server, type Socket, connect } from 'node:net';

/**
 * A TCP proxy in front of one member, for partition tests. Every member listens on its own loopback address
 * (127.0.0.x) and dials from it, so the proxy knows which member a connection comes from and can cut it.
 */
export class PartitionProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<{ client: Socket; upstream: Socket; from: string }>();
  port = 0;

  constructor(
    readonly ip: string,
    private readonly target: { host: string; port: number },
    private readonly blocked: (fromIp: string, toIp: string) => boolean,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const from = (client.remoteAddress ?? '').replace(/^::ffff:/, '');
      if (this.blocked(from, this.ip)) {
        client.destroy();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      const pair = { client, upstream, from };
      this.sockets.add(pair);
      const close = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(pair);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, this.ip, resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Cuts existing connections that are now blocked (new ones are refused on arrival). */
  enforce(): void {
    for (const p of [...this.sockets]) {
      if (this.blocked(p.from, this.ip)) {
        p.client.destroy();
        p.upstream.destroy();
        this.sockets.delete(p);
      }
    }
  }

  async close(): Promise<void> {
    for (const p of this.sockets) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export async function freePort(ip: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, ip, resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
