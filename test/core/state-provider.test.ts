import { describe, expect, it } from 'vitest';
import { StateProvider } from '../../src/core/state-provider.js';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

describe('StateProvider', () => {
  it.each([
    { name: 'rank 0 of a view with a joiner keeps a snapshot', members: ['a', 'b', 'x'], prev: ['a', 'b'], rank: 0, want: true },
    { name: 'rank 1 too (two providers)', members: ['a', 'b', 'x'], prev: ['a', 'b'], rank: 1, want: true },
    { name: 'rank 2 does not', members: ['a', 'b', 'c', 'x'], prev: ['a', 'b', 'c'], rank: 2, want: false },
    { name: 'a view without joiners needs none', members: ['a', 'b'], prev: ['a', 'b', 'c'], rank: 0, want: false },
  ])('$name', (r) => {
    expect(new StateProvider().installed(5, r.members, r.prev, r.rank)).toBe(r.want);
  });

  it.each([
    { name: 'no snapshot of that view: total −1', view: 6, provided: true, offset: 0, length: 10, want: [[0, -1, 0]] },
    { name: 'not handed over yet: nothing (the joiner asks again)', view: 5, provided: false, offset: 0, length: 10, want: [] },
    { name: 'a window within one chunk', view: 5, provided: true, offset: 0, length: 6, want: [[0, 25, 6]] },
    { name: 'a window split at the chunk size', view: 5, provided: true, offset: 4, length: 100, want: [[4, 25, 8], [12, 25, 8], [20, 25, 5]] },
    { name: 'at the end: one empty chunk that carries the total', view: 5, provided: true, offset: 25, length: 8, want: [[25, 25, 0]] },
    { name: 'beyond the end: clamped to it', view: 5, provided: true, offset: 40, length: 8, want: [[25, 25, 0]] },
  ])('$name', (r) => {
    const p = new StateProvider();
    p.installed(5, ['a', 'x'], ['a'], 0);
    if (r.provided) p.provide(5, bytes(25));
    const got = p.serve(r.view, r.offset, r.length, 8).map((c) => [c.offset, c.total, c.data.byteLength]);
    expect(got).toEqual(r.want);
  });

  it('ignores a snapshot for another view, and a second one for the same view', () => {
    const p = new StateProvider();
    p.installed(5, ['a', 'x'], ['a'], 0);
    p.provide(4, bytes(3));
    expect(p.serve(5, 0, 8, 8)).toEqual([]);
    p.provide(5, bytes(3));
    p.provide(5, bytes(9));
    expect(p.serve(5, 0, 100, 8).map((c) => c.total)).toEqual([3]);
  });
});
