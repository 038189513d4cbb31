/**
 * Real `vsync member --http` processes: their ops endpoints answer /healthz, /status and /metrics, and
 * `vsync status <url>` (node bin/vsync.js, which runs dist/: build first) prints the view as tables.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcCluster } from '../process/proc-cluster.js';
import { eventually } from './cluster.js';

const BIN = fileURLToPath(new URL('../../bin/vsync.js', import.meta.url));
const TOKEN = 'status-token-7';

function vsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VSYNC_HTTP_TOKEN: '', ...env } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

let cluster: ProcCluster | null = null;
afterEach(async () => {
  cluster?.killAll();
  cluster = null;
});

describe('vsync member --http and vsync status', () => {
  it('three member processes: /healthz, /status, /metrics; vsync status prints the view, then the new one', async () => {
    cluster = new ProcCluster(['--secret', 'test-secret', '--http', '127.0.0.1:0', '--http-token', TOKEN, '--send-rate', '20']);
    await cluster.start('a');
    await cluster.start('b');
    await cluster.start('c');
    await cluster.waitViews((m) => m.length === 3, 30_000, 'a view of three');
    const url = (await cluster.get('a').waitFor(/^http url=(\S+)/))[1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    expect((await fetch(`${url}/status`)).status).toBe(401);
    const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
    const status = (await (await fetch(`${url}/status`, auth)).json()) as { node: string; groups: Array<{ view: { members: unknown[] } }> };
    expect(status.node).toBe('a');
    expect(status.groups[0]!.view.members).toHaveLength(3);
    const families = parsePrometheusTextFormat(await (await fetch(`${url}/metrics`, auth)).text()) as Array<{ name: string; metrics: Array<{ labels?: Record<string, string>; value?: string }> }>;
    expect(families.find((f) => f.name === 'vsync_view_members')!.metrics[0]).toEqual({ labels: { group: 'g' }, value: '3' });
    await eventually(async () => {
      const fams = parsePrometheusTextFormat(await (await fetch(`${url}/metrics`, auth)).text()) as typeof families;
      return Number(fams.find((f) => f.name === 'vsync_deliveries_total')!.metrics[0]!.value) > 0;
    }, 20_000, 'deliveries counted');

    const r = await vsync(['status', url, '--token', TOKEN]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^node a {2}ws:\/\/127\.0\.0\.1:\d+/);
    expect(r.out).toMatch(/group g {2}PRIMARY {2}view \d+ {2}as a#\w+/);
    for (const n of ['a', 'b', 'c']) expect(r.out).toMatch(new RegExp(`^ {2}${n}#\\w+( \\(self\\))? +(coordinator|member) +alive`, 'm'));
    expect(r.out).toMatch(/^peers$/m);
    // The token may come from the environment too; without one the node refuses, and says so.
    expect((await vsync(['status', url], { VSYNC_HTTP_TOKEN: TOKEN })).code).toBe(0);
    const denied = await vsync(['status', url]);
    expect(denied.code).toBe(1);
    expect(denied.out).toMatch(/VSYNC_ERR_AUTH/);
    const bad = await vsync(['status', 'not a url']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/invalid URL/);
    const json = await vsync(['status', `${url}/status`, '--token', TOKEN, '--json']);
    expect(JSON.parse(json.out).node).toBe('a');

    cluster.kill('c');
    await cluster.waitViews((m) => m.length === 2, 30_000, 'a view of two');
    await eventually(async () => {
      const after = await vsync(['status', url, '--token', TOKEN]);
      return after.code === 0 && /c#\w+ failed or was excluded/.test(after.out) && !/^ {2}c#/m.test(after.out);
    }, 30_000, 'vsync status showing the view without c');
    // Let the group go quiet first: a message still in flight at SIGTERM would read as never delivered.
    await cluster.quiesce();
    const report = await cluster.finish();
    expect(report.violations).toEqual([]);
  });
});
