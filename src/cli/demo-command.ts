import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTraceDir, formatReport } from '../check/index.js';
import { DELIVERY_KINDS } from '../core/delivery-kinds.js';
import { errorLine } from './cli-errors.js';
import { helpText, UsageError, usageErrorOf } from './cli-options.js';
import { MemberProcess } from './member-process.js';

const GROUP = 'demo';

const HELP = helpText(
  'usage: vsync demo [--delivery <kind>]',
  'Starts four member processes on 127.0.0.1 that multicast 100 messages/s each in one total order, SIGKILLs\n' +
    'the coordinator (also the sequencer), adds a fifth member, stops the traffic, and checks every trace.\n' +
    'About 20 seconds; the traces stay in a temporary folder. Exit 0 when every property holds.',
  [
    { flag: '--delivery <kind>', text: 'delivery kind of the members\' messages: safe (default), agreed or fifo (README, Delivery kinds)' },
    { flag: '--help', text: 'print this help and the legend of the output' },
  ],
);

/** What the numbers of the demo's lines mean: printed before the run, and with --help. */
export const LEGEND = [
  'legend: "b: view 3, 166 delivered, at seq 500" is member b\'s last status line:',
  '  view 3         the view (membership) b has installed; members in the same view list the same members',
  '  166 delivered  messages b has delivered since it joined: a member that joined later counts from its join,',
  '                 so this number differs between members and is not a measure of agreement',
  '  at seq 500     the sequence number of the last message b delivered: its place in the one total order.',
  '                 Every member delivers the same message at the same seq, so members at the same seq hold',
  '                 the same history; status lines are sampled every 250 ms, so a busy group shows small gaps',
];

/**
 * `vsync demo`: real member processes on 127.0.0.1. They multicast in total order; the coordinator is killed
 * with SIGKILL; the survivors install a new view and keep agreeing; a new member joins; then every trace is
 * checked. About 20 seconds, no configuration.
 */
