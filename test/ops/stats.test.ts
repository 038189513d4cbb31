import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCounters, MAX_SAMPLES, VIEW_HISTORY } from '../../src/api/stats.js';
import { formatStatus, table } from '../../src/cli/status-command.js';

describe('GroupCounters', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('names the reason of each view change, and times flushes from block to install', () => {
    let t = 0;
    const c = new GroupCounters(() => t);
    expect(c.install('a#1', { id: 1, members: ['a#1'] }, ['a#1'], [], []).reason).toBe('founded by a#1');
    expect(c.install('a#1', { id: 2, members: ['a#1', 'b#1', 'c#1'] }, ['b#1', 'c#1'], [], []).reason).toBe('b#1, c#1 joined');
    c.block();
    t = 12.34;
    const r = c.install('a#1', { id: 3, members: ['a#1'] }, [], ['b#1', 'c#1'], ['b#1']);
    expect(r).toMatchObject({ left: ['b#1'], failed: ['c#1'], reason: 'b#1 left; c#1 failed or was excluded', flushMs: 12.3 });
    expect(c.lastFlushMs).toBe(12.3);
    c.minority = true;
    expect(c.stats('g', 'member', null).primary).toBe(false);
    c.incarnation(true);
    const again = c.install('a#2', { id: 5, members: ['d#1', 'a#2'] }, ['a#2'], [], []);
    expect(again.reason).toBe('rejoined as a#2 after an exclusion');
    expect(again.flushMs).toBeNull();
    expect(c.minority).toBe(false);
    expect(c.rejoins).toBe(1);
    expect(c.viewChanges).toBe(4);
    for (let i = 0; i < VIEW_HISTORY + 10; i++) c.install('a#2', { id: 6 + i, members: ['a#2'] }, [], [], []);
    expect(c.history).toHaveLength(VIEW_HISTORY);
    expect(c.history[VIEW_HISTORY - 1]!.id).toBe(6 + VIEW_HISTORY + 9);
  });

  it('rates over the last ten seconds; one sample a second, at most MAX_SAMPLES; ordered counts survive a rejoin', () => {
    const c = new GroupCounters();
    for (let s = 0; s < 20; s++) {
      c.delivered += 50;
      c.sent += 5;
      c.sample(s * 50);
      vi.advanceTimersByTime(250);
      c.sample(s * 50); // more ticks within the same second add no sample
      vi.advanceTimersByTime(750);
    }
    expect(c.series()).toHaveLength(20);
    // The last ten seconds saw nine rounds of 50 deliveries (the round at the window's start is before it).
    expect(c.rates()).toEqual({ delivered: 45, sent: 4.5, ordered: 45 });
    c.sample(3); // a new incarnation's order restarts lower: the total does not go back
    expect(c.orderedTotal).toBe(19 * 50);
    for (let s = 0; s < MAX_SAMPLES + 5; s++) {
      vi.advanceTimersByTime(1000);
      c.sample(3);
    }
    expect(c.series()).toHaveLength(MAX_SAMPLES);
    expect(c.rates().delivered).toBe(0);
  });
});

describe('vsync status formatting', () => {
  it('aligns columns', () => {
    expect(table([['a', 'bb', 'c'], ['ddd', 'e', 'f']])).toEqual(['  a    bb  c', '  ddd  e   f']);
  });

  it('prints a node with no group and no peer', () => {
    const lines = formatStatus({
      node: 'x', url: null, startedAt: 0, uptimeSec: 3, groups: [], peers: [],
      transport: { framesIn: 0, framesOut: 0, bytesIn: 2048, bytesOut: 10, dropped: 0, rejected: 0, links: 0, queuedBytes: 0, badFrames: 0, refusedConnections: 0 },
    });
    expect(lines).toEqual(['node x  (not listening)  up 3 s  in 2.0 KiB  out 10 B  dropped 0', '', 'in no group', '', 'no peer nodes']);
  });
});
