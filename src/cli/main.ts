import { runBenchCommand } from './bench-command.js';
import { runCheckCommand } from './check-command.js';
import { runDemoCommand } from './demo-command.js';
import { runMemberCommand } from './member-command.js';
import { runSimCommand } from './sim-command.js';
import { runStatusCommand } from './status-command.js';

const USAGE = `usage: vsync <command> [options]

commands:
  demo     start a small group of real processes, kill the coordinator, add a member, check the traces
  member   run one member process (vsync member --help)
  sim      run the deterministic simulator (vsync sim --help)
  check    check a folder of traces (vsync check <dir>)
  status   show a running node's groups, views and links (vsync status <http-url>)
  bench    measure throughput, latency, view changes and memory against raw WebSocket (vsync bench --help)`;

/** The CLI: prints to stdout (the library itself never prints). Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const out = (line: string): void => {
    process.stdout.write(line + '\n');
  };
  switch (cmd) {
    case 'sim':
      return runSimCommand(rest, out);
    case 'check':
      return runCheckCommand(rest, out);
    case 'member':
      return runMemberCommand(rest, out);
    case 'demo':
      return runDemoCommand(rest, out);
    case 'bench':
      return runBenchCommand(rest, out);
    case 'status':
      return runStatusCommand(rest, out);
    case undefined:
    case '--help':
    case 'help':
      out(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      out(`vsync: unknown command '${cmd}'`);
      out(USAGE);
      return 2;
  }
}
