import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RsmClient } from '../../src/rsm/rsm-client.js';
import { ProcCluster, sleep } from './proc-cluster.js';

let cluster: ProcCluster | null = null;
afterEach(() => {
  cluster?.killAll();
  cluster = null;
});

const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
const dec = (b: Uint8Array): any => JSON.parse(new TextDecoder().decode(b));

describe('the replicated kv store with real processes', () => {
  it('a client keeps writing while members are killed and added: every acknowledged command applied exactly once', async () => {
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'vsync-kv-')), 'client-tokens.json');
    writeFileSync(tokenFile, JSON.stringify({ writer: 'writer-secret' }));
    const c = (cluster = new ProcCluster(['--state-machine', 'kv', '--client-listen', '127.0.0.1:0', '--secret', 'test-secret', '--client-tokens', tokenFile]));
    const clientUrls: string[] = [];
    const start = async (name: string): Promise<void> => {
      const p = await c.start(name);
      clientUrls.push((await p.waitFor(/^clients url=(\S+)/))[1]!);
    };
    for (const n of ['a', 'b', 'c']) await start(n);
    await c.waitViews((m) => m.length === 3, 30_000, 'three members');

    const client = new RsmClient({ urls: clientUrls, retryMs: 1500, clientId: 'writer', secret: 'writer-secret' });
    const acked: string[] = [];
    let running = true;
    const writer = (async () => {
      for (let i = 1; running; i++) {
        const token = `t${i};`;
        await client.submit(enc({ op: 'append', key: 'log', value: token }));
        acked.push(token);
      }
    })();
    try {
      await sleep(700);
      c.kill('b');
      await c.waitViews((m) => m.length === 2, 30_000, 'b removed');
      await start('d');
      await c.waitViews((m) => m.length === 3, 30_000, 'd admitted');
      await sleep(500);
      c.kill('a'); // The coordinator and sequencer.
      await c.waitViews((m) => m.length === 2, 30_000, 'a removed');
      await start('e');
      await c.waitViews((m) => m.length === 3, 30_000, 'e admitted');
      await sleep(500);
    } finally {
      running = false;
      await writer;
    }
    const log: string = dec(await client.submit(enc({ op: 'get', key: 'log' }))).value;
    client.close();
    const tokens = log.split(';').filter(Boolean).map((t) => `${t};`);
    expect(acked.length).toBeGreaterThan(20);
    expect(tokens).toEqual(acked); // In order, nothing lost, nothing applied twice.

    await c.quiesce();
    const report = await c.finish();
    expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
  });
});
