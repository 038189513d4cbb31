// Histories shared by several test files.
import { each, member, type TraceBuilder } from './dsl.js';

/**
 * A correct run: four members; d crashes mid-write in view 1; c's message misses view 1 and is re-sent in
 * view 2; e joins in view 3; b leaves gracefully; a, c and e end cleanly in view 4, which holds exactly them.
 */
export function goodHistory(): TraceBuilder[] {
  const [a, b, c, d, e] = ['a#1', 'b#1', 'c#1', 'd#1', 'e#1'].map((id) => member(id)) as [TraceBuilder, TraceBuilder, TraceBuilder, TraceBuilder, TraceBuilder];
  const v1 = ['a#1', 'b#1', 'c#1', 'd#1'];
  each([a, b, c, d], (x) => x.install(1, v1).state('s1').unblock());
  a.send('a#1/1', { order: 'total' });
  b.send('b#1/1');
  d.send('d#1/1');
  c.send('c#1/1', { order: 'total' });
  d.deliver('a#1/1', { seq: 1 }).torn();
  each([a, b, c], (x) => x.deliver('a#1/1', { seq: 1 }).deliver('b#1/1').other('debug').deliver('d#1/1').block());

  each([a, b, c], (x) => x.install(2, ['a#1', 'b#1', 'c#1']).state('s2').unblock());
  c.send('c#1/1', { order: 'total' });
  each([a, b, c], (x) => x.deliver('c#1/1', { seq: 2 }).block());

  const v3 = ['a#1', 'b#1', 'c#1', 'e#1'];
  each([a, b, c, e], (x) => x.install(3, v3).state('s3').unblock());
  e.send('e#1/1', { order: 'safe' });
  b.send('b#1/2');
  b.send('b#1/3');
  each([a, b, c, e], (x) => x.deliver('b#1/2').deliver('e#1/1', { seq: 3 }).deliver('b#1/3'));
  b.leave();

  each([a, c, e], (x) => x.block().install(4, ['a#1', 'c#1', 'e#1']).state('s4').unblock());
  a.send('a#1/2', { order: 'total' });
  each([a, c, e], (x) => x.deliver('a#1/2', { seq: 4 }).end());
  return [a, b, c, d, e];
}

/**
 * A correct quiescent run of `n` members in `views` views (same members each time), where every member
 * delivers `perMember` totally ordered messages, sent round-robin.
 */
export function bigRun(n: number, perMember: number, views: number): TraceBuilder[] {
  const ids = Array.from({ length: n }, (_, i) => `m${i}#1`);
  const ms = ids.map((id) => member(id));
  const counters = ids.map(() => 0);
  const perView = Math.ceil(perMember / views);
  let seq = 0;
  let delivered = 0;
  for (let v = 1; v <= views; v++) {
    each(ms, (x) => x.install(v, ids).state(`s${v}`));
    for (let k = 0; k < perView && delivered < perMember; k++, delivered++) {
      const s = k % n;
      const msg = `${ids[s]}/${++counters[s]!}`;
      ms[s]!.send(msg, { order: 'total' });
      seq++;
      each(ms, (x) => x.deliver(msg, { seq }));
    }
  }
  each(ms, (x) => x.end());
  return ms;
}
