import { describe, expect, it } from 'vitest';
import { makeBallot, roundOf } from '../../src/core/ballot.js';
import { resolveConfig } from '../../src/core/config.js';
import { FailureDetector } from '../../src/core/failure-detector.js';
import { MessageLog } from '../../src/core/message-log.js';
import { Outbox } from '../../src/core/outbox.js';
import { SequencerState } from '../../src/core/sequencer-state.js';
import { EventQueue } from '../../src/sim/event-queue.js';
import { Prng } from '../../src/sim/prng.js';

const e = (n: number) => ({ sender: 'a', msgNo: n, payload: new Uint8Array(n % 7) });

describe('MessageLog', () => {
  it('keeps a contiguous run, buffers ahead of a gap, and refuses beyond the window', () => {
    const log = new MessageLog(10);
    expect(log.add(12, e(12), Infinity, 4)).toBe(true);
    expect(log.received).toBe(10);
    expect(log.hasGap).toBe(true);
    expect(log.add(20, e(20), Infinity, 4)).toBe(false); // Too far ahead: bounded.
    expect(log.add(11, e(11), Infinity, 4)).toBe(true);
    expect(log.received).toBe(12);
    expect(log.add(11, e(11), Infinity, 4)).toBe(false); // Duplicate.
    expect(log.get(12)!.msgNo).toBe(12);
  });

  it('respects an acceptance limit (a frozen member takes nothing past its cut)', () => {
    const log = new MessageLog(0);
    expect(log.add(1, e(1), 0, 10)).toBe(false);
    expect(log.add(1, e(1), 1, 10)).toBe(true);
  });

  it('garbage-collects up to a stable point and truncates above a cut, keeping byte counts exact', () => {
    const log = new MessageLog(0);
    for (let i = 1; i <= 3000; i++) log.append(e(i));
    let bytes = 0;
    for (let i = 2001; i <= 2500; i++) bytes += i % 7;
    log.gc(2000);
    log.truncateAbove(2500);
    expect(log.floor).toBe(2000);
    expect(log.received).toBe(2500);
    expect(log.bytes).toBe(bytes);
    expect(log.get(2000)).toBeUndefined();
    expect(log.get(2001)!.msgNo).toBe(2001);
  });
});

describe('Outbox', () => {
  it('delivers in FIFO order and refuses an out-of-order delivery', () => {
    const o = new Outbox();
    o.push(new Uint8Array(1));
    o.push(new Uint8Array(2));
    expect(o.bytes).toBe(3);
    expect(() => o.delivered(2)).toThrow(/FIFO/);
    o.delivered(1);
    expect(o.length).toBe(1);
    expect(o.hasRoom(10, 1, 100)).toBe(false);
  });
});

describe('SequencerState', () => {
  it('commits what a majority holds and calls stable only what everyone acknowledged', () => {
    const s = new SequencerState(0);
    const members = ['a', 'b', 'c', 'd', 'e'];
    s.ack('b', 5);
    s.recompute(members, 'a', 9);
    expect(s.commit).toBe(0);
    s.ack('c', 7);
    s.recompute(members, 'a', 9);
    expect(s.commit).toBe(5);
    expect(s.stable).toBe(0);
    s.ack('d', 9);
    s.ack('e', 9);
    s.recompute(members, 'a', 9);
    expect(s.commit).toBe(9);
    expect(s.stable).toBe(5);
  });
});

describe('FailureDetector', () => {
  it('doubts, pings, then suspects; any sign of life clears it', () => {
    const fd = new FailureDetector(3, 2);
    fd.watch(['b'], 0);
    expect(fd.tick(2)).toEqual([]);
    expect(fd.tick(3)).toEqual(['b']);
    fd.tick(4);
    expect(fd.isSuspected('b')).toBe(false);
    fd.tick(5);
    expect(fd.isSuspected('b')).toBe(true);
    fd.heard('b', 6);
    expect(fd.isSuspected('b')).toBe(false);
  });
});

describe('ballots and config', () => {
  it('orders ballots by round, then by lower rank', () => {
    expect(makeBallot(2, 5)).toBeGreaterThan(makeBallot(1, 0));
    expect(makeBallot(1, 0)).toBeGreaterThan(makeBallot(1, 1));
    expect(roundOf(makeBallot(7, 3))).toBe(7);
  });

  it('refuses nonsense configuration', () => {
    expect(() => resolveConfig({ suspectTicks: 0 })).toThrow(RangeError);
  });
});

describe('simulation building blocks', () => {
  it('the PRNG replays from its seed', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('the event queue pops by time, ties in insertion order', () => {
    const q = new EventQueue<string>();
    q.push(5, 'c');
    q.push(1, 'a');
    q.push(5, 'd');
    q.push(2, 'b');
    expect([q.pop()!.item, q.pop()!.item, q.pop()!.item, q.pop()!.item]).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('Outbox.firstUnordered', () => {
  it('finds the first message above the ordered mark, after deliveries moved the head', () => {
    const o = new Outbox();
    for (let i = 0; i < 10; i++) o.push(new Uint8Array(1));
    expect(o.firstUnordered()).toBe(0);
    o.orderedMsgNo = 4;
    expect(o.firstUnordered()).toBe(4);
    o.delivered(1);
    o.delivered(2);
    expect(o.firstUnordered()).toBe(2);
    o.orderedMsgNo = 10;
    expect(o.firstUnordered()).toBe(-1);
  });
});
