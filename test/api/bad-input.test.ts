// Every public method of Node and Group called with wrong types and values: each call is refused at the call
// with a coded error naming the argument, and nothing reaches the process as an unhandled rejection or an
// uncaught exception (a wrong payload used to fail in the encoder inside setImmediate and end the process).
import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GroupImpl } from '../../src/api/group.js';
import { ErrorCodes, type Group, Node, VsyncError } from '../../src/index.js';

const SECRET = 'test-secret';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const crashes: unknown[] = [];
const warnings: Error[] = [];
const onCrash = (err: unknown): void => void crashes.push(err);
const onWarning = (w: Error): void => void warnings.push(w);
beforeAll(() => {
  process.on('unhandledRejection', onCrash);
  process.on('uncaughtException', onCrash);
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('unhandledRejection', onCrash);
  process.off('uncaughtException', onCrash);
  process.off('warning', onWarning);
});

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
  // Let late rejections (a group closing under an abandoned join) surface before the check.
  await new Promise((r) => setTimeout(r, 50));
  expect(crashes).toEqual([]);
});

async function start(name: string, extra: Record<string, unknown> = {}): Promise<Node> {
  const n = await Node.start({ name, listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, ...extra });
  nodes.push(n);
  return n;
}

/** Expects `fn` to throw or reject with `code`, and the message to mention `mentions`. */
async function refused(fn: () => unknown, code: string, mentions?: RegExp): Promise<VsyncError> {
  let err: unknown = null;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeInstanceOf(VsyncError);
  const ve = err as VsyncError;
  expect(ve.code, ve.message).toBe(code);
  if (mentions) expect(ve.message).toMatch(mentions);
  return ve;
}

async function pair(): Promise<{ a: Node; b: Node; ga: Group; gb: Group }> {
  const a = await start('a');
  const ga = await a.join('g');
  const b = await start('b', { seeds: [a.url!] });
  const gb = await b.join('g', { signal: AbortSignal.timeout(20_000) });
  const until = Date.now() + 20_000;
  while (ga.currentView?.members.length !== 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  return { a, b, ga, gb };
}

describe('Node.start refuses bad options before opening anything', () => {
  const base = { name: 'n', listen: { host: '127.0.0.1', port: 0 }, secret: SECRET };
  const cases: Array<[string, unknown, RegExp]> = [
    ['no options', undefined, /options/],
    ['null options', null, /options/],
    ['a string', 'n', /options/],
    ['no name', { ...base, name: undefined }, /options\.name/],
    ['a numeric name', { ...base, name: 5 }, /options\.name/],
    ['a name with a space', { ...base, name: 'a b' }, /options\.name/],
    ['a name with #', { ...base, name: 'a#1' }, /options\.name/],
    ['an empty cluster', { ...base, cluster: '' }, /options\.cluster/],
    ['listen not an object', { ...base, listen: '127.0.0.1:0' }, /options\.listen/],
    ['listen.host a number', { ...base, listen: { host: 1, port: 0 } }, /options\.listen\.host/],
    ['a negative port', { ...base, listen: { host: '127.0.0.1', port: -1 } }, /options\.listen\.port/],
    ['a port above 65535', { ...base, listen: { host: '127.0.0.1', port: 70000 } }, /options\.listen\.port/],
    ['a port as text', { ...base, listen: { host: '127.0.0.1', port: '80' } }, /options\.listen\.port/],
    ['advertise not a URL', { ...base, advertise: 'nope' }, /options\.advertise/],
    ['seeds a string', { ...base, seeds: 'ws://127.0.0.1:1' }, /options\.seeds/],
    ['an http seed', { ...base, seeds: ['http://127.0.0.1:1'] }, /options\.seeds\[0\]/],
    ['a numeric secret', { ...base, secret: 5 }, /options\.secret/],
    ['an empty secret', { ...base, secret: '' }, /options\.secret/],
    ['a logger that is not one', { ...base, logger: {} }, /options\.logger/],
    ['trace a number', { ...base, trace: 5 }, /options\.trace/],
    ['tickMs 0', { ...base, tickMs: 0 }, /options\.tickMs/],
    ['tickMs NaN', { ...base, tickMs: Number.NaN }, /options\.tickMs/],
    ['tickMs as text', { ...base, tickMs: '10' }, /options\.tickMs/],
    ['tickMs fractional', { ...base, tickMs: 1.5 }, /options\.tickMs/],
    ['maxFrameBytes negative', { ...base, maxFrameBytes: -1 }, /options\.maxFrameBytes/],
    ['maxFrameBytes too small for the payload bound', { ...base, maxFrameBytes: 1024 * 1024 }, /options\.maxFrameBytes/],
    ['config not an object', { ...base, config: 5 }, /options\.config/],
    ['config zero', { ...base, config: { heartbeatTicks: 0 } }, /options\.config\.heartbeatTicks/],
    ['config text', { ...base, config: { suspectTicks: 'x' } }, /options\.config\.suspectTicks/],
    ['config Infinity', { ...base, config: { maxPendingSends: Infinity } }, /options\.config\.maxPendingSends/],
    ['config misspelt', { ...base, config: { heartbeatTick: 5 } }, /options\.config\.heartbeatTick /],
    ['config maxMembers above the rank bound', { ...base, config: { maxMembers: 5000 } }, /options\.config\.maxMembers/],
    ['a payload bound above the send window', { ...base, config: { maxPayloadBytes: 2048, maxPendingBytes: 1024 } }, /options\.config\.maxPayloadBytes/],
    ['signal not a signal', { ...base, signal: 'stop' }, /options\.signal/],
  ];
  it.each(cases)('%s', async (_what, opts, mentions) => {
    await refused(() => Node.start(opts as never), ErrorCodes.INVALID_ARGUMENT, mentions);
  });

  it('an aborted signal gives VSYNC_ERR_ABORTED with the reason as cause', async () => {
    const reason = new Error('stop now');
    const err = await refused(() => Node.start({ ...base, signal: AbortSignal.abort(reason) }), ErrorCodes.ABORTED);
    expect(err.cause).toBe(reason);
  });

  it('a port in use gives VSYNC_ERR_LISTEN_FAILED naming the address', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      await refused(() => Node.start({ ...base, listen: { host: '127.0.0.1', port } }), ErrorCodes.LISTEN_FAILED, new RegExp(`127\\.0\\.0\\.1:${port}.*in use`));
    } finally {
      server.close();
    }
  });
});

