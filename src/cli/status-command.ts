import { parseArgs } from 'node:util';
import type { FormingStats } from '../api/bootstrap.js';
import type { GroupStats, NodeStats } from '../api/stats.js';
import { opsRequest, opsUrl } from './ops-client.js';

const USAGE = `usage: vsync status <http-url> [--token <t>] [--json] [--timeout-ms <ms>]
  <http-url>        a node's ops endpoint (vsync member --http host:port), e.g. http://127.0.0.1:9100
  --token <t>       its bearer token (http.token / --http-token); default: $VSYNC_HTTP_TOKEN
  --json            print the raw /status JSON instead of tables
  --timeout-ms <ms> give up after this long (default 5000)`;

const bytes = (n: number): string => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
const ms = (n: number | null): string => (n === null ? '-' : `${n.toFixed(1)} ms`);
const ago = (t: number, now: number): string => {
  const s = Math.max(0, Math.round((now - t) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
};

/** Left-aligned columns, two spaces apart, each row indented by `indent`. */
export function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

function groupState(g: GroupStats): string {
  if (g.state === 'member' && g.minority) return 'MINORITY';
  if (g.state === 'member' && g.blocked) return 'FLUSHING';
  return g.primary ? 'PRIMARY' : g.state.toUpperCase();
}

/** A join that has not started yet: what it waits for, e.g. "waiting for 3 nodes (2 connected: a, b)". */
export function formingLine(f: FormingStats): string {
  const peers = f.connected.length > 0 ? f.connected.join(', ') : 'none';
  if (f.expect > 0) return `group ${f.group}  FORMING  waiting for ${f.expect} nodes (${f.ready.length} connected: ${f.ready.join(', ')}); peers: ${peers}`;
  return `group ${f.group}  JOINING  looking for a running instance through the seeds; peers: ${peers}`;
}

/** The terminal view of a node's stats: the node, each group with its view and history, and the links. */
export function formatStatus(s: NodeStats, now = Date.now()): string[] {
  const out: string[] = [];
  out.push(`node ${s.node}  ${s.url ?? '(not listening)'}  up ${s.uptimeSec} s  in ${bytes(s.transport.bytesIn)}  out ${bytes(s.transport.bytesOut)}  dropped ${s.transport.dropped}`);
  for (const f of s.forming ?? []) out.push('', formingLine(f));
  if (s.groups.length === 0 && (s.forming ?? []).length === 0) out.push('', 'in no group');
  const peer = new Map(s.peers.map((p) => [p.node, p]));
  for (const g of s.groups) {
    out.push('');
    const ids = g.groupId ? `  gid ${g.groupId}${g.parentGroupId ? ` (recovered from ${g.parentGroupId})` : ''}` : '';
    out.push(`group ${g.group}  ${groupState(g)}  ${g.view ? `view ${g.view.id}` : 'no view'}  as ${g.memberId ?? '-'}${ids}`);
    if (g.view) {
      const rows = [['member', 'role', 'state', 'link']];
      for (const m of g.view.members) {
        const p = peer.get(m.node);
        const link = m.self ? 'this node' : !p ? 'no link' : p.state === 'up' && p.rttMs !== null ? `up ${ms(p.rttMs)}` : p.state;
        rows.push([m.self ? `${m.id} (self)` : m.id, m.coordinator ? 'coordinator' : 'member', m.suspected ? 'suspected' : 'alive', link]);
      }
      out.push(...table(rows));
    }
    const w = g.sendWindow;
    out.push(
      `  delivered ${g.counts.delivered} (${g.rates.delivered}/s)  sent ${g.counts.sent} (${g.rates.sent}/s)  seq ${g.counts.deliveredSeq}/${g.counts.orderedSeq}` +
        `  window ${w.messages}/${w.maxMessages} msgs ${bytes(w.bytes)}  log ${g.log.messages} msgs ${bytes(g.log.bytes)}  stable/commit ${g.log.stableSeq}/${g.log.commitSeq}`,
    );
    out.push(`  view changes ${g.viewChanges}  last flush ${ms(g.lastFlushMs)}  excluded ${g.excluded}  rejoins ${g.rejoins}  minority reports ${g.minorityReports}`);
    if (g.history.length > 0) {
      out.push('  recent views (newest first):');
      const rows = [['view', 'when', 'members', 'flush', 'reason']];
      for (const r of g.history.slice(-8).reverse()) rows.push([String(r.id), ago(r.at, now), String(r.members.length), ms(r.flushMs), r.reason]);
      out.push(...table(rows, '    '));
    }
  }
  out.push('');
  if (s.peers.length === 0) out.push('no peer nodes');
  else {
    out.push('peers');
    const rows = [['node', 'link', 'rtt', 'address', 'queued']];
    for (const p of s.peers) rows.push([p.node, p.state, ms(p.rttMs), p.address ?? '-', bytes(p.queuedBytes)]);
    out.push(...table(rows));
  }
  return out;
}

/** `vsync status <http-url>`: a node's /status as tables in the terminal. */
export async function runStatusCommand(args: string[], out: (line: string) => void): Promise<number> {
  let v;
  let positionals: string[];
  try {
    ({ values: v, positionals } = parseArgs({
      args,
      options: { token: { type: 'string' }, json: { type: 'boolean' }, 'timeout-ms': { type: 'string' }, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    out(`vsync status: ${(err as Error).message}`);
    out(USAGE);
    return 2;
  }
  if (v.help) {
    out(USAGE);
    return 0;
  }
  const timeoutMs = Number(v['timeout-ms'] ?? '5000');
  let url: URL;
  try {
    if (positionals.length !== 1) throw new Error('takes exactly one <http-url>');
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`--timeout-ms takes a positive integer, got '${v['timeout-ms']}'`);
    url = opsUrl(positionals[0], '/status');
  } catch (err) {
    out(`vsync status: ${(err as Error).message}`);
    out(USAGE);
    return 2;
  }
  const answer = await opsRequest('vsync status', url, { token: v.token ?? process.env['VSYNC_HTTP_TOKEN'], timeoutMs });
  if (!answer.ok) {
    out(answer.line);
    return answer.exit;
  }
  const text = answer.text;
  if (answer.status !== 200) {
    out(`vsync status: ${url.href} answered HTTP ${answer.status}: ${text.slice(0, 200)}`);
    return 1;
  }
  let stats: NodeStats;
  try {
    stats = JSON.parse(text) as NodeStats;
    if (typeof stats.node !== 'string' || !Array.isArray(stats.groups) || !Array.isArray(stats.peers)) throw new Error('not a vsync /status answer');
  } catch (err) {
    out(`vsync status: ${url.href}: ${(err as Error).message}`);
    return 1;
  }
  if (v.json) out(JSON.stringify(stats, null, 2));
  else for (const line of formatStatus(stats)) out(line);
  return 0;
}
