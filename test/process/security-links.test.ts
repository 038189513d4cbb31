/**
 * Link security against real `vsync member` processes (issue 8): an outsider without the secret who relays the
 * handshake between two real nodes gets nowhere; `vsync member` refuses to start without a secret, TLS or
 * --insecure.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { MemberProcess } from '../../src/cli/member-process.js';
import { CloseCode } from '../../src/net/peer-link.js';
import { TestPki } from '../net/tls-certs.js';
import { crossRelay, macRelay } from './link-attacker.js';
import { ProcCluster, sleep } from './proc-cluster.js';

let cluster: ProcCluster | null = null;
let other: ProcCluster | null = null;
afterEach(() => {
  cluster?.killAll();
  other?.killAll();
  cluster = other = null;
});

const viewLines = (c: ProcCluster, name: string): number => c.get(name).lines.filter((l) => l.startsWith('view ')).length;

describe('links between real processes', () => {
  it('an outsider relaying the handshake between two real nodes gets nowhere; the group is undisturbed', async () => {
    const c = (cluster = new ProcCluster(['--send-rate', '50']));
    for (const n of ['a', 'b', 'c']) await c.start(n);
    await c.waitViews((m) => m.length === 3, 30_000, 'three members');
    const views = ['a', 'b', 'c'].map((n) => viewLines(c, n));
    const [ua, ub, uc] = ['a', 'b', 'c'].map((n) => c.urls.get(n)!);
    // A node with the secret that a does not know: before the fix, a took the relayed answer as d's proof.
    other = new ProcCluster();
    await other.start('d', { seeds: [] });
    const ud = other.urls.get('d')!;
    for (let round = 0; round < 3; round++) {
      const r0 = await macRelay(ua!, ud, 'd');
      expect(r0.target.rejects).toContain(ErrorCodes.AUTH);
      expect(r0.target.opened).toBe(false);
      // Claim b to a with b's own answer (b is connected to a meanwhile: its link must not be evicted).
      const r1 = await macRelay(ua!, ub!, 'b');
      expect(r1.target.rejects).toContain(ErrorCodes.AUTH);
      expect(r1.target.closeCode).toBe(CloseCode.REFUSED);
      expect(r1.target.opened).toBe(false);
      // Claim c to b with a's answer.
      const r2 = await macRelay(ub!, ua!, 'c');
      expect(r2.target.rejects).toContain(ErrorCodes.AUTH);
      // Each node shown the other's Hello and answer.
      const [x, y] = await crossRelay(ua!, uc!);
      for (const o of [x, y]) {
        expect(o.rejects).toContain(ErrorCodes.AUTH);
        expect(o.opened).toBe(false);
      }
    }
    // No view change, and the group still delivers.
    await sleep(500);
    expect(['a', 'b', 'c'].map((n) => viewLines(c, n))).toEqual(views);
    const before = Number(c.get('a').lastMatch(/delivered=(\d+)/)?.[1] ?? 0);
    await c.get('a').waitFor(new RegExp(`^status .* delivered=(?!${before}\\b)\\d+`), 20_000, c.get('a').lines.length);
    await c.quiesce();
    const report = await c.finish();
    expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
  });

  it('members with --tls-cert/--tls-key/--tls-ca (no secret) form a group over wss://; a certificate for another name is refused', async () => {
    const pki = new TestPki();
    try {
      const flags = (name: string, certName = name): string[] => {
        const f = pki.issue(certName).files;
        return ['--tls-cert', f.cert, '--tls-key', f.key, '--tls-ca', f.ca];
      };
      const c = (cluster = new ProcCluster(['--send-rate', '50']));
      for (const n of ['a', 'b', 'c']) await c.start(n, { args: flags(n) });
      await c.waitViews((m) => m.length === 3, 30_000, 'three members over TLS');
      expect([...c.urls.values()].every((u) => u.startsWith('wss://'))).toBe(true);
      // d holds a valid certificate, but for 'mallory': it cannot join as d.
      const d = await c.start('d', { args: flags('d', 'mallory'), waitReady: false });
      await sleep(3000);
      expect(d.lines.some((l) => l.startsWith('ready'))).toBe(false);
      expect(c.lastView('a')!.members).toHaveLength(3);
      d.signal('SIGKILL');
      c.dead.add('d');
      await c.quiesce();
      const report = await c.finish();
      expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
    } finally {
      pki.remove();
    }
  });

  it('`vsync member` refuses to start without a secret, TLS or --insecure, and runs with --insecure', async () => {
    const p = new MemberProcess('x', ['--listen', '127.0.0.1:0', '--group', 'g'], { env: { VSYNC_SECRET: '' } });
    expect(await p.exited).toBe(2);
    expect(p.stderr).toMatch(/VSYNC_ERR_INVALID_ARGUMENT.*--secret.*--insecure/s);
    const c = (cluster = new ProcCluster(['--insecure']));
    await c.start('a');
    await c.start('b');
    await c.waitViews((m) => m.length === 2, 30_000, 'an insecure pair');
    await c.finish();
  });
});
