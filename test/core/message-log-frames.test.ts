import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/core/message-log.js';

/** A frame as the decoder gives it: payload views into one buffer, with header bytes around them. */
function frame(sizes: number[], fill: number): Uint8Array[] {
  const header = 40;
  const buf = new Uint8Array(header + sizes.reduce((a, n) => a + n + 3, 0));
  const views: Uint8Array[] = [];
  let at = header;
  for (const n of sizes) {
    at += 3; // Tag and length bytes between payloads.
    const v = buf.subarray(at, at + n);
    v.fill(fill);
    views.push(v);
    at += n;
  }
  return views;
}

/** Lengths from a tiny deterministic generator: the test needs variety, not randomness. */
function sizesOf(seed: number, count: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(1 + (x % 700));
  }
  return out;
}

describe('MessageLog: one buffer per frame for kept payloads', () => {
  it('copies the in-order payloads of a frame into one buffer that is not the frame', () => {
    const log = new MessageLog(0);
    const views = frame([100, 200, 300], 7);
    views.forEach((p, i) => log.addFromFrame(i + 1, { sender: 'a', msgNo: i + 1, payload: p }, Infinity, 100));
    log.endFrame();
    const kept = [1, 2, 3].map((s) => log.get(s)!.payload);
    expect(kept.map((p) => p.byteLength)).toEqual([100, 200, 300]);
    expect(kept.every((p) => p.every((b) => b === 7))).toBe(true);
    expect(new Set(kept.map((p) => p.buffer)).size).toBe(1);
    expect(kept[0]!.buffer).not.toBe(views[0]!.buffer);
    expect(log.pinnedBytes()).toBe(600);
    expect(log.bytes).toBe(600);
  });

  it('copies small payloads (at most 64 bytes) one by one and shares a buffer among the others', () => {
    const log = new MessageLog(0);
    const views = frame([64, 65, 3, 500], 6);
    views.forEach((p, i) => log.addFromFrame(i + 1, { sender: 'a', msgNo: i + 1, payload: p }, Infinity, 100));
    log.endFrame();
    const kept = [1, 2, 3, 4].map((s) => log.get(s)!.payload);
    expect(kept[0]!.buffer.byteLength).toBe(64);
    expect(kept[2]!.buffer.byteLength).toBe(3);
    expect(kept[1]!.buffer).toBe(kept[3]!.buffer);
    expect(log.pinnedBytes()).toBe(log.bytes);
    expect(kept.every((p) => p.every((b) => b === 6))).toBe(true);
  });

  it('never hands out a view into a frame, even before endFrame', () => {
    const log = new MessageLog(0);
    const views = frame([70, 70], 1);
    log.addFromFrame(1, { sender: 'a', msgNo: 1, payload: views[0]! }, Infinity, 100);
    log.addFromFrame(2, { sender: 'a', msgNo: 2, payload: views[1]! }, Infinity, 100);
    expect(log.get(1)!.payload.buffer).not.toBe(views[0]!.buffer);
    views[0]!.fill(9); // The frame's buffer is reused: the log's copy must not change.
    expect(log.get(1)!.payload[0]).toBe(1);
  });

  it('copies entries held ahead of a gap one by one, so dropping them one by one frees them', () => {
    const log = new MessageLog(0);
    const views = frame([100, 100, 100], 2);
    // Seqs 3..5 arrive ahead of a gap at 1..2.
    views.forEach((p, i) => log.addFromFrame(i + 3, { sender: 'a', msgNo: i + 3, payload: p }, Infinity, 100));
    log.endFrame();
    expect(log.hasGap).toBe(true);
    expect(log.pinnedBytes()).toBe(300);
    const fill = frame([80, 80], 3);
    fill.forEach((p, i) => log.addFromFrame(i + 1, { sender: 'a', msgNo: i + 1, payload: p }, Infinity, 100));
    log.endFrame();
    expect(log.received).toBe(5);
    log.gc(3);
    expect(log.pinnedBytes()).toBe(200);
    expect(log.pinnedBytes()).toBe(log.totalBytes);
  });

  it('the sequencer path (appendFromFrame) shares one buffer per frame too', () => {
    const log = new MessageLog(0);
    for (const p of frame([80, 90, 100], 4)) log.appendFromFrame({ sender: 'b', msgNo: 1, payload: p });
    log.endFrame();
    expect(new Set([1, 2, 3].map((s) => log.get(s)!.payload.buffer)).size).toBe(1);
    expect(log.pinnedBytes()).toBe(270);
  });

  it('a truncation that splits a frame copies out its survivors: no dropped bytes stay pinned', () => {
    const log = new MessageLog(0);
    for (const p of frame([50, 50, 50, 50], 5)) log.appendFromFrame({ sender: 'b', msgNo: 1, payload: p });
    log.endFrame();
    log.truncateAbove(2);
    expect(log.bytes).toBe(100);
    expect(log.pinnedBytes()).toBe(100);
    expect(log.get(2)!.payload.every((b) => b === 5)).toBe(true);
  });

  it('pins at most its counted bytes plus one frame, whatever the gc points', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const log = new MessageLog(0);
      let seq = 0;
      let maxFrame = 0;
      let x = seed;
      for (let f = 0; f < 60; f++) {
        const sizes = sizesOf(seed * 100 + f, 1 + (f % 9));
        const views = frame(sizes, f & 0xff);
        maxFrame = Math.max(maxFrame, sizes.reduce((a, n) => a + n, 0));
        // Frames overlap what the log holds now and then (fills, repeats): only new seqs are kept.
        const first = f % 5 === 4 ? Math.max(1, seq - 2) : seq + 1;
        views.forEach((p, i) => log.addFromFrame(first + i, { sender: 'a', msgNo: first + i, payload: p }, Infinity, 1000));
        log.endFrame();
        seq = log.received;
        x = (x * 69069 + 1) % 4294967296;
        log.gc(log.floor + (x % (log.size + 1)));
        if (f % 17 === 16) log.truncateAbove(Math.max(log.floor, log.received - (x % 4)));
        seq = log.received;
        expect(log.pinnedBytes()).toBeLessThanOrEqual(log.totalBytes + maxFrame);
        for (let s = log.floor + 1; s <= log.received; s++) expect(log.get(s)!.payload.every((b, _i, a) => b === a[0])).toBe(true);
      }
    }
  });
});
