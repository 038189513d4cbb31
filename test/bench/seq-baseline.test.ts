import { describe, expect, it } from 'vitest';
import {
  BatchingSequencer, MAX_BATCH, ORDER_HEADER_BYTES, SubmissionBatcher, decodeBatch, decodeSubmissions, encodeBatch,
} from '../../src/bench/seq-baseline.js';

const payload = (i: number, len: number): Uint8Array => Uint8Array.from({ length: len }, (_, k) => (i + k) & 0xff);

describe('bench: the bare batched sequencer', () => {
  it('a batch is 12-byte order headers and payloads; decoding gives them back in order, as views', () => {
    const entries = [0, 1, 2].map((i) => ({ sender: i * 7, payload: payload(i, i * 100) }));
    const b = encodeBatch(entries, 41);
    expect(b.length).toBe(3 * ORDER_HEADER_BYTES + 0 + 100 + 200);
    const got: Array<[number, number, number[]]> = [];
    expect(decodeBatch(b, (seq, sender, p) => got.push([seq, sender, [...p]]))).toBe(true);
    expect(got).toEqual(entries.map((e, i) => [41 + i, e.sender, [...e.payload]]));
  });

  it('a truncated batch delivers what is whole and says so', () => {
    const b = encodeBatch([{ sender: 1, payload: payload(1, 10) }, { sender: 2, payload: payload(2, 10) }], 1);
    const seqs: number[] = [];
    expect(decodeBatch(b.subarray(0, b.length - 1), (seq) => seqs.push(seq))).toBe(false);
    expect(seqs).toEqual([1]);
    expect(decodeBatch(b.subarray(0, ORDER_HEADER_BYTES - 1), () => seqs.push(0))).toBe(false);
  });

  it('batches at most 64, numbers gap-free, and delivers locally in the multicast order', async () => {
    const batches: Buffer[] = [];
    const local: number[] = [];
    const s = new BatchingSequencer((b) => batches.push(b), (seq) => local.push(seq));
    for (let i = 0; i < 150; i++) s.submit(i % 3, payload(i, 16));
    expect(batches).toHaveLength(2); // two full batches at once, the rest at the end of the turn
    await new Promise((r) => setImmediate(r));
    expect(batches).toHaveLength(3);
    const remote: number[] = [];
    for (const b of batches) decodeBatch(b, (seq) => remote.push(seq));
    const all = Array.from({ length: 150 }, (_, i) => i + 1);
    expect(remote).toEqual(all);
    expect(local).toEqual(all);
    expect(batches.map((b) => b.length)).toEqual([MAX_BATCH, MAX_BATCH, 150 - 2 * MAX_BATCH].map((n) => n * (ORDER_HEADER_BYTES + 16)));
  });

  it("a member's payloads of one turn go to the sequencer in one message (64 at most), and come back out whole", async () => {
    const msgs: Buffer[] = [];
    const b = new SubmissionBatcher((m) => msgs.push(m));
    for (let i = 0; i < 70; i++) b.submit(payload(i, i));
    await new Promise((r) => setImmediate(r));
    expect(msgs).toHaveLength(2);
    const got: number[][] = [];
    for (const m of msgs) expect(decodeSubmissions(m, (p) => got.push([...p]))).toBe(true);
    expect(got).toEqual(Array.from({ length: 70 }, (_, i) => [...payload(i, i)]));
    expect(decodeSubmissions(msgs[1]!.subarray(0, msgs[1]!.length - 1), () => {})).toBe(false);
  });
});
