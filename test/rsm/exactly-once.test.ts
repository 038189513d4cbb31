import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, Node, ReplicatedStateMachine, type StateMachine } from '../../src/index.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/rsm/rsm-codec.js';

const te = new TextEncoder();
const td = new TextDecoder();

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Counts applied commands; throws on 'boom'; answers with a result of the size asked for. */
class Counter implements StateMachine {
  applied = 0;
  apply(b: Uint8Array): Uint8Array {
    const s = td.decode(b);
    if (s === 'boom') throw new Error('boom');
    this.applied++;
    return new Uint8Array(Number(s) || 1);
  }
  snapshot(): Uint8Array {
    return te.encode(String(this.applied));
  }
  restore(b: Uint8Array): void {
    this.applied = Number(td.decode(b));
  }
}

async function start(name: string, seeds: string[], sm: StateMachine, opts = {}): Promise<{ node: Node; rsm: ReplicatedStateMachine }> {
  const node = await Node.start({ name, listen: { host: '127.0.0.1', port: 0 }, seeds, secret: 'test-secret' });
  const rsm = await ReplicatedStateMachine.join(node, 'g', sm, { signal: AbortSignal.timeout(15_000), ...opts });
  cleanup.push(() => node.close());
  return { node, rsm };
}

describe('exactly-once table', () => {
  it('a command whose state machine throws is answered with an error, also on a repeat and at a joiner after state transfer', async () => {
    const a = await start('a', [], new Counter());
    await expect(a.rsm.submit(te.encode('boom'), { client: 'c', request: 1 })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    await expect(a.rsm.submit(te.encode('boom'), { client: 'c', request: 1 })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    const b = await start('b', [a.node.url!], new Counter());
    await expect(b.rsm.submit(te.encode('boom'), { client: 'c', request: 1 })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message: expect.stringMatching(/boom/) });
    expect((await b.rsm.submit(te.encode('1'), { client: 'c', request: 2 })).byteLength).toBe(1);
  });

  it('the table is bounded in bytes: large cached results push out the least recently active clients', async () => {
    const sm = new Counter();
    const a = await start('a', [], sm, { maxClientBytes: 100_000 });
    await a.rsm.submit(te.encode('10'), { client: 'first', request: 1 });
    await a.rsm.submit(te.encode('10'), { client: 'first', request: 1 }); // Cached: not applied again.
    expect(sm.applied).toBe(1);
    for (let i = 0; i < 5; i++) await a.rsm.submit(te.encode('30000'), { client: `big${i}`, request: 1 });
    expect(sm.applied).toBe(6);
    await a.rsm.submit(te.encode('10'), { client: 'first', request: 1 }); // Forgotten: applied again.
    expect(sm.applied).toBe(7);
    await expect(start('x', [], new Counter(), { maxClientBytes: 0 })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });

  it('snapshot codec carries failed entries', () => {
    const clients = [
      { client: 'a', request: 3, result: new Uint8Array([1, 2]) },
      { client: 'b', request: 9, result: new Uint8Array(0), error: 'command failed: boom' },
    ];
    const d = decodeSnapshot(encodeSnapshot(new Uint8Array([7]), clients));
    expect(Array.from(d.app)).toEqual([7]);
    expect(d.clients.map((c) => ({ ...c, result: Array.from(c.result) }))).toEqual(clients.map((c) => ({ ...c, result: Array.from(c.result) })));
  });
});
