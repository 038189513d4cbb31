// The send path without an async wrapper (group.ts `send` → `trySend`, `sendWhenRoom`): a full window makes sends
// wait and resolve in order, the waiting bound refuses with BACKPRESSURE, every refusal is a rejection (never a
// synchronous throw), a member nobody reads messages from still resolves its sends, and the payload is copied at
// the call.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, type Group, Node, VsyncError } from '../../src/index.js';

const SECRET = 'test-secret';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function solo(opts: Record<string, unknown> = {}, config: Record<string, unknown> = {}): Promise<Group> {
  const n = await Node.start({ name: 'w', listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, config });
  nodes.push(n);
  return n.join('g', { signal: AbortSignal.timeout(30_000), ...opts });
}

describe('Group.send', () => {
  it('copies the payload at the call: the caller may reuse its buffer at once, also while the send waits for room', async () => {
    const g = await solo({}, { maxPendingSends: 2 });
    const got: string[] = [];
    g.on('message', (m) => void got.push(new TextDecoder().decode(m.payload)));
    const buf = new Uint8Array(3);
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      buf.set(enc(`m${String(i).padStart(2, '0')}`));
      sends.push(g.send(buf));
    }
    buf.fill(0);
    await Promise.all(sends);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(2, '0')}`));
  }, 60_000);

  it('waits for room in a full window and resolves every send in order', async () => {
    const g = await solo({}, { maxPendingSends: 2 });
    const got: string[] = [];
    g.on('message', (m) => void got.push(new TextDecoder().decode(m.payload)));
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => g.send(enc(`m${i}`))));
    const seqs = results.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(40);
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
  }, 60_000);

  it('refuses beyond maxWaitingSends with BACKPRESSURE, and the others still go through', async () => {
    const g = await solo({ maxWaitingSends: 3 }, { maxPendingSends: 1 });
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => g.send(enc(`m${i}`)).then(() => 'ok', (e: VsyncError) => e.code)));
    // One in the window, three waiting: the other four are refused.
    expect(outcomes.filter((o) => o === 'ok').length).toBe(4);
    expect(outcomes.filter((o) => o === ErrorCodes.BACKPRESSURE).length).toBe(4);
  }, 60_000);

  it('a waiting send whose signal fires rejects with ABORTED and leaves the queue', async () => {
    const g = await solo({}, { maxPendingSends: 1 });
    const ac = new AbortController();
    const first = g.send(enc('first'));
    const waiting = g.send(enc('waits'), { signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: ErrorCodes.ABORTED });
    await first;
    await g.send(enc('after'));
  }, 60_000);

  it('bad input is a rejected promise, never a synchronous throw', async () => {
    const g = await solo();
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = g.send('text' as never);
    }).not.toThrow();
    await expect(p).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    expect(() => void g.send(enc('x'), { delivery: 'fast' as never }).catch(() => {})).not.toThrow();
  }, 60_000);

  it('resolves sends on a member that reads no messages', async () => {
    const g = await solo();
    const r = await g.send(enc('unread'));
    expect(r.seq).toBeGreaterThan(0);
  }, 60_000);
});
