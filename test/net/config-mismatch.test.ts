/**
 * Settings every node of a cluster must share, checked by the link handshake: the wire version (a peer of the
 * previous version is told VSYNC_ERR_VERSION, not a misleading VSYNC_ERR_AUTH) and `config.maxPayloadBytes` (a
 * member drops payloads above its own limit, so a mismatch would stall one member's messages at another): such a
 * link is refused on both sides with VSYNC_ERR_CONFIG_MISMATCH, logged, and a joiner fails with that code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Node } from '../../src/index.js';
import { ErrorCodes } from '../../src/errors.js';
import { decodeLink, newNonce } from '../../src/net/handshake.js';
import { WIRE_VERSION } from '../../src/wire/codec.js';
import { vsync } from '../../src/wire/gen/vsync.js';
import { closeAll, startNode, waitFor, warnings } from './helpers.js';

const MiB = 1024 * 1024;
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
  await closeAll();
});

/** The Reject codes a raw peer gets after sending `hello` to `url`. */
function rejectsFor(url: string, hello: vsync.wire.Hello.$Properties): Promise<string[]> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const codes: string[] = [];
    ws.on('error', () => {});
    ws.on('open', () => ws.send(vsync.wire.Link.encode({ hello }).finish()));
    ws.on('message', (data: Buffer) => {
      const m = decodeLink(data);
      if (m?.t === 'reject') codes.push(m.code);
    });
    ws.on('close', () => resolve(codes));
  });
}

describe('settings checked by the handshake', () => {
  it('a peer of the previous wire version is refused with VSYNC_ERR_VERSION', async () => {
    const a = await startNode('A');
    const hello = { cluster: 'test', node: 'old', nonce: newNonce(), url: '', epoch: 1, maxPayloadBytes: MiB };
    expect(await rejectsFor(a.t.url!, { ...hello, version: WIRE_VERSION - 1 })).toEqual([ErrorCodes.VERSION]);
    // The version is checked before the setting: an old node, which sends no maxPayloadBytes, hears about its version.
    expect(await rejectsFor(a.t.url!, { ...hello, version: WIRE_VERSION - 1, maxPayloadBytes: 0 })).toEqual([ErrorCodes.VERSION]);
  });

  it('two transports with different maxPayloadBytes refuse each other on both sides, logged; equal ones link', async () => {
    const a = await startNode('A', { maxPayloadBytes: MiB });
    const b = await startNode('B', { maxPayloadBytes: 2 * MiB, seeds: [a.t.url!] });
    const refused = (n: typeof a): boolean =>
      warnings(n).some((l) => l.msg === 'refusing peer' && l.code === ErrorCodes.CONFIG_MISMATCH && /maxPayloadBytes differs/.test(String(l.reason)));
    await waitFor(() => refused(a) && refused(b), 'both sides refuse the link', 10_000);
    expect(a.t.peers()).toEqual([]);
    expect(b.t.peers()).toEqual([]);
    await waitFor(() => /VSYNC_ERR_CONFIG_MISMATCH/.test(b.t.seedReport()[0]?.error ?? ''), 'the dialer reports why', 10_000);
    const c = await startNode('C', { maxPayloadBytes: MiB, seeds: [a.t.url!] });
    await waitFor(() => c.t.peers().includes('A'), 'an equal setting links', 10_000);
  });

  it('a node whose config.maxPayloadBytes differs from its seeds fails to join with VSYNC_ERR_CONFIG_MISMATCH', async () => {
    const first = await Node.start({ name: 'n0', secret: 'test-secret', listen: { host: '127.0.0.1', port: 0 } });
    nodes.push(first);
    await first.join('g');
    const other = await Node.start({ name: 'n1', secret: 'test-secret', listen: { host: '127.0.0.1', port: 0 }, seeds: [first.url!], config: { maxPayloadBytes: 512 * 1024 } });
    nodes.push(other);
    const err = await other.join('g', { signal: AbortSignal.timeout(20_000) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.CONFIG_MISMATCH, message: expect.stringMatching(/maxPayloadBytes differs/) });
  });
});
