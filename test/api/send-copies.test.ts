import { describe, expect, it } from 'vitest';
import { SendCopies } from '../../src/api/send-copies.js';

describe('SendCopies', () => {
  it('copies every size: the copy has the bytes and does not change with the source', () => {
    const c = new SendCopies();
    for (const n of [0, 1, 64, 65, 1024, 8192, 8193, 100_000]) {
      const src = new Uint8Array(n).map((_, i) => i & 0xff);
      const copy = c.copy(src);
      expect(copy).toEqual(src);
      src.fill(7);
      expect(copy.every((b, i) => b === (i & 0xff))).toBe(true);
    }
  });

  it('mid-sized payloads share slabs of 64 KiB, back to back; small and large ones get arrays of their own', () => {
    const c = new SendCopies();
    const a = c.copy(new Uint8Array(1024));
    const b = c.copy(new Uint8Array(1024));
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + 1024);
    expect(a.buffer.byteLength).toBe(64 * 1024);
    expect(c.copy(new Uint8Array(64)).byteOffset).toBe(0);
    const large = c.copy(new Uint8Array(8193));
    expect(large.buffer.byteLength).toBe(8193);
    // A payload that does not fit what is left of a slab starts a new one.
    for (let i = 0; i < 62; i++) c.copy(new Uint8Array(1024));
    const next = c.copy(new Uint8Array(2048));
    expect(next.buffer).not.toBe(a.buffer);
    expect(next.byteOffset).toBe(0);
  });
});
