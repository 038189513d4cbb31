import { readFileSync } from 'node:fs';
import { runBenchCommand } from './bench-command.js';
import { runCheckCommand } from './check-command.js';
import { errorLine } from './cli-errors.js';
import { wantsDebug } from './cli-options.js';
import { runDemoCommand } from './demo-command.js';
import { runMemberCommand } from './member-command.js';
import { runRecoverCommand } from './recover-command.js';
import { runSimCommand } from './sim-command.js';
import { runStatusCommand } from './status-command.js';

const USAGE = `usage: vsync <command> [options]

commands:
  demo     start a small group of real processes, kill the coordinator, add a member, check the traces
  member   run one member process (vsync member --help)
  sim      run the deterministic simulator (vsync sim --help)
  check    check a folder of traces (vsync check --help)
  status   show a running node's groups, views and links (vsync status <http-url>; vsync status --help)
  recover  let the survivors of a lost majority form a new primary view, losing what only the lost side delivered
           (vsync recover <http-url> --group <g> --confirm; vsync recover --help)
  bench    measure throughput, latency, view changes and memory against raw WebSocket (vsync bench --help)

options:
  --version  print the version and exit
  --help     print this help; \`vsync <command> --help\` describes each option of a command`;

/** The package's version, read from the package.json next to dist/ (and src/): one source of truth. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * A reader that closed our stdout (`vsync status <url> | head`) has read all it wanted: end quietly, as Unix tools
 * do, instead of dying on an unhandled EPIPE with a stack trace.
 */
function endOnClosedStdout(): void {
  if (process.stdout.listenerCount('error') > 0) return;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    process.stderr.write(`vsync: cannot write to stdout: ${e.message}\n`);
    process.exit(2);
  });
}

/** The CLI: prints to stdout, errors to stderr (the library itself never prints). Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  endOnClosedStdout();
  const out = (line: string): void => {
    process.stdout.write(line + '\n');
  };
  const err = (line: string): void => {
    process.stderr.write(line + '\n');
  };
  try {
    switch (cmd) {
      case 'sim':
        return await runSimCommand(rest, out, err);
      case 'check':
        return await runCheckCommand(rest, out);
      case 'member':
        return await runMemberCommand(rest, out, err);
      case 'demo':
        return await runDemoCommand(rest, out, err);
      case 'bench':
        return await runBenchCommand(rest, out, err);
      case 'status':
        return await runStatusCommand(rest, out);
      case 'recover':
        return await runRecoverCommand(rest, out, err);
      case '--version':
      case '-v':
        out(version());
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        err(`vsync: VSYNC_ERR_INVALID_ARGUMENT: unknown command '${cmd}' (see vsync --help)`);
        return 2;
    }
  } catch (e) {
    // Whatever a command did not handle: one line with its code; the stack with --log-level debug.
    err(errorLine(`vsync ${cmd}`, e, wantsDebug(rest)));
    return 2;
  }
}
