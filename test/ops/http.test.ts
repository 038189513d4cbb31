import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes, type GroupStats, Node, type NodeStats, VsyncError } from '../../src/index.js';
import { eventually, type OpsCluster, opsCluster } from './cluster.js';

interface PromFamily {
  name: string;
  type: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

let cluster: OpsCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function getJson<T>(url: string, token?: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: (await r.json()) as T };
}

function family(families: PromFamily[], name: string): PromFamily {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`metric ${name} missing`);
  return f;
}

describe('ops HTTP endpoint of a three-member cluster', () => {
  it('answers /healthz, /status and /metrics; stats follow deliveries and a view change', async () => {
    cluster = await opsCluster(3);
    const [a, b] = cluster.groups;
    await Promise.all(Array.from({ length: 30 }, (_, i) => a!.send(enc(`m${i}`))));
    await b!.send(enc('from b'));
    await eventually(() => cluster!.groups.every((g) => g.stats().counts.delivered === 31), 20_000, 'all deliveries');

    const base = cluster.nodes[0]!.httpUrl!;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const h = await getJson<{ status: string; reason: string; groups: Array<{ group: string; primary: boolean }> }>(`${base}/healthz`);
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('ok');
    expect(h.body.groups).toEqual([expect.objectContaining({ group: 'g', primary: true })]);

    const s = await getJson<NodeStats>(`${base}/status`);
    expect(s.status).toBe(200);
    const g = s.body.groups[0]!;
    expect(s.body.node).toBe('n0');
    expect(g.group).toBe('g');
    expect(g.primary).toBe(true);
    expect(g.memberId).toBe(cluster.groups[0]!.memberId);
    expect(g.view!.members.map((m) => m.node)).toEqual(['n0', 'n1', 'n2']);
    expect(g.view!.members[0]!.coordinator).toBe(true);
    expect(g.counts.delivered).toBe(31);
    expect(g.counts.sent).toBe(30);
    expect(g.counts.deliveredSeq).toBe(31);
    expect(g.sendWindow.maxMessages).toBeGreaterThan(0);
    expect(g.viewChanges).toBeGreaterThanOrEqual(3);
    expect(g.history[0]!.reason).toMatch(/^founded by n0#/);
    expect(g.history.map((r) => r.reason).join(' | ')).toMatch(/n2#\w+ joined/);
    expect(s.body.peers.map((p) => p.node).sort()).toEqual(['n1', 'n2']);
    expect(s.body.peers.every((p) => p.state === 'up')).toBe(true);
    expect(s.body.transport.bytesIn).toBeGreaterThan(0);
    expect(s.body.transport.bytesOut).toBeGreaterThan(0);
    // The heartbeat round trip shows up after the first pong (one heartbeat interval, 1 s by default).
    await eventually(() => cluster!.nodes[0]!.stats().peers.every((p) => p.rttMs !== null), 20_000, 'rtt measured');

    const m = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    const families = parsePrometheusTextFormat(await m.text()) as PromFamily[];
    for (const f of families) expect(f.name.startsWith('vsync_')).toBe(true);
    const deliveries = family(families, 'vsync_deliveries_total');
    expect(deliveries.type).toBe('COUNTER');
    expect(deliveries.metrics).toEqual([expect.objectContaining({ labels: { group: 'g' }, value: '31' })]);
    expect(family(families, 'vsync_view_changes_total').metrics[0]!.value).toBe(String(g.viewChanges));
    expect(family(families, 'vsync_primary').metrics[0]!.value).toBe('1');
    expect(family(families, 'vsync_view_members').metrics[0]!.value).toBe('3');
    expect(family(families, 'vsync_send_window_messages').type).toBe('GAUGE');
    const rtt = family(families, 'vsync_peer_rtt_seconds');
    expect(rtt.metrics.map((x) => x.labels!['peer']).sort()).toEqual(['n1', 'n2']);
    for (const x of rtt.metrics) expect(Number(x.value)).toBeGreaterThanOrEqual(0);
    expect(family(families, 'vsync_flush_duration_seconds').type).toBe('HISTOGRAM');

    // A member fails (its node stops without leaving): the survivors flush, and the history says why.
    const gone = cluster.groups[2]!.memberId;
    await cluster.nodes[2]!.close({ leave: false });
    await eventually(() => cluster!.groups[0]!.stats().view?.members.length === 2, 30_000, 'a view without n2');
    const after = (await getJson<NodeStats>(`${base}/status`)).body.groups[0]!;
    const last = after.history[after.history.length - 1]!;
    expect(last.failed).toEqual([gone]);
    expect(last.reason).toMatch(/n2#\w+ failed or was excluded/);
    expect(last.flushMs).not.toBeNull();
    expect(after.lastFlushMs).toBe(last.flushMs);
    const fam2 = parsePrometheusTextFormat(await (await fetch(`${base}/metrics`)).text()) as PromFamily[];
    const flush = family(fam2, 'vsync_flush_duration_seconds').metrics[0]!;
    expect(Number(flush.buckets!['+Inf'])).toBeGreaterThanOrEqual(1);
    expect(family(fam2, 'vsync_view_members').metrics[0]!.value).toBe('2');
    expect(family(fam2, 'vsync_peer_up').metrics.find((x) => x.labels!['peer'] === 'n2')?.value ?? '0').toBe('0');

    // Still primary with two of three.
    expect((await getJson(`${base}/healthz`)).status).toBe(200);
  });

  it('/healthz is 503 with a reason when a group is not primary; unknown paths and methods are refused', async () => {
    const node = await Node.start({ name: 'solo', listen: { host: '127.0.0.1', port: 0 }, secret: 'test-secret', http: { port: 0 } });
    try {
      const base = node.httpUrl!;
      const none = await getJson<{ status: string; reason: string }>(`${base}/healthz`);
      expect(none.status).toBe(503);
      expect(none.body.reason).toBe('not in any group');
      const g = await node.join('g');
      expect((await getJson(`${base}/healthz`)).status).toBe(200);
      await g.leave();
      const left = await getJson<{ reason: string }>(`${base}/healthz`);
      expect(left.status).toBe(503);
      // A group that was left frees its name (it can be joined again), so the node is in no group any more.
      expect(left.body.reason).toBe('not in any group');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      const post = await fetch(`${base}/status`, { method: 'POST', body: 'x' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(await page.text()).toMatch(/<title>vsync<\/title>/);
    } finally {
      await node.close();
    }
  });

  it('with a token: /healthz stays open, everything else needs the bearer token (or the page cookie)', async () => {
    const token = 'ops-token-123';
    const node = await Node.start({ name: 'tok', listen: { host: '127.0.0.1', port: 0 }, secret: 'test-secret', http: { port: 0, token } });
    try {
      await node.join('g');
      const base = node.httpUrl!;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      for (const path of ['/status', '/metrics', '/history', '/']) {
        const r = await fetch(`${base}${path}`);
        expect(r.status, path).toBe(401);
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect((await fetch(`${base}${path}`, { headers: { Authorization: 'Bearer wrong-token' } })).status).toBe(401);
        expect((await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } })).status, path).toBe(200);
      }
      const denied = await getJson<{ error: string }>(`${base}/status`);
      expect(denied.body.error).toBe(ErrorCodes.AUTH);
      // The page takes the token once in its URL, trades it for a same-site cookie and drops it from the address.
      const r = await fetch(`${base}/?token=${token}`, { redirect: 'manual' });
      expect(r.status).toBe(303);
      expect(r.headers.get('location')).toBe('/');
      const cookie = r.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      const withCookie = await fetch(`${base}/status`, { headers: { Cookie: cookie.split(';')[0]! } });
      expect(withCookie.status).toBe(200);
      expect(((await withCookie.json()) as NodeStats).groups.map((g: GroupStats) => g.group)).toEqual(['g']);
    } finally {
      await node.close();
    }
  });

  it('refuses to serve without a token on a non-loopback address, and bad options, with coded errors', async () => {
    const bad = async (http: object, code: string = ErrorCodes.INVALID_ARGUMENT): Promise<VsyncError> => {
      const err = await Node.start({ name: 'x', secret: 'test-secret', http } as never).then(
        async (n) => {
          await n.close();
          throw new Error('started');
        },
        (e: unknown) => e as VsyncError,
      );
      expect(err).toBeInstanceOf(VsyncError);
      expect(err.code).toBe(code);
      return err;
    };
    expect((await bad({ host: '0.0.0.0', port: 0 })).message).toMatch(/needs http.token/);
    await bad({ port: 70000 });
    await bad({ port: 0, token: 'short' });
    // A port in use is refused at start with VSYNC_ERR_LISTEN_FAILED (as for the peer port), with the cause.
    const n1 = await Node.start({ name: 'p1', secret: 'test-secret', http: { port: 0 } });
    try {
      const port = Number(new URL(n1.httpUrl!).port);
      expect((await bad({ port }, ErrorCodes.LISTEN_FAILED)).message).toMatch(/cannot listen/);
    } finally {
      await n1.close();
    }
  });

  it('caps connections', async () => {
    const node = await Node.start({ name: 'cap', secret: 'test-secret', http: { port: 0, maxConnections: 2 } });
    const net = await import('node:net');
    const url = new URL(node.httpUrl!);
    const socks: import('node:net').Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = net.connect(Number(url.port), '127.0.0.1');
        await new Promise((r) => s.once('connect', r));
        socks.push(s);
      }
      // A third connection is accepted by the kernel and closed by the server at once.
      const third = net.connect(Number(url.port), '127.0.0.1');
      third.on('error', () => {});
      await new Promise<void>((resolve) => third.once('close', () => resolve()));
      socks[0]!.destroy();
      await eventually(async () => (await fetch(`${node.httpUrl}/healthz`).then((r) => r.status, () => 0)) === 503, 10_000, 'room again');
    } finally {
      for (const s of socks) s.destroy();
      await node.close();
    }
  });

  it('logs view changes and minority reports at info through the node logger; /healthz says minority', async () => {
    const lines: Array<{ level: number; msg: string; node?: string; group?: string }> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const a = await Node.start({ name: 'la', listen: { host: '127.0.0.1', port: 0 }, secret: 'test-secret', logger, http: { port: 0 } });
    const b = await Node.start({ name: 'lb', listen: { host: '127.0.0.1', port: 0 }, seeds: [a.url!], secret: 'test-secret' });
    try {
      const ga = await a.join('g');
      await b.join('g', { signal: AbortSignal.timeout(20_000) });
      await eventually(() => ga.currentView?.members.length === 2, 20_000, 'two members');
      const views = (): string[] => lines.filter((l) => l.node === 'la' && l.group === 'g' && l.level === 30 && /^view \d+ installed/.test(l.msg)).map((l) => l.msg);
      expect(views()[0]).toMatch(/^view 1 installed: founded by la#/);
      expect(views()[1]).toMatch(/^view 2 installed: lb#\w+ joined$/);
      // One of two fails (its node stops without leaving): the survivor has no majority, reports it, and /healthz turns 503.
      await b.close({ leave: false });
      await eventually(() => lines.some((l) => l.level === 30 && /^minority: only 1 of 2 members of view 2 reachable/.test(l.msg)), 30_000, 'minority logged');
      expect(ga.stats().minority).toBe(true);
      expect(ga.stats().minorityReports).toBe(1);
      const h = await getJson<{ reason: string }>(`${a.httpUrl}/healthz`);
      expect(h.status).toBe(503);
      expect(h.body.reason).toBe('g: minority: cannot reach a majority of view 2');
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('a graceful leave is told apart from a failure in the history', async () => {
    cluster = await opsCluster(3);
    const leaver = cluster.groups[1]!.memberId!;
    await cluster.groups[1]!.leave({ signal: AbortSignal.timeout(20_000) });
    await eventually(() => cluster!.groups[0]!.stats().view?.members.length === 2, 20_000, 'a view without n1');
    const last = cluster.groups[0]!.stats().history.at(-1)!;
    expect(last).toMatchObject({ left: [leaver], failed: [], reason: `${leaver} left` });
    expect(cluster.groups[1]!.stats()).toMatchObject({ state: 'left', primary: false, memberId: null });
  });
});
