import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCheckCommand } from '../../src/cli/check-command.js';
import { each, member } from './dsl.js';
import { goodHistory } from './scenarios.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vsync-check-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runCheckCommand(args, (l) => lines.push(l));
  return { code, lines };
}

describe('vsync check', () => {
  it('exits 0 on a correct run and prints the summary', async () => {
    for (const b of goodHistory()) await writeFile(join(dir, b.file), b.jsonl());
    const { code, lines } = await run([dir]);
    expect(code).toBe(0);
    expect(lines.at(-1)).toBe('check: traces=5 members=5 views=4 sends=9 deliveries=28 violations=0');
  });

  it('exits 1 and names the first violation of each property', async () => {
    const abc = ['a', 'b', 'c'];
    const [a, b, c] = abc.map((id) => member(id).install(1, abc));
    a!.send('a/1').send('a/2');
    each([a!, b!], (x) => x.deliver('a/1').deliver('a/2').end());
    c!.deliver('a/2').deliver('a/1').state('ffff');
    for (const x of [a!, b!, c!]) await writeFile(join(dir, x.file), x.jsonl());

    const { code, lines } = await run([dir]);
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/^VIOLATION reliable-fifo: c \(c\.jsonl:2\) delivered msg a\/2 from a in view 1 where a\/1 comes next/);
    expect(lines[1]).toMatch(/^VIOLATION liveness: final view 1 \[a, b, c\] is not exactly the members that ended cleanly \[a, b\]/);
    expect(lines.at(-1)).toBe('check: traces=3 members=3 views=1 sends=2 deliveries=6 violations=2');

    const quiet = await run([dir, '--no-liveness']);
    expect(quiet.code).toBe(1);
    expect(quiet.lines.at(-1)).toContain('violations=1');
  });

  it('prints the report as JSON with --json', async () => {
    const a = member('a').install(1, ['a']).send('a/1').deliver('a/1').end();
    await writeFile(join(dir, a.file), a.jsonl());
    const { code, lines } = await run(['--json', dir]);
    expect(code).toBe(0);
    const report = JSON.parse(lines.join('\n'));
    expect(report).toMatchObject({ ok: true, violations: [], stats: { traces: 1, members: 1, sends: 1, deliveries: 1 } });
  });

  it('exits 2 on usage errors', async () => {
    const missing = await run([]);
    expect(missing.code).toBe(2);
    expect(missing.lines).toEqual(['vsync check: missing trace folder', 'usage: vsync check <dir> [--no-liveness] [--json]']);

    const notFound = await run([join(dir, 'nope')]);
    expect(notFound.code).toBe(2);
    expect(notFound.lines[0]).toContain('not found');

    expect((await run([dir])).lines[0]).toContain('no *.jsonl trace files'); // an empty folder proves nothing
    expect((await run([dir, '--frobnicate'])).code).toBe(2);
    expect((await run([dir, dir])).code).toBe(2);
    expect((await run(['--help'])).code).toBe(0);
  });
});
