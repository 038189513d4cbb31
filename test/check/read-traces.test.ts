import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkTraceDir, parseTraceText, readTraceDir } from '../../src/check/index.js';
import { goodHistory } from './scenarios.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vsync-check-read-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (o: object): string => `${JSON.stringify(o)}\n`;

describe('parseTraceText', () => {
  it('tolerates a torn last line and counts it', () => {
    const t = parseTraceText('a.jsonl', line({ ev: 'install', me: 'a', view: { id: 1, members: ['a'] } }) + '{"ev":"deliver","me":"a","ms');
    expect(t.me).toBe('a');
    expect(t.events).toHaveLength(1);
    expect(t.tornLines).toBe(1);
    expect(t.problems).toEqual([]);
  });

  it('reports a bad middle line, a missing ev or me, a foreign me, and mistyped fields', () => {
    const text =
      line({ ev: 'install', me: 'a', view: { id: 1, members: ['a'] } }) +
      'not json\n' +
      line({ me: 'a' }) +
      line({ ev: 'end' }) +
      line({ ev: 'deliver', me: 'b', msg: 'b/1', view: 1, hash: 'h', seq: null }) +
      line({ ev: 'deliver', me: 'a', msg: 'a/1', view: 1, hash: 'h' }) +
      line({ ev: 'send', me: 'a', msg: 'a/1', view: 1, hash: 'h', order: 'random' }) +
      line({ ev: 'metrics', me: 'a', rss: 5 }) +
      line({ ev: 'end', me: 'a' });
    const t = parseTraceText('a.jsonl', text);
    expect(t.problems).toEqual([
      'a.jsonl:2: unparseable line "not json"',
      'a.jsonl:3: missing "ev"',
      'a.jsonl:4: missing "me"',
      'a.jsonl:5: "me" is "b" but earlier lines say "a"',
      'a.jsonl:6: deliver needs seq (integer or null)',
      'a.jsonl:7: send with unknown order "random"',
    ]);
    expect(t.events.map((e) => e.ev)).toEqual(['install', 'other', 'end']);
    expect(t.events[1]).toMatchObject({ ev: 'other', name: 'metrics', line: 8 });
    expect(t.tornLines).toBe(0);
  });

  it('gives an empty file no member', () => {
    expect(parseTraceText('x.jsonl', '')).toMatchObject({ me: '', events: [], tornLines: 0 });
  });
});

describe('readTraceDir', () => {
  it('reads every *.jsonl in the folder (not below it), in name order', async () => {
    await writeFile(join(dir, 'b.jsonl'), line({ ev: 'install', me: 'b', view: { id: 1, members: ['a', 'b'] } }) + 'oops\n' + line({ ev: 'end', me: 'b' }));
    await writeFile(join(dir, 'a.jsonl'), line({ ev: 'install', me: 'a', view: { id: 1, members: ['a', 'b'] } }) + '{"ev":"en');
    await writeFile(join(dir, 'notes.txt'), 'not a trace\n');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'c.jsonl'), line({ ev: 'install', me: 'c', view: { id: 1, members: ['c'] } }));
    const traces = await readTraceDir(dir);
    expect(traces.map((t) => t.file)).toEqual(['a.jsonl', 'b.jsonl']);
    expect(traces[0]).toMatchObject({ me: 'a', tornLines: 1, problems: [] });
    expect(traces[1]).toMatchObject({ me: 'b', tornLines: 0, problems: ['b.jsonl:2: unparseable line "oops"'] });

    const report = await checkTraceDir(dir, { liveness: false });
    expect(report.ok).toBe(false);
    expect(report.violations).toEqual([{ property: 'trace-wellformed', message: 'b.jsonl:2: unparseable line "oops"' }]);
    expect(report.stats.tornLines).toBe(1);
  });

  it('reads back a correct history written as files, torn line included', async () => {
    for (const b of goodHistory()) await writeFile(join(dir, b.file), b.jsonl());
    const report = await checkTraceDir(dir);
    expect(report.violations).toEqual([]);
    expect(report.stats).toEqual({ traces: 5, members: 5, views: 4, sends: 9, deliveries: 28, tornLines: 1 });
  });
});
