// The package as a user installs it: `npm pack` (whose `prepare` builds dist/), the tarball installed into a fresh
// app, imported from ESM, a TypeScript file type-checked against its declarations, and `npx vsync --help`.
// The packing runs on a copy of the sources, so the repository's own dist/ (used by other tests running at the
// same time) is never rebuilt under them.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe('the npm package', () => {
  it('packs, installs into a fresh app, imports from ESM, type-checks, and runs npx vsync --help', { timeout: 180_000 }, async () => {
    const work = mkdtempSync(join(tmpdir(), 'vsync-pack-'));
    // A clean checkout: the sources without dist/, sharing the repository's installed dev dependencies.
    const src = join(work, 'src-copy');
    mkdirSync(src);
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'LICENSE', 'src', 'bin', 'proto']) {
      cpSync(join(ROOT, f), join(src, f), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
    const packed = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', work, ...NPM_FLAGS], src)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('bin/vsync.js');
    expect(files).toContain('LICENSE');
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('src/'))).toBe(false);
    const tarball = join(work, packed[0]!.filename);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'vsync-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
    await sh('npm', ['install', tarball, ...NPM_FLAGS], app);
    const installed = join(app, 'node_modules', 'vsync');
    expect(existsSync(join(installed, 'dist', 'index.js'))).toBe(true);

    // Source maps carry their sources: stack traces and debuggers work without src/ in the package.
    const map = JSON.parse(readFileSync(join(installed, 'dist', 'api', 'node.js.map'), 'utf8')) as { sourcesContent?: string[] };
    expect(map.sourcesContent?.[0]).toContain('class Node');

    // ESM import, and a one-member group that delivers a message.
    writeFileSync(
      join(app, 'main.mjs'),
      `import { Node, ErrorCodes, VsyncError } from 'vsync';
const node = await Node.start({ name: 'app', listen: { host: '127.0.0.1', port: 0 }, secret: 'test-secret' });
const group = await node.join('g', { signal: AbortSignal.timeout(20_000) });
const { seq } = await group.send(new TextEncoder().encode('hello'));
let refused = '';
try { await group.send('not bytes'); } catch (err) { refused = err instanceof VsyncError ? err.code : String(err); }
await node.close();
console.log(JSON.stringify({ seq, refused, invalid: ErrorCodes.INVALID_ARGUMENT }));
`,
    );
    const result = JSON.parse((await sh(process.execPath, ['main.mjs'], app)).trim()) as { seq: number; refused: string; invalid: string };
    expect(result.seq).toBeGreaterThan(0);
    expect(result.refused).toBe(result.invalid);

    // CommonJS require is refused: the package is ESM only (as the README says).
    await expect(sh(process.execPath, ['-e', "require('vsync')"], app)).rejects.toThrow();

    // A TypeScript file type-checked against the package's declarations, with the project's own compiler.
    writeFileSync(
      join(app, 'check.ts'),
      `import { Node, type Group, type Message, type ViewInfo, ErrorCodes, VsyncError, type NodeOptions } from 'vsync';
const opts: NodeOptions = { name: 'a', listen: { host: '127.0.0.1', port: 0 }, secret: 'test-secret' };
export async function use(): Promise<number> {
  const node: Node = await Node.start(opts);
  const group: Group = await node.join('g');
  group.on('view', (v: ViewInfo) => v.members.length);
  group.on('message', (m: Message) => m.payload.byteLength);
  const code: string = ErrorCodes.LEAVING;
  const err = new VsyncError(ErrorCodes.ABORTED, code);
  const r = await group.send(new Uint8Array([1]));
  await node.close();
  return r.seq + err.message.length;
}
`,
    );
    // A deliberate type error must be caught: the check is real.
    writeFileSync(join(app, 'wrong.ts'), `import { Node } from 'vsync';\nexport const n: Promise<Node> = Node.start({ name: 42 });\n`);
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
        // The app has no @types of its own: lend it the repository's @types/node (the package's types use Node's).
        typeRoots: [join(ROOT, 'node_modules', '@types')], types: ['node'],
      },
    };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files: ['check.ts'] }, null, 2));
    await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    writeFileSync(join(app, 'tsconfig.wrong.json'), JSON.stringify({ ...tsconfig, files: ['wrong.ts'] }, null, 2));
    await expect(sh(process.execPath, [TSC, '-p', 'tsconfig.wrong.json'], app)).rejects.toThrow(/TS2322|not assignable/);

    // The command-line tool, the way a user of the package runs it.
    const help = await sh('npx', ['--no-install', 'vsync', '--help'], app);
    expect(help).toMatch(/^usage: vsync <command>/);
    const version = await sh('npx', ['--no-install', 'vsync', '--version'], app);
    expect(version.trim()).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    expect(readdirSync(installed)).toContain('LICENSE');
  });
});
