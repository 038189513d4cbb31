import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/core/config.js';
import { ErrorCodes, VsyncError } from '../../src/errors.js';
import type { Frame } from '../../src/core/frames.js';
import { defaultSimOptions } from '../../src/sim/options.js';
import { runSimulation } from '../../src/sim/run-sim.js';
import { decodeFrame, encodeFrame } from '../../src/wire/index.js';
import { TestCluster } from '../helpers/cluster.js';
import { frameArb } from '../wire/frames.js';

/*
 * Fuzzing the core (issue 8). In CI this runs a quick sample; `npm run fuzz` sets VSYNC_FUZZ=<inputs> for the
 * long run (at least a million decoder inputs, and a longer series of simulated groups under attack).
 */
const LONG = Number(process.env['VSYNC_FUZZ'] ?? 0);
const DECODER_INPUTS = LONG > 0 ? LONG : 10_000;
const SIM_SEEDS = LONG > 0 ? 30 : 3;
const SIM_STEPS = LONG > 0 ? 1500 : 400;
const TIMEOUT = LONG > 0 ? 4 * 3600_000 : 600_000; // CPU-bound; the CI part takes about 30 s on a quiet machine

const ids = ['a#1', 'b#1', 'c#1'];
const cfg = resolveConfig();

/** Every bound a member keeps on what input can grow (Member.footprint). */
function expectWithinBounds(fp: Record<string, number>): void {
  expect(fp['logBytes'] ?? 0).toBeLessThanOrEqual(cfg.maxLogBytes);
  expect(fp['aheadBytes'] ?? 0).toBeLessThanOrEqual(cfg.maxAheadBytes);
  expect(fp['logEntries'] ?? 0).toBeLessThanOrEqual(2 * cfg.maxLogEntries);
  expect(fp['pendingJoins'] ?? 0).toBeLessThanOrEqual(cfg.maxPendingJoins);
  expect(fp['joinPings'] ?? 0).toBeLessThanOrEqual(4 * cfg.maxPendingJoins);
  expect(fp['helped'] ?? 0).toBeLessThanOrEqual(4 * cfg.maxPendingJoins + 1);
  expect(fp['excludedIds'] ?? 0).toBeLessThanOrEqual(cfg.maxRememberedExcluded);
  expect(fp['history'] ?? 0).toBeLessThanOrEqual(16);
}

/** Valid envelopes with a few bytes flipped, inserted or cut off: they get past the first checks. */
const mutatedArb = fc
  .tuple(frameArb, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 2 })), { maxLength: 4 }), fc.option(fc.nat()))
  .map(([frame, edits, cut]) => {
    const bytes = [...encodeFrame('g', 'x#1', '', frame)];
    for (const [at, value, kind] of edits) {
      const i = at % (bytes.length + 1);
      if (kind === 0) bytes[i % bytes.length] = value;
      else if (kind === 1) bytes.splice(i, 0, value);
      else bytes.splice(i, 1);
    }
    return Uint8Array.from(cut === null ? bytes : bytes.slice(0, cut % (bytes.length + 1)));
  });
const inputArb = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutatedArb, frameArb.map((f) => encodeFrame('g', 'x#1', '', f)));

describe('fuzz (a): bytes into the decoder, then into running cores', () => {
  it(`${DECODER_INPUTS} inputs: the decoder refuses with a wire code or yields a frame no core throws on`, () => {
    let cluster = new TestCluster(ids);
    let n = 0;
    let decoded = 0;
    fc.assert(
      fc.property(inputArb, fc.nat({ max: 2 }), fc.boolean(), (bytes, k, asMember) => {
        let frame: Frame;
        let from: string;
        try {
          ({ frame, from } = decodeFrame(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(VsyncError);
          expect([ErrorCodes.MALFORMED_FRAME, ErrorCodes.VERSION]).toContain((err as VsyncError).code);
          return;
        }
        decoded++;
        const to = ids[k]!;
        // The link authenticates the sender: either its own (made-up) id, or a member of the group that lies.
        if (asMember) from = ids[(k + 1) % 3]!;
        cluster.member(to).receive(from, frame);
        cluster.pump(to);
        cluster.deliverAll();
        if (++n % 64 === 0) cluster.tick();
        if (n % 4096 === 0) {
          for (const id of cluster.aliveIds()) expectWithinBounds(cluster.member(id).footprint);
          cluster = new TestCluster(ids);
        }
      }),
      { numRuns: DECODER_INPUTS },
    );
    expect(decoded).toBeGreaterThan(0);
  }, TIMEOUT);
});

describe('fuzz (b): hostile well-typed frames injected into simulated groups', () => {
  const seeds = Array.from({ length: SIM_SEEDS }, (_, i) => 9001 + i);

  it.each(seeds)('seed %i, from non-members: no exception, bounds kept, every property holds', (seed) => {
    const o = defaultSimOptions(seed);
    o.steps = SIM_STEPS;
    o.adversary = { rate: 2, asMembers: false };
    const r = runSimulation(o);
    expect(r.stats.injected).toBeGreaterThan(0);
    expect(r.firstViolation, r.firstViolation ? `${r.firstViolation.property}: ${r.firstViolation.message}` : '').toBeNull();
    expectWithinBounds(r.stats.maxFootprint);
  }, TIMEOUT);

  it.each(seeds)('seed %i, in the name of members (lies): no exception, bounds kept', (seed) => {
    const o = defaultSimOptions(seed);
    o.steps = SIM_STEPS;
    o.adversary = { rate: 1, asMembers: true };
    // A lying member may stall the group (a crash-fault protocol cannot stop it): do not wait long for liveness.
    o.settleSteps = 50;
    const r = runSimulation(o);
    expect(r.stats.injected).toBeGreaterThan(0);
    const invariant = r.firstViolation?.property === 'core-invariant' ? r.firstViolation.message : null;
    expect(invariant).toBeNull();
    expectWithinBounds(r.stats.maxFootprint);
  }, TIMEOUT);
});
