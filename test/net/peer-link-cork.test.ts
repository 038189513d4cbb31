import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bytes, closeAll, startNode, waitFor } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
  return closeAll();
});

/**
 * The hot path: every frame a turn of the event loop sends to one peer leaves in one socket write (peer-link.ts corks
 * the socket until the turn ends), sealed or not, and in order.
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
