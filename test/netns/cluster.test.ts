/**
 * Multi-host tests on one machine (issue 9): `vsync member` processes in their own network namespaces, each
 * advertising its namespace address, all started with the same command (seed list and --bootstrap-expect), with
 * latency and loss (tc netem, when the kernel has it), links cut and healed, nodes killed, restarted and paused.
 * The traces are checked. Skipped, with the reason printed, when not root or without iproute2.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTraceDir } from '../../src/check/index.js';
import { NetnsLab, type NsMember, unavailable } from './netns-lab.js';

const PORT = 7000;
const RUNS = Number(process.env['VSYNC_NETNS_RUNS'] ?? '10');
const reason = unavailable();
if (reason) console.log(`test/netns skipped: ${reason}`);

let lab: NetnsLab | null = null;
afterEach(() => {
  lab?.cleanup();
  lab = null;
});
// Also on an interrupted run (Ctrl-C, a killed worker): never leave namespaces behind.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { lab?.cleanup(); process.exit(1); });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await sleep(50);
  }
}

function view(m: NsMember): string[] {
  return m.lastMatch(/^view id=\d+ members=(\S+)/)?.[1]!.split(',') ?? [];
}

function gid(m: NsMember): string {
  return m.lastMatch(/^status .* gid=(\S*)$/)?.[1] ?? '';
}

function newLab(size: number): NetnsLab {
  const l = (lab = new NetnsLab(size));
  l.setup();
  if (!l.addNetem()) console.log('test/netns: tc netem is not available in this kernel: running without added latency and loss');
  return l;
}

/** The same command on every node but for its name and its own address. */
function startNode(l: NetnsLab, i: number, dir: string, extra: string[] = []): NsMember {
  const seeds = Array.from({ length: l.size }, (_, k) => `ws://${l.addr(k)}:${PORT}`).join(',');
  return l.spawn(i, [
    '--listen', `${l.addr(i)}:${PORT}`, '--advertise', `ws://${l.addr(i)}:${PORT}`, '--seeds', seeds,
    '--bootstrap-expect', String(l.size), '--group', 'g', '--secret', 'test-secret', '--trace-dir', dir,
    '--status-ms', '200', ...extra,
  ]);
}

function describeAll(ms: NsMember[]): string {
  return ms.map((m) => `${m.name}: ${view(m).join(',')} gid=${gid(m)} | ${m.lines.slice(-2).join(' | ')}`).join('\n');
}

async function quietAndCheck(ms: NsMember[], dir: string): Promise<void> {
  for (const m of ms) m.signal('SIGUSR1');
  let last = '';
  let since = Date.now();
  await until(() => {
    const key = ms.map((m) => m.lastMatch(/^status .* seq=(\d+)/)?.[1] ?? '?').join(',');
    if (key !== last || !key.split(',').every((x) => x === key.split(',')[0])) {
      last = key;
      since = Date.now();
    }
    return ms.every((m) => m.lastMatch(/^stopped-sending/) !== null) && Date.now() - since > 1000;
  }, 60_000, () => `a quiet group: ${last}`);
  for (const m of ms) m.signal('SIGTERM');
  await Promise.all(ms.map((m) => Promise.race([m.exited, sleep(15_000)])));
  const report = await checkTraceDir(dir);
  expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
}

describe.skipIf(reason !== null)('nodes in their own network namespaces', () => {
  for (const size of [3, 5]) {
    it(`${size} nodes started with identical commands form one group (${RUNS} runs)`, async () => {
      const l = newLab(size);
      for (let run = 0; run < RUNS; run++) {
        const dir = mkdtempSync(join(tmpdir(), 'vsync-netns-'));
        const ms = Array.from({ length: size }, (_, i) => startNode(l, i, dir));
        await until(() => ms.every((m) => view(m).length === size && gid(m) !== ''), 60_000, () => `one group of ${size} (run ${run}):\n${describeAll(ms)}`);
        expect(new Set(ms.map((m) => view(m).join(','))).size).toBe(1);
        expect(new Set(ms.map(gid)).size).toBe(1);
        // Members name each other by their namespace addresses.
        for (const m of ms) expect(m.lines[0]).toMatch(new RegExp(`^ready me=\\S+ url=ws://10\\.213\\.0\\.\\d+:${PORT}$`));
        await quietAndCheck(ms, dir);
        l.members.splice(0);
      }
    }, 900_000);
  }

  it('five nodes under load: a cut link heals, a killed node restarts, a paused one comes back; traces check', async () => {
    const l = newLab(5);
    const dir = mkdtempSync(join(tmpdir(), 'vsync-netns-'));
    const load = ['--send-rate', '50'];
    const ms = Array.from({ length: 5 }, (_, i) => startNode(l, i, dir, load));
    await until(() => ms.every((m) => view(m).length === 5 && gid(m) !== ''), 60_000, () => `five members:\n${describeAll(ms)}`);
    const first = gid(ms[0]!);
    const others = (skip: number[]): NsMember[] => ms.filter((_, k) => !skip.includes(k));

    // Cut n4 off: the other four go on without it; heal: it is back (a new incarnation, after its exclusion).
    l.link(4, false);
    await until(() => others([4]).every((m) => view(m).length === 4 && !view(m).some((id) => id.startsWith('n4#'))), 60_000, () => `n4 cut off:\n${describeAll(ms)}`);
    l.link(4, true);
    await until(() => ms.every((m) => view(m).length === 5), 90_000, () => `n4 healed:\n${describeAll(ms)}`);

    // Kill n0 (a founder, the first coordinator) and restart it with its usual command: it rejoins.
    ms[0]!.signal('SIGKILL');
    await ms[0]!.exited;
    await until(() => others([0]).every((m) => view(m).length === 4), 60_000, () => `n0 removed:\n${describeAll(ms)}`);
    ms[0] = startNode(l, 0, dir, load);
    await until(() => ms.every((m) => view(m).length === 5), 90_000, () => `n0 back:\n${describeAll(ms)}`);

    // Pause n2 past failure detection, then let it go on: it learns it was excluded and rejoins.
    ms[2]!.signal('SIGSTOP');
    await until(() => others([2]).every((m) => view(m).length === 4), 60_000, () => `n2 excluded:\n${describeAll(ms)}`);
    ms[2]!.signal('SIGCONT');
    await until(() => ms.every((m) => view(m).length === 5), 90_000, () => `n2 back:\n${describeAll(ms)}`);

    await until(() => ms.every((m) => gid(m) === first), 20_000, () => `one group id ${first}:\n${describeAll(ms)}`);
    await quietAndCheck(ms, dir);
  }, 900_000);
});
