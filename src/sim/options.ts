import type { CoreConfig } from '../core/index.js';
import type { DeliveryMix } from './delivery-mix.js';

export const FAULT_KINDS = ['drop', 'dup', 'reorder', 'delay', 'partition', 'crash', 'pause', 'restart', 'join', 'leave'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Deliberately broken protocols, to show that the simulator and checker catch them. */
export const MUTATIONS = ['skip-flush', 'no-resend', 'early-deliver', 'deliver-before-state'] as const;
export type Mutation = (typeof MUTATIONS)[number];

export interface SimOptions {
  seed: number;
  /** Members that found the group (2 to 64). */
  members: number;
  /** Length of the fault phase, in 10 ms steps of simulated time. */
  steps: number;
  faults: ReadonlySet<FaultKind>;
  /** Most simulated steps the final heal-and-settle phase may take before liveness is judged. */
  settleSteps: number;
  /** Average multicasts per member per step while the fault phase lasts. */
  sendRate: number;
  /** Members replicate a hash chain over their deliveries and joiners receive it by state transfer. */
  stateful: boolean;
  mutation?: Mutation;
  /**
   * Fuzzing: during the fault phase, inject well-typed frames with hostile values (src/sim/hostile-frames.ts),
   * `rate` per step on average, from made-up non-members or, with `asMembers`, in the name of members of the
   * receiver's view (a member that lies).
   */
  adversary?: { rate: number; asMembers: boolean };
  /** Shares of agreed and fifo sends (default none: every send is safe); drawn apart from the random streams. */
  delivery?: DeliveryMix;
  config?: Partial<CoreConfig>;
}

export const SIM_STEP_MS = 10;

export function defaultSimOptions(seed: number): SimOptions {
  return {
    seed,
    members: 5,
    steps: 1500,
    faults: new Set(FAULT_KINDS),
    settleSteps: 6000,
    sendRate: 0.3,
    stateful: true,
  };
}

export function parseFaults(spec: string): Set<FaultKind> {
  const out = new Set<FaultKind>();
  if (spec.trim() === '' || spec === 'none') return out;
  if (spec === 'all') return new Set(FAULT_KINDS);
  for (const raw of spec.split(',')) {
    const f = raw.trim();
    if (!(FAULT_KINDS as readonly string[]).includes(f)) throw new RangeError(`unknown fault '${f}' (known: ${FAULT_KINDS.join(',')})`);
    out.add(f as FaultKind);
  }
  return out;
}
