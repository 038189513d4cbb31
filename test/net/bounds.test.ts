/**
 * Handshake starvation (issue 8, item 6): many unfinished handshakes from one source address do not keep a real
 * peer out; connection bounds are counted. Sources are distinct loopback addresses (127.0.0.0/8 is all local).
 */
import { type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeAll, deliver, startNode, waitFor, warnings } from './helpers.js';

const ATTACKER = '127.0.0.9';
const open: Array<Socket | WebSocket> = [];
afterEach(async () => {
  for (const s of open.splice(0)) (s instanceof WebSocket ? s.terminate() : s.destroy());
  await closeAll();
});

/** Keeps `n` unfinished handshakes open from ATTACKER: half raw TCP sockets that say nothing, half websockets that never send Hello. */
function starve(url: string, n: number): { stop: () => void } {
  const u = new URL(url);
  let stopped = false;
  const one = (i: number): void => {
    if (stopped) return;
    const again = (): void => void setTimeout(() => one(i), 20);
    if (i % 2 === 0) {
      const s = connect({ host: u.hostname, port: Number(u.port), localAddress: ATTACKER });
      s.on('error', () => {});
      s.on('close', again);
      open.push(s);
    } else {
      const ws = new WebSocket(url, { localAddress: ATTACKER });
      ws.on('error', () => {});
      ws.on('close', again);
      open.push(ws);
    }
  };
  for (let i = 0; i < n; i++) one(i);
  return { stop: () => void (stopped = true) };
}

describe('handshake bounds', () => {
  it('144 unfinished handshakes from one source do not delay a real peer from another source', async () => {
    // A long handshake timeout: without a per-source bound the attacker would hold every slot for the whole test.
    const a = await startNode('A', { handshakeTimeoutMs: 60_000 });
    const attack = starve(a.t.url!, 144);
    await waitFor(() => a.t.stats().refusedConnections > 0, 'the attacker hits its per-source bound', 10_000);
    const b = await startNode('B', { listen: { host: '127.0.0.2', port: 0 }, seeds: [a.t.url!], handshakeTimeoutMs: 60_000 });
    // Far below the 60 s the attacker's handshakes would last: B is admitted at once, not after them.
    await waitFor(() => a.t.peers().includes('B'), 'B connected despite the attack', 10_000);
    await deliver(b, a, 'joined', 10_000);
    attack.stop();
    expect(a.t.stats().refusedConnections).toBeGreaterThan(100);
    expect(a.t.stats().links).toBe(1);
  });

  it('refuses connections above maxConnections, and closes a socket that never upgrades after the handshake timeout', async () => {
    const a = await startNode('A', { handshakeTimeoutMs: 300, maxPendingHandshakesPerSource: 100 });
    const closedAfter = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      const s = connect({ host: '127.0.0.1', port: Number(new URL(a.t.url!).port) });
      s.on('error', () => {});
      s.on('close', () => resolve(Date.now() - t0));
      open.push(s);
    });
    expect(closedAfter).toBeGreaterThanOrEqual(250);
    const capped = await startNode('C', { maxConnections: 2, maxPendingHandshakesPerSource: 100 });
    const u = new URL(capped.t.url!);
    const socks = Array.from({ length: 5 }, () => {
      const s = connect({ host: u.hostname, port: Number(u.port) });
      s.on('error', () => {});
      open.push(s);
      return s;
    });
    await waitFor(() => socks.filter((s) => s.destroyed || s.closed).length >= 3, 'sockets above the cap closed', 10_000);
  });

  it('refusals of connections that never authenticate are logged at most once a second per kind, the rest counted', async () => {
    const a = await startNode('A', { maxPendingHandshakesPerSource: 100 });
    const closes = Array.from({ length: 30 }, () =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(a.t.url!);
        ws.on('open', () => ws.send(Buffer.from([0xff, 0x01, 0x02])));
        ws.on('error', () => {});
        ws.on('close', () => resolve());
      }),
    );
    await Promise.all(closes);
    expect(a.t.stats().rejected).toBeGreaterThanOrEqual(30);
    // A handful of lines at most (one per second of the test), not 30.
    expect(warnings(a).filter((l) => l.msg === 'refusing peer').length).toBeLessThan(10);
  });
});