describe('Node.join', () => {
  it('refuses bad group names and options, and then joins normally', async () => {
    const n = await start('j');
    const bad: Array<[unknown, unknown, RegExp]> = [
      [5, undefined, /group/],
      ['', undefined, /group/],
      ['g\n', undefined, /group/],
      ['x'.repeat(200), undefined, /group/],
      ['g', null, /options/],
      ['g', 'fast', /options/],
      ['g', { signal: 'x' }, /options\.signal/],
      ['g', { found: 'yes' }, /options\.found/],
      ['g', { rejoin: 1 }, /options\.rejoin/],
      ['g', { readerBuffer: 0 }, /options\.readerBuffer/],
      ['g', { readerBuffer: 'big' }, /options\.readerBuffer/],
      ['g', { maxWaitingSends: -5 }, /options\.maxWaitingSends/],
      ['g', { getState: 'x', setState: () => {} }, /options\.getState/],
      ['g', { getState: () => new Uint8Array() }, /getState and options\.setState/],
      ['g', { digest: 42 }, /options\.digest/],
    ];
    for (const [group, opts] of bad) await refused(() => n.join(group as string, opts as never), ErrorCodes.INVALID_ARGUMENT);
    for (const [group, opts, mentions] of bad) await refused(() => n.join(group as string, opts as never), ErrorCodes.INVALID_ARGUMENT, mentions);
    const g = await n.join('g');
    expect(g.currentView?.members).toHaveLength(1);
    await refused(() => n.join('g'), ErrorCodes.INVALID_ARGUMENT, /already/);
  });

  it('an already aborted signal: VSYNC_ERR_ABORTED (not a DOMException), nothing left behind', async () => {
    const n = await start('k');
    const reason = new Error('changed my mind');
    const err = await refused(() => n.join('g', { signal: AbortSignal.abort(reason) }), ErrorCodes.ABORTED);
    expect(err.cause).toBe(reason);
    const plain = await refused(() => n.join('g', { signal: AbortSignal.abort() }), ErrorCodes.ABORTED);
    expect(plain).toBeInstanceOf(VsyncError);
    const g = await n.join('g');
    expect(g.currentView).not.toBeNull();
  });

  it('a join aborted while waiting for its seeds: no unhandled rejection, and a second join works', async () => {
    // The seed is a port nobody listens on: the join can only wait, until the signal fires.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const n = await start('w', { seeds: [`ws://127.0.0.1:${deadPort}`] });
    const ac = new AbortController();
    const p = n.join('g', { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('gave up')), 100);
    const err = await refused(() => p, ErrorCodes.ABORTED);
    expect((err.cause as Error).message).toBe('gave up');
    // It says what it was waiting for: a caller's timeout then tells why it fired.
    expect(err.message).toMatch(new RegExp(`operation aborted while waiting for seeds ws://127\\.0\\.0\\.1:${deadPort}`));
    const g = await n.join('g', { found: true });
    expect(g.currentView?.members).toHaveLength(1);
  });

  it('a join waiting for a node that runs its group warns in words, and lists whom it asked in a log field', async () => {
    const a = await start('wa'); // runs no group
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
    const b = await start('wb', { seeds: [a.url!], logger });
    const ac = new AbortController();
    const p = b.join('g', { signal: ac.signal });
    const deadline = Date.now() + 10_000;
    const waiting = (): Record<string, unknown> | undefined => lines.find((l) => /waiting for a node that runs the group \(asked: wa\)/.test(String(l['msg'])));
    while (!waiting() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(waiting()).toMatchObject({ group: 'g', asked: ['wa'] });
    ac.abort(new Error('enough'));
    await refused(() => p, ErrorCodes.ABORTED, /waiting for a node that runs the group/);
  });

  it('a join aborted after the group started: nothing left behind', async () => {
    const a = await start('fa');
    await a.join('g');
    const b = await start('fb', { seeds: [a.url!] });
    // Aborted as soon as the seed is connected: the group has started but not installed a view.
    const ac = new AbortController();
    const p = b.join('g', { signal: ac.signal });
    setImmediate(() => ac.abort());
    const first = await p.catch(() => null);
    // On a machine fast enough for the join to win the race, leave: the point is the second join below.
    if (first) await first.leave({ signal: AbortSignal.timeout(10_000) });
    const g = await b.join('g', { signal: AbortSignal.timeout(20_000) });
    expect(g.currentView).not.toBeNull();
  });

  it('a group that was left can be joined again', async () => {
    const { b, gb } = await pair();
    await gb.leave({ signal: AbortSignal.timeout(10_000) });
    const again = await b.join('g', { signal: AbortSignal.timeout(20_000) });
    expect(again).not.toBe(gb);
    const r = await again.send(enc('back'));
    expect(r.viewId).toBe(again.currentView!.id);
    await refused(() => gb.send(enc('old')), ErrorCodes.LEAVING);
  });

  it('join and close after close: VSYNC_ERR_CLOSED; close twice is fine', async () => {
    const n = await start('c');
    await n.close();
    await n.close();
    await refused(() => n.join('g'), ErrorCodes.CLOSED);
  });
});

describe('Group methods', () => {
  it('send refuses anything but a Uint8Array, at the call, also with peers', async () => {
    const { ga, gb } = await pair();
    for (const g of [ga, gb]) {
      for (const payload of ['a string', { hello: 1 }, null, undefined, 42, [1, 2, 3], new ArrayBuffer(4), new Uint16Array(2)]) {
        await refused(() => g.send(payload as never), ErrorCodes.INVALID_ARGUMENT, /payload/);
      }
      await refused(() => g.send(enc('x'), null as never), ErrorCodes.INVALID_ARGUMENT, /options/);
      await refused(() => g.send(enc('x'), 'fast' as never), ErrorCodes.INVALID_ARGUMENT, /options/);
      await refused(() => g.send(enc('x'), { signal: 'x' } as never), ErrorCodes.INVALID_ARGUMENT, /options\.signal/);
      const aborted = await refused(() => g.send(enc('x'), { signal: AbortSignal.abort() }), ErrorCodes.ABORTED);
      expect(aborted).toBeInstanceOf(VsyncError);
      await refused(() => g.send(new Uint8Array(2 * 1024 * 1024)), ErrorCodes.PAYLOAD_TOO_LARGE);
    }
    await refused(() => ga.on('message', 'x' as never), ErrorCodes.INVALID_ARGUMENT, /listener/);
    await refused(() => ga.once('view', undefined as never), ErrorCodes.INVALID_ARGUMENT, /listener/);
    await refused(() => ga.addListener('left', 5 as never), ErrorCodes.INVALID_ARGUMENT, /listener/);
    // A Buffer is a Uint8Array: accepted. The group still works after all of the above.
    const r = await gb.send(Buffer.from('fine'));
    expect(r.seq).toBeGreaterThan(0);
    await ga.send(enc('fine too'));
  });

  it('leave refuses bad options; send after leave is VSYNC_ERR_LEAVING, after close VSYNC_ERR_CLOSED', async () => {
    const { a, ga, gb } = await pair();
    await refused(() => gb.leave(null as never), ErrorCodes.INVALID_ARGUMENT, /options/);
    await refused(() => gb.leave({ signal: 5 } as never), ErrorCodes.INVALID_ARGUMENT, /options\.signal/);
    await refused(() => gb.leave({ signal: AbortSignal.abort() }), ErrorCodes.ABORTED);
    await gb.leave({ signal: AbortSignal.timeout(10_000) });
    await refused(() => gb.send(enc('late')), ErrorCodes.LEAVING);
    await gb.leave(); // twice: nothing to do
    await a.close();
    await refused(() => ga.send(enc('late')), ErrorCodes.CLOSED);
    // The internals the state-machine layer and the CLI use (not on the public Group interface).
    const internal = ga as GroupImpl;
    await refused(() => internal.recordState(-1, 'x'), ErrorCodes.INVALID_ARGUMENT, /view/);
    await refused(() => internal.recordState(1, 'not hex'), ErrorCodes.INVALID_ARGUMENT, /hash/);
    // Calls without arguments on a closed group: harmless.
    internal.endTrace();
    expect((await ga.messages()[Symbol.asyncIterator]().next()).done).toBe(true);
    expect(ga.memberId).toBeNull();
  });

  it('one signal shared by many sends adds one abort listener (no MaxListenersExceededWarning)', async () => {
    const { ga, gb } = await pair();
    const ac = new AbortController();
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? ga : gb).send(enc(`m${i}`), { signal: ac.signal })));
    // Aborting with sends in flight rejects them all; the group goes on.
    const inflight = Array.from({ length: 50 }, (_, i) => gb.send(enc(`late${i}`), { signal: ac.signal }).catch((e: VsyncError) => e.code));
    ac.abort();
    const codes = await Promise.all(inflight);
    for (const c of codes) if (typeof c === 'string') expect(c).toBe(ErrorCodes.ABORTED);
    await new Promise((r) => setTimeout(r, 50));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    await gb.send(enc('after'));
  });

  it('a throwing listener is logged; the group and the other listeners go on', async () => {
    const { ga, gb } = await pair();
    let seen = 0;
    gb.on('message', () => {
      throw new Error('listener bug');
    });
    gb.on('view', () => {
      throw new Error('listener bug');
    });
    ga.on('message', () => void seen++);
    await gb.send(enc('one'));
    await ga.send(enc('two'));
    expect(seen).toBe(2);
  });

  it('messages() and views() readers take no arguments and end when the group is left', async () => {
    const { gb } = await pair();
    const views = gb.views()[Symbol.asyncIterator]();
    expect((await views.next()).done).toBe(false);
    await gb.leave({ signal: AbortSignal.timeout(10_000) });
    const msgs = gb.messages()[Symbol.asyncIterator]();
    expect((await msgs.next()).done).toBe(true);
  });
});
