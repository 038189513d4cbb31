import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClientEndpoint, type ClientEndpointOptions, ErrorCodes, KvStore, Node, ReplicatedStateMachine, RsmClient, type StateMachine } from '../../src/index.js';
import { ClientConnection, type Reply } from '../../src/rsm/client-connection.js';
import { ClientKind, decodeServerMsg, encodeClientMsg, ServerKind } from '../../src/rsm/client-wire.js';

const enc = (o: unknown): Uint8Array => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o));
const dec = (b: Uint8Array): any => JSON.parse(new TextDecoder().decode(b));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const CLIENTS = { alice: 'alice-secret', bob: 'bob-secret-1' };

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function eventually(pred: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** One member with a kv store and a client endpoint. */
async function member(opts: Partial<ClientEndpointOptions> = {}, sm: StateMachine = new KvStore()): Promise<{ rsm: ReplicatedStateMachine; endpoint: ClientEndpoint; node: Node }> {
  const node = await Node.start({ name: 'm', listen: { host: '127.0.0.1', port: 0 }, secret: 'test-secret' });
  const rsm = await ReplicatedStateMachine.join(node, 'kv', sm, { signal: AbortSignal.timeout(15_000) });
  const endpoint = await ClientEndpoint.start(rsm, { host: '127.0.0.1', port: 0, clients: CLIENTS, ...opts });
  cleanup.push(async () => {
    await endpoint.close();
    await node.close();
  });
  return { rsm, endpoint, node };
}

async function open(url: string, clientId = 'alice', secret: string | undefined = CLIENTS.alice as string): Promise<ClientConnection> {
  const c = await ClientConnection.open(url, { clientId, secret, timeoutMs: 10_000 });
  cleanup.push(() => c.close());
  return c;
}

/** Sends requests on one connection without waiting, and collects the replies. */
async function pipeline(c: ClientConnection, cmds: Array<{ request: number; cmd: unknown }>): Promise<Reply[]> {
  const replies: Reply[] = [];
  const all = new Promise<void>((resolve) => c.onReply((r) => {
    replies.push(r);
    if (replies.length === cmds.length) resolve();
  }));
  for (const { request, cmd } of cmds) c.send(request, enc(cmd));
  await all;
  return replies;
}

describe('client endpoint: authentication', () => {
  it('refuses a client without a secret, with a wrong secret, or with an unknown id; a put without authenticating is refused', async () => {
    const { endpoint, rsm } = await member();
    await expect(ClientConnection.open(endpoint.url, { clientId: 'alice', timeoutMs: 5000 })).rejects.toMatchObject({ code: ErrorCodes.AUTH });
    await expect(ClientConnection.open(endpoint.url, { clientId: 'alice', secret: 'wrong-secret', timeoutMs: 5000 })).rejects.toMatchObject({ code: ErrorCodes.AUTH });
    await expect(ClientConnection.open(endpoint.url, { clientId: 'mallory', secret: 'alice-secret', timeoutMs: 5000 })).rejects.toMatchObject({ code: ErrorCodes.AUTH });
    await expect(ClientEndpoint.start(rsm, { host: '127.0.0.1', port: 0 })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(ClientEndpoint.start(rsm, { host: '127.0.0.1', port: 70000, clients: CLIENTS })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(ClientEndpoint.start(rsm, { host: '127.0.0.1', port: 0, clients: { x: 'short' } })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    const client = new RsmClient({ urls: [endpoint.url], clientId: 'alice', secret: 'wrong-secret', timeoutMs: 1500 });
    cleanup.push(() => client.close());
    await expect(client.submit(enc({ op: 'put', key: 'k', value: 'v' }))).rejects.toMatchObject({ code: ErrorCodes.AUTH });

    // A raw connection that skips the handshake and sends a request straight away is refused and closed.
    const ws = new WebSocket(endpoint.url);
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(decodeServerMsg(new Uint8Array(d as Buffer))));
    await new Promise((r) => ws.once('open', r));
    ws.send(encodeClientMsg({ kind: ClientKind.REQUEST, request: 1, command: enc({ op: 'put', key: 'k', value: 'v' }) }));
    const code = await new Promise<number>((r) => ws.once('close', (c) => r(c)));
    expect(code).toBe(4001);
    expect(frames.map((f) => f.kind)).toEqual([ServerKind.CHALLENGE, ServerKind.REFUSED]);
    expect(frames[1].error).toBe(ErrorCodes.AUTH);
    expect(dec(await rsm.submit(enc({ op: 'get', key: 'k' })))).toEqual({ ok: true, value: null });
  });

  it('the client id is the authenticated one: a client can neither read nor stale another client\'s cached reply', async () => {
    const { endpoint } = await member();
    const bob = await open(endpoint.url, 'bob', CLIENTS.bob);
    const [b1] = await pipeline(bob, [{ request: 5, cmd: { op: 'append', key: 'k', value: 'bob' } }]);
    expect(dec(b1!.result)).toEqual({ ok: true, length: 3 });
    // Alice asks for request 5 (bob's cached one) and then 4: she gets her own results, not bob's, and bob's
    // next request is not made stale.
    const alice = await open(endpoint.url);
    const [a1] = await pipeline(alice, [{ request: 5, cmd: { op: 'append', key: 'k', value: 'alice' } }]);
    expect(a1!.client).toBe('alice');
    expect(dec(a1!.result)).toEqual({ ok: true, length: 8 });
    const [b2] = await pipeline(bob, [{ request: 6, cmd: { op: 'get', key: 'k' } }]);
    expect(b2!.error).toBe('');
    expect(dec(b2!.result)).toEqual({ ok: true, value: 'bobalice' });
  });

  it('a frame altered or replayed on the way closes the connection and is not applied', async () => {
    const { endpoint, rsm } = await member();
    // A client speaking the protocol by hand, to replay its own authenticated request frame.
    const c = await open(endpoint.url);
    const sent: Buffer[] = [];
    const ws = (c as unknown as { ws: WebSocket }).ws;
    const origSend = ws.send.bind(ws);
    (ws as any).send = (b: Buffer) => {
      sent.push(Buffer.from(b));
      origSend(b);
    };
    await pipeline(c, [{ request: 1, cmd: { op: 'append', key: 'k', value: 'x' } }]);
    const closed = new Promise<void>((r) => c.onClosed(r));
    origSend(sent[0]!); // The same frame again: its counter is old.
    await closed;
    expect(dec(await rsm.submit(enc({ op: 'get', key: 'k' })))).toEqual({ ok: true, value: 'x' });
    // An altered command under the original MAC.
    const c2 = await open(endpoint.url);
    const ws2 = (c2 as unknown as { ws: WebSocket }).ws;
    const orig2 = ws2.send.bind(ws2);
    (ws2 as any).send = (b: Buffer) => {
      const t = Buffer.from(b);
      const i = t.indexOf('"x"');
      if (i >= 0) t[i + 1] = 'y'.charCodeAt(0);
      orig2(t);
    };
    const closed2 = new Promise<void>((r) => c2.onClosed(r));
    c2.send(2, enc({ op: 'append', key: 'k', value: 'x' }));
    await closed2;
    expect(dec(await rsm.submit(enc({ op: 'get', key: 'k' })))).toEqual({ ok: true, value: 'x' });
  });
});

describe('client endpoint: limits', () => {
  it('2,000 idle sockets do not stay open: caps refuse most at once, the rest are closed at the auth timeout', async () => {
    const { endpoint } = await member({ authTimeoutMs: 1000, maxConnections: 100, maxConnectionsPerAddress: 50 });
    const { port } = new URL(endpoint.url);
    const sockets: Socket[] = [];
    let closed = 0;
    let maxOpen = 0;
    const sampler = setInterval(() => (maxOpen = Math.max(maxOpen, endpoint.connections)), 5);
    cleanup.push(() => clearInterval(sampler));
    for (let i = 0; i < 2000; i++) {
      const s = connect(Number(port), '127.0.0.1');
      s.on('error', () => {});
      s.on('close', () => closed++);
      sockets.push(s);
      if (i % 200 === 199) await sleep(50);
    }
    cleanup.push(() => sockets.forEach((s) => s.destroy()));
    await eventually(() => closed === 2000, 40_000, 'all idle sockets closed');
    expect(maxOpen).toBeLessThanOrEqual(50);
    expect(endpoint.refusedConnections).toBeGreaterThanOrEqual(1500);
    expect(endpoint.connections).toBe(0);
    // The endpoint still serves.
    const c = await open(endpoint.url);
    expect((await pipeline(c, [{ request: 1, cmd: { op: 'get', key: 'k' } }]))[0]!.error).toBe('');
  });

  it('an authenticated connection that stays idle is closed after idleTimeoutMs', async () => {
    const { endpoint } = await member({ idleTimeoutMs: 300 });
    const c = await open(endpoint.url);
    await new Promise<void>((r) => c.onClosed(r));
    await eventually(() => endpoint.connections === 0, 10_000, 'socket gone');
  });

  it('an oversize request is refused: with PAYLOAD_TOO_LARGE, or by closing a frame beyond the limit; the client refuses it itself', async () => {
    const { endpoint } = await member({ maxCommandBytes: 1000 });
    const c = await open(endpoint.url);
    expect(c.maxCommandBytes).toBe(1000);
    const [r] = await pipeline(c, [{ request: 1, cmd: { op: 'put', key: 'k', value: 'x'.repeat(1500) } }]);
    expect(r!.error).toBe(ErrorCodes.PAYLOAD_TOO_LARGE);
    const closed = new Promise<void>((res) => c.onClosed(res));
    c.send(2, enc({ op: 'put', key: 'k', value: 'x'.repeat(100_000) }));
    await closed;
    const client = new RsmClient({ urls: [endpoint.url], clientId: 'alice', secret: CLIENTS.alice, timeoutMs: 5000 });
    cleanup.push(() => client.close());
    await expect(client.submit(enc({ op: 'put', key: 'k', value: 'x'.repeat(2000) }))).rejects.toMatchObject({ code: ErrorCodes.PAYLOAD_TOO_LARGE });
    expect(dec(await client.submit(enc({ op: 'put', key: 'k', value: 'small' })))).toEqual({ ok: true, value: 'small' });
  });

  it('per-client rate limit and in-flight quota answer BACKPRESSURE; the KvStore quota answers an error', async () => {
    const { endpoint } = await member({ ratePerSecond: 2, burst: 3 });
    const c = await open(endpoint.url);
    const replies = await pipeline(c, Array.from({ length: 20 }, (_, i) => ({ request: i + 1, cmd: { op: 'append', key: 'k', value: 'x' } })));
    const ok = replies.filter((r) => r.error === '').length;
    expect(ok).toBeGreaterThanOrEqual(3);
    expect(ok).toBeLessThanOrEqual(6);
    expect(replies.filter((r) => r.error === ErrorCodes.BACKPRESSURE).length).toBe(20 - ok);
    // The limit is per client, not per connection: a second connection of the same client shares the bucket.
    const c2 = await open(endpoint.url);
    const more = await pipeline(c2, Array.from({ length: 10 }, (_, i) => ({ request: 100 + i, cmd: { op: 'get', key: 'k' } })));
    expect(more.filter((r) => r.error === ErrorCodes.BACKPRESSURE).length).toBeGreaterThanOrEqual(7);

    const m2 = await member({ maxInFlight: 1 });
    const d = await open(m2.endpoint.url);
    const r2 = await pipeline(d, Array.from({ length: 10 }, (_, i) => ({ request: i + 1, cmd: { op: 'get', key: 'k' } })));
    expect(r2.some((r) => r.error === ErrorCodes.BACKPRESSURE)).toBe(true);

    const m3 = await member({}, new KvStore({ maxTotalBytes: 10_000 }));
    const e = await open(m3.endpoint.url);
    const r3 = await pipeline(e, Array.from({ length: 5 }, (_, i) => ({ request: i + 1, cmd: { op: 'put', key: `k${i}`, value: 'v'.repeat(3000) } })));
    expect(r3.map((r) => dec(r.result).ok)).toEqual([true, true, true, false, false]);
  });

  it('a client that does not read its replies is cut off once maxBufferedBytes are queued', async () => {
    const { endpoint, rsm } = await member({ maxBufferedBytes: 1024 * 1024 });
    await rsm.submit(enc({ op: 'put', key: 'big', value: 'x'.repeat(200_000) }));
    const c = await open(endpoint.url);
    ((c as unknown as { ws: { _socket: Socket } }).ws._socket).pause();
    for (let i = 1; i <= 300; i++) c.send(i, enc({ op: 'get', key: 'big' }));
    await eventually(() => endpoint.connections === 0, 30_000, 'the non-reading client cut off');
  });

  it('malformed commands are answered with an error, never an exception; garbage frames close only that connection', async () => {
    const { endpoint, rsm } = await member();
    const c = await open(endpoint.url);
    const replies = await pipeline(c, [
      { request: 1, cmd: 'null' },
      { request: 2, cmd: '{"op":"put","key":"x","value":1e999}' },
      { request: 3, cmd: 'not json' },
      { request: 4, cmd: { op: 'get', key: 'x' } },
    ]);
    expect(replies.map((r) => r.error)).toEqual([ErrorCodes.INVALID_ARGUMENT, ErrorCodes.INVALID_ARGUMENT, ErrorCodes.INVALID_ARGUMENT, '']);
    expect(replies[0]!.message).toMatch(/JSON object/);

    // A state machine without validate() that throws on bad input: the member answers an error and stays up.
    const thrower: StateMachine = {
      apply: (b) => {
        const c = JSON.parse(new TextDecoder().decode(b));
        return enc({ op: c.op });
      },
      snapshot: () => new Uint8Array(0),
      restore: () => {},
    };
    const m2 = await member({}, thrower);
    const d = await open(m2.endpoint.url);
    const r2 = await pipeline(d, [{ request: 1, cmd: 'null' }, { request: 2, cmd: { op: 'fine' } }]);
    expect(r2.map((r) => r.error)).toEqual([ErrorCodes.INVALID_ARGUMENT, '']);
    expect(dec(r2[1]!.result)).toEqual({ op: 'fine' });

    for (const junk of [Buffer.from([0xff, 0xff, 0xff]), Buffer.from('text')]) {
      const ws = new WebSocket(endpoint.url);
      ws.on('error', () => {});
      await new Promise((r) => ws.once('open', r));
      ws.send(junk, { binary: junk.length === 3 });
      await new Promise((r) => ws.once('close', r));
    }
    expect(dec(await rsm.submit(enc({ op: 'get', key: 'x' })))).toEqual({ ok: true, value: null });
  });
});
