// Options of Node.start and join that used to slip through: a wrong bootstrapExpect or joinTimeoutMs was only
// refused by a later join (naming neither the option nor the call that took it), a non-boolean merge or
// insecure and a non-object http were accepted silently, and an ops port in use was reported as a wrong argument.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, Node, VsyncError } from '../../src/index.js';

const SECRET = 'test-secret';
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function refused(fn: () => Promise<unknown>, code: string, mentions: RegExp): Promise<void> {
  let err: unknown = null;
  try {
    const n = await fn();
    if (n && typeof (n as Node).close === 'function') nodes.push(n as Node);
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeInstanceOf(VsyncError);
  expect((err as VsyncError).code, (err as VsyncError).message).toBe(code);
  expect((err as VsyncError).message).toMatch(mentions);
}

const base = { name: 'a', listen: { host: '127.0.0.1', port: 0 }, secret: SECRET };

describe('Node.start options', () => {
  it.each([
    ['bootstrapExpect', '3', /options\.bootstrapExpect/],
    ['bootstrapExpect', -1, /options\.bootstrapExpect/],
    ['bootstrapExpect', 5000, /options\.bootstrapExpect/],
    ['joinTimeoutMs', -1, /options\.joinTimeoutMs/],
    ['joinTimeoutMs', 1.5, /options\.joinTimeoutMs/],
    ['merge', 1, /options\.merge/],
    ['insecure', 'yes', /options\.insecure/],
    ['http', 'x', /options\.http/],
  ])('refuses %s = %j, naming it', async (key, value, mentions) => {
    await refused(() => Node.start({ ...base, [key]: value } as never), ErrorCodes.INVALID_ARGUMENT, mentions);
  });

  it('reports an ops port in use as VSYNC_ERR_LISTEN_FAILED', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      await refused(() => Node.start({ ...base, http: { host: '127.0.0.1', port } }), ErrorCodes.LISTEN_FAILED, new RegExp(String(port)));
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });
});

describe('join options', () => {
  it.each([
    ['bootstrapExpect', 'many'],
    ['joinTimeoutMs', -5],
  ])('refuses %s = %j, naming it', async (key, value) => {
    const n = await Node.start(base);
    nodes.push(n);
    await refused(() => n.join('g', { [key]: value } as never), ErrorCodes.INVALID_ARGUMENT, new RegExp(`options\\.${key}`));
    // The refused join left nothing behind: the same group can be joined right after.
    const g = await n.join('g', { signal: AbortSignal.timeout(20_000) });
    expect(g.currentView?.members.length).toBe(1);
  });
});

describe('group names', () => {
  it('refuses a reserved group name with the same words as any other wrong name', async () => {
    const n = await Node.start(base);
    nodes.push(n);
    await refused(() => n.join('$vsync-mine'), ErrorCodes.INVALID_ARGUMENT, /^group must not start with '\$vsync'/);
  });
});

describe('groupId', () => {
  it('refuses a group that is not a name, instead of answering null', async () => {
    const n = await Node.start(base);
    nodes.push(n);
    await refused(async () => n.groupId(1 as never), ErrorCodes.INVALID_ARGUMENT, /^group must be/);
    expect(n.groupId('not-joined')).toBeNull();
  });
});

describe('a node name already taken', () => {
  it('fails the join at once with VSYNC_ERR_INVALID_ARGUMENT naming options.name, not as unreachable at the timeout', async () => {
    const a = await Node.start(base);
    nodes.push(a);
    await a.join('g');
    const twin = await Node.start({ ...base, seeds: [a.url!] });
    nodes.push(twin);
    // The default join timeout is 60 s: a refusal must come long before it.
    await refused(() => twin.join('g', { signal: AbortSignal.timeout(30_000) }), ErrorCodes.INVALID_ARGUMENT, /options\.name.*taken/);
  }, 60_000);
});
