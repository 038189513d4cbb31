import { describe, expect, it } from 'vitest';
import { defaultSimOptions, type Mutation, parseFaults } from '../../src/sim/options.js';
import { runSimulation } from '../../src/sim/run-sim.js';
import { Simulation } from '../../src/sim/simulation.js';
import { sweep } from './sweep.js';

describe('simulator', { timeout: 600_000 }, () => {
  it('is deterministic: one seed, one run, byte for byte', () => {
    const a = runSimulation(defaultSimOptions(42));
    const b = runSimulation(defaultSimOptions(42));
    expect(JSON.stringify(a.traces)).toEqual(JSON.stringify(b.traces));
    expect(a.stats).toEqual(b.stats);
  });

  it('is hard, not polite: a default run has view changes, crashes, partitions and thousands of multicasts', () => {
    let views = 0;
    let crashes = 0;
    let partitions = 0;
    let sends = 0;
    let inFlush = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = runSimulation(defaultSimOptions(seed));
      views += r.stats.views;
      crashes += r.stats.crashes;
      partitions += r.stats.partitions + r.stats.oneWayCuts;
      sends += r.stats.sends;
      inFlush += r.stats.faultsDuringFlush;
    }
    expect(views / 10).toBeGreaterThan(5);
    expect(crashes / 10).toBeGreaterThan(1);
    expect(partitions / 10).toBeGreaterThan(0.5);
    expect(sends / 10).toBeGreaterThan(2000);
    expect(inFlush).toBeGreaterThan(0);
  });

  it('no faults: one view, every message delivered everywhere', () => {
    const o = defaultSimOptions(3);
    o.faults = parseFaults('none');
    const r = runSimulation(o);
    expect(r.firstViolation).toBeNull();
    expect(r.stats.views).toBe(1);
    expect(r.stats.delivered).toBe(r.stats.sends * 5);
  });

  it('two members, with only network faults (a minority of two is one, so no crashes)', () => sweep(1, 20, (o) => {
    o.members = 2;
    o.faults = parseFaults('drop,dup,reorder,delay');
  }));

  it('three and seven members, all faults', () => {
    sweep(1, 15, (o) => { o.members = 3; });
    sweep(1, 10, (o) => { o.members = 7; });
  });

  it('sixteen members, all faults', () => sweep(1, 3, (o) => { o.members = 16; o.steps = 800; }));

  it('sixty-four members, all faults, a short run', () => sweep(1, 1, (o) => { o.members = 64; o.steps = 300; }));
});

describe('the simulator and checker catch deliberately broken protocols', { timeout: 600_000 }, () => {
  const caught = (mutation: Mutation, seeds: number[]): string[] => {
    const props: string[] = [];
    for (const seed of seeds) {
      const r = runSimulation({ ...defaultSimOptions(seed), mutation });
      if (r.firstViolation) props.push(r.firstViolation.property);
    }
    return props;
  };

  it('a core that installs views without completing the flush is caught', () => {
    const props = caught('skip-flush', [1, 2, 3, 4, 5]);
    expect(props.length).toBeGreaterThanOrEqual(4);
  });

  it('a core that does not re-send undelivered messages after a view change is caught', () => {
    const props = caught('no-resend', [1, 2, 3, 4, 5]);
    expect(props.length).toBeGreaterThanOrEqual(4);
    expect(props).toContain('self-delivery');
  });

  it('a core that delivers before a majority holds the message (not uniform) is caught', () => {
    // It takes a sequencer failure at the wrong moment: about one seed in eight (`vsync sim --seeds 1..60
    // --mutation early-deliver` found 7 when this was written). A range, not pinned seeds, so that unrelated
    // changes to the run's dynamics do not silently turn this test into one that cannot fail.
    const seeds = Array.from({ length: 60 }, (_, i) => i + 1);
    expect(caught('early-deliver', seeds).length).toBeGreaterThanOrEqual(3);
  });

  it('a joiner that applies messages before its state arrives is caught (state agreement)', () => {
    const props = caught('deliver-before-state', [1, 2, 3, 4, 5]);
    expect(props.length).toBeGreaterThanOrEqual(3);
    expect(props).toContain('state-agreement');
  });
});

describe('Simulation.describe', () => {
  it('gives one line per slot from the members’ public state, after a run', () => {
    const sim = new Simulation({ ...defaultSimOptions(3), steps: 100, settleSteps: 1000 });
    const run = sim.run();
    const lines = sim.describe();
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines[0]).toMatch(/^n0#\d+ (up|down|paused) restartAt=-?\d+/);
    if (run.stats.settled) for (const l of lines.filter((x) => x.includes(' up '))) expect(l).toMatch(/phase=member view=\d+:.* quiescent=true/);
  });
});
