/**
 * The live web page of a node, self-contained (no CDN, no external file): it polls /status and /history once a
 * second and draws the groups, each view's members and their state, the history of views with the reason of each
 * change, a delivery-rate chart over the last minutes and this node's links. Data only ever reaches the DOM as text.
 * The Content-Security-Policy allows exactly this script and this style (by hash) and same-origin fetches.
 */
import { createHash } from 'node:crypto';

const STYLE = `
:root { --bg:#0f1419; --card:#171e26; --line:#2a3440; --fg:#d8dee6; --dim:#8b98a8; --ok:#3fb950; --warn:#d29922; --bad:#f85149; --acc:#58a6ff; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, Segoe UI, sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; gap:16px; align-items:baseline; padding:12px 20px; border-bottom:1px solid var(--line); flex-wrap:wrap; }
header h1 { font-size:18px; margin:0; }
header .dim { color:var(--dim); }
main { padding:16px 20px; display:grid; gap:16px; grid-template-columns: minmax(0,1fr); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; }
.card h2 { margin:0 0 10px; font-size:16px; display:flex; gap:10px; align-items:center; flex-wrap:wrap; }
.badge { font-size:11px; font-weight:600; padding:2px 8px; border-radius:10px; text-transform:uppercase; letter-spacing:.04em; }
.b-ok { background:rgba(63,185,80,.15); color:var(--ok); } .b-warn { background:rgba(210,153,34,.15); color:var(--warn); }
.b-bad { background:rgba(248,81,73,.15); color:var(--bad); } .b-dim { background:rgba(139,152,168,.15); color:var(--dim); }
.grid { display:grid; gap:14px; align-items:start; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
td.wrap { white-space:normal; }
th { color:var(--dim); font-weight:500; }
.kv { display:grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap:8px 14px; margin:6px 0 12px; }
.kv div { display:flex; flex-direction:column; } .kv span:first-child { color:var(--dim); font-size:11px; text-transform:uppercase; }
.kv span:last-child { font-size:15px; font-variant-numeric: tabular-nums; }
.bar { height:6px; background:var(--line); border-radius:3px; overflow:hidden; margin-top:3px; } .bar i { display:block; height:100%; background:var(--acc); }
.dot { display:inline-block; width:8px; height:8px; border-radius:50%; margin-right:6px; }
.ok { color:var(--ok); } .warn { color:var(--warn); } .bad { color:var(--bad); } .dim { color:var(--dim); }
svg text { fill:var(--dim); font-size:11px; }
#conn.bad { font-weight:600; }
h3 { font-size:13px; color:var(--dim); margin:14px 0 6px; font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
`;

