/**
 * After close(), a process using the transport exits by itself: nothing (socket, server, timer) keeps it alive.
 * The transport's sources are transpiled (type erasure only) into a temporary folder and run by a plain node child.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vsync-net-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function transpile(rel: string): void {
  const out = join(dir, rel.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(out), { recursive: true });
  if (rel.endsWith('.js')) {
    copyFileSync(join(repo, rel), out);
    return;
  }
  const src = readFileSync(join(repo, rel), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(out, js);
}

const script = `
import { Transport } from './src/net/index.js';
const fast = { cluster: 'x', secret: 'test-secret', heartbeatMs: 50, reconnect: { minMs: 10, maxMs: 50 } };
const listen = { host: '127.0.0.1', port: 0 };
const dead = await Transport.start({ ...fast, node: 'dead', listen });
const deadUrl = dead.url;
await dead.close();
const a = await Transport.start({ ...fast, node: 'a', listen, seeds: [deadUrl] });
const b = await Transport.start({ ...fast, node: 'b', listen, seeds: [a.url, deadUrl] });
const c = await Transport.start({ ...fast, node: 'c', seeds: [a.url] });
let got = 0;
a.on('frame', () => got++);
await a.waitForPeer((n) => n === 'c');
await a.waitForPeer((n) => n === 'b');
b.send('a', Uint8Array.of(8, 1));
c.send('a', Uint8Array.of(8, 2));
while (got < 2) await new Promise((r) => setTimeout(r, 5));
const gone = await Transport.start({ ...fast, node: 'gone', listen, seeds: [a.url] });
await a.waitForPeer((n) => n === 'gone');
await gone.close();
while (a.peers().includes('gone')) await new Promise((r) => setTimeout(r, 5));
a.send('gone', Uint8Array.of(8, 3)); // queued, redialing
await Promise.all([a.close(), b.close(), c.close()]);
console.log('closed');
`;

describe('transport close', () => {
  it('lets the process exit by itself', () => {
    // The transport and what it imports: the wire codec, the errors and the core's plain modules (limits, errors).
    for (const d of ['src/net', 'src/wire', 'src/core']) for (const f of readdirSync(join(repo, d))) if (f.endsWith('.ts')) transpile(`${d}/${f}`);
    transpile('src/errors.ts');
    transpile('src/wire/gen/vsync.js');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'main.js'), script);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['main.js'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
    const elapsed = Date.now() - t0;
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('closed');
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.status).toBe(0);
    expect(elapsed).toBeLessThan(5000);
  });
});
