import { afterEach, describe, expect, it } from 'vitest';
import { ClientEndpoint, ErrorCodes, KvStore, Node, ReplicatedStateMachine, RsmClient, type StateMachine } from '../../src/index.js';
import { decodeReply, encodeRequest } from '../../src/rsm/rsm-codec.js';
import WebSocket from 'ws';

const enc = (o: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(o));
const dec = (b: Uint8Array): any => JSON.parse(new TextDecoder().decode(b));

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function eventually(pred: () => boolean, ms = 15_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Member { node: Node; rsm: ReplicatedStateMachine; endpoint: ClientEndpoint; kv: StateMachine }

async function kvCluster(n: number, make: (i: number) => StateMachine = () => new KvStore()): Promise<Member[]> {
  const out: Member[] = [];
  for (let i = 0; i < n; i++) {
    const node = await Node.start({ name: `k${i}`, secret: 'test-secret', listen: { host: '127.0.0.1', port: 0 }, seeds: out.length ? [out[0]!.node.url!] : [] });
    const kv = make(i);
    const rsm = await ReplicatedStateMachine.join(node, 'kv', kv, { signal: AbortSignal.timeout(15_000) });
    const endpoint = await ClientEndpoint.start(rsm, { host: '127.0.0.1', port: 0 });
    const m = { node, rsm, endpoint, kv };
    cleanup.push(async () => { await endpoint.close(); await node.close(); });
    out.push(m);
  }
  await eventually(() => out.every((m) => m.rsm.group.currentView?.members.length === n), 15_000, 'one view');
  return out;
}

describe('replicated state machine', () => {
  it('commands from any member apply everywhere in one order; submit returns the result', async () => {
    const ms = await kvCluster(3);
    const r = dec(await ms[1]!.rsm.submit(enc({ op: 'put', key: 'x', value: '1' })));
    expect(r).toEqual({ ok: true, value: '1' });
    await Promise.all(ms.map((m, i) => m.rsm.submit(enc({ op: 'append', key: 'log', value: String(i) }))));
    const dumps = await Promise.all(ms.map((m) => m.rsm.submit(enc({ op: 'dump' }))));
    expect(new Set(dumps.map((d) => JSON.stringify(dec(d)))).size).toBe(1);
  });

  it('a retried request is applied once and answered with its first result (also by another member)', async () => {
    const ms = await kvCluster(3);
    const send = async (url: string, request: number, cmd: unknown) => {
      const ws = new WebSocket(url);
      await new Promise((r) => ws.once('open', r));
      const reply = new Promise<any>((resolve) => ws.once('message', (d) => resolve(decodeReply(new Uint8Array(d as Buffer)))));
      ws.send(encodeRequest({ client: 'c1', request, command: enc(cmd) }));
      const r = await reply;
      ws.close();
      return r;
    };
    const first = await send(ms[0]!.endpoint.url, 1, { op: 'append', key: 'k', value: 'a' });
    const again = await send(ms[2]!.endpoint.url, 1, { op: 'append', key: 'k', value: 'a' });
    expect(dec(again.result)).toEqual(dec(first.result));
    const got = dec(await ms[1]!.rsm.submit(enc({ op: 'get', key: 'k' })));
    expect(got.value).toBe('a');
    const stale = await send(ms[1]!.endpoint.url, 0, { op: 'append', key: 'k', value: 'z' });
    expect(stale.error).toBe(ErrorCodes.STALE_REQUEST);
  });

  it('an external client fails over to another member and retries with the same request id', async () => {
    const ms = await kvCluster(3);
    const client = new RsmClient({ urls: ms.map((m) => m.endpoint.url), retryMs: 1500 });
    cleanup.push(() => client.close());
    for (let i = 0; i < 5; i++) await client.submit(enc({ op: 'append', key: 'k', value: String(i) }));
    await ms[0]!.endpoint.close();
    await ms[0]!.node.close();
    for (let i = 5; i < 10; i++) await client.submit(enc({ op: 'append', key: 'k', value: String(i) }));
    const v = dec(await client.submit(enc({ op: 'get', key: 'k' })));
    expect(v.value).toBe('0123456789');
  });

  it('byzantine output mode: t+1 identical replies win over a lying member; too many liars is a mismatch', async () => {
    class Liar extends KvStore {
      override apply(c: Uint8Array): Uint8Array {
        super.apply(c);
        return enc({ ok: true, value: 'lie' });
      }
    }
    const ms = await kvCluster(3, (i) => (i === 2 ? new Liar() : new KvStore()));
    const client = new RsmClient({ urls: ms.map((m) => m.endpoint.url), mode: 'byzantine', faults: 1 });
    cleanup.push(() => client.close());
    expect(dec(await client.submit(enc({ op: 'put', key: 'a', value: 'truth' })))).toEqual({ ok: true, value: 'truth' });

    const ms2 = await kvCluster(3, (i) => (i === 0 ? new KvStore() : i === 1 ? new Liar() : new (class extends KvStore {
      override apply(c: Uint8Array): Uint8Array { super.apply(c); return enc({ other: true }); }
    })()));
    const client2 = new RsmClient({ urls: ms2.map((m) => m.endpoint.url), mode: 'byzantine', faults: 1 });
    cleanup.push(() => client2.close());
    await expect(client2.submit(enc({ op: 'put', key: 'a', value: 'v' }))).rejects.toMatchObject({ code: ErrorCodes.REPLY_MISMATCH });
  });

  it('state transfer carries the exactly-once table: a joiner answers a repeat from its cache', async () => {
    const ms = await kvCluster(2);
    const client = new RsmClient({ urls: [ms[0]!.endpoint.url], clientId: 'fixed' });
    cleanup.push(() => client.close());
    await client.submit(enc({ op: 'append', key: 'k', value: 'x' }));
    const node = await Node.start({ name: 'late', secret: 'test-secret', listen: { host: '127.0.0.1', port: 0 }, seeds: [ms[0]!.node.url!] });
    const rsm = await ReplicatedStateMachine.join(node, 'kv', new KvStore(), { signal: AbortSignal.timeout(15_000) });
    cleanup.push(() => node.close());
    // The same request again, through the joiner: not applied twice.
    await expect(rsm.submit(enc({ op: 'append', key: 'k', value: 'x' }), { client: 'fixed', request: 1 })).resolves.toBeTruthy();
    const v = dec(await rsm.submit(enc({ op: 'get', key: 'k' })));
    expect(v.value).toBe('x');
  });
});
