import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientEndpoint, ErrorCodes, KvStore, Node, ReplicatedStateMachine, RsmClient } from '../../src/index.js';
import { ClientConnection } from '../../src/rsm/client-connection.js';

const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
const dec = (b: Uint8Array): any => JSON.parse(new TextDecoder().decode(b));

const dir = mkdtempSync(join(tmpdir(), 'vsync-tls-'));
const ssl = (...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
};
const file = (n: string): Buffer => readFileSync(join(dir, n));

/** A CA, a certificate signed by it for `cn` (with 127.0.0.1 as its address, for the member). */
function issue(ca: string, cn: string): void {
  ssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${cn}.key`, '-out', `${cn}.csr`, '-subj', `/CN=${cn}`);
  writeFileSync(join(dir, `${cn}.ext`), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', `${cn}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-out', `${cn}.crt`, '-extfile', `${cn}.ext`);
}

beforeAll(() => {
  for (const ca of ['ca', 'other-ca']) {
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`);
  }
  issue('ca', 'member-a');
  issue('ca', 'alice');
  issue('other-ca', 'mallory');
});

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('client endpoint over mutual TLS', () => {
  it('serves wss://, takes the client id from the certificate, and refuses other ids, other CAs and no certificate', async () => {
    const node = await Node.start({ name: 'm', listen: { host: '127.0.0.1', port: 0 }, secret: 'test-secret' });
    const rsm = await ReplicatedStateMachine.join(node, 'kv', new KvStore(), { signal: AbortSignal.timeout(15_000) });
    const endpoint = await ClientEndpoint.start(rsm, { host: '127.0.0.1', port: 0, tls: { cert: file('member-a.crt'), key: file('member-a.key'), ca: file('ca.crt') }, authTimeoutMs: 1000 });
    cleanup.push(async () => {
      await endpoint.close();
      await node.close();
    });
    expect(endpoint.url).toMatch(/^wss:\/\//);
    const tls = (cn: string) => ({ cert: file(`${cn}.crt`), key: file(`${cn}.key`), ca: file('ca.crt') });

    const alice = new RsmClient({ urls: [endpoint.url], tls: tls('alice'), timeoutMs: 10_000 });
    cleanup.push(() => alice.close());
    expect(alice.clientId).toBe('alice');
    expect(dec(await alice.submit(enc({ op: 'put', key: 'k', value: 'v' })))).toEqual({ ok: true, value: 'v' });

    await expect(ClientConnection.open(endpoint.url, { clientId: 'bob', tls: tls('alice'), timeoutMs: 5000 })).rejects.toMatchObject({ code: ErrorCodes.AUTH });
    await expect(ClientConnection.open(endpoint.url, { clientId: 'mallory', tls: { ...tls('mallory'), ca: file('ca.crt') }, timeoutMs: 5000 })).rejects.toMatchObject({ code: ErrorCodes.UNREACHABLE });
    await expect(ClientConnection.open(endpoint.url, { clientId: 'alice', timeoutMs: 5000 })).rejects.toMatchObject({ code: ErrorCodes.UNREACHABLE });
    await expect(ClientConnection.open(endpoint.url.replace('wss:', 'ws:'), { clientId: 'alice', timeoutMs: 2000 })).rejects.toMatchObject({ code: ErrorCodes.UNREACHABLE });
    const stranger = new RsmClient({ urls: [endpoint.url], tls: { ...tls('mallory'), ca: file('ca.crt') }, timeoutMs: 1500 });
    cleanup.push(() => stranger.close());
    await expect(stranger.submit(enc({ op: 'put', key: 'k', value: 'x' }))).rejects.toMatchObject({ code: ErrorCodes.UNREACHABLE });
    expect(dec(await alice.submit(enc({ op: 'get', key: 'k' })))).toEqual({ ok: true, value: 'v' });
    // Authenticated over TLS, alice's connection outlives the auth timeout (the guard found its raw socket).
    await new Promise((r) => setTimeout(r, 1500));
    expect(endpoint.connections).toBe(1);
  });
});
