/**
 * The masking key of frames on links we dial: zero where every frame is ours or sealed (a secret; TLS likewise),
 * so that `ws` skips XORing every byte on both ends; random on insecure links, as RFC 6455 has it.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { closeAll, startNode, waitFor } from './helpers.js';

let wss: WebSocketServer | null = null;
afterEach(async () => {
  await closeAll();
  await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
  wss = null;
});

/** The masking key of the first frame a dialer sends to a plain `ws` server (the transport's first handshake message). */
async function firstMaskKey(opts: { insecure?: boolean }): Promise<{ masked: boolean; key: Buffer }> {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss!.once('listening', () => r()));
  let raw = Buffer.alloc(0);
  wss.on('connection', (_ws, req) => req.socket.on('data', (chunk: Buffer) => (raw = Buffer.concat([raw, chunk]))));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  await startNode('D', { listen: null, seeds: [url], ...(opts.insecure ? { insecure: true } : {}) });
  // A frame header: 2 bytes, a 2- or 8-byte extended length, then the 4-byte key when the mask bit is set.
  await waitFor(() => raw.length >= 14, 'the first frame from the dialer', 10_000);
  const len7 = raw[1]! & 0x7f;
  const at = len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
  return { masked: (raw[1]! & 0x80) !== 0, key: raw.subarray(at, at + 4) };
}

describe('masking key of dialed links', () => {
  it('is zero with a cluster secret (frames sealed after the handshake)', async () => {
    const { masked, key } = await firstMaskKey({});
    expect(masked).toBe(true);
    expect([...key]).toEqual([0, 0, 0, 0]);
  });

  it('is random on an insecure link', async () => {
    const { masked, key } = await firstMaskKey({ insecure: true });
    expect(masked).toBe(true);
    // A random key is all zeros once in 2^32 runs.
    expect(key.readUInt32BE(0)).not.toBe(0);
  });
});
