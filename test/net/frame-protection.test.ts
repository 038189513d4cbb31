/**
 * Frame protection on real links: an attacker in the middle without the secret forges, alters, replays or reorders
 * a message after the handshake. Each is dropped (never delivered), counted, logged, and the link is closed; the
 * peers reconnect and carry on.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { type TestNode, bytes, closeAll, deliver, startNode, waitFor, warnings } from './helpers.js';
import { Mitm, type Tamper } from './mitm.js';

let mitm: Mitm | null = null;
afterEach(async () => {
  await mitm?.close();
  mitm = null;
  await closeAll();
});

type Attack = 'forged' | 'altered' | 'replayed' | 'reordered';

/** A tamper hook that acts once, on the first data message after `arm()`. */
function attack(kind: Attack): { tamper: Tamper; arm: () => void; done: () => boolean } {
  let armed = false;
  let fired = false;
  let held: Buffer | null = null;
  const tamper: Tamper = (msg, index) => {
    if (!armed || fired || index < 2) return [msg]; // 0: Hello, 1: HelloAuth
    switch (kind) {
      case 'forged':
        fired = true;
        return [randomBytes(msg.length), msg];
      case 'altered': {
        fired = true;
        const m = Buffer.from(msg);
        m[m.length >> 1]! ^= 0x40;
        return [m];
      }
      case 'replayed':
        fired = true;
        return [msg, msg];
      case 'reordered':
        if (held === null) {
          held = msg;
          return [];
        }
        fired = true;
        return [msg, held];
    }
  };
  return { tamper, arm: () => (armed = true), done: () => fired };
}

async function linkedThroughMitm(): Promise<{ a: TestNode; b: TestNode }> {
  const a = await startNode('A');
  mitm = await Mitm.start(a.t.url!);
  const b = await startNode('B', { seeds: [mitm.url] });
  await waitFor(() => a.t.peers().includes('B') && b.t.peers().includes('A'), 'link through the attacker', 10_000);
  await deliver(b, a, 'before', 10_000);
  return { a, b };
}

describe('frame protection against an attacker in the middle', () => {
  for (const kind of ['forged', 'altered', 'replayed', 'reordered'] as const) {
    it(`a ${kind} message is dropped, counted, logged, and closes the link; the peers reconnect`, async () => {
      const { a, b } = await linkedThroughMitm();
      const atk = attack(kind);
      mitm!.tamper = atk.tamper;
      atk.arm();
      for (let i = 1; i <= 3; i++) expect(b.t.send('A', bytes(`f${i}`))).toBe(true);
      await waitFor(() => a.t.stats().badFrames === 1, 'the bad message counted', 10_000);
      await waitFor(() => a.downs.some((d) => d.node === 'B'), 'the link closed', 10_000);
      expect(atk.done()).toBe(true);
      const bad = warnings(a).filter((l) => /failed authentication/.test(l.msg));
      expect(bad).toHaveLength(1);
      expect(bad[0]).toMatchObject({ code: ErrorCodes.AUTH, peer: 'B' });
      // Nothing the attacker touched was delivered, and nothing twice.
      const texts = a.frames.map((f) => f.text);
      expect(new Set(texts).size).toBe(texts.length);
      for (const t of texts) expect(['before', 'f1', 'f2', 'f3']).toContain(t);
      if (kind === 'reordered') expect(texts).not.toContain('f2');
      // B redials its seed (the attacker relays honestly now): frames flow again.
      await deliver(b, a, 'after', 15_000);
      expect(a.t.stats().badFrames).toBe(1);
    });
  }

  it('an honest relay is harmless: frames pass, none is refused', async () => {
    const { a, b } = await linkedThroughMitm();
    for (let i = 0; i < 50; i++) b.t.send('A', bytes(`m${i}`));
    await waitFor(() => a.frames.filter((f) => f.text.startsWith('m')).length === 50, '50 frames', 10_000);
    expect(a.frames.filter((f) => f.text.startsWith('m')).map((f) => f.text)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(a.t.stats().badFrames).toBe(0);
  });

  it('the bytes on the wire are not the payload', async () => {
    const { a, b } = await linkedThroughMitm();
    const seen: Buffer[] = [];
    mitm!.tamper = (msg) => {
      seen.push(Buffer.from(msg));
      return [msg];
    };
    await deliver(b, a, 'a very recognisable payload', 10_000);
    expect(seen.length).toBeGreaterThan(0);
    for (const m of seen) expect(m.includes('recognisable')).toBe(false);
  });
});
