import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, runScenarioFile, ScenarioRunner, updateScenarioFile } from '../helpers/scenario-runner.js';

/**
 * Runs every test/core/testdata/*.txt scenario file (format and commands: test/helpers/scenario-runner.ts).
 * `UPDATE=1 npx vitest run test/core/scenario-files.test.ts` (or `npx vitest run test/core/scenario-files.test.ts -u`)
 * rewrites the files with the output they produce now; review the diff before committing it.
 */
const dir = resolve(import.meta.dirname, 'testdata');
const updating = process.env['UPDATE'] === '1';

/**
 * vitest's own `-u`/`--update` flag does not reach the test worker's argv; its snapshot state carries it. That field
 * is private, so this is best effort: UPDATE=1 always works.
 */
function vitestUpdateFlag(): boolean {
  const state = expect.getState().snapshotState as unknown as { _updateSnapshot?: unknown } | undefined;
  return state?._updateSnapshot === 'all';
}
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('scenario files', () => {
  it('there are scenario files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const name of files) {
    it(name, () => {
      const update = updating || vitestUpdateFlag();
      const path = join(dir, name);
      const { file, actual, rewritten, original } = runScenarioFile(path);
      expect(file.blocks[0]?.leading.some((l) => l.startsWith('#')), `${name} starts with comment lines saying what it shows`).toBe(true);
      if (update) {
        if (rewritten !== original) updateScenarioFile(path, rewritten);
        return;
      }
      // Command by command, so a failure names the first command whose output changed.
      file.blocks.forEach((b, k) => {
        expect(actual[k]!.join('\n'), `${name}:${b.line}: ${b.command}`).toBe(b.expected.join('\n'));
      });
      expect(rewritten).toBe(original);
    });
  }
});

describe('the scenario file format', () => {
  it('parses commands, their outputs, and the comments before them', () => {
    const f = parseScenario('# about\n\nbootstrap a b\n----\nx\ny\n\n# more\ntick 2\n----\nok\n\n# tail\n');
    expect(f.blocks).toEqual([
      { leading: ['# about', ''], command: 'bootstrap a b', line: 3, expected: ['x', 'y'] },
      { leading: ['# more'], command: 'tick 2', line: 9, expected: ['ok'] },
    ]);
    expect(f.trailing).toEqual(['# tail']);
  });

  it('a command without its separator is an error naming the line', () => {
    expect(() => parseScenario('# x\ntick\nok\n', 'f.txt')).toThrow(/f\.txt:2/);
  });

  it('a bad command is reported as its output, not thrown', () => {
    const r = new ScenarioRunner();
    expect(r.run('tick')).toEqual(['error: no cluster yet: the file must start with bootstrap']);
    r.run('bootstrap a b c');
    expect(r.run('fly a')).toEqual(["error: unknown command 'fly'"]);
    expect(r.run('crash z')).toEqual(['error: no member z']);
  });
});
