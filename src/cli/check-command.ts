import { stat } from 'node:fs/promises';
import { checkTraces, formatReport, readTraceDir } from '../check/index.js';
import { helpText } from './cli-options.js';

const USAGE = 'usage: vsync check <dir> [--no-liveness] [--json]';

const HELP = helpText(
  USAGE,
  'Checks every property of docs/trace-format.md on a folder of traces (*.jsonl, simulated or real).\n' +
    'Exit 0: every property holds; 1: a violation (each printed with the first place it shows); 2: nothing to judge.',
  [
    { flag: '<dir>', text: 'the folder of trace files' },
    { flag: '--no-liveness', text: 'skip the liveness property (for runs that were cut short on purpose)' },
    { flag: '--json', text: 'print the report as JSON' },
    { flag: '--help', text: 'print this help' },
  ],
);

/**
 * `vsync check <dir> [--no-liveness] [--json]`; `args` are the words after `check`. Exit code 0 when every
 * property holds, 1 on any violation, 2 when the command cannot judge anything (bad usage, no such folder,
 * no traces): an empty verdict must never read as a passing one.
 */
export async function runCheckCommand(args: string[], out: (line: string) => void): Promise<number> {
  let dir: string | undefined;
  let liveness = true;
  let json = false;
  for (const arg of args) {
    if (arg === '--no-liveness') liveness = false;
    else if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') {
      out(HELP);
      return 0;
    } else if (arg.startsWith('-')) return usageError(out, `unknown option ${arg}`);
    else if (dir === undefined) dir = arg;
    else return usageError(out, `unexpected argument ${arg}`);
  }
  if (dir === undefined) return usageError(out, 'missing trace folder');

  try {
    if (!(await stat(dir)).isDirectory()) return usageError(out, `${dir} is not a folder`);
  } catch {
    return usageError(out, `trace folder ${dir} not found`);
  }
  const traces = await readTraceDir(dir);
  if (traces.length === 0) return usageError(out, `no *.jsonl trace files in ${dir}`);

  const report = checkTraces(traces, { liveness });
  if (json) out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report)) out(line);
  return report.ok ? 0 : 1;
}

function usageError(out: (line: string) => void, problem: string): number {
  out(`vsync check: ${problem}`);
  out(USAGE);
  return 2;
}
