// Delivery kinds in the core, on a scripted cluster: an agreed message is delivered once ordered and received,
// without a majority; a safe one waits for the majority; and an agreed one never overtakes a safe one before it.
import { describe, expect, it } from 'vitest';
import { KIND_AGREED, KIND_SAFE, type KindCode } from '../../src/core/delivery-kinds.js';
import { ErrorCodes } from '../../src/errors.js';
import { expectOk, TestCluster } from '../helpers/cluster.js';

// Five members: with acks going to every member, a receiver of the sequencer's multicast counts itself and the
// sequencer, which is a majority of three but not of five.
const ids = ['a#1', 'b#1', 'c#1', 'd#1', 'e#1'];

function send(c: TestCluster, id: string, text: string, kind: KindCode): void {
  c.member(id).send(new TextEncoder().encode(text), kind);
  c.pump(id);
  c.deliverAll();
}

describe('delivery kinds in the core', () => {
  it('agreed goes without the majority, safe waits for it, and an agreed message waits behind an uncommitted safe one', () => {
    const c = new TestCluster(ids);
    // No acks reach anyone: a majority is never known to hold anything, so commit stays where it is.
    c.filter = (_from, _to, f) => f.t !== 'ack';
    const before = ids.map((id) => c.delivered(id).length);
    send(c, 'b#1', 'g1', KIND_AGREED);
    for (const [i, id] of ids.entries()) expect(c.delivered(id).slice(before[i])).toEqual(['b#1/1']);
    send(c, 'b#1', 's1', KIND_SAFE);
    send(c, 'c#1', 'g2', KIND_AGREED);
    for (const [i, id] of ids.entries()) expect(c.delivered(id).slice(before[i])).toEqual(['b#1/1']);
    // Acks flow again: s1 is committed, and g2 follows it, in the one total order.
    c.filter = null;
    c.until(() => ids.every((id, i) => c.delivered(id).length - before[i]! === 3), 500, 'the safe message and the agreed one behind it');
    for (const [i, id] of ids.entries()) expect(c.delivered(id).slice(before[i])).toEqual(['b#1/1', 'b#1/2', 'c#1/1']);
    const kinds = c.events('c#1').flatMap((e) => (e.type === 'deliver' ? [e.kind] : []));
    expect(kinds.slice(-3)).toEqual([KIND_AGREED, KIND_SAFE, KIND_AGREED]);
    expectOk(c.finish());
  });

  it('the core refuses a code that is no kind, at the call', () => {
    const c = new TestCluster(ids);
    expect(() => c.member('a#1').send(new Uint8Array(1), 5 as KindCode)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
  });
});
