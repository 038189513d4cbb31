/**
 * An attacker in the middle without the secret, at the message level: a websocket server that, for every
 * connection, dials the real target and relays each binary message both ways. A test sets `tamper` to change the
 * client-to-target stream: the hook gets each message (with its index on that connection) and returns what to send
 * instead (any number of messages, none to drop it).
 */
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export type Tamper = (msg: Buffer, index: number, conn: number) => Buffer[];

export class Mitm {
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private conns = 0;
  tamper: Tamper | null = null;

  private constructor(private readonly target: string) {
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 * 1024 });
    this.wss.on('connection', (client) => this.relay(client));
  }

  static async start(target: string): Promise<Mitm> {
    const m = new Mitm(target);
    await new Promise<void>((resolve) => m.wss.once('listening', () => resolve()));
    return m;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  private relay(client: WebSocket): void {
    const conn = this.conns++;
    const server = new WebSocket(this.target, { maxPayload: 64 * 1024 * 1024 });
    this.sockets.add(client);
    this.sockets.add(server);
    const early: Buffer[] = [];
    let index = 0;
    client.on('message', (data: Buffer) => {
      const out = this.tamper ? this.tamper(data, index, conn) : [data];
      index++;
      for (const m of out) {
        if (server.readyState === WebSocket.OPEN) server.send(m);
        else early.push(m);
      }
    });
    server.on('open', () => {
      for (const m of early.splice(0)) server.send(m);
    });
    server.on('message', (data: Buffer) => {
      if (client.readyState === WebSocket.OPEN) client.send(data);
    });
    const end = (): void => {
      client.terminate();
      server.terminate();
    };
    for (const ws of [client, server]) {
      ws.on('close', end);
      ws.on('error', end);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
