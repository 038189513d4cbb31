import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Sealer } from '../../src/net/frame-seal.js';
import { bytes, closeAll, startNode, waitFor } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
  return closeAll();
});

/**
 * The hot path: every frame a turn of the event loop sends to one peer leaves in one socket write (peer-link.ts keeps
 * a callback's frames until it returns, then writes them to the corked socket), sealed or not, and in order.
 */
describe.each([
  ['sealed (secret)', {}],
  ['insecure', { insecure: true as const }],
])('peer link: one write per peer per turn, %s', (_name, auth) => {
  it('100 frames sent in one turn reach the peer in order, in a handful of socket writes', async () => {
    const b = await startNode('B', auth);
    const a = await startNode('A', { ...auth, seeds: [b.t.url!] });
    await waitFor(() => a.t.peers().includes('B') && b.t.peers().includes('A'), 'A-B link');

    // Counts the writes that reach the kernel (a corked socket hands its queue to _writev in one call).
    let writes = 0;
    const w1 = Socket.prototype._write;
    const wv = Socket.prototype._writev;
    vi.spyOn(Socket.prototype, '_write').mockImplementation(function (this: Socket, ...args: Parameters<typeof w1>) {
      writes++;
      return w1.apply(this, args);
    });
    vi.spyOn(Socket.prototype, '_writev').mockImplementation(function (this: Socket, ...args: Parameters<NonNullable<typeof wv>>) {
      writes++;
      return wv!.apply(this, args);
    });
    for (let i = 0; i < 100; i++) expect(a.t.send('B', bytes(`m${i}`))).toBe(true);
    await waitFor(() => b.frames.length === 100, 'all 100 frames at B', 10_000);
    vi.restoreAllMocks();

    expect(b.frames.map((f) => f.text)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    // One write for the batch; a heartbeat ping or pong of either side may add one or two.
    expect(writes).toBeLessThanOrEqual(5);
  }, 30_000);
});

describe('peer link: a callback\'s frames are sealed when it returns', () => {
  it('seals nothing inside the sending callback, everything right after it, and counts the frames as buffered', async () => {
    const b = await startNode('B');
    const a = await startNode('A', { seeds: [b.t.url!] });
    await waitFor(() => a.t.peers().includes('B') && b.t.peers().includes('A'), 'A-B link');
    const seal = vi.spyOn(Sealer.prototype, 'seal');
    const before = a.t.peerStats().find((p) => p.node === 'B')!.bufferedBytes;
    for (let i = 0; i < 3; i++) expect(a.t.send('B', bytes(`q${i}`))).toBe(true);
    // The caller's own work (a member's delivery handlers) runs before the seals: the frames wait, counted.
    expect(seal).not.toHaveBeenCalled();
    expect(a.t.peerStats().find((p) => p.node === 'B')!.bufferedBytes).toBeGreaterThan(before);
    await new Promise<void>((r) => process.nextTick(r));
    expect(seal).toHaveBeenCalledTimes(3);
    await waitFor(() => b.frames.length === 3, 'the three frames at B');
    expect(b.frames.map((f) => f.text)).toEqual(['q0', 'q1', 'q2']);
  });

  it('a link closed by the callback that sent frames writes them before its close', async () => {
    const b = await startNode('B');
    const a = await startNode('A', { seeds: [b.t.url!] });
    await waitFor(() => a.t.peers().includes('B') && b.t.peers().includes('A'), 'A-B link');
    for (let i = 0; i < 3; i++) expect(a.t.send('B', bytes(`last${i}`))).toBe(true);
    a.t.dropPeer('B', 'test: closing right after sending');
    await waitFor(() => b.frames.length === 3, 'the frames sent before the close');
    expect(b.frames.map((f) => f.text)).toEqual(['last0', 'last1', 'last2']);
  });
});
