import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../demos/lock/lock-service.mjs', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function start(name: string, seeds: string[]): { lines: string[]; wait: (re: RegExp, ms?: number) => Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, [SCRIPT, name, '0', ...seeds], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, VSYNC_SECRET: 'test-secret', HOLD_MS: '100' } });
  children.push(child);
  const lines: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  const wait = async (re: RegExp, ms = 30_000): Promise<RegExpMatchArray> => {
    const until = Date.now() + ms;
    for (;;) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return m;
      }
      if (Date.now() > until) throw new Error(`${name}: timed out waiting for ${re}: ${lines.slice(-5).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { lines, wait };
}

describe('fair lock demo', () => {
  it('grants go round the members in request order (a, b, c, a, b, c), not always to the sequencer', async () => {
    const a = start('a', []);
    const url = (await a.wait(/^ready me=\S+ url=(\S+)/))[1]!;
    const b = start('b', [url]);
    await b.wait(/^ready /);
    const c = start('c', [url]);
    await c.wait(/^ready /);
    // Wait for the first grant at c once all three are in the queue, then nine more.
    const first = Number((await c.wait(/^grant #(\d+) /))[1]);
    await c.wait(new RegExp(`^grant #${first + 12} `), 60_000);
    const holders = c.lines.map((l) => /^grant #(\d+) 'printer' -> (\S+)/.exec(l)).filter((m) => m && Number(m[1]) > first + 2).map((m) => m![2]!.split('#')[0]!);
    const nine = holders.slice(0, 9);
    expect(nine.length).toBe(9);
    for (let i = 3; i < 9; i++) expect(nine[i]).toBe(nine[i - 3]); // A fixed rotation...
    expect(new Set(nine.slice(0, 3))).toEqual(new Set(['a', 'b', 'c'])); // ...through all three members.
  });
});
