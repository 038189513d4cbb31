/** The transport's pieces without sockets: handshake, directory, backoff, byte queue, options. */
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { Backoff } from '../../src/net/backoff.js';
import { ByteQueue, ITEM_OVERHEAD } from '../../src/net/byte-queue.js';
import { Directory } from '../../src/net/directory.js';
import {
  Handshake,
  type HandshakeStep,
  type LocalIdentity,
  MAC_BYTES,
  decodeLink,
  encodeAuth,
  encodeDirectory,
  encodeHello,
  helloMac,
  transcriptHash,
} from '../../src/net/handshake.js';
import { resolveOptions } from '../../src/net/options.js';
import { WIRE_VERSION } from '../../src/wire/codec.js';
import { vsync } from '../../src/wire/gen/vsync.js';

const id = (node: string, key: string | null, cluster = 'c'): LocalIdentity => ({
  cluster,
  node,
  url: `ws://${node}:1`,
  epoch: 1000,
  key: key === null ? null : Buffer.from(key),
  maxPayloadBytes: 1024 * 1024,
});

/** Runs a handshake between a and b; returns each side's last step. */
function run(a: LocalIdentity, b: LocalIdentity): [HandshakeStep, HandshakeStep] {
  const ha = new Handshake(a, () => false, true);
  const hb = new Handshake(b, () => false, false);
  const helloA = ha.hello([{ node: 'z', url: 'ws://z:9', epoch: 5 }]);
  const helloB = hb.hello([]);
  const ra = ha.receive(helloB);
  const rb = hb.receive(helloA);
  if (ra.kind !== 'reply' || rb.kind !== 'reply') return [ra, rb];
  return [ha.receive(rb.bytes), hb.receive(ra.bytes)];
}

