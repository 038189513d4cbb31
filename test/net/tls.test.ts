/**
 * Mutual TLS for peer links: wss:// served with the node's certificate, client certificates required and checked
 * against the CA, and the peer's node name must be one its certificate names (CN or DNS subjectAltName).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ErrorCodes } from '../../src/errors.js';
import { bytes, closeAll, deliver, startNode, waitFor, warnings } from './helpers.js';
import { TestPki } from './tls-certs.js';

const pki = new TestPki();
const rogue = new TestPki('rogue-ca');
afterAll(() => {
  pki.remove();
  rogue.remove();
});
afterEach(() => closeAll());

const tls = (name: string, from = pki) => {
  const c = from.issue(name);
  return { cert: c.cert, key: c.key, ca: pki.ca };
};

describe('mutual TLS', () => {
  it('three nodes connect over wss:// with certificates only; frames flow; no insecure warnings', async () => {
    const a = await startNode('a', { tls: tls('a') });
    expect(a.t.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const b = await startNode('b', { tls: tls('b'), seeds: [a.t.url!] });
    const c = await startNode('c', { tls: tls('c'), seeds: [a.t.url!] });
    await waitFor(() => a.t.peers().length === 2, 'b and c connected to a', 15_000);
    // b reaches c through the directory (c's wss:// URL, learned from a).
    await deliver(b, c, 'over tls', 10_000);
    await deliver(c, a, 'and back', 10_000);
    for (const n of [a, b, c]) expect(warnings(n).filter((l) => /insecure/.test(l.msg))).toEqual([]);
  });

  it('TLS and a secret together', async () => {
    const a = await startNode('a', { tls: tls('a'), secret: 'both' });
    const b = await startNode('b', { tls: tls('b'), secret: 'both', seeds: [a.t.url!] });
    await deliver(b, a, 'twice protected', 10_000);
  });

  it("refuses a peer whose certificate names another node, and one whose certificate is from another CA", async () => {
    const a = await startNode('a', { tls: tls('a') });
    // A valid certificate for 'mallory', used to claim 'b'.
    const liar = await startNode('b', { tls: tls('mallory'), seeds: [a.t.url!] });
    await waitFor(() => warnings(a).some((l) => l.code === ErrorCodes.AUTH && /certificate names/.test(String(l.reason))), 'name mismatch refused', 10_000);
    expect(a.t.peers()).toEqual([]);
    // Refused before a sent its own proof: the liar's side never completes either.
    expect(liar.ups).toEqual([]);
    // A certificate for 'c' from a CA a does not trust: the TLS handshake fails, no link.
    const stranger = await startNode('c', { tls: { ...tls('c', rogue), ca: pki.ca }, seeds: [a.t.url!] });
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.t.peers()).toEqual([]);
    expect(stranger.t.peers()).toEqual([]);
    // The real b is let in.
    const b = await startNode('b', { tls: tls('b'), seeds: [a.t.url!] });
    await deliver(b, a, 'the real b', 10_000);
    expect(a.t.peers()).toEqual(['b']);
  });

  it('a client without a certificate cannot even open the websocket', async () => {
    const a = await startNode('a', { tls: tls('a') });
    const result = await new Promise<string>((resolve) => {
      // Node's TLS takes `undefined` as "identity ok"; @types/ws declares a boolean return, which Node would read as an error.
      const ws = new WebSocket(a.t.url!, { ca: pki.ca, checkServerIdentity: (() => undefined) as unknown as () => boolean });
      ws.on('open', () => resolve('open'));
      ws.on('error', (e) => resolve(`error ${e.message}`));
    });
    expect(result).toMatch(/^error/);
    expect(a.t.send('x', bytes('nobody'))).toBe(false);
  });
});
