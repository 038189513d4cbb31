import type { Socket } from 'node:net';

export interface ConnectionGuardOptions {
  /** Most open sockets. */
  maxConnections: number;
  /** Most open sockets from one remote address. */
  maxPerAddress: number;
  /** A socket not authenticated by then is closed (it covers slow HTTP headers and slow handshakes alike). */
  authTimeoutMs: number;
}

/**
 * Caps the sockets of a listening server in total and per remote address, and closes any socket that has not
 * authenticated in time: an idle or slow connection costs the server a bounded amount, for a bounded time.
 */
export class ConnectionGuard {
  private readonly sockets = new Map<Socket, { address: string; timer: NodeJS.Timeout | null }>();
  private readonly perAddress = new Map<string, number>();
  /** address|port -> socket: a TLS server upgrades a TLSSocket wrapping the raw socket the guard admitted. */
  private readonly byEndpoint = new Map<string, Socket>();
  refused = 0;

  constructor(private readonly o: ConnectionGuardOptions) {}

  /** Called for every accepted socket; false when it was refused (and destroyed). */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress ?? '?';
    const n = this.perAddress.get(address) ?? 0;
    if (this.sockets.size >= this.o.maxConnections || n >= this.o.maxPerAddress) {
      this.refused++;
      socket.destroy();
      return false;
    }
    this.perAddress.set(address, n + 1);
    const timer = setTimeout(() => socket.destroy(), this.o.authTimeoutMs);
    timer.unref();
    this.sockets.set(socket, { address, timer });
    this.byEndpoint.set(`${address}|${socket.remotePort}`, socket);
    socket.once('close', () => this.forget(socket));
    return true;
  }

  /** The admitted socket that `socket` is (or wraps, for TLS), or null. */
  resolve(socket: Socket): Socket | null {
    if (this.sockets.has(socket)) return socket;
    return this.byEndpoint.get(`${socket.remoteAddress ?? '?'}|${socket.remotePort}`) ?? null;
  }

  /** The socket proved who it is: from now on only the idle timeout of its session applies. */
  authenticated(socket: Socket): void {
    const raw = this.resolve(socket);
    const s = raw ? this.sockets.get(raw) : undefined;
    if (s?.timer) {
      clearTimeout(s.timer);
      s.timer = null;
    }
  }

  get size(): number {
    return this.sockets.size;
  }

  destroyAll(): void {
    for (const s of [...this.sockets.keys()]) s.destroy();
  }

  private forget(socket: Socket): void {
    const s = this.sockets.get(socket);
    if (!s) return;
    if (s.timer) clearTimeout(s.timer);
    this.sockets.delete(socket);
    const key = `${s.address}|${socket.remotePort}`;
    if (this.byEndpoint.get(key) === socket) this.byEndpoint.delete(key);
    const n = (this.perAddress.get(s.address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(s.address);
    else this.perAddress.set(s.address, n);
  }
}