export async function runDemoCommand(args: string[], out: (line: string) => void, err: (line: string) => void = out): Promise<number> {
  let delivery: string | undefined;
  try {
    const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, delivery: { type: 'string' } }, strict: true });
    if (values.help) {
      out(HELP);
      out('');
      for (const l of LEGEND) out(l);
      return 0;
    }
    delivery = values.delivery;
    if (delivery !== undefined && !(DELIVERY_KINDS as readonly string[]).includes(delivery)) {
      throw new UsageError(`--delivery is one of ${DELIVERY_KINDS.join(', ')}, got '${delivery}'`);
    }
  } catch (e) {
    err(`${errorLine('vsync demo', usageErrorOf(e))} (see vsync demo --help)`);
    return 2;
  }
  const started = Date.now();
  // The members authenticate each other with a secret made for this run (through the environment: not in `ps`).
  const secret = randomBytes(16).toString('hex');
  const t = (): string => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
  const say = (s: string): void => out(`${t()} ${s}`);
  const traceDir = mkdtempSync(join(tmpdir(), 'vsync-demo-'));
  const procs = new Map<string, MemberProcess>();
  const urls: string[] = [];
  const seenViews = new Set<number>();
  const killed = new Set<MemberProcess>();

  const start = (name: string): MemberProcess => {
    const args = ['--listen', '127.0.0.1:0', '--group', GROUP, '--trace-dir', traceDir, '--send-rate', '100', '--payload-bytes', '64', '--status-ms', '250', '--no-rejoin', '--secret', 'demo-secret'];
    if (urls.length > 0) args.push('--seeds', urls.join(','));
    if (delivery !== undefined) args.push('--delivery', delivery);
    const p = new MemberProcess(name, args, {
      env: { VSYNC_SECRET: secret },
      onLine: (line) => {
        const v = /^view id=(\d+) members=(\S+)/.exec(line);
        if (v && !seenViews.has(Number(v[1]))) {
          seenViews.add(Number(v[1]));
          say(`view ${v[1]}: ${v[2]!.split(',').map(short).join(', ')}`);
        }
      },
    });
    procs.set(name, p);
    return p;
  };
  const short = (id: string): string => id.split('#')[0]!;
  const statusOf = (p: MemberProcess): { view: number; delivered: number; seq: number } | null => {
    const m = p.lastMatch(/^status me=\S+ view=(\d+) delivered=(\d+) sent=\d+ seq=(\d+)/);
    return m ? { view: Number(m[1]), delivered: Number(m[2]), seq: Number(m[3]) } : null;
  };
  const table = (): void => {
    const parts: string[] = [];
    for (const [name, p] of procs) {
      if (p.exitCode !== null || killed.has(p)) continue;
      const s = statusOf(p);
      if (s) parts.push(`${name}: view ${s.view}, ${s.delivered} delivered, at seq ${s.seq}`);
    }
    say(parts.join(' | '));
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  out('vsync demo: real member processes on 127.0.0.1, each multicasting 100 messages/s in one total order');
  out(`traces: ${traceDir}`);
  for (const l of LEGEND) out(l);
  out('');
  try {
    const a = start('a');
    const ready = await a.waitFor(/^ready me=(\S+) url=(\S+)/);
    urls.push(ready[2]!);
    say(`a founded group '${GROUP}' as ${ready[1]} at ${ready[2]}`);
    for (const name of ['b', 'c', 'd']) {
      const p = start(name);
      const r = await p.waitFor(/^ready me=(\S+) url=(\S+)/);
      urls.push(r[2]!);
      say(`${name} joined as ${r[1]}`);
    }
    for (let i = 0; i < 4; i++) {
      await sleep(750);
      table();
    }

    say('SIGKILL a: the coordinator and sequencer dies with messages in flight');
    const killedAt = Date.now();
    a.signal('SIGKILL');
    killed.add(a);
    const b = procs.get('b')!;
    const from = b.lines.length;
    const nv = await b.waitFor(/^view id=(\d+) members=(\S+)/, 20_000, from);
    say(`survivors installed view ${nv[1]} ${Date.now() - killedAt} ms after the kill (failure detection + flush)`);
    for (let i = 0; i < 3; i++) {
      await sleep(750);
      table();
    }

    say('starting e: it joins the running group through any member');
    const e = start('e');
    await e.waitFor(/^ready me=/);
    for (let i = 0; i < 4; i++) {
      await sleep(750);
      table();
    }

    const alive = [...procs.values()].filter((p) => p !== a);
    say('SIGUSR1 everyone: stop multicasting, and let the group deliver what is in flight');
    for (const p of alive) p.signal('SIGUSR1');
    await Promise.all(alive.map((p) => p.waitFor(/^stopped-sending/)));
    const quiet = Date.now();
    while (Date.now() - quiet < 10_000) {
      await sleep(300);
      const seqs = alive.map((p) => statusOf(p)?.seq ?? -1);
      if (seqs.every((s) => s === seqs[0]) && Date.now() - quiet > 600) break;
    }
    table();
    const finalSeqs = alive.map((p) => statusOf(p)?.seq ?? -1);
    if (finalSeqs.every((x) => x === finalSeqs[0])) say(`all ${alive.length} members delivered the same order up to seq ${finalSeqs[0]}`);
    say('SIGTERM everyone: each leaves (its trace records it) or, when it cannot, ends its trace');
    for (const p of alive) p.signal('SIGTERM');
    await Promise.all(alive.map((p) => Promise.race([p.exited, sleep(10_000)])));

    const report = await checkTraceDir(traceDir);
    out('');
    out('summary');
    out(`  views installed:    ${seenViews.size} (${[...seenViews].sort((x, y) => x - y).join(', ')})`);
    for (const p of alive) {
      const m = p.lastMatch(/^bye me=(\S+) delivered=(\d+) sent=(\d+)/);
      if (m) out(`  ${p.name}: ${m[1]} delivered ${m[2]} messages, sent ${m[3]}`);
    }
    for (const line of formatReport(report)) out(`  ${line}`);
    out(report.ok
      ? '  every property of docs/trace-format.md holds: same views, same messages in the same order, nothing lost, nothing twice'
      : '  VIOLATIONS FOUND (see above)');
    out(`  took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return report.ok ? 0 : 1;
  } finally {
    for (const p of procs.values()) p.signal('SIGKILL');
  }
}
