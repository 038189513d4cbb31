import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEvent } from './parse-event.js';
import type { MemberTrace, TraceEvent } from './trace-types.js';

/**
 * Reads every `*.jsonl` directly in `dir` (not recursively: a run's folder may hold other runs below it), in
 * file-name order so that reports are reproducible.
 */
export async function readTraceDir(dir: string): Promise<MemberTrace[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && e.name.endsWith('.jsonl'))
    .map((e) => e.name)
    .sort();
  const traces: MemberTrace[] = [];
  for (const name of names) {
    traces.push(parseTraceText(name, await readFile(join(dir, name), 'utf8')));
  }
  return traces;
}

/**
 * Parses one trace file's text. A SIGKILL can tear only the last write, so an unparseable last line is
 * tolerated (and counted); anywhere else it means the writer is broken and is reported as a format problem.
 */
export function parseTraceText(file: string, text: string): MemberTrace {
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && (lines[last] ?? '').trim() === '') last--;

  const events: TraceEvent[] = [];
  const problems: string[] = [];
  let tornLines = 0;
  let me = '';

  for (let i = 0; i <= last; i++) {
    const text = (lines[i] ?? '').trim();
    if (text === '') continue;
    const lineNo = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (i === last) tornLines++;
      else problems.push(`${file}:${lineNo}: unparseable line ${JSON.stringify(clip(text))}`);
      continue;
    }
    const parsed = parseEvent(value, lineNo);
    if (!parsed.ok) {
      problems.push(`${file}:${lineNo}: ${parsed.error}`);
      continue;
    }
    const event = parsed.event;
    if (me === '') me = event.me;
    if (event.me !== me) {
      // Dropped: attributing another member's event to this one would make every later property lie.
      problems.push(`${file}:${lineNo}: "me" is ${JSON.stringify(event.me)} but earlier lines say ${JSON.stringify(me)}`);
      continue;
    }
    events.push(event);
  }
  return { file, me, events, tornLines, problems };
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
