import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeHtmlReport } from '../bench/html-report.js';
import { formatReport } from '../bench/report.js';
import { runBench } from '../bench/run.js';
import { type BenchMode, settingsFor } from '../bench/settings.js';
import { errorLine } from './cli-errors.js';
import { helpText, joinNegativeNumbers, usageErrorOf } from './cli-options.js';

// 'netns' (members in network namespaces; root) runs only when named in --only.
const PARTS = ['baseline', 'throughput', 'latency', 'viewchange', 'state', 'memory', 'profile', 'netns'];

const USAGE = helpText(
  'usage: vsync bench [--quick | --smoke] [options]',
  'Benchmarks vsync with real member processes on 127.0.0.1 against a raw ws full mesh: throughput, latency,\n' +
    'view changes, joins and memory. Prints a table, writes JSON (default bench-results.json) and beside it an HTML\n' +
    'report with charts (bench-results.html).',
  [
    { flag: '--quick', text: 'fewer cases (3 members, all sending 1 KB, 16 KB, 64 B, and 5 members at 1 KB; 3 rounds), shorter windows (a few minutes)' },
    { flag: '--smoke', text: 'the smallest run that exercises every part (for tests)' },
    { flag: '--out <file>', text: 'where to write the JSON results (default: bench-results.json in the current directory)' },
    { flag: '--only <parts>', text: `comma-separated subset of: ${PARTS.join(', ')} (netns: members in network namespaces, as root, only when named)` },
    { flag: '--profile', text: 'also run vsync at saturation under node --cpu-prof and print the top functions' },
    { flag: '--profile-dir <dir>', text: 'where --profile writes its .cpuprofile files' },
    { flag: '--profile-bytes <n>', text: 'payload size of the profiled case (default 1024; 64 shows the per-message costs)' },
    { flag: '--profile-members <n>', text: 'members in the profiled case (default 3)' },
    { flag: '--window-ms <ms>', text: 'length of each measurement window (positive integer)' },
    { flag: '--warmup-ms <ms>', text: 'warm-up before each window (positive integer)' },
    { flag: '--digest-full', text: 'hash every payload in full for the digests (default: every 16th; the others by header)' },
    { flag: '--help', text: 'print this help' },
  ],
);

/** `vsync bench`: returns 0 when every case ran and every digest agreed (targets do not change the exit code). */
export async function runBenchCommand(args: string[], out: (line: string) => void, err: (line: string) => void = out): Promise<number> {
  let v;
  try {
    ({ values: v } = parseArgs({
      args: joinNegativeNumbers(args),
      options: {
        quick: { type: 'boolean' }, smoke: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' },
        profile: { type: 'boolean' }, 'profile-dir': { type: 'string' }, 'profile-bytes': { type: 'string' }, 'profile-members': { type: 'string' }, 'window-ms': { type: 'string' }, 'warmup-ms': { type: 'string' },
        'digest-full': { type: 'boolean' }, help: { type: 'boolean' },
      },
      strict: true,
    }));
    if (v.help) {
      out(USAGE);
      return 0;
    }
  } catch (e) {
    err(`${errorLine('vsync bench', usageErrorOf(e))} (see vsync bench --help)`);
    return 2;
  }
  const mode: BenchMode = v.smoke ? 'smoke' : v.quick ? 'quick' : 'full';
  const settings = settingsFor(mode);
  const posInt = (s: string | undefined, name: string): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`--${name} takes a positive integer`);
    return n;
  };
  let only: Set<string> | undefined;
  let profileBytes: number | undefined;
  let profileMembers: number | undefined;
  try {
    profileBytes = posInt(v['profile-bytes'], 'profile-bytes');
    profileMembers = posInt(v['profile-members'], 'profile-members');
    settings.windowMs = posInt(v['window-ms'], 'window-ms') ?? settings.windowMs;
    settings.warmupMs = posInt(v['warmup-ms'], 'warmup-ms') ?? settings.warmupMs;
    if (v['digest-full']) settings.digestFullEvery = 1;
    if (v.only) {
      only = new Set(v.only.split(',').map((x) => x.trim()).filter(Boolean));
      for (const p of only) if (!PARTS.includes(p)) throw new RangeError(`--only: unknown part '${p}' (parts: ${PARTS.join(', ')})`);
    }
  } catch (e) {
    err(`${errorLine('vsync bench', usageErrorOf(e))} (see vsync bench --help)`);
    return 2;
  }
  const file = resolve(v.out ?? 'bench-results.json');
  out(`vsync bench (${mode}): real processes on 127.0.0.1; results to ${file}`);
  const results = await runBench({ settings, profile: v.profile === true || (only?.has('profile') ?? false), profileDir: v['profile-dir'], profileBytes, profileMembers, only, progress: out });
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  const html = writeHtmlReport(file, results);
  out('');
  for (const line of formatReport(results)) out(line);
  out('');
  out(`results: ${file}; report: ${html}`);
  return results.problems.length === 0 ? 0 : 1;
}
