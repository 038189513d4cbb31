import { describe, expect, it } from 'vitest';
import { Liveness } from '../../src/core/liveness.js';

const view = { id: 3, members: ['a', 'b', 'c', 'd'] };
// suspectTicks 10, confirmTicks 5: silent for 10 ticks → pinged; silent 5 more → suspected.
const fresh = (self: string, now = 0): Liveness => {
  const l = new Liveness(10, 5);
  l.watch(view.members.filter((m) => m !== self), now);
  return l;
};
const silence = (l: Liveness, speak: string[], from: number, to: number): void => {
  for (let t = from; t <= to; t++) {
    for (const m of speak) l.heard(m, t);
    l.tick(t);
  }
};

describe('Liveness', () => {
  it.each<{ name: string; self: string; silent: string[]; distrust: string[]; leader: string; survivors: string }>([
    { name: 'everyone heard: the sequencer leads, all survive', self: 'c', silent: [], distrust: [], leader: 'a', survivors: 'a b c d' },
    { name: 'a silent sequencer: the next in line leads', self: 'c', silent: ['a'], distrust: [], leader: 'b', survivors: 'b c d' },
    { name: 'a distrusted member is not live although heard', self: 'c', silent: [], distrust: ['a', 'b'], leader: 'c', survivors: 'c d' },
    { name: 'this member is always a survivor and a candidate', self: 'd', silent: ['a', 'b', 'c'], distrust: [], leader: 'd', survivors: 'd' },
  ])('$name', (r) => {
    const l = fresh(r.self);
    const speak = view.members.filter((m) => m !== r.self && !r.silent.includes(m));
    silence(l, speak, 1, 20);
    for (const m of r.distrust) l.distrust(m, 1000);
    expect(l.leaderCandidate(view, r.self, 20)).toBe(r.leader);
    expect(l.survivors(view, r.self).join(' ')).toBe(r.survivors);
    for (const m of view.members) if (m !== r.self) expect(l.isLive(m)).toBe(!r.silent.includes(m) && !r.distrust.includes(m));
  });

  it('pings a silent member once before suspecting it, and hearing it clears the doubt', () => {
    const l = fresh('a');
    const pinged: string[] = [];
    for (let t = 1; t <= 10; t++) {
      l.heard('b', t);
      l.heard('c', t);
      pinged.push(...l.tick(t));
    }
    expect(pinged).toEqual(['d']);
    expect(l.isLive('d')).toBe(true); // Doubted, not yet suspected.
    l.heard('d', 11);
    for (let t = 11; t <= 16; t++) l.tick(t);
    expect(l.isLive('d')).toBe(true);
  });

  it('distrust expires at its tick', () => {
    const l = fresh('a');
    l.distrust('b', 5);
    l.tick(4);
    expect(l.isLive('b')).toBe(false);
    l.tick(5);
    expect(l.isLive('b')).toBe(true);
  });

  it('member side of the progress watch: waiting past the limit distrusts the sequencer and makes this member lead', () => {
    const l = fresh('c');
    l.watchSequencer('a', false, 0, 50, 200);
    for (let t = 1; t <= 50; t++) {
      for (const m of ['a', 'b', 'd']) l.heard(m, t);
      l.tick(t);
      l.watchSequencer('a', true, t, 50, 200);
    }
    expect(l.leaderCandidate(view, 'c', 50)).toBe('a'); // Exactly at the limit: still patient.
    l.watchSequencer('a', true, 51, 50, 200);
    expect(l.isDistrusted('a')).toBe(true);
    // Its own evidence, shared with nobody: it leads itself, ahead of b whom it hears fine.
    expect(l.leaderCandidate(view, 'c', 51)).toBe('c');
    // A member ranked before it runs a view change: it steps aside, and b is its candidate again.
    l.stepAside();
    expect(l.leaderCandidate(view, 'c', 52)).toBe('b');
  });

  it('progress resets the watch', () => {
    const l = fresh('c');
    for (let t = 1; t <= 100; t++) {
      if (t % 40 === 0) l.progressed(t);
      l.watchSequencer('a', true, t, 50, 200);
    }
    expect(l.isDistrusted('a')).toBe(false);
  });

  it('a new view forgets distrust and suspicion', () => {
    const l = fresh('c');
    l.distrust('a', 1000);
    l.watch(['a', 'b', 'd'], 30);
    expect(l.isLive('a')).toBe(true);
    expect(l.leaderCandidate(view, 'c', 31)).toBe('a');
  });
});
