import { describe, expect, it } from 'vitest';
import { MessageLog } from '../../src/core/message-log.js';

/**
 * A frame as the decoder gives it: payload views into one buffer, with `header` bytes before them. A small header
 * makes a frame that is mostly payload (the log keeps views into it); a large one, a frame the log copies out of.
 */
function frame(sizes: number[], fill: number, header = 40): Uint8Array[] {
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

describe('MessageLog: kept payloads stay in their frame or share one buffer per frame', () => {
  it('keeps the in-order payloads of a frame that is mostly payload as views into it, uncopied', () => {
    const log = new MessageLog(0);
    const views = frame([100, 200, 300], 7);
    views.forEach((p, i) => log.addFromFrame(i + 1, { sender: 'a', msgNo: i + 1, payload: p }, Infinity, 100));
    log.endFrame();
    const kept = [1, 2, 3].map((s) => log.get(s)!.payload);
    expect(kept).toEqual(views);
    expect(kept.every((p, i) => p.buffer === views[i]!.buffer && p.byteOffset === views[i]!.byteOffset)).toBe(true);
    expect(log.bytes).toBe(600);
    expect(log.pinnedBytes()).toBe(views[0]!.buffer.byteLength);
    expect(log.pinnedBytes()).toBeLessThanOrEqual((4 / 3) * log.bytes);
  });

  it('copies the in-order payloads of a frame that is mostly other bytes into one buffer that is not the frame', () => {
    const log = new MessageLog(0);
    const views = frame([100, 200, 300], 7, 2000);
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

  it('when it copies, small payloads (at most 64 bytes) go one by one and the others share a buffer', () => {
    const log = new MessageLog(0);
    const views = frame([64, 65, 3, 500], 6, 2000);
    views.forEach((p, i) => log.addFromFrame(i + 1, { sender: 'a', msgNo: i + 1, payload: p }, Infinity, 100));
    log.endFrame();
    const kept = [1, 2, 3, 4].map((s) => log.get(s)!.payload);
    expect(kept[0]!.buffer.byteLength).toBe(64);
    expect(kept[2]!.buffer.byteLength).toBe(3);
    expect(kept[1]!.buffer).toBe(kept[3]!.buffer);
    expect(log.pinnedBytes()).toBe(log.bytes);
    expect(kept.every((p) => p.every((b) => b === 6))).toBe(true);
  });

  it('never hands out a view into a frame that is mostly other bytes, even before endFrame', () => {
    const log = new MessageLog(0);
    const views = frame([70, 70], 1, 500);
    log.addFromFrame(1, { sender: 'a', msgNo: 1, payload: views[0]! }, Infinity, 100);
    log.addFromFrame(2, { sender: 'a', msgNo: 2, payload: views[1]! }, Infinity, 100);
    expect(log.get(1)!.payload.buffer).not.toBe(views[0]!.buffer);
    views[0]!.fill(9); // Were the frame's buffer reused, the log's copy would not change.
    expect(log.get(1)!.payload[0]).toBe(1);
  });

  it('a frame whose entries the log mostly does not keep (repeats) is copied out of, not pinned', () => {
    const log = new MessageLog(0);
    frame([300, 300, 300], 1).forEach((p, i) => log.addFromFrame(i + 1, { sender: 'a', msgNo: i + 1, payload: p }, Infinity, 100));
    log.endFrame();
    // A fill that repeats seqs 1..3 and brings 4: only 4 is new, a quarter of the frame.
    const fill = frame([300, 300, 300, 100], 2);
    fill.forEach((p, i) => log.addFromFrame(i + 1, { sender: 'a', msgNo: i + 1, payload: p }, Infinity, 100));
    log.endFrame();
    expect(log.get(4)!.payload.buffer).not.toBe(fill[3]!.buffer);
    expect(log.get(4)!.payload.buffer.byteLength).toBe(100);
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

  it('the sequencer path (appendFromFrame) keeps views into a frame of payloads, and copies out of others', () => {
    const log = new MessageLog(0);
    const mostly = frame([80, 90, 100], 4);
    for (const p of mostly) log.appendFromFrame({ sender: 'b', msgNo: 1, payload: p });
    log.endFrame();
    expect([1, 2, 3].every((s) => log.get(s)!.payload.buffer === mostly[0]!.buffer)).toBe(true);
    for (const p of frame([80, 90, 100], 4, 1000)) log.appendFromFrame({ sender: 'b', msgNo: 1, payload: p });
    log.endFrame();
    expect(new Set([4, 5, 6].map((s) => log.get(s)!.payload.buffer)).size).toBe(1);
    expect(log.get(4)!.payload.buffer.byteLength).toBe(270);
  });

  it('a truncation that splits a frame copies out its survivors: no dropped bytes stay pinned', () => {
    for (const header of [40, 1000]) {
      const log = new MessageLog(0);
      for (const p of frame([100, 100, 100, 100], 5, header)) log.appendFromFrame({ sender: 'b', msgNo: 1, payload: p });
      log.endFrame();
      log.truncateAbove(2);
      expect(log.bytes).toBe(200);
      expect(log.pinnedBytes()).toBe(200);
      expect(log.get(2)!.payload.every((b) => b === 5)).toBe(true);
    }
  });

  it('pins at most 4/3 of its counted bytes plus one frame, whatever the gc points and the frames', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const log = new MessageLog(0);
      let seq = 0;
      let maxFrame = 0;
      let x = seed;
      for (let f = 0; f < 60; f++) {
        const sizes = sizesOf(seed * 100 + f, 1 + (f % 9));
        // Frames of every kind: mostly payload (kept as views), mostly header (copied), and between.
        const views = frame(sizes, f & 0xff, [4, 40, 400, 4000][f % 4]!);
        maxFrame = Math.max(maxFrame, views[0]!.buffer.byteLength);
        // Frames overlap what the log holds now and then (fills, repeats): only new seqs are kept.
        const first = f % 5 === 4 ? Math.max(1, seq - 2) : seq + 1;
        views.forEach((p, i) => log.addFromFrame(first + i, { sender: 'a', msgNo: first + i, payload: p }, Infinity, 1000));
        log.endFrame();
        seq = log.received;
        x = (x * 69069 + 1) % 4294967296;
        log.gc(log.floor + (x % (log.size + 1)));
        if (f % 17 === 16) log.truncateAbove(Math.max(log.floor, log.received - (x % 4)));
        seq = log.received;
        expect(log.pinnedBytes()).toBeLessThanOrEqual((4 / 3) * log.totalBytes + maxFrame);
        for (let s = log.floor + 1; s <= log.received; s++) expect(log.get(s)!.payload.every((b, _i, a) => b === a[0])).toBe(true);
      }
    }
  });
});