describe('handshake', () => {
  it('authenticates both sides with the same secret', () => {
    const [a, b] = run(id('a', 's3cret'), id('b', 's3cret'));
    expect(a).toMatchObject({ kind: 'done', peer: { node: 'b', url: 'ws://b:1', epoch: 1000, known: [] } });
    expect(b).toMatchObject({ kind: 'done', peer: { node: 'a', known: [{ node: 'z', url: 'ws://z:9', epoch: 5 }] } });
  });

  it('authenticates without secrets on both sides (empty macs)', () => {
    const [a, b] = run(id('a', null), id('b', null));
    expect([a.kind, b.kind]).toEqual(['done', 'done']);
  });

  it('refuses a wrong secret, a missing one, and an unexpected one, with VSYNC_ERR_AUTH', () => {
    for (const [ka, kb] of [['x', 'y'], ['x', null], [null, 'y']] as const) {
      const [a, b] = run(id('a', ka), id('b', kb));
      expect(a).toMatchObject({ kind: 'refuse', refusal: { code: ErrorCodes.AUTH } });
      expect(b).toMatchObject({ kind: 'refuse', refusal: { code: ErrorCodes.AUTH } });
    }
  });

  it('computes mac = HMAC-SHA256(secret, role || SHA-256(both Hellos)); the secret is not in any message', () => {
    const a = new Handshake(id('a', 'topsecret'), () => false, true);
    const hb = new Handshake(id('b', 'topsecret'), () => false, false);
    const helloA = a.hello([]);
    const helloB = hb.hello([]);
    const reply = hb.receive(helloA);
    if (reply.kind !== 'reply') throw new Error('expected a reply');
    const link = decodeLink(reply.bytes);
    expect(link?.t).toBe('auth');
    const mac = (link as { mac: Uint8Array }).mac;
    expect(mac.length).toBe(MAC_BYTES);
    expect(Buffer.from(mac)).toEqual(helloMac(Buffer.from('topsecret'), transcriptHash(helloA, helloB), 'responder'));
    for (const m of [helloA, helloB, reply.bytes]) expect(Buffer.from(m).includes('topsecret')).toBe(false);
  });

  it('derives the same keys on both sides, one per direction, different on every link', () => {
    const pair = () => {
      const [a, b] = run(id('a', 'k'), id('b', 'k'));
      if (a.kind !== 'done' || b.kind !== 'done' || !a.keys || !b.keys) throw new Error('expected keys');
      return [a.keys, b.keys] as const;
    };
    const [ka, kb] = pair();
    expect(ka.send).toEqual(kb.receive);
    expect(ka.receive).toEqual(kb.send);
    expect(ka.send).not.toEqual(ka.receive);
    const [ka2] = pair();
    expect(ka2.send).not.toEqual(ka.send);
    const [na, nb] = run(id('a', null), id('b', null));
    expect(na).toMatchObject({ kind: 'done', keys: null });
    expect(nb).toMatchObject({ kind: 'done', keys: null });
  });

  it('an answer relayed from another link (the MAC relay of issue 8) or of the other direction is refused', () => {
    // The attacker claims to be b to a (dialing a), and hands a's Hello on to b on a link of its own.
    const key = 'shared';
    const a = new Handshake(id('a', key), () => false, false); // a accepts the attacker's connection
    const aHello = a.hello([]);
    const b = new Handshake(id('b', key), () => false, false); // b accepts the attacker's second connection
    const bHello = b.hello([]);
    // The attacker's Hello to a, claiming b, carrying b's nonce (or anything): it cannot compute a mac.
    const fake = encodeHello({ cluster: 'c', node: 'b', url: 'ws://b:1', epoch: 1000, key: null, maxPayloadBytes: 1024 * 1024 }, new Uint8Array(16), []);
    expect(a.receive(fake).kind).toBe('reply');
    // To b, it relays a's Hello (as if it were a dialing b): b answers with its responder mac over (aHello, bHello).
    const bReply = b.receive(aHello);
    if (bReply.kind !== 'reply') throw new Error('expected a reply');
    // Relayed back to a: a expects an initiator mac over (fake, aHello). Refused.
    expect(a.receive(bReply.bytes)).toMatchObject({ kind: 'refuse', refusal: { code: ErrorCodes.AUTH } });
    void bHello;
    // A reflected answer: the responder's own mac sent back to it as the initiator's is refused too.
    const r = new Handshake(id('r', key), () => false, false);
    const rHello = r.hello([]);
    const i = new Handshake(id('i', key), () => false, true);
    const iHello = i.hello([]);
    const rReply = r.receive(iHello);
    expect(i.receive(rHello).kind).toBe('reply');
    if (rReply.kind !== 'reply') throw new Error('expected a reply');
    expect(r.receive(rReply.bytes)).toMatchObject({ kind: 'refuse', refusal: { code: ErrorCodes.AUTH } });
  });

  it('refuses another cluster, another wire version, and malformed Hellos', () => {
    const local = id('a', null);
    const nonce = new Uint8Array(16);
    const hello = (h: Partial<vsync.wire.Hello.$Properties>) =>
      vsync.wire.Link.encode({ hello: { version: WIRE_VERSION, cluster: 'c', node: 'b', nonce, url: '', epoch: 1, maxPayloadBytes: 1024 * 1024, ...h } }).finish();
    const refusal = (bytes: Uint8Array) => {
      const h = new Handshake(local, () => false, false);
      h.hello([]);
      const step = h.receive(bytes);
      if (step.kind !== 'refuse') throw new Error(`expected a refusal, got ${step.kind}`);
      return step.refusal;
    };
    expect(refusal(hello({ cluster: 'other' }))).toMatchObject({ code: ErrorCodes.AUTH, reason: expect.stringMatching(/cluster/) });
    expect(refusal(hello({ version: WIRE_VERSION + 1 }))).toMatchObject({ code: ErrorCodes.VERSION });
    // The previous version (its handshake had no transcript): told so, not refused as a wrong secret.
    expect(refusal(hello({ version: WIRE_VERSION - 1 }))).toMatchObject({ code: ErrorCodes.VERSION });
    // A setting every node must share.
    expect(refusal(hello({ maxPayloadBytes: 2 * 1024 * 1024 }))).toMatchObject({ code: ErrorCodes.CONFIG_MISMATCH, reason: expect.stringMatching(/maxPayloadBytes differs: a has 1048576, b has 2097152/) });
    expect(refusal(hello({ maxPayloadBytes: 0 })).code).toBe(ErrorCodes.CONFIG_MISMATCH);
    expect(refusal(hello({ node: '' })).code).toBe(ErrorCodes.MALFORMED_FRAME);
    expect(refusal(hello({ node: 'x#1' })).code).toBe(ErrorCodes.MALFORMED_FRAME);
    expect(refusal(hello({ nonce: new Uint8Array(3) })).code).toBe(ErrorCodes.MALFORMED_FRAME);
    expect(refusal(hello({ url: 'http://nope' })).code).toBe(ErrorCodes.MALFORMED_FRAME);
    expect(refusal(hello({ known: [{ node: 'q', url: 'not a url', epoch: 1 }] })).code).toBe(ErrorCodes.MALFORMED_FRAME);
    expect(refusal(hello({ epoch: { low: 0, high: 0x200000, unsigned: true } as unknown as number })).code).toBe(ErrorCodes.MALFORMED_FRAME);
    expect(refusal(Uint8Array.from([0xff, 0xff, 0xff])).code).toBe(ErrorCodes.MALFORMED_FRAME);
    expect(refusal(new Uint8Array(0)).code).toBe(ErrorCodes.MALFORMED_FRAME);
    expect(refusal(encodeAuth(new Uint8Array(32))).reason).toMatch(/expected Hello/);
    expect(refusal(encodeDirectory([])).reason).toMatch(/expected Hello/);
    // Its own name: itself (a nonce of ours) or a namesake.
    expect(refusal(hello({ node: 'a' }))).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, reason: expect.stringMatching(/duplicate/) });
    const own = new Handshake(local, () => true, true);
    own.hello([]);
    const self = own.receive(hello({ node: 'a' }));
    expect(self).toMatchObject({ kind: 'refuse', refusal: { self: true } });
  });

  it('wants HelloAuth after Hello, and reports a Reject from the peer', () => {
    const h = new Handshake(id('a', null), () => false, true);
    const peer = new Handshake(id('b', null), () => false, false);
    h.hello([]);
    expect(h.receive(peer.hello([])).kind).toBe('reply');
    const again = h.receive(peer.hello([]));
    expect(again).toMatchObject({ kind: 'refuse', refusal: { reason: expect.stringMatching(/expected HelloAuth/) } });
    const r = new Handshake(id('a', null), () => false, true).receive(vsync.wire.Link.encode({ reject: { code: 'VSYNC_ERR_AUTH', reason: 'no' } }).finish());
    expect(r).toEqual({ kind: 'refused', code: 'VSYNC_ERR_AUTH', reason: 'no' });
  });

  it('encodes link messages so that none begins with an envelope first byte (0x08)', () => {
    const msgs = [
      encodeHello(id('a', null), new Uint8Array(16), []),
      encodeAuth(new Uint8Array(0)),
      encodeAuth(new Uint8Array(32)),
      encodeDirectory([]),
      encodeDirectory([{ node: 'a', url: 'ws://a:1', epoch: 0 }]),
    ];
    for (const m of msgs) expect(m[0]).not.toBe(0x08);
  });
});

