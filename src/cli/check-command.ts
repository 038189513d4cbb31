import { stat } from 'node:fs/promises';
import { checkTraces, formatReport, readTraceDir } from '../check/index.js';

const USAGE = 'usage: vsync check <dir> [--no-liveness] [--json]';

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
      out(USAGE);
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
