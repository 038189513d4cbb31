import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientEndpoint, type ClientEndpointOptions, ErrorCodes, KvStore, Node, ReplicatedStateMachine, RsmClient } from '../../src/index.js';
import { fakeEndpoint } from './fake-endpoint.js';

const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
const dec = (b: Uint8Array): any => JSON.parse(new TextDecoder().decode(b));
const SECRETS = { app: 'app-secret-1' };
const app = { clientId: 'app', secret: SECRETS.app };

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Ports nobody listens on: bound, then released. */
async function deadUrls(n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    out.push(`ws://127.0.0.1:${(s.address() as { port: number }).port}`);
    await new Promise((r) => s.close(r));
  }
  return out;
}

async function kvGroup(endpointOpts: Array<Partial<ClientEndpointOptions>>): Promise<Array<{ node: Node; endpoint: ClientEndpoint }>> {
  const out: Array<{ node: Node; endpoint: ClientEndpoint }> = [];
  for (const [i, eo] of endpointOpts.entries()) {
    const node = await Node.start({ name: `n${i}`, listen: { host: '127.0.0.1', port: 0 }, seeds: out.map((m) => m.node.url!), secret: 'test-secret' });
    const rsm = await ReplicatedStateMachine.join(node, 'kv', new KvStore(), { signal: AbortSignal.timeout(15_000) });
    const endpoint = await ClientEndpoint.start(rsm, { host: '127.0.0.1', port: 0, clients: SECRETS, ...eo });
    cleanup.push(async () => {
      await endpoint.close();
      await node.close();
    });
    out.push({ node, endpoint });
  }
  return out;
}