describe('directory', () => {
  it('believes nodes about themselves, takes hearsay only for later epochs, and counts changes', () => {
    const d = new Directory('me');
    const v0 = d.version;
    expect(d.learnDirect({ node: 'a', url: 'ws://a:1', epoch: 5 })).toEqual({ changed: true, removed: [] });
    expect(d.learnDirect({ node: 'a', url: 'ws://a:1', epoch: 5 })).toEqual({ changed: false, removed: [] });
    expect(d.version).toBe(v0 + 1);
    // Stale or equal hearsay is ignored; later hearsay wins; nodes with live links and ourselves are skipped.
    expect(d.learnHearsay([{ node: 'a', url: 'ws://old:1', epoch: 4 }], () => false)).toEqual([]);
    expect(d.learnHearsay([{ node: 'a', url: 'ws://new:1', epoch: 6 }], () => false)).toHaveLength(1);
    expect(d.url('a')).toBe('ws://new:1');
    expect(d.learnHearsay([{ node: 'b', url: 'ws://b:1', epoch: 1 }], (n) => n === 'b')).toEqual([]);
    expect(d.learnHearsay([{ node: 'me', url: 'ws://me:1', epoch: 99 }], () => false)).toEqual([]);
    // A node at a URL takes it over from others; an empty URL removes the node.
    d.learnHearsay([{ node: 'c', url: 'ws://shared:1', epoch: 1 }], () => false);
    expect(d.learnDirect({ node: 'e', url: 'ws://shared:1', epoch: 2 }).removed).toEqual(['c']);
    d.learnDirect({ node: 'e', url: '', epoch: 3 });
    expect(d.url('e')).toBeUndefined();
  });

  it('is bounded', () => {
    const d = new Directory('me', 3);
    const list = Array.from({ length: 10 }, (_, i) => ({ node: `n${i}`, url: `ws://n${i}:1`, epoch: 1 }));
    expect(d.learnHearsay(list, () => false)).toHaveLength(3);
    expect(d.size).toBe(3);
    expect(d.list(2)).toHaveLength(2);
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter up to the maximum, and resets', () => {
    const b = new Backoff(100, 1000, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(() => b.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    b.reset();
    const low = new Backoff(100, 1000, () => 0);
    expect([low.next(), low.next()]).toEqual([50, 100]);
    expect(b.next()).toBe(100);
  });
});

describe('byte queue', () => {
  it('is bounded in bytes, counts an overhead per message, and keeps order', () => {
    const q = new ByteQueue(3 * (10 + ITEM_OVERHEAD));
    const m = (i: number) => new Uint8Array(10).fill(i);
    expect([1, 2, 3, 4].map((i) => q.push(m(i)))).toEqual([true, true, true, false]);
    expect(q.bytes).toBe(3 * (10 + ITEM_OVERHEAD));
    expect(q.shift()![0]).toBe(1);
    expect(q.push(m(5))).toBe(true);
    expect([q.shift()![0], q.shift()![0], q.shift()![0], q.shift()]).toEqual([2, 3, 5, undefined]);
    expect(q.bytes).toBe(0);
    // Empty messages cannot grow it without bound.
    const e = new ByteQueue(1000);
    let n = 0;
    while (e.push(new Uint8Array(0))) n++;
    expect(n).toBe(Math.floor(1000 / ITEM_OVERHEAD));
    expect(e.clear()).toBe(n);
  });
});

describe('options', () => {
  it('has the documented defaults', () => {
    const o = resolveOptions({ cluster: 'c', node: 'n', insecure: true });
    expect(o).toMatchObject({
      insecure: true,
      tls: null,
      maxPendingHandshakes: 64,
      maxPendingHandshakesPerSource: 8,
      maxConnections: 1024,
      listen: null,
      advertise: null,
      seeds: [],
      key: null,
      maxPayload: 16 * 1024 * 1024,
      heartbeatMs: 1000,
      reconnect: { minMs: 100, maxMs: 5000, giveUpMs: 60_000 },
      maxQueuedBytesPerPeer: 64 * 1024 * 1024,
      handshakeTimeoutMs: 5000,
    });
  });

  it('rejects invalid values with VSYNC_ERR_INVALID_ARGUMENT', () => {
    const bad = [
      { cluster: '', node: 'n' },
      { cluster: 'c', node: '' },
      { cluster: 'c', node: 'a#b' },
      { cluster: 'c', node: 'n', listen: { host: '127.0.0.1', port: 70000 } },
      { cluster: 'c', node: 'n', advertise: 'ws://x:1' }, // advertised, but no server
      { cluster: 'c', node: 'n', seeds: ['tcp://x'] },
      { cluster: 'c', node: 'n', heartbeatMs: 0 },
      { cluster: 'c', node: 'n', maxPayload: -1 },
      { cluster: 'c', node: 'n', reconnect: { minMs: 100, maxMs: 10 } },
      { cluster: 'c', node: 'n', secret: '' },
      { cluster: 'c', node: 'n' }, // neither secret, nor tls, nor insecure
      { cluster: 'c', node: 'n', tls: { cert: 'x', key: '', ca: 'y' } },
      { cluster: 'c', node: 'n', secret: 's', maxPendingHandshakesPerSource: 0 },
    ];
    for (const o of bad) expect(() => resolveOptions(o), JSON.stringify(o)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
  });
});
