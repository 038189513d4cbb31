import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCodes, VsyncError } from '../../src/errors.js';
import { CloseCode, Transport } from '../../src/net/index.js';
import { decodeFrame, encodeFrame } from '../../src/wire/index.js';
import { bytes, closeAll, startNode, stop, waitFor, warnings } from './helpers.js';

afterEach(closeAll);

describe('transport: handshake and frames', () => {
  it('connects three nodes through seeds; the directory lets A reach C without a seed; one link per pair', async () => {
    const b = await startNode('B');
    const c = await startNode('C', { seeds: [b.t.url!] });
    const a = await startNode('A', { seeds: [b.t.url!] });
    await waitFor(() => a.t.peers().includes('B') && c.t.peers().includes('B'), 'A-B and C-B links');
    expect(a.t.seedNodes()).toEqual(['B']);
    expect(c.t.seedNodes()).toEqual(['B']);

    // A never heard of C from a seed: B's directory (in its Hello or in later news) tells it C's URL.
    expect(a.t.peers()).not.toContain('C');
    // send() is true (queued while A dials C) once A knows C's URL.
    await waitFor(() => a.t.send('C', bytes('probe')), 'a route from A to C');
    await waitFor(() => c.frames.length > 0, 'the frame from A at C');
    expect(c.frames).toEqual([{ from: 'A', text: 'probe' }]);
    expect(a.t.peers().sort()).toEqual(['B', 'C']);

    // Frames both ways, in order on one link.
    for (let i = 0; i < 50; i++) expect(c.t.send('A', bytes(`c${i}`))).toBe(true);
    for (let i = 0; i < 50; i++) expect(a.t.send('C', bytes(`a${i}`))).toBe(true);
    await waitFor(() => a.frames.length === 50 && c.frames.length === 51, 'all frames');
    expect(a.frames.map((f) => f.text)).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`));
    expect(c.frames.slice(1).map((f) => f.text)).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    expect(a.frames.every((f) => f.from === 'C')).toBe(true);

    for (const n of [a, b, c]) expect(n.t.stats().links).toBe(2);
    const s = a.t.stats();
    expect(s.framesOut).toBeGreaterThanOrEqual(51);
    expect(s.framesIn).toBe(50);
    expect(s.bytesIn).toBe(a.frames.reduce((k, f) => k + 1 + Buffer.byteLength(f.text), 0));
  });

  it('ends up with one link, without a peerDown, when two nodes dial each other at once', async () => {
    // Learn two free ports, then start both nodes at once, each the other's seed.
    const x0 = await startNode('X');
    const y0 = await startNode('Y');
    const [px, py] = [x0.t.url!, y0.t.url!].map((u) => Number(new URL(u).port));
    await Promise.all([stop(x0), stop(y0)]);
    const [x, y] = await Promise.all([
      startNode('X', { listen: { host: '127.0.0.1', port: px! }, seeds: [`ws://127.0.0.1:${py}`] }),
      startNode('Y', { listen: { host: '127.0.0.1', port: py! }, seeds: [`ws://127.0.0.1:${px}`] }),
    ]);
    await waitFor(() => x.t.peers().includes('Y') && y.t.peers().includes('X'), 'X-Y');
    // X (the smaller name) closes all but its newest link after a heartbeat; Y never closes one for that reason.
    await waitFor(() => x.t.stats().links === 1 && y.t.stats().links === 1, 'a single link');
    expect(x.t.seedNodes()).toEqual(['Y']);
    expect(y.t.seedNodes()).toEqual(['X']);
    expect(x.t.send('Y', bytes('one'))).toBe(true);
    expect(y.t.send('X', bytes('two'))).toBe(true);
    await waitFor(() => y.frames.some((f) => f.text === 'one') && x.frames.some((f) => f.text === 'two'), 'frames over the kept link');
    expect([x.ups, y.ups, x.downs, y.downs]).toEqual([['Y'], ['X'], [], []]);
    expect(y.logs.some((l) => /closing a redundant link/.test(l.msg))).toBe(false);
  });

  it('carries real envelopes; `to` and payloads survive', async () => {
    const a = await startNode('a');
    const b = await startNode('b', { seeds: [a.t.url!] });
    await waitFor(() => b.t.peers().includes('a'), 'link');
    const got: Uint8Array[] = [];
    a.t.on('frame', (_n, x) => got.push(x));
    const payload = new Uint8Array(200_000).map((_, i) => i & 0xff);
    b.t.send('a', encodeFrame('g', 'b#1', '', { t: 'join', view: 0, joiner: 'b#1' }));
    b.t.send('a', encodeFrame('g', 'b#1', 'a#7', { t: 'forward', view: 3, msgs: [{ fseq: 1, msgNo: 1, payload }] }));
    await waitFor(() => got.length === 2, 'two envelopes');
    expect(got[0]!.constructor).toBe(Uint8Array);
    expect(decodeFrame(got[0]!)).toEqual({ group: 'g', from: 'b#1', to: '', frame: { t: 'join', view: 0, joiner: 'b#1' } });
    const second = decodeFrame(got[1]!);
    expect(second.to).toBe('a#7');
    if (second.frame.t !== 'forward') throw new Error('wrong frame');
    expect(Buffer.from(second.frame.msgs[0]!.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it('refuses send() of bytes that are not an envelope, and sends to unknown nodes or itself return false', async () => {
    const a = await startNode('a');
    expect(() => a.t.send('b', new Uint8Array([1, 2, 3]))).toThrow(VsyncError);
    expect(() => a.t.send('b', new Uint8Array(0))).toThrow(/not an envelope/);
    expect(a.t.send('nobody', bytes('x'))).toBe(false);
    expect(a.t.send('a', bytes('x'))).toBe(false);
    expect(a.t.stats().dropped).toBe(2);
  });
});

describe('transport: refusals', () => {
  it('refuses a peer with the wrong secret and keeps serving the good one', async () => {
    const s = await startNode('S', { secret: 'right' });
    const good = await startNode('G', { secret: 'right', seeds: [s.t.url!] });
    await waitFor(() => s.t.peers().includes('G') && good.t.peers().includes('S'), 'good peer connected');
    const bad = await startNode('X', { secret: new Uint8Array(Buffer.from('wrong')), seeds: [s.t.url!] });
    await waitFor(() => warnings(s).some((l) => l.code === ErrorCodes.AUTH), 'refusal logged by S');
    await waitFor(() => warnings(bad).some((l) => l.msg === 'refused by the peer' || l.code === ErrorCodes.AUTH), 'refusal seen by X');
    expect(s.t.peers()).toEqual(['G']);
    expect(bad.t.peers()).toEqual([]);
    expect(bad.ups).toEqual([]);
    expect(s.ups).toEqual(['G']);
    expect(s.t.stats().rejected).toBeGreaterThan(0);
    // The good link still works both ways.
    expect(good.t.send('S', bytes('hi'))).toBe(true);
    expect(s.t.send('G', bytes('ho'))).toBe(true);
    await waitFor(() => s.frames.some((f) => f.text === 'hi') && good.frames.some((f) => f.text === 'ho'), 'frames over the good link');
    // The secret never appears in logs.
    for (const n of [s, good, bad]) expect(JSON.stringify(n.logs)).not.toMatch(/right|wrong"/);
  });

  it('refuses a peer without a secret when this node has one, and vice versa', async () => {
    const s = await startNode('S', { secret: 'k' });
    const open = await startNode('O', { insecure: true, seeds: [s.t.url!] });
    await waitFor(() => warnings(s).some((l) => l.code === ErrorCodes.AUTH) && warnings(open).some((l) => l.code === ErrorCodes.AUTH), 'both refuse');
    expect(s.t.peers()).toEqual([]);
    expect(open.t.peers()).toEqual([]);
  });

  it('connects without a secret on both sides when insecure, warning at start and on every link', async () => {
    const a = await startNode('a', { insecure: true });
    const b = await startNode('b', { insecure: true, seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().includes('b') && b.t.peers().includes('a'), 'link');
    for (const n of [a, b]) {
      expect(warnings(n).filter((l) => /no cluster secret/.test(l.msg))).toHaveLength(1);
      expect(warnings(n).filter((l) => /insecure link/.test(l.msg)).length).toBeGreaterThanOrEqual(1);
    }
  });

  it('refuses to start without a secret, tls or insecure: true', async () => {
    const err = await Transport.start({ cluster: 'c', node: 'a' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message: expect.stringMatching(/secret.*tls.*insecure: true/s) });
  });

  it('refuses a peer of another cluster', async () => {
    const a = await startNode('a', { secret: 's' });
    const other = await startNode('b', { secret: 's', cluster: 'elsewhere', seeds: [a.t.url!] });
    await waitFor(() => warnings(a).some((l) => l.code === ErrorCodes.AUTH && /cluster/.test(String(l.reason))), 'refusal by a');
    await waitFor(() => other.logs.some((l) => l.msg === 'refusing peer' || l.msg === 'refused by the peer'), 'refusal seen by b');
    expect(a.t.peers()).toEqual([]);
    expect(other.t.peers()).toEqual([]);
  });

  it('refuses a second node of the same name at another address', async () => {
    const a = await startNode('a');
    const d1 = await startNode('d', { seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().includes('d'), 'first d');
    const d2 = await startNode('d', { seeds: [a.t.url!] });
    await waitFor(() => warnings(a).some((l) => /duplicate node name/.test(String(l.reason))), 'duplicate refused');
    expect(a.t.peers()).toEqual(['d']);
    expect(a.downs).toEqual([]);
    // The first d is undisturbed.
    expect(a.t.send('d', bytes('still you'))).toBe(true);
    await waitFor(() => d1.frames.some((f) => f.text === 'still you'), 'frame to the first d');
    expect(d2.frames).toEqual([]);
    // d2 authenticated a before a refused it: the refusal reaches it sealed, as a refusal, not as a bad frame.
    await waitFor(() => warnings(d2).some((l) => l.msg === 'refused by the peer' && /duplicate node name/.test(String(l.reason))), 'd2 told why');
    expect(d2.t.stats().badFrames).toBe(0);
  });

  it('closes connections that send malformed bytes, an envelope, or text before the handshake, or nothing at all', async () => {
    const a = await startNode('a', { handshakeTimeoutMs: 300 });
    const good = await startNode('g', { seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().includes('g'), 'good peer');

    const rawClose = (first: ((ws: WebSocket) => void) | null) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(a.t.url!);
        ws.on('open', () => first?.(ws));
        ws.on('error', () => {});
        ws.on('close', (code) => resolve(code));
      });
    const [garbage, envelope, text, silent] = await Promise.all([
      rawClose((ws) => ws.send(Buffer.from([0xff, 0x00, 0x13, 0x37, 0x42]))),
      rawClose((ws) => ws.send(encodeFrame('g', 'x#1', '', { t: 'ping', view: 0 }))),
      rawClose((ws) => ws.send('hello, I am text')),
      rawClose(null),
    ]);
    expect(garbage).toBe(CloseCode.REFUSED);
    expect(envelope).toBe(CloseCode.REFUSED);
    expect(text).toBe(CloseCode.PROTOCOL);
    expect(silent).toBe(CloseCode.HANDSHAKE_TIMEOUT);
    expect(a.t.stats().rejected).toBeGreaterThanOrEqual(3);
    const reasons = warnings(a).map((l) => `${l.msg} ${String(l.reason ?? '')}`);
    expect(reasons.some((r) => /malformed handshake message/.test(r))).toBe(true);
    expect(reasons.some((r) => /text message/.test(r))).toBe(true);
    expect(reasons.some((r) => /handshake not finished/.test(r))).toBe(true);
    // Still serving.
    expect(good.t.send('a', bytes('alive'))).toBe(true);
    await waitFor(() => a.frames.some((f) => f.text === 'alive'), 'frame after the attacks');
    expect(a.t.peers()).toEqual(['g']);
  });

  it('accepts at most 1 MiB before the handshake, and large messages after it', async () => {
    const a = await startNode('a');
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(a.t.url!);
      ws.on('open', () => ws.send(new Uint8Array(2 * 1024 * 1024)));
      ws.on('error', () => {});
      ws.on('close', (c) => resolve(c));
    });
    expect(code).toBe(CloseCode.TOO_BIG);
    const b = await startNode('b', { seeds: [a.t.url!] });
    await waitFor(() => b.t.peers().includes('a'), 'link');
    const big = bytes('q'.repeat(3 * 1024 * 1024));
    expect(b.t.send('a', big)).toBe(true);
    await waitFor(() => a.frames.length === 1, 'a 3 MiB frame');
    expect(a.frames[0]!.text.length).toBe(3 * 1024 * 1024);
  });

  it('closes a link that sends a text message after the handshake', async () => {
    const a = await startNode('a');
    // A peer that completes the handshake by hand, then sends text.
    const b = await startNode('b', { seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().includes('b'), 'link');
    // Reach into b's link through its server-side counterpart: easiest is a raw client speaking the handshake.
    void b;
    const { Handshake } = await import('../../src/net/handshake.js');
    const hs = new Handshake({ cluster: 'test', node: 'raw', url: '', epoch: 1, key: Buffer.from('test-secret'), maxPayloadBytes: 1024 * 1024 }, () => false, true);
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(a.t.url!);
      ws.on('open', () => ws.send(hs.hello([])));
      ws.on('message', (data: Buffer) => {
        const step = hs.receive(new Uint8Array(data));
        if (step.kind === 'reply') ws.send(step.bytes);
      });
      ws.on('error', () => {});
      ws.on('close', (c) => resolve(c));
      void waitFor(() => a.t.peers().includes('raw'), 'raw up').then(() => ws.send('text after the handshake'));
    });
    expect(code).toBe(CloseCode.PROTOCOL);
    await waitFor(() => a.downs.some((d) => d.node === 'raw'), 'raw down');
    expect(a.t.peers()).toEqual(['b']);
  });

  it('closes a link on an oversized message, and only that link', async () => {
    const small = await startNode('small', { maxPayload: 64 * 1024 });
    const big = await startNode('big', { seeds: [small.t.url!] });
    const other = await startNode('other', { seeds: [small.t.url!] });
    await waitFor(() => small.t.peers().length === 2, 'both connected');
    expect(big.t.send('small', bytes('x'.repeat(100 * 1024)))).toBe(true);
    await waitFor(() => small.downs.some((d) => d.node === 'big'), 'small drops big');
    expect(small.t.stats().rejected).toBeGreaterThan(0);
    expect(warnings(small).some((l) => /protocol error/.test(l.msg))).toBe(true);
    // small's own sends above its maxPayload are dropped locally, not sent.
    expect(small.t.send('other', bytes('y'.repeat(100 * 1024)))).toBe(false);
    // other was not affected, and big reconnects (small is its seed).
    expect(other.t.send('small', bytes('fine'))).toBe(true);
    await waitFor(() => small.frames.some((f) => f.text === 'fine'), 'frame from other');
    await waitFor(() => big.t.peers().includes('small'), 'big reconnected');
    expect(big.t.send('small', bytes('small one'))).toBe(true);
    await waitFor(() => small.frames.some((f) => f.text === 'small one'), 'frame from big after reconnecting');
    expect(other.downs).toEqual([]);
  });
});

describe('transport: reconnects and bounds', () => {
  it('reconnects to a seed that restarts on the same port', async () => {
    const b = await startNode('B');
    const url = b.t.url!;
    const port = Number(new URL(url).port);
    const a = await startNode('A', { seeds: [url] });
    await waitFor(() => a.t.peers().includes('B'), 'first link');
    await stop(b);
    await waitFor(() => a.downs.some((d) => d.node === 'B'), 'A sees B down');
    const b2 = await startNode('B', { listen: { host: '127.0.0.1', port } });
    await waitFor(() => a.t.peers().includes('B') && b2.t.peers().includes('A'), 'reconnected');
    expect(a.ups).toEqual(['B', 'B']);
    expect(a.t.send('B', bytes('again'))).toBe(true);
    await waitFor(() => b2.frames.some((f) => f.text === 'again'), 'frame after restart');
  });

  it('redials a node that was connected and dropped, though it is not a seed; frames queued meanwhile arrive', async () => {
    const a = await startNode('A');
    const b = await startNode('B', { seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().includes('B'), 'link');
    const port = Number(new URL(b.t.url!).port);
    await stop(b);
    await waitFor(() => a.downs.some((d) => d.node === 'B'), 'A sees B down');
    // Queued while B is away.
    expect(a.t.send('B', bytes('queued 1'))).toBe(true);
    expect(a.t.send('B', bytes('queued 2'))).toBe(true);
    expect(a.t.stats().queuedBytes).toBeGreaterThan(0);
    // B comes back without seeds: A must dial it.
    const b2 = await startNode('B', { listen: { host: '127.0.0.1', port } });
    await waitFor(() => b2.frames.length === 2, 'queued frames delivered');
    expect(b2.frames.map((f) => f.text)).toEqual(['queued 1', 'queued 2']);
    expect(a.t.stats().queuedBytes).toBe(0);
  });

  it('bounds the queue for an unreachable node: sends beyond it return false and are counted', async () => {
    const a = await startNode('A', { maxQueuedBytesPerPeer: 64 * 1024, reconnect: { minMs: 20, maxMs: 100, giveUpMs: 60_000 } });
    const b = await startNode('B', { seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().includes('B'), 'link');
    await stop(b);
    await waitFor(() => a.t.peers().length === 0, 'B gone');
    const msg = bytes('z'.repeat(1023));
    let accepted = 0;
    const before = a.t.stats().dropped;
    for (let i = 0; i < 5000; i++) if (a.t.send('B', msg)) accepted++;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(64); // 64 KiB / (1 KiB + overhead)
    expect(a.t.stats().dropped - before).toBe(5000 - accepted);
    expect(a.t.stats().queuedBytes).toBeLessThanOrEqual(64 * 1024);
    // More sends do not grow it.
    for (let i = 0; i < 5000; i++) a.t.send('B', msg);
    expect(a.t.stats().queuedBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('drops (and counts) frames while the socket buffer is over the bound; the link survives', async () => {
    const a = await startNode('A', { maxQueuedBytesPerPeer: 256 * 1024 });
    const b = await startNode('B', { seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().includes('B'), 'link');
    const chunk = bytes('w'.repeat(64 * 1024));
    let sent = 0;
    // 40 MiB in one go: the kernel takes what fits in its socket buffer, the websocket buffers at most 256 KiB more.
    for (let i = 0; i < 640; i++) if (a.t.send('B', chunk)) sent++;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(640);
    expect(a.t.stats().dropped).toBe(640 - sent);
    await waitFor(() => b.frames.length === sent, 'the frames that fitted');
    expect(a.t.send('B', bytes('after'))).toBe(true);
    await waitFor(() => b.frames.some((f) => f.text === 'after'), 'a frame once drained');
    expect(a.downs).toEqual([]);
  });

  it('gives up on a node other than a seed after giveUpMs and drops its queue', async () => {
    const a = await startNode('A', { reconnect: { minMs: 10, maxMs: 50, giveUpMs: 300 } });
    const b = await startNode('B', { seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().includes('B'), 'link');
    await stop(b);
    await waitFor(() => a.t.peers().length === 0, 'B gone');
    a.t.send('B', bytes('lost'));
    await waitFor(() => warnings(a).some((l) => /giving up/.test(l.msg)), 'gave up', 3000);
    expect(a.t.stats().queuedBytes).toBe(0);
  });

  it('terminates a link whose peer stops answering pings', async () => {
    const a = await startNode('A', { heartbeatMs: 50 });
    // A raw peer that completes the handshake, then never answers pings.
    const { Handshake } = await import('../../src/net/handshake.js');
    const hs = new Handshake({ cluster: 'test', node: 'mute', url: '', epoch: 1, key: Buffer.from('test-secret'), maxPayloadBytes: 1024 * 1024 }, () => false, true);
    const ws = new WebSocket(a.t.url!, { autoPong: false });
    ws.on('open', () => ws.send(hs.hello([])));
    ws.on('message', (data: Buffer) => {
      const step = hs.receive(new Uint8Array(data));
      if (step.kind === 'reply') ws.send(step.bytes);
    });
    ws.on('error', () => {});
    await waitFor(() => a.ups.includes('mute'), 'mute up');
    await waitFor(() => a.downs.some((d) => d.node === 'mute' && /heartbeat/.test(d.reason)), 'heartbeat timeout', 2000);
    ws.terminate();
  });

  it('waitForPeer resolves on a matching peer and rejects on abort and on close', async () => {
    const a = await startNode('A');
    const ac = new AbortController();
    const never = a.t.waitForPeer(() => false, ac.signal);
    ac.abort();
    await expect(never).rejects.toMatchObject({ code: ErrorCodes.ABORTED });
    const waiting = a.t.waitForPeer((n) => a.t.seedNodes().includes(n) || n === 'B');
    const b = await startNode('B', { seeds: [a.t.url!] });
    expect(await waiting).toBe('B');
    // Already connected: at once.
    expect(await b.t.waitForPeer((n) => b.t.seedNodes().includes(n))).toBe('A');
    const pending = expect(a.t.waitForPeer(() => false)).rejects.toMatchObject({ code: ErrorCodes.CLOSED });
    await stop(a);
    await pending;
    expect(a.t.send('B', bytes('late'))).toBe(false);
  });

  it('a client-only node dials its seeds and is reached over the link it opened', async () => {
    const s = await startNode('S');
    const c = await startNode('C', { listen: null, seeds: [s.t.url!] });
    expect(c.t.url).toBeNull();
    await waitFor(() => s.t.peers().includes('C'), 'link');
    expect(s.t.send('C', bytes('to client'))).toBe(true);
    await waitFor(() => c.frames.some((f) => f.text === 'to client'), 'frame to the client');
  });

  it('does not dial its own URL listed among the seeds', async () => {
    const a = await startNode('A');
    // B lists A and, under another spelling, itself (as a node sharing a seed list would).
    const b0 = await startNode('B');
    const port = Number(new URL(b0.t.url!).port);
    await stop(b0);
    const b = await startNode('B', { listen: { host: '127.0.0.1', port }, seeds: [a.t.url!, `ws://localhost:${port}`] });
    await waitFor(() => b.t.peers().includes('A'), 'link to A');
    await waitFor(() => b.logs.some((l) => /itself/.test(l.msg)), 'self detected');
    expect(b.t.seedNodes()).toEqual(['A']);
    expect(b.t.peers()).toEqual(['A']);
  });

  it('validates options', async () => {
    await expect(Transport.start({ cluster: 'c', node: 'a#1' })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(Transport.start({ cluster: 'c', node: 'a', seeds: ['http://x'] })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(Transport.start({ cluster: 'c', node: 'a', secret: '' })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    const ac = new AbortController();
    ac.abort();
    await expect(Transport.start({ cluster: 'c', node: 'a', secret: 's' }, ac.signal)).rejects.toMatchObject({ code: ErrorCodes.ABORTED });
    const a = await startNode('a');
    const port = Number(new URL(a.t.url!).port);
    await expect(Transport.start({ cluster: 'c', node: 'b', secret: 's', listen: { host: '127.0.0.1', port } })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});

describe('transport: close', () => {
  it('close() leaves no sockets, servers or timers behind', async () => {
    const kinds = ['TCPServerWrap', 'TCPSocketWrap', 'TCPWRAP', 'Timeout'];
    const count = () => {
      const r: Record<string, number> = {};
      for (const k of process.getActiveResourcesInfo()) if (kinds.includes(k)) r[k] = (r[k] ?? 0) + 1;
      return r;
    };
    const tcp = (r: Record<string, number>) => (r.TCPServerWrap ?? 0) + (r.TCPSocketWrap ?? 0) + (r.TCPWRAP ?? 0);
    // Handles of earlier tests are released a moment after their close events.
    await waitFor(() => tcp(count()) === 0, 'no TCP handles before the test', 1000);
    const baseline = count();
    const settled = () => {
      const now = count();
      return kinds.every((k) => (now[k] ?? 0) <= (baseline[k] ?? 0)); // timers of earlier tests may expire meanwhile
    };
    // A dead port for a seed that is never reachable.
    const dead = await startNode('dead');
    const deadUrl = dead.t.url!;
    await stop(dead);
    const a = await startNode('A', { seeds: [deadUrl] });
    const b = await startNode('B', { seeds: [a.t.url!, deadUrl] });
    const c = await startNode('C', { listen: null, seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().length === 2, 'A has B and C');
    await waitFor(() => a.t.send('B', bytes('x')) && b.frames.length > 0, 'traffic');
    // A raw connection stuck before its handshake, and frames queued for a node that went away.
    const raw = new WebSocket(a.t.url!);
    raw.on('error', () => {});
    await new Promise((r) => raw.once('open', r));
    const b2 = await startNode('B2', { seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().includes('B2'), 'B2');
    await stop(b2);
    expect(a.t.send('B2', bytes('queued'))).toBe(true);
    expect(settled()).toBe(false);

    const rawClosed = new Promise((r) => (raw.readyState === WebSocket.CLOSED ? r(null) : raw.once('close', r)));
    await Promise.all([stop(a), stop(b), stop(c)]);
    await rawClosed; // closed by A
    // Sockets are released by libuv a moment after their close events.
    await waitFor(settled, `resources back to ${JSON.stringify(baseline)}`, 2000);
    expect(tcp(count())).toBe(0);
    expect(a.t.send('B', bytes('late'))).toBe(false);
    expect(a.t.peers()).toEqual([]);
  });

  it('close() is prompt even with a dial in progress and a peer that does not answer the close', async () => {
    const a = await startNode('A', { handshakeTimeoutMs: 5000 });
    // A TCP server that accepts and never speaks: A's dial to it hangs in the websocket upgrade.
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    const b = await startNode('B', { seeds: [`ws://127.0.0.1:${port}`, a.t.url!] });
    await waitFor(() => sockets.length > 0 && b.t.peers().includes('A'), 'dial hanging, A connected');
    const t0 = Date.now();
    await stop(b);
    expect(Date.now() - t0).toBeLessThan(1500);
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });
});
