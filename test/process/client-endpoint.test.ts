import { spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { RsmClient } from '../../src/rsm/rsm-client.js';
import { ProcCluster } from './proc-cluster.js';

const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
const dec = (b: Uint8Array): any => JSON.parse(new TextDecoder().decode(b));

let cluster: ProcCluster | null = null;
afterEach(() => {
  cluster?.killAll();
  cluster = null;
});

describe('client endpoint of real member processes', () => {
  it('byzantine voting over members signing with --client-key; a member left in a minority answers VSYNC_ERR_NO_QUORUM; the client gives up with that code', async () => {
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'vsync-ce-')), 'tokens');
    writeFileSync(tokenFile, '# client-id secret\nops ops-secret-1\n');
    const c = (cluster = new ProcCluster(['--state-machine', 'kv', '--client-listen', '127.0.0.1:0', '--secret', 'test-secret', '--client-tokens', tokenFile]));
    const urls = new Map<string, string>();
    const keys = new Map<string, string>();
    // Member keys from PEM files, as an operator would give them (`--client-key`).
    const pems = new Map<string, string>();
    for (const n of ['a', 'b', 'c']) {
      const file = join(dirname(tokenFile), `${n}.key`);
      writeFileSync(file, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
      pems.set(n, file);
    }
    for (const n of ['a', 'b', 'c']) {
      const p = await c.start(n, { args: ['--client-key', pems.get(n)!] });
      const m = await p.waitFor(/^clients url=(\S+) key=(\S+)/);
      urls.set(n, m[1]!);
      keys.set(n, m[2]!);
    }
    await c.waitViews((m) => m.length === 3, 30_000, 'three members');
    const expectedKey = (n: string): string => createPublicKey(readFileSync(pems.get(n)!)).export({ type: 'spki', format: 'der' }).toString('base64');
    for (const n of ['a', 'b', 'c']) expect(keys.get(n)).toBe(expectedKey(n));
    const voted = new RsmClient({ urls: [...urls.values()], mode: 'byzantine', faults: 1, memberKeys: [...keys.values()], clientId: 'ops', secret: 'ops-secret-1', timeoutMs: 20_000 });
    expect(dec(await voted.submit(enc({ op: 'put', key: 'k', value: 'v' })))).toEqual({ ok: true, value: 'v' });
    voted.close();
    const client = new RsmClient({ urls: [urls.get('c')!], clientId: 'ops', secret: 'ops-secret-1', timeoutMs: 20_000 });
    expect(dec(await client.submit(enc({ op: 'get', key: 'k' })))).toEqual({ ok: true, value: 'v' });
    c.kill('a');
    c.kill('b');
    await c.get('c').waitFor(/^minority /, 30_000);
    const short = new RsmClient({ urls: [urls.get('c')!], clientId: 'ops', secret: 'ops-secret-1', timeoutMs: 2000 });
    await expect(short.submit(enc({ op: 'get', key: 'k' }))).rejects.toMatchObject({ code: ErrorCodes.NO_QUORUM });
    client.close();
    short.close();
  });

  it('a real member refuses unauthenticated clients, answers malformed commands with errors, and a joiner agrees on the state', async () => {
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'vsync-ce-')), 'tokens.json');
    writeFileSync(tokenFile, JSON.stringify({ ops: 'ops-secret-1' }));
    const c = (cluster = new ProcCluster(['--state-machine', 'kv', '--client-listen', '127.0.0.1:0', '--secret', 'test-secret', '--client-tokens', tokenFile]));
    const a = await c.start('a');
    const url = (await a.waitFor(/^clients url=(\S+)/))[1]!;
    await c.start('b');
    await c.waitViews((m) => m.length === 2, 30_000, 'two members');
    const noSecret = new RsmClient({ urls: [url], insecure: true, timeoutMs: 2000 });
    await expect(noSecret.submit(enc({ op: 'put', key: 'k', value: 'v' }))).rejects.toMatchObject({ code: ErrorCodes.AUTH });
    noSecret.close();
    const wrong = new RsmClient({ urls: [url], clientId: 'ops', secret: 'not-the-secret', timeoutMs: 2000 });
    await expect(wrong.submit(enc({ op: 'put', key: 'k', value: 'v' }))).rejects.toMatchObject({ code: ErrorCodes.AUTH });
    wrong.close();
    const ops = new RsmClient({ urls: [url], clientId: 'ops', secret: 'ops-secret-1', timeoutMs: 20_000 });
    const raw = (s: string): Promise<Uint8Array> => ops.submit(new TextEncoder().encode(s));
    await expect(raw('null')).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(raw('{"op":"put","key":"x","value":1e999}')).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    expect(dec(await raw('{"op":"put","key":"x","value":"1e999"}'))).toEqual({ ok: true, value: '1e999' });
    expect(dec(await ops.submit(enc({ op: 'cas', key: 'x', expected: '1e999', value: 'y' })))).toEqual({ ok: true, swapped: true, value: 'y' });
    await c.start('c');
    await c.waitViews((m) => m.length === 3, 30_000, 'c joined');
    expect(dec(await ops.submit(enc({ op: 'get', key: 'x' })))).toEqual({ ok: true, value: 'y' });
    ops.close();
    expect(a.exitCode).toBeNull();
    await c.quiesce();
    const report = await c.finish();
    expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
  });

  it('the kv demo client with every member down exits with VSYNC_ERR_UNREACHABLE instead of hanging', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    const script = fileURLToPath(new URL('../../demos/kv/client.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, `ws://127.0.0.1:${port}`, 'get', 'k'], { env: { ...process.env, KV_TIMEOUT_MS: '2000' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^VSYNC_ERR_UNREACHABLE: /);
  });
});
