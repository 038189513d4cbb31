import type { Logger } from 'pino';
import { pino } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCodes, VsyncError } from '../core/errors.js';
import { decodeRequest, encodeReply } from './rsm-codec.js';
import type { ReplicatedStateMachine } from './replicated-state-machine.js';

export interface ClientEndpointOptions {
  host: string;
  port: number;
  logger?: Logger;
  /** Largest request accepted (default 1 MiB). */
  maxPayload?: number;
  /** Most requests of one connection being applied at once (default 1024); beyond, the request is refused. */
  maxInFlight?: number;
}

/**
 * Where external clients (not group members: Schneider's clients, Spread's open groups) submit commands to a
 * replicated state machine over WebSocket, and get the reply once the command is applied at this member.
 */
export class ClientEndpoint {
  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(rsm: ReplicatedStateMachine, o: ClientEndpointOptions): Promise<ClientEndpoint> {
    const log = (o.logger ?? pino({ level: 'silent' })).child({ endpoint: 'clients' });
    const maxInFlight = o.maxInFlight ?? 1024;
    const wss = new WebSocketServer({ host: o.host, port: o.port, maxPayload: o.maxPayload ?? 1024 * 1024, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    const addr = wss.address() as { port: number };
    wss.on('connection', (ws: WebSocket) => {
      let inFlight = 0;
      const ac = new AbortController();
      ws.on('close', () => ac.abort());
      ws.on('error', () => ac.abort());
      ws.on('message', (data, isBinary) => {
        const member = rsm.group.memberId ?? '';
        if (!isBinary) {
          log.warn('refusing a text message from a client');
          ws.close(1003, 'binary protobuf only');
          return;
        }
        let req;
        try {
          req = decodeRequest(new Uint8Array(data as Buffer));
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'malformed client request');
          ws.send(encodeReply({ client: '', request: 0, result: new Uint8Array(0), member, error: ErrorCodes.MALFORMED_FRAME }));
          return;
        }
        if (inFlight >= maxInFlight) {
          ws.send(encodeReply({ client: req.client, request: req.request, result: new Uint8Array(0), member, error: ErrorCodes.BACKPRESSURE }));
          return;
        }
        inFlight++;
        rsm.submit(req.command, { client: req.client, request: req.request, signal: ac.signal }).then(
          (result) => ws.send(encodeReply({ client: req.client, request: req.request, result, member: rsm.group.memberId ?? member, error: '' })),
          (err) => {
            if (ws.readyState !== ws.OPEN) return;
            const code = err instanceof VsyncError ? err.code : ErrorCodes.INVALID_ARGUMENT;
            ws.send(encodeReply({ client: req.client, request: req.request, result: new Uint8Array(0), member, error: code }));
          },
        ).finally(() => inFlight--);
      });
    });
    return new ClientEndpoint(wss, `ws://${o.host}:${addr.port}`);
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
