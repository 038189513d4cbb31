import type { CoreConfig } from '../core/config.js';
import { defaultSimOptions, FAULT_KINDS, type SimOptions } from './options.js';

/**
 * The `vsync sim` flags that set a value of every member's config: one table for the parser, the help and the
 * replay line, so a flag added here is replayed too.
 */
export const CONFIG_FLAGS: ReadonlyArray<{ flag: string; key: keyof CoreConfig; text: string }> = [
  { flag: 'direct-min-bytes', key: 'directMinBytes', text: '1 sends every message direct (default: the core\'s, 8 KiB)' },
  { flag: 'own-ids-min-bytes', key: 'ownIdsMinBytes', text: '1 gives every member its own messages back as ids only (default: the core\'s, 256 bytes)' },
];

/**
 * The `vsync sim` command that replays a run of `o`, for a failing seed's report. What the command line cannot set
 * (a stateless run, an adversary, a config value without a flag, a longer settle phase) is named after it, so a
 * replay that would not be the same run says so instead of passing for it.
 */
export function replayCommand(o: SimOptions): string {
  const d = defaultSimOptions(o.seed);
  const parts = [`vsync sim --seed ${o.seed} --members ${o.members} --steps ${o.steps}`];
  const allFaults = o.faults.size === d.faults.size && [...o.faults].every((k) => d.faults.has(k));
  if (!allFaults) parts.push(`--faults ${o.faults.size === 0 ? 'none' : FAULT_KINDS.filter((k) => o.faults.has(k)).join(',')}`);
  if (o.sendRate !== d.sendRate) parts.push(`--send-rate ${o.sendRate}`);
  if (o.delivery) parts.push(`--agreed ${o.delivery.agreed} --fifo ${o.delivery.fifo}`);
  const config: Record<string, unknown> = { ...o.config };
  for (const c of CONFIG_FLAGS) {
    if (config[c.key] === undefined) continue;
    parts.push(`--${c.flag} ${String(config[c.key])}`);
    delete config[c.key];
  }
  const elsewhere = Object.entries(config).map(([key, value]) => `config.${key} = ${JSON.stringify(value)}`);
  if (o.mutation) parts.push(`--mutation ${o.mutation}`);
  if (o.settleSteps !== d.settleSteps) elsewhere.push(`settleSteps = ${o.settleSteps}`);
  if (o.stateful !== d.stateful) elsewhere.push(`stateful = ${o.stateful}`);
  if (o.adversary) elsewhere.push(`adversary = ${JSON.stringify(o.adversary)}`);
  const line = parts.join(' ');
  return elsewhere.length === 0 ? line : `${line} (with, not settable from the command line: ${elsewhere.join(', ')})`;
}
