import { parseArgs } from 'node:util';
import { defaultSimOptions, FAULT_KINDS, MUTATIONS, type Mutation, parseFaults, type SimOptions } from '../sim/options.js';
import { checkDeliveryMix } from '../sim/delivery-mix.js';
import { CONFIG_FLAGS, replayCommand } from '../sim/replay.js';
import { runSimulation, summaryLine, writeTraces } from '../sim/run-sim.js';
import { errorLine } from './cli-errors.js';
import { helpText, joinNegativeNumbers, usageErrorOf } from './cli-options.js';

const USAGE = helpText(
  'usage: vsync sim [--seed <int> | --seeds <from>..<to>] [options]',
  'Runs the real protocol core for many members in one process over a simulated network with faults, from one\n' +
    'seed that replays the run exactly, then checks the traces. Exit 0: every property holds; 1: a violation; 2: usage.',
  [
    { flag: '--seed <int>', text: 'one run from this seed (default 1): writes its traces and checks them' },
    { flag: '--seeds <from>..<to>', text: 'a sweep: one run per seed, prints every failing seed' },
    { flag: '--members <n>', text: 'members at the start, 2..64 (default 5)' },
    { flag: '--steps <n>', text: 'simulated steps before the final healing phase (default 1500)' },
    { flag: '--faults <list>', text: `comma-separated fault kinds, or all, or none (kinds: ${FAULT_KINDS.join(', ')})` },
    { flag: '--send-rate <p>', text: 'probability that a member multicasts in a step, 0..1 (default 0.3)' },
    { flag: '--agreed <share>', text: 'share of sends that ask for agreed delivery, 0..1 (default 0: all safe)' },
    { flag: '--fifo <share>', text: 'share of sends that ask for fifo delivery, 0..1 (default 0)' },
    ...CONFIG_FLAGS.map((c) => ({ flag: `--${c.flag} <n>`, text: `config.${c.key} of every member: ${c.text}` })),
    { flag: '--mutation <name>', text: `run a deliberately broken core, to see the checker catch it (${MUTATIONS.join(', ')})` },
    { flag: '--trace-dir <dir>', text: 'keep the traces there (default: a temporary folder)' },
    { flag: '--lines', text: 'with --seeds: print every seed\'s summary line, to compare two sweeps seed by seed (diff)' },
    { flag: '--help', text: 'print this help' },
  ],
);

function parseRange(spec: string): [number, number] {
  const m = /^(\d+)\.\.(\d+)$/.exec(spec);
  if (!m) throw new RangeError(`--seeds takes <from>..<to>, got '${spec}'`);
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (b < a) throw new RangeError('--seeds range is empty');
  return [a, b];
}

function int(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`--${name} takes a non-negative integer, got '${v}'`);
  return n;
}

/** `vsync sim`: one seed (writes traces, checks them) or a range of seeds (reports every failing seed). */
export async function runSimCommand(args: string[], out: (line: string) => void, err: (line: string) => void = out): Promise<number> {
  let values;
  let opts: SimOptions;
  let range: [number, number] | null = null;
  try {
    ({ values } = parseArgs({
      args: joinNegativeNumbers(args),
      options: {
        seed: { type: 'string' }, seeds: { type: 'string' }, members: { type: 'string' }, steps: { type: 'string' },
        faults: { type: 'string' }, 'trace-dir': { type: 'string' }, 'send-rate': { type: 'string' }, mutation: { type: 'string' },
        help: { type: 'boolean' }, lines: { type: 'boolean' }, agreed: { type: 'string' }, fifo: { type: 'string' },
        ...Object.fromEntries(CONFIG_FLAGS.map((c) => [c.flag, { type: 'string' as const }])),
      },
      strict: true,
    }));
    if (values.help) {
      out(USAGE);
      return 0;
    }
    const seed = int(values.seed, 'seed', 1);
    opts = defaultSimOptions(seed);
    opts.members = int(values.members, 'members', opts.members);
    if (opts.members < 2 || opts.members > 64) throw new RangeError('--members must be 2..64');
    opts.steps = int(values.steps, 'steps', opts.steps);
    if (values.faults !== undefined) opts.faults = parseFaults(values.faults);
    if (values['send-rate'] !== undefined) {
      opts.sendRate = Number(values['send-rate']);
      if (!(opts.sendRate >= 0 && opts.sendRate <= 1)) throw new RangeError('--send-rate is a probability per member per step (0..1)');
    }
    if (values.agreed !== undefined || values.fifo !== undefined) {
      opts.delivery = checkDeliveryMix({ agreed: Number(values.agreed ?? 0), fifo: Number(values.fifo ?? 0) });
    }
    for (const c of CONFIG_FLAGS) {
      const v = (values as Record<string, string | boolean | undefined>)[c.flag];
      if (v === undefined) continue;
      const n = int(String(v), c.flag, 0);
      if (n < 1) throw new RangeError(`--${c.flag} must be at least 1`);
      opts.config = { ...opts.config, [c.key]: n };
    }
    if (values.mutation !== undefined) {
      if (!(MUTATIONS as readonly string[]).includes(values.mutation)) throw new RangeError(`--mutation is one of ${MUTATIONS.join(', ')}`);
      opts.mutation = values.mutation as Mutation;
    }
    if (values.seeds !== undefined) range = parseRange(values.seeds);
  } catch (e) {
    err(`${errorLine('vsync sim', usageErrorOf(e))} (see vsync sim --help)`);
    return 2;
  }

  if (range === null) {
    const r = runSimulation(opts);
    const dir = writeTraces(r.traces, values['trace-dir']);
    out(summaryLine(r, opts.members));
    out(`traces: ${dir}`);
    if (r.firstViolation) {
      out(`FAILED seed=${opts.seed}: ${r.firstViolation.property}: ${r.firstViolation.message}`);
      out(`replay: ${replayCommand(opts)}`);
      return 1;
    }
    return 0;
  }

  const failing: number[] = [];
  const started = Date.now();
  for (let seed = range[0]; seed <= range[1]; seed++) {
    const r = runSimulation({ ...opts, seed });
    if (values.lines) out(summaryLine(r, opts.members));
    if (r.firstViolation) {
      failing.push(seed);
      out(`FAILED seed=${seed}: ${r.firstViolation.property}: ${r.firstViolation.message} (replay: ${replayCommand({ ...opts, seed })})`);
      if (values['trace-dir']) out(`traces: ${writeTraces(r.traces, `${values['trace-dir']}/seed-${seed}`)}`);
    } else if (!values.lines && (seed - range[0]) % 100 === 99) {
      out(`... ${seed - range[0] + 1} seeds, ${failing.length} failing, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  const total = range[1] - range[0] + 1;
  out(`seeds=${range[0]}..${range[1]} runs=${total} failing=${failing.length}${failing.length ? ` [${failing.join(',')}]` : ''}`);
  return failing.length > 0 ? 1 : 0;
}
