import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { setReceiveLimit } from '../../src/net/peer-link.js';

// peer-link.ts lowers a link's message limit before the handshake through a field ws does not document. This
// test is the guard: it fails when an upgrade of ws renames or ignores that field.
describe('setReceiveLimit: the per-link message limit ws has no public option for', () => {
  let server: WebSocketServer | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  });

  it('takes on the installed ws, and a message over the lowered limit closes the socket (1009, message too big)', async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 * 1024 });
    await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
    const accepted = new Promise<{ took: boolean; error: Promise<string>; got: Promise<number> }>((resolve) => {
      server!.once('connection', (ws) => {
        const took = setReceiveLimit(ws, 1000);
        let got = 0;
        let sawMessage!: (n: number) => void;
        const gotP = new Promise<number>((r) => (sawMessage = r));
        ws.on('message', (data: Buffer) => {
          got++;
          sawMessage(data.byteLength);
        });
        const error = new Promise<string>((r) => ws.once('error', (e) => r((e as { code?: string }).code ?? e.message)));
        resolve({ took, error, got: gotP.then(() => got) });
      });
    });
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    client.on('error', () => {});
    const closed = new Promise<number>((r) => client.once('close', (c) => r(c)));
    await new Promise<void>((resolve) => client.once('open', () => resolve()));
    const side = await accepted;
    expect(side.took).toBe(true);
    client.send(new Uint8Array(1000)); // At the limit: taken.
    expect(await side.got).toBe(1);
    client.send(new Uint8Array(1001)); // One byte over (well under the server-wide 1 MiB): refused.
    expect(await side.error).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect(await closed).toBe(1009);
  });
});
