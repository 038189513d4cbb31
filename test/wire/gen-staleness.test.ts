/** The committed generated code (src/wire/gen/) must match proto/: `node scripts/gen-wire.mjs --check`. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function genCheck(root: string) {
  const r = spawnSync(process.execPath, ['scripts/gen-wire.mjs', '--check'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A minimal copy of the repository: the script, proto/, the generated code and a link to node_modules. */
function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vsync-wire-stale-'));
  temps.push(dir);
  for (const p of ['scripts/gen-wire.mjs', 'proto', 'src/wire/gen']) cpSync(join(repo, p), join(dir, p), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('generated wire code', () => {
  it('matches proto/ (gen-wire --check exits 0)', () => {
    const r = genCheck(repo);
    expect(r.output).toContain('up to date');
    expect(r.status).toBe(0);
  });

  it('is reported stale when the proto changes', () => {
    const dir = copyRepo();
    const proto = join(dir, 'proto', 'vsync.proto');
    writeFileSync(proto, readFileSync(proto, 'utf8').replace('message Ack {\n', 'message Ack {\n  uint64 extra = 9;\n'));
    const r = genCheck(dir);
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/src\/wire\/gen\/vsync\.js differs/);
    expect(r.output).toMatch(/src\/wire\/gen\/vsync\.d\.ts differs/);
  });

  it('is reported stale when a generated file was edited or is missing', () => {
    const dir = copyRepo();
    const js = join(dir, 'src', 'wire', 'gen', 'vsync.js');
    writeFileSync(js, `${readFileSync(js, 'utf8')}\n// edited\n`);
    rmSync(join(dir, 'src', 'wire', 'gen', 'vsync.d.ts'));
    const r = genCheck(dir);
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/vsync\.js differs/);
    expect(r.output).toMatch(/vsync\.d\.ts is missing/);
  });

  it('loads under plain Node ESM (no bundler), as dist/ will', () => {
    const code = [
      "import { vsync } from './src/wire/gen/vsync.js';",
      'const b = vsync.wire.Ack.encode({ received: 2 ** 40 }).finish();',
      'const r = vsync.wire.Ack.decode(b).received;',
      'console.log(String(Number(r)));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: repo, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(String(2 ** 40));
  });
});