const SCRIPT = `
'use strict';
const $ = (tag, attrs, ...kids) => {
  const e = document.createElementNS(tag.startsWith('svg:') ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag.replace('svg:', ''));
  // Styles go through the CSSOM: the CSP forbids style attributes.
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) { if (k === 'style') e.style.cssText = v; else e.setAttribute(k, String(v)); }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};
const fmt = (n, d = 0) => (n === null || n === undefined) ? '–' : Number(n).toLocaleString(undefined, { maximumFractionDigits: d });
const bytes = (n) => n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB';
const ago = (t) => { const s = Math.max(0, Math.round((Date.now() - t) / 1000)); return s < 60 ? s + 's ago' : s < 3600 ? Math.floor(s / 60) + 'm ago' : Math.floor(s / 3600) + 'h ago'; };
let rateHistory = {};
let lastOk = 0;

async function get(path) {
  const r = await fetch(path, { cache: 'no-store', credentials: 'same-origin' });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

function badge(g) {
  if (g.state === 'member' && g.minority) return $('span', { class: 'badge b-bad', 'data-testid': 'group-state' }, 'minority');
  if (g.state === 'member' && g.blocked) return $('span', { class: 'badge b-warn', 'data-testid': 'group-state' }, 'flushing');
  if (g.primary) return $('span', { class: 'badge b-ok', 'data-testid': 'group-state' }, 'primary');
  return $('span', { class: 'badge b-dim', 'data-testid': 'group-state' }, g.state);
}

function chart(samples) {
  const W = 560, H = 120, P = 28;
  const svg = $('svg:svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', height: H, role: 'img', 'aria-label': 'delivery rate' });
  const pts = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i];
    const dt = (b.t - a.t) / 1000;
    if (dt > 0) pts.push({ t: b.t, v: (b.delivered - a.delivered) / dt });
  }
  // The x axis spans the samples there are, from one minute up to five: a young node's chart is not a sliver.
  const now = Date.now();
  const span = Math.min(5 * 60 * 1000, Math.max(60 * 1000, samples.length ? now - samples[0].t : 0));
  const max = Math.max(1, ...pts.map((p) => p.v));
  const x = (t) => P + (W - P - 4) * (1 - (now - t) / span);
  const y = (v) => H - 16 - (H - 24) * (v / max);
  svg.append($('svg:line', { x1: P, y1: H - 16, x2: W - 4, y2: H - 16, stroke: '#2a3440' }));
  svg.append($('svg:text', { x: 2, y: 12 }, fmt(max, max < 10 ? 1 : 0)));
  svg.append($('svg:text', { x: 2, y: H - 16 }, '0'));
  svg.append($('svg:text', { x: P, y: H - 2 }, span >= 5 * 60 * 1000 ? '-5 min' : '-' + Math.round(span / 1000) + ' s'));
  svg.append($('svg:text', { x: W - 40, y: H - 2 }, 'now'));
  const vis = pts.filter((p) => now - p.t <= span);
  if (vis.length > 1) {
    const d = vis.map((p, i) => (i ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.v).toFixed(1)).join(' ');
    svg.append($('svg:path', { d: d + ' L' + x(vis[vis.length - 1].t).toFixed(1) + ' ' + (H - 16) + ' L' + x(vis[0].t).toFixed(1) + ' ' + (H - 16) + ' Z', fill: 'rgba(88,166,255,.12)' }));
    svg.append($('svg:path', { d, fill: 'none', stroke: '#58a6ff', 'stroke-width': 1.5 }));
  } else {
    svg.append($('svg:text', { x: W / 2 - 60, y: H / 2 }, 'collecting samples…'));
  }
  return svg;
}

function links(s) {
  const W = 360, H = 220, cx = W / 2, cy = H / 2, R = 80;
  const svg = $('svg:svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', height: H, role: 'img', 'aria-label': 'links' });
  const n = s.peers.length;
  s.peers.forEach((p, i) => {
    // Peers on a circle around this node, starting to its right so that two peers sit left and right.
    const a = (2 * Math.PI * i) / Math.max(1, n);
    const px = cx + R * Math.cos(a), py = cy + R * Math.sin(a);
    const col = p.state === 'up' ? '#3fb950' : p.state === 'connecting' ? '#d29922' : '#f85149';
    svg.append($('svg:line', { x1: cx, y1: cy, x2: px, y2: py, stroke: col, 'stroke-width': 2, 'stroke-dasharray': p.state === 'up' ? null : '4 4' }));
    svg.append($('svg:text', { x: (cx + px) / 2 - 14, y: (cy + py) / 2 - 6 }, p.rttMs === null || p.state !== 'up' ? p.state : fmt(p.rttMs, 1) + ' ms'));
    svg.append($('svg:circle', { cx: px, cy: py, r: 16, fill: '#171e26', stroke: col, 'stroke-width': 2 }));
    svg.append($('svg:text', { x: px - 4 * Math.min(p.node.length, 12) / 2, y: py + 30, style: 'fill:#d8dee6' }, p.node.slice(0, 12)));
  });
  svg.append($('svg:circle', { cx, cy, r: 20, fill: '#1f6feb' }));
  svg.append($('svg:text', { x: cx - 4 * Math.min(s.node.length, 12) / 2, y: cy + 36, style: 'fill:#d8dee6;font-weight:600' }, s.node.slice(0, 12)));
  return svg;
}

function group(g, s) {
  const peer = new Map(s.peers.map((p) => [p.node, p]));
  const card = $('section', { class: 'card', 'data-group': g.group });
  card.append($('h2', null, 'group ', $('span', null, g.group), badge(g),
    $('span', { class: 'dim', 'data-testid': 'view-id' }, g.view ? 'view ' + g.view.id : 'no view'),
    $('span', { class: 'dim' }, g.memberId ? 'as ' + g.memberId : '')));
  const w = g.sendWindow;
  const use = w.maxMessages ? Math.min(100, 100 * w.messages / w.maxMessages) : 0;
  const kv = $('div', { class: 'kv' });
  const item = (k, v, extra) => kv.append($('div', null, $('span', null, k), $('span', null, v), extra || null));
  item('delivered/s', fmt(g.rates.delivered, 1));
  item('sent/s', fmt(g.rates.sent, 1));
  item('delivered', fmt(g.counts.delivered));
  item('seq (delivered/ordered)', fmt(g.counts.deliveredSeq) + ' / ' + fmt(g.counts.orderedSeq));
  item('send window', fmt(w.messages) + ' / ' + fmt(w.maxMessages), $('div', { class: 'bar' }, $('i', { style: 'width:' + use.toFixed(1) + '%' })));
  item('log', fmt(g.log.messages) + ' msgs, ' + bytes(g.log.bytes));
  item('stable / commit', fmt(g.log.stableSeq) + ' / ' + fmt(g.log.commitSeq));
  item('view changes', fmt(g.viewChanges));
  item('last flush', g.lastFlushMs === null ? '–' : fmt(g.lastFlushMs, 1) + ' ms');
  item('excluded / rejoins', fmt(g.excluded) + ' / ' + fmt(g.rejoins));
  card.append(kv);

  const cols = $('div', { class: 'grid' });
  const members = $('table', { 'data-testid': 'members' }, $('tr', null, $('th', null, 'member'), $('th', null, 'role'), $('th', null, 'state'), $('th', null, 'link')));
  for (const m of g.view ? g.view.members : []) {
    const p = peer.get(m.node);
    const st = m.suspected ? ['suspected', 'bad'] : ['alive', 'ok'];
    const link = m.self ? ['this node', 'dim'] : !p ? ['no link', 'bad'] : p.state === 'up' ? ['up' + (p.rttMs === null ? '' : ' · ' + fmt(p.rttMs, 1) + ' ms'), 'ok'] : [p.state, p.state === 'connecting' ? 'warn' : 'bad'];
    members.append($('tr', { 'data-member': m.id },
      $('td', null, m.id, m.self ? $('span', { class: 'dim' }, ' (self)') : null),
      $('td', null, m.coordinator ? 'coordinator' : 'member'),
      $('td', { class: st[1] }, $('span', { class: 'dot', style: 'background:currentColor' }), st[0]),
      $('td', { class: link[1] }, link[0])));
  }
  cols.append($('div', null, $('h3', null, 'current view'), members));
  cols.append($('div', null, $('h3', null, 'deliveries per second, last minutes'), chart(rateHistory[g.group] || [])));
  card.append(cols);

  const hist = $('table', { 'data-testid': 'history' }, $('tr', null, $('th', null, 'view'), $('th', null, 'when'), $('th', null, 'members'), $('th', null, 'flush'), $('th', null, 'reason')));
  for (const r of g.history.slice().reverse().slice(0, 12)) {
    hist.append($('tr', null, $('td', null, r.id), $('td', { title: new Date(r.at).toISOString() }, ago(r.at)), $('td', null, r.members.length),
      $('td', null, r.flushMs === null ? '–' : fmt(r.flushMs, 1) + ' ms'), $('td', { class: 'wrap' }, r.reason)));
  }
  card.append($('h3', null, 'view history (newest first)'), hist);
  return card;
}

function render(s) {
  document.title = 'vsync · ' + s.node;
  document.getElementById('node').textContent = s.node;
  document.getElementById('meta').textContent = (s.url || 'not listening') + ' · up ' + fmt(s.uptimeSec) + ' s · in ' + bytes(s.transport.bytesIn) + ' · out ' + bytes(s.transport.bytesOut);
  const main = document.getElementById('groups');
  const kids = s.groups.map((g) => group(g, s));
  if (kids.length === 0) kids.push($('section', { class: 'card dim' }, 'This node is in no group.'));
  main.replaceChildren(...kids);
  const peers = $('table', null, $('tr', null, $('th', null, 'node'), $('th', null, 'link'), $('th', null, 'rtt'), $('th', null, 'address'), $('th', null, 'queued')));
  for (const p of s.peers) {
    peers.append($('tr', { 'data-peer': p.node }, $('td', null, p.node), $('td', { class: p.state === 'up' ? 'ok' : p.state === 'connecting' ? 'warn' : 'bad' }, p.state),
      $('td', null, p.rttMs === null ? '–' : fmt(p.rttMs, 1) + ' ms'), $('td', null, p.address || '–'), $('td', null, bytes(p.queuedBytes))));
  }
  document.getElementById('links').replaceChildren($('h2', null, 'links of this node'), $('div', { class: 'grid' }, links(s), peers));
}

async function poll() {
  try {
    render(await get('/status'));
    lastOk = Date.now();
    const c = document.getElementById('conn');
    c.textContent = 'live'; c.className = 'ok';
  } catch (e) {
    const c = document.getElementById('conn');
    c.textContent = 'no answer since ' + (lastOk ? ago(lastOk) : 'load') + ' (' + e.message + ')'; c.className = 'bad';
  }
}
async function pollHistory() {
  try { rateHistory = (await get('/history')).groups; } catch (e) { /* the status poll reports it */ }
}
pollHistory().then(poll);
setInterval(poll, 1000);
setInterval(pollHistory, 2000);
`;

const hash = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** Allows this page's own script and style only, and fetches to its own origin. */
export const PAGE_CSP = `default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>vsync</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body><header><h1>vsync · <span id="node">…</span></h1><span id="meta" class="dim"></span><span id="conn" class="dim">connecting…</span></header>
<main><div id="groups"></div><section class="card" id="links"></section></main>
<script>${SCRIPT}</script></body></html>
`;
