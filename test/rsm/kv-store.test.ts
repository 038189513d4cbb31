import { describe, expect, it } from 'vitest';
import { KvStore } from '../../src/rsm/kv-store.js';

const enc = (o: unknown): Uint8Array => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o));
const run = (kv: KvStore, o: unknown): any => JSON.parse(new TextDecoder().decode(kv.apply(enc(o))));

describe('KvStore', () => {
  it('refuses values that would not survive its snapshot exactly (1e999, numbers, objects)', () => {
    const kv = new KvStore();
    expect(run(kv, '{"op":"put","key":"x","value":1e999}')).toMatchObject({ ok: false });
    expect(run(kv, { op: 'put', key: 'x', value: 1 })).toMatchObject({ ok: false });
    expect(run(kv, { op: 'put', key: 'x', value: { a: 1 } })).toMatchObject({ ok: false });
    expect(kv.validate(enc('{"op":"put","key":"x","value":1e999}'))).toMatch(/string/);
    expect(run(kv, { op: 'dump' })).toEqual({ ok: true, data: {} });
  });

  it('malformed commands (null, arrays, unknown ops, extra fields) are answered with an error, never thrown', () => {
    const kv = new KvStore();
    for (const c of ['null', '[]', '1', '"put"', '{"op":"nope"}', '{"op":"put","key":"k","value":"v","x":1}', '{"op":"get"}', '{"op":"put","key":"","value":"v"}', '{', '{"__proto__":{"op":"dump"}}']) {
      expect(run(kv, c), c).toMatchObject({ ok: false });
      expect(kv.validate(enc(c)), c).toBeTypeOf('string');
    }
    expect(kv.validate(enc({ op: 'put', key: 'k', value: 'v' }))).toBeNull();
  });

  it('a restored snapshot equals the original byte for byte, whatever the insertion order', () => {
    const a = new KvStore();
    const b = new KvStore();
    run(a, { op: 'put', key: 'z', value: '\u00e9\ud83d\ude00' });
    run(a, { op: 'put', key: 'a', value: '1e999' });
    run(b, { op: 'put', key: 'a', value: '1e999' });
    run(b, { op: 'put', key: 'z', value: '\u00e9\ud83d\ude00' });
    expect(Buffer.from(a.snapshot()).equals(Buffer.from(b.snapshot()))).toBe(true);
    const c = new KvStore();
    c.restore(a.snapshot());
    expect(Buffer.from(c.snapshot()).equals(Buffer.from(a.snapshot()))).toBe(true);
    expect(() => c.restore(enc('[["k",1]]'))).toThrow(RangeError);
  });

  it('per-value, per-key and total quotas refuse writes and change nothing (40 x 1 MiB puts)', () => {
    const kv = new KvStore({ maxValueBytes: 1024 * 1024, maxTotalBytes: 4 * 1024 * 1024, maxKeys: 10 });
    const mib = 'x'.repeat(1024 * 1024 - 8);
    let accepted = 0;
    for (let i = 0; i < 40; i++) if (run(kv, { op: 'put', key: `k${i}`, value: mib }).ok) accepted++;
    expect(accepted).toBe(4);
    expect(run(kv, { op: 'put', key: 'big', value: 'x'.repeat(1024 * 1024 + 1) })).toMatchObject({ ok: false });
    expect(run(kv, { op: 'append', key: 'k0', value: 'x'.repeat(100) })).toMatchObject({ ok: false });
    // Overwriting frees the old value's bytes first.
    expect(run(kv, { op: 'put', key: 'k0', value: 'small' })).toMatchObject({ ok: true });
    expect(run(kv, { op: 'put', key: 'k5', value: 'small' })).toMatchObject({ ok: true });
    for (let i = 10; i < 20; i++) run(kv, { op: 'put', key: `n${i}`, value: '' });
    expect(Object.keys(run(kv, { op: 'dump' }).data).length).toBe(10);
    const restored = new KvStore({ maxValueBytes: 1024 * 1024, maxTotalBytes: 4 * 1024 * 1024, maxKeys: 10 });
    restored.restore(kv.snapshot());
    expect(run(restored, { op: 'put', key: 'k9', value: mib })).toEqual(run(kv, { op: 'put', key: 'k9', value: mib }));
  });

  it('compare-and-set: swaps only from the expected value; null means absent', () => {
    const kv = new KvStore();
    expect(run(kv, { op: 'cas', key: 'lock', expected: null, value: 'a' })).toEqual({ ok: true, swapped: true, value: 'a' });
    expect(run(kv, { op: 'cas', key: 'lock', expected: null, value: 'b' })).toEqual({ ok: true, swapped: false, value: 'a' });
    expect(run(kv, { op: 'cas', key: 'lock', expected: 'b', value: null })).toEqual({ ok: true, swapped: false, value: 'a' });
    expect(run(kv, { op: 'cas', key: 'lock', expected: 'a', value: null })).toEqual({ ok: true, swapped: true, value: null });
    expect(run(kv, { op: 'get', key: 'lock' })).toEqual({ ok: true, value: null });
    expect(run(kv, { op: 'cas', key: 'lock', expected: 1, value: 'x' })).toMatchObject({ ok: false });
  });

  it('refuses bad limits at construction', () => {
    for (const o of [{ maxKeys: 0 }, { maxValueBytes: -1 }, { maxTotalBytes: 1.5 }, { maxKeyBytes: Number.NaN }]) {
      expect(() => new KvStore(o), JSON.stringify(o)).toThrow(expect.objectContaining({ code: 'VSYNC_ERR_INVALID_ARGUMENT' }));
    }
  });
});