describe('RsmClient', () => {
  it('refuses bad options at the call with VSYNC_ERR_INVALID_ARGUMENT', () => {
    const bad: unknown[] = [
      { urls: [] },
      { urls: ['not a url'] },
      { urls: ['http://127.0.0.1:1'] },
      { urls: ['ws://127.0.0.1:1', 'ws://127.0.0.1:1'] },
      { urls: 'ws://127.0.0.1:1' },
      { urls: ['ws://127.0.0.1:1'], timeoutMs: -1 },
      { urls: ['ws://127.0.0.1:1'], retryMs: Number.NaN },
      { urls: ['ws://127.0.0.1:1'], mode: 'paranoid' },
      { urls: ['ws://127.0.0.1:1'], secret: 'x'.repeat(10) },
      { urls: ['ws://127.0.0.1:1', 'ws://127.0.0.1:2', 'ws://127.0.0.1:3'], mode: 'byzantine' },
      { urls: ['ws://127.0.0.1:1', 'ws://127.0.0.1:2', 'ws://127.0.0.1:3'], mode: 'byzantine', memberKeys: ['not a key'] },
    ];
    // `insecure: true` so that each fails for its own defect, not for the missing credentials.
    for (const o of bad) expect(() => new RsmClient({ insecure: true, ...(o as object) } as never), JSON.stringify(o)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    // Secure by default: no secret, no TLS and no explicit `insecure: true` is refused, saying what to pass.
    expect(() => new RsmClient({ urls: ['ws://127.0.0.1:1'] })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT, message: expect.stringMatching(/secret.*tls.*insecure: true/s) }),
    );
    expect(() => new RsmClient({ urls: ['ws://127.0.0.1:1'], insecure: 'yes' } as never)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
    expect(new RsmClient({ urls: ['ws://127.0.0.1:1'], insecure: true }).clientId).toMatch(/^client:/);
  });

  it('refuses bad submit arguments with VSYNC_ERR_INVALID_ARGUMENT', async () => {
    const client = new RsmClient({ urls: ['ws://127.0.0.1:1'], ...app });
    const cmd = new Uint8Array([1]);
    for (const opts of [1, 'fast', null, [], { signal: 'x' }, { timeoutMs: -5 }, { timeoutMs: '10' }]) {
      await expect(client.submit(cmd, opts as never), JSON.stringify(opts)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    }
    await expect(client.submit('put a 1' as never)).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    client.close();
  });

  it('with every member down it fails with VSYNC_ERR_UNREACHABLE after its timeout, using under 5% of a core', async () => {
    const client = new RsmClient({ urls: await deadUrls(3), ...app, timeoutMs: 5000 });
    cleanup.push(() => client.close());
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const err = await client.submit(enc({ op: 'get', key: 'k' })).catch((e: unknown) => e);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    expect(err).toMatchObject({ code: ErrorCodes.UNREACHABLE });
    expect(wallMs).toBeGreaterThanOrEqual(4900);
    const share = (cpu.user + cpu.system) / 1000 / wallMs;
    expect(share).toBeLessThan(0.05);
  });

  it('a submit timeout can be given per call; an aborted signal gives VSYNC_ERR_ABORTED', async () => {
    const client = new RsmClient({ urls: await deadUrls(2), ...app });
    cleanup.push(() => client.close());
    await expect(client.submit(enc({ op: 'get', key: 'k' }), { timeoutMs: 300 })).rejects.toMatchObject({ code: ErrorCodes.UNREACHABLE });
    await expect(client.submit(enc({ op: 'get', key: 'k' }), { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ code: ErrorCodes.ABORTED });
    await expect(client.submit(enc({ op: 'get', key: 'k' }), { timeoutMs: 0 })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });

  it('fails over at once on an error reply (BACKPRESSURE here) instead of waiting out retryMs', async () => {
    const ms = await kvGroup([{ ratePerSecond: 0.001, burst: 1 }, {}]);
    // retryMs far beyond the test's own timeout: only an immediate failover can finish in time.
    const client = new RsmClient({ urls: ms.map((m) => m.endpoint.url), ...app, retryMs: 600_000 });
    cleanup.push(() => client.close());
    for (let i = 0; i < 5; i++) expect(dec(await client.submit(enc({ op: 'append', key: 'k', value: String(i) }))).ok).toBe(true);
    expect(dec(await client.submit(enc({ op: 'get', key: 'k' }))).value).toBe('01234');
  });

  it('members that say the group has no majority make it fail with VSYNC_ERR_NO_QUORUM', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const eps = await Promise.all([0, 1].map(() => fakeEndpoint(SECRETS, () => ({ member: 'm', key: privateKey, error: ErrorCodes.NO_QUORUM }))));
    cleanup.push(() => Promise.all(eps.map((e) => e.close())).then(() => {}));
    const client = new RsmClient({ urls: [...eps.map((e) => e.url), ...(await deadUrls(1))], ...app, timeoutMs: 1500 });
    cleanup.push(() => client.close());
    await expect(client.submit(enc({ op: 'get', key: 'k' }))).rejects.toMatchObject({ code: ErrorCodes.NO_QUORUM });
  });
});

describe('byzantine output voting', () => {
  const truth = enc({ ok: true, value: 'truth' });
  const lie = enc({ ok: true, value: 'lie' });
  const key = () => generateKeyPairSync('ed25519');

  it('one liar answering twice under two names (two endpoints, one key) cannot supply t+1 votes', async () => {
    const liar = key();
    const honest = [key(), key()];
    const l1 = await fakeEndpoint(SECRETS, () => ({ member: 'k1', key: liar.privateKey, result: lie }));
    const l2 = await fakeEndpoint(SECRETS, () => ({ member: 'k9', key: liar.privateKey, result: lie }));
    const h0 = await fakeEndpoint(SECRETS, () => ({ member: 'k0', key: honest[0]!.privateKey, result: truth }));
    cleanup.push(async () => {
      for (const e of [l1, l2, h0]) await e.close();
    });
    const memberKeys = [liar.publicKey, honest[0]!.publicKey, honest[1]!.publicKey];
    const client = new RsmClient({ urls: [l1.url, l2.url, h0.url], mode: 'byzantine', faults: 1, memberKeys, ...app, timeoutMs: 1500 });
    cleanup.push(() => client.close());
    const got = await client.submit(enc({ op: 'get', key: 'k' })).catch((e: unknown) => e);
    expect(got).toBeInstanceOf(Error);

    // With a second honest member, the truth wins and the liar's second name still counts once.
    const h1 = await fakeEndpoint(SECRETS, () => ({ member: 'k2', key: honest[1]!.privateKey, result: truth }));
    cleanup.push(() => h1.close());
    const client2 = new RsmClient({ urls: [l1.url, l2.url, h0.url, h1.url], mode: 'byzantine', faults: 1, memberKeys, ...app, timeoutMs: 10_000 });
    cleanup.push(() => client2.close());
    expect(dec(await client2.submit(enc({ op: 'get', key: 'k' })))).toEqual({ ok: true, value: 'truth' });
  });

  it('replies signed by keys the client was not given (a man in the middle, an impostor) are no votes', async () => {
    const honest = [key(), key(), key()];
    const impostors = await Promise.all([0, 1].map((i) => fakeEndpoint(SECRETS, () => ({ member: `k${i}`, key: key().privateKey, result: lie }))));
    const h0 = await fakeEndpoint(SECRETS, () => ({ member: 'k2', key: honest[2]!.privateKey, result: truth }));
    cleanup.push(async () => {
      for (const e of [...impostors, h0]) await e.close();
    });
    const client = new RsmClient({ urls: [...impostors.map((e) => e.url), h0.url], mode: 'byzantine', faults: 1, memberKeys: honest.map((k) => k.publicKey), ...app, timeoutMs: 1500 });
    cleanup.push(() => client.close());
    const got = await client.submit(enc({ op: 'get', key: 'k' })).catch((e: unknown) => e);
    expect(got).toBeInstanceOf(Error);
    // In crash mode with keys too, an unverifiable reply is not taken.
    const crash = new RsmClient({ urls: [impostors[0]!.url, h0.url], memberKeys: honest.map((k) => k.publicKey), ...app, timeoutMs: 10_000 });
    cleanup.push(() => crash.close());
    expect(dec(await crash.submit(enc({ op: 'get', key: 'k' })))).toEqual({ ok: true, value: 'truth' });
  });
});
