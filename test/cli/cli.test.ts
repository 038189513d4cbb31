// The `vsync` command as a user meets it (bin/vsync.js over dist/, built by `npm test` first): --version,
// --help on every command with one line per option, numbers checked, errors as one line with their code (the
// stack only with --log-level debug), and send errors counted instead of swallowed.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/vsync.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string[];
  stderr: string[];
}

/** Runs `vsync args`; `until` may end it early (SIGTERM) once a stdout line matches. */
function vsync(args: string[], opts: { until?: RegExp; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let signalled = false;
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (!signalled && opts.until && out.split('\n').some((l) => opts.until!.test(l))) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => void (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);
      resolve({ code, stdout: lines(out), stderr: lines(err) });
    });
  });
}

const MEMBER = ['member', '--name', 'a', '--listen', '127.0.0.1:0', '--group', 'g', '--secret', 'test-secret'];

describe('vsync --version and --help', () => {
  it('--version prints the version of package.json', async () => {
    const r = await vsync(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual([VERSION]);
  });

  it.each([[[]], [['member']], [['demo']], [['sim']], [['check']], [['bench']]])('%j --help: one line per option', async (cmd) => {
    const r = await vsync([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toEqual([]);
    const i = r.stdout.indexOf('options:');
    expect(i, r.stdout.join('\n')).toBeGreaterThan(0);
    const rest = r.stdout.slice(i + 1);
    // The options end at the first line that is not indented (the demo's legend follows them).
    const end = rest.findIndex((l) => !l.startsWith('  '));
    const options = end < 0 ? rest : rest.slice(0, end);
    expect(options.length).toBeGreaterThan(0);
    // Each line: the option, then its description on the same line.
    for (const line of options) expect(line).toMatch(/^ {2}(--[a-z-]+|<\w+>)( \S+)?\s{2,}\S/);
    expect(options.some((l) => l.startsWith('  --help'))).toBe(true);
  });

  it('member --help lists every option, --log-level and --status-ms included', async () => {
    const r = await vsync(['member', '--help']);
    const text = r.stdout.join('\n');
    for (const o of ['--name', '--listen', '--group', '--seeds', '--advertise', '--cluster', '--secret', '--send-rate', '--send-count',
      '--payload-bytes', '--max-payload-bytes', '--state-machine', '--state-bytes', '--client-listen', '--no-rejoin', '--trace-dir', '--status-ms', '--log-level']) {
      expect(text).toMatch(new RegExp(`^ {2}${o}\\b`, 'm'));
    }
  });
});

describe('vsync errors: one line with a code, exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [[...MEMBER, '--send-rate', 'fast'], /--send-rate .*'fast'/],
    [[...MEMBER, '--send-rate', '-5'], /--send-rate .*'-5'/],
    [[...MEMBER, '--send-rate', 'NaN'], /--send-rate .*'NaN'/],
    [[...MEMBER, '--send-count', '1.5'], /--send-count .*'1\.5'/],
    [[...MEMBER, '--payload-bytes', 'big'], /--payload-bytes .*'big'/],
    [[...MEMBER, '--status-ms', '0'], /--status-ms .*'0'/],
    [[...MEMBER, '--max-payload-bytes', '0'], /--max-payload-bytes .*'0'/],
    [[...MEMBER, '--max-payload-bytes', '99999999'], /--max-payload-bytes .*'99999999'/],
    [[...MEMBER, '--state-bytes', '-1'], /--state-bytes/],
    [[...MEMBER, '--log-level', 'loud'], /--log-level .*'loud'/],
    [[...MEMBER, '--seeds', 'http://127.0.0.1:1'], /--seeds .*'http:\/\/127\.0\.0\.1:1'/],
    [[...MEMBER, '--advertise', 'nope'], /--advertise .*'nope'/],
    [[...MEMBER, '--frobnicate'], /--frobnicate/],
    [['member', '--name', 'a', '--group', 'g'], /--listen is required/],
    [['member', '--name', 'a', '--listen', 'nowhere', '--group', 'g'], /--listen .*'nowhere'/],
    [['member', '--name', 'a b', '--listen', '127.0.0.1:0', '--group', 'g', '--secret', 'test-secret'], /options\.name/],
    [['sim', '--members', 'many'], /--members .*'many'/],
    [['sim', '--send-rate', '2'], /--send-rate/],
    [['bench', '--window-ms', '-3'], /--window-ms/],
    [['demo', '--fast'], /--fast/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  it.each(cases)('%j', async (args, names) => {
    const r = await vsync(args);
    expect(r.code).toBe(2);
    expect(r.stderr, r.stderr.join('\n')).toHaveLength(1);
    expect(r.stderr[0]).toMatch(/^vsync( \w+)?: VSYNC_ERR_INVALID_ARGUMENT: /);
    expect(r.stderr[0]).toMatch(names);
    expect(r.stdout).toEqual([]);
  });

  it('a port in use: one line with VSYNC_ERR_LISTEN_FAILED; the stack only with --log-level debug', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const args = ['member', '--name', 'a', '--listen', `127.0.0.1:${port}`, '--group', 'g', '--secret', 'test-secret'];
      const r = await vsync(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toHaveLength(1);
      expect(r.stderr[0]).toMatch(new RegExp(`^vsync member: VSYNC_ERR_LISTEN_FAILED: cannot listen on 127\\.0\\.0\\.1:${port}: address in use`));
      const debug = await vsync([...args, '--log-level', 'debug']);
      expect(debug.code).toBe(2);
      expect(debug.stderr.some((l) => /^\s+at /.test(l))).toBe(true);
    } finally {
      server.close();
    }
  });
});

describe('vsync member sending', () => {
  it('--payload-bytes above the limit: every send error counted and reported, not swallowed', async () => {
    const r = await vsync([...MEMBER, '--payload-bytes', '2000000', '--send-rate', '100', '--status-ms', '100'], { until: /^status .* errors=[1-9]/ });
    expect(r.code).toBe(0);
    expect(r.stdout.filter((l) => l.startsWith('send-error: VSYNC_ERR_PAYLOAD_TOO_LARGE: '))).toHaveLength(1);
    const bye = r.stdout.find((l) => l.startsWith('bye '));
    expect(bye).toMatch(/ errors=[1-9]\d* \(VSYNC_ERR_PAYLOAD_TOO_LARGE:\d+\)$/);
  });

  it('--max-payload-bytes raises the payload limit: the same 2,000,000-byte sends go through', async () => {
    const r = await vsync([...MEMBER, '--max-payload-bytes', '2000000', '--payload-bytes', '2000000', '--send-count', '3', '--status-ms', '100'], { until: /^sent-all / });
    expect(r.code).toBe(0);
    expect(r.stdout.find((l) => l.startsWith('bye '))).toMatch(/ sent=3 errors=0$/);
  });

  it('many sends in flight on one signal: no MaxListenersExceededWarning', async () => {
    const r = await vsync([...MEMBER, '--send-count', '3000', '--status-ms', '100'], { until: /^sent-all / });
    expect(r.code).toBe(0);
    expect(r.stdout.find((l) => l.startsWith('bye '))).toMatch(/ sent=3000 errors=0$/);
    expect(r.stderr.join('\n')).not.toMatch(/MaxListenersExceeded/);
  });
});

describe('CLI logs', () => {
  it('human-readable (pino-pretty) for a terminal, JSON lines otherwise', async () => {
    const logger = fileURLToPath(new URL('../../dist/cli/cli-logger.js', import.meta.url));
    const run = (pretty: boolean): Promise<string> =>
      new Promise((resolve) => {
        const script = `import { cliLogger } from ${JSON.stringify(logger)}; cliLogger('info', { pretty: ${pretty} }).info({ view: 3 }, 'view installed');`;
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr!.setEncoding('utf8').on('data', (c: string) => void (err += c));
        child.once('close', () => resolve(err));
      });
    const json = await run(false);
    expect(JSON.parse(json.trim())).toMatchObject({ level: 30, view: 3, msg: 'view installed' });
    const pretty = await run(true);
    expect(pretty).toMatch(/INFO.*view installed/);
    expect(pretty.replace(/\u001b\[\d+m/g, '')).toMatch(/view: 3/);
    expect(pretty.trim().startsWith('{')).toBe(false);
  });
});
