import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/api/bounded-queue.js';
import { ErrorCodes } from '../../src/index.js';

async function drain<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('BoundedQueue', () => {
  it('hands items out in order, buffered or awaited', async () => {
    const q = new BoundedQueue<number>(10);
    const it = q[Symbol.asyncIterator]();
    for (let i = 1; i <= 3; i++) q.push(i);
    expect(await drain(it, 3)).toEqual([1, 2, 3]);
    const waiting = it.next();
    q.push(4);
    expect(await waiting).toEqual({ value: 4, done: false });
  });

  it('end() lets the reader finish what is buffered, then says done', async () => {
    const q = new BoundedQueue<number>(10);
    const it = q[Symbol.asyncIterator]();
    q.push(1);
    q.push(2);
    q.end();
    q.push(3); // after the end: ignored
    expect(await drain(it, 5)).toEqual([1, 2]);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('a reader more than `capacity` behind is ended with VSYNC_ERR_BACKPRESSURE, and onClose runs', async () => {
    let closed = 0;
    const q = new BoundedQueue<number>(3, () => closed++);
    const it = q[Symbol.asyncIterator]();
    for (let i = 1; i <= 4; i++) q.push(i);
    await expect(it.next()).rejects.toMatchObject({ code: ErrorCodes.BACKPRESSURE });
    expect(closed).toBe(1);
  });

  it('a reader that keeps up never hits the bound, however many items pass', async () => {
    const q = new BoundedQueue<number>(4);
    const it = q[Symbol.asyncIterator]();
    const got: number[] = [];
    for (let i = 0; i < 5000; i++) {
      q.push(i);
      if (i % 3 === 2) got.push(...(await drain(it, 3)));
    }
    expect(got).toHaveLength(4998);
    expect(got.every((v, i) => v === i)).toBe(true);
  });

  it('return() (a for-await loop that breaks) ends the queue and runs onClose', async () => {
    let closed = 0;
    const q = new BoundedQueue<number>(10, () => closed++);
    q.push(1);
    q.push(2);
    for await (const v of q) {
      expect(v).toBe(1);
      break;
    }
    expect(closed).toBe(1);
    expect(await q[Symbol.asyncIterator]().next()).toEqual({ value: undefined, done: true });
  });
});
