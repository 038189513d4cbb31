import { afterEach, describe, expect, it } from 'vitest';
import { freePort, PartitionProxy } from './partition-proxy.js';
import { ProcCluster } from './proc-cluster.js';

let cluster: ProcCluster | null = null;
const proxies: PartitionProxy[] = [];
afterEach(async () => {
  cluster?.killAll();
  cluster = null;
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

describe('partitions between real processes (a TCP proxy in front of each member)', () => {
  it('a minority partition blocks, the majority goes on, and after the heal the minority rejoins', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const ipOf = new Map(names.map((n, i) => [n, `127.0.0.${21 + i}`]));
    const minority = new Set([ipOf.get('d')!, ipOf.get('e')!]);
    let cut = false;
    const blocked = (from: string, to: string): boolean => cut && minority.has(from) !== minority.has(to);
    const c = (cluster = new ProcCluster(['--send-rate', '100']));
    const urls: string[] = [];
    for (const n of names) {
      const ip = ipOf.get(n)!;
      const port = await freePort(ip);
      const proxy = new PartitionProxy(ip, { host: ip, port }, blocked);
      await proxy.start();
      proxies.push(proxy);
      const url = `ws://${ip}:${proxy.port}`;
      await c.start(n, { args: ['--listen', `${ip}:${port}`, '--advertise', url], seeds: [...urls] });
      urls.push(url);
    }
    await c.waitViews((m) => m.length === 5, 30_000, 'five members');

    cut = true;
    for (const p of proxies) p.enforce();
    await c.waitViews((m) => m.length === 3 && m.every((id) => /^[abc]#/.test(id)), 30_000, 'the majority alone', ['d', 'e']);
    await c.get('d').waitFor(/^minority /, 20_000);
    const dView = c.lastView('d')!;
    expect(dView.members).toHaveLength(5); // The minority installed nothing.

    cut = false;
    await c.waitViews((m) => m.length === 5, 40_000, 'everyone together again');
    expect(c.get('d').lines.some((l) => l.startsWith('excluded'))).toBe(true);
    await c.quiesce();
    const report = await c.finish();
    expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
  });
});
