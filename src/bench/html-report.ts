/**
 * The bench's HTML report: one self-contained file (no script, no stylesheet or font from elsewhere: it opens
 * offline) with inline SVG charts — throughput per case against both baselines, the latency distribution against the
 * round-trip floor, the view-change timeline, memory over time — and the tables behind them.
 */
import { writeFileSync } from 'node:fs';
import { Histogram, type HistogramData } from './histogram.js';
import { type BenchResults, type Spread, systemName } from './results.js';

const COLORS = { ws: '#8c8c8c', seq: '#e08a1e', seqSealed: '#8c564b', vsync: '#2a6fdb', floor: '#2b9348', sender: '#7b2cbf', detection: '#b0b0b0', flush: '#d62828' };
const MEMBER_COLORS = ['#2a6fdb', '#e08a1e', '#2b9348', '#d62828', '#7b2cbf', '#8c564b', '#e377c2'];

/** Where the report goes: beside the JSON, the same name ending in .html. */
export function htmlPathFor(jsonFile: string): string {
  return jsonFile.endsWith('.json') ? `${jsonFile.slice(0, -5)}.html` : `${jsonFile}.html`;
}

/** Writes the report beside the JSON results; returns its path. */
export function writeHtmlReport(jsonFile: string, r: BenchResults): string {
  const file = htmlPathFor(jsonFile);
  writeFileSync(file, renderHtmlReport(r));
  return file;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (x: number): string => Math.round(x).toLocaleString('en-US');
const f1 = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1));
const size = (b: number): string => (b >= 1024 * 1024 ? `${b / 1024 / 1024} MB` : b >= 1024 ? `${b / 1024} KB` : `${b} B`);
const us = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(0)} ms` : x >= 1000 ? `${(x / 1000).toFixed(1)} ms` : `${x.toFixed(0)} µs`);
const caseName = (c: { n: number; senders: string; bytes: number }): string => `n=${c.n}, ${c.senders === 'all' ? 'all send' : 'one sends'}, ${size(c.bytes)}`;

/** A round number of ticks spanning [0, max]. */
function ticks(max: number, count = 5): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max * 1.0001; v += step) out.push(v);
  return out;
}

const trim = (x: number): string => (Number.isInteger(x) ? String(x) : f1(x));
const tickLabel = (v: number): string => (v >= 1e6 ? `${trim(v / 1e6)}M` : v >= 1e3 ? `${trim(v / 1e3)}k` : trim(v));

interface Frame {
  w: number;
  h: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function svgOpen(name: string, f: Frame, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" data-chart="${name}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${f.w} ${f.h}" width="${f.w}" height="${f.h}" font-family="sans-serif" font-size="11">`;
}

function legend(items: Array<[string, string, boolean?]>, x: number, y: number): string {
  return items
    .map(([label, color, dashed], i) => {
      const yy = y + i * 15;
      return `<line x1="${x}" y1="${yy}" x2="${x + 18}" y2="${yy}" stroke="${color}" stroke-width="6"${dashed ? ' stroke-dasharray="4 2"' : ''}/><text x="${x + 24}" y="${yy + 4}">${esc(label)}</text>`;
    })
    .join('');
}

function yAxis(f: Frame, max: number, label: string, fmt: (v: number) => string = tickLabel): string {
  const y = (v: number): number => f.h - f.bottom - (v / max) * (f.h - f.top - f.bottom);
  const parts = ticks(max).map(
    (t) => `<line x1="${f.left}" x2="${f.w - f.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/><text x="${f.left - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`,
  );
  parts.push(`<text transform="translate(12 ${(f.top + f.h - f.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`);
  return parts.join('');
}

// ---- throughput ------------------------------------------------------------------------------------------------

function throughputChart(r: BenchResults): string {
  const cases = r.ratios;
  if (cases.length === 0) return '<p class="empty">No throughput cases in this run.</p>';
  const systems: Array<['mesh' | 'seq' | 'vsync', string, string]> = [
    ['mesh', 'raw ws mesh', COLORS.ws],
    ['seq', 'bare batched sequencer', COLORS.seq],
    ['vsync', 'vsync', COLORS.vsync],
  ];
  // One panel per case, each with its own scale: 64 B and 16 KB rates differ by two orders of magnitude.
  const panelW = 200;
  const f: Frame = { w: 40 + cases.length * panelW + 190, h: 330, left: 0, right: 190, top: 20, bottom: 60 };
  const parts = [svgOpen('throughput', f, 'Throughput per case against the baselines')];
  parts.push(`<text transform="translate(12 ${(f.top + f.h - f.bottom) / 2}) rotate(-90)" text-anchor="middle">deliveries/s per member</text>`);
  cases.forEach((c, i) => {
    const px = 40 + i * panelW + 45; // the panel's y axis
    const max = Math.max(1, ...systems.map(([k]) => c[k]?.max ?? 0)) * 1.12;
    const y = (v: number): number => f.h - f.bottom - (v / max) * (f.h - f.top - f.bottom);
    for (const t of ticks(max, 4)) {
      parts.push(`<line x1="${px}" x2="${px + panelW - 60}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e5e5"/><text x="${px - 5}" y="${y(t) + 4}" text-anchor="end">${tickLabel(t)}</text>`);
    }
    const bw = 34;
    systems.forEach(([k, label, color], j) => {
      const s: Spread | null = c[k];
      if (!s) return;
      const x = px + 8 + j * (bw + 8);
      const yy = y(s.median);
      parts.push(`<rect class="bar" data-system="${k}" x="${x}" y="${yy}" width="${bw}" height="${f.h - f.bottom - yy}" fill="${color}"><title>${esc(`${label}, ${caseName(c)}: median ${num(s.median)} (${num(s.min)}–${num(s.max)}) over ${s.values.length} round(s)`)}</title></rect>`);
      if (s.values.length > 1) {
        const cx = x + bw / 2;
        parts.push(`<path d="M${cx} ${y(s.min)}V${y(s.max)}M${cx - 6} ${y(s.min)}h12M${cx - 6} ${y(s.max)}h12" stroke="#222" stroke-width="1.2" fill="none"/>`);
      }
    });
    const mid = px + 8 + (3 * bw + 16) / 2;
    const ratio = (s: Spread | null, what: string): string => (s ? `${s.median.toFixed(2)}× ${what}` : '');
    parts.push(`<text x="${mid}" y="${f.h - f.bottom + 16}" text-anchor="middle">${esc(caseName(c))}</text>`);
    parts.push(`<text x="${mid}" y="${f.h - f.bottom + 31}" text-anchor="middle" fill="${COLORS.vsync}">${esc([ratio(c.toMesh, 'mesh'), ratio(c.toSeq, 'seq')].filter(Boolean).join(', '))}</text>`);
    if (c.void) parts.push(`<text x="${mid}" y="${f.h - f.bottom + 46}" text-anchor="middle" fill="${COLORS.flush}">VOID</text>`);
  });
  parts.push(legend(systems.map(([, l, c]) => [l, c]), f.w - f.right + 20, f.top + 10));
  parts.push(`<text x="${f.w - f.right + 20}" y="${f.top + 70}" fill="#555">whiskers: min–max of rounds</text>`);
  parts.push('</svg>');
  return parts.join('');
}

// ---- latency ---------------------------------------------------------------------------------------------------

/** The cumulative distribution of a histogram: [µs, fraction] at each non-empty bucket. */
function cdf(h: HistogramData): Array<[number, number]> {
  if (h.count === 0) return [];
  const out: Array<[number, number]> = [];
  let seen = 0;
  for (const [b, c] of [...h.buckets].sort((a, z) => a[0] - z[0])) {
    seen += c;
    out.push([Math.min(h.max, Math.max(h.min, Histogram.valueOf(b))), seen / h.count]);
  }
  return out;
}

function latencyChart(r: BenchResults): string {
  const series: Array<{ label: string; color: string; dashed: boolean; pts: Array<[number, number]> }> = [];
  if (r.latencyFloor) series.push({ label: `ws ping-pong round trip (floor), ${num(r.latencyFloor.rate)}/s`, color: COLORS.floor, dashed: true, pts: cdf(r.latencyFloor.hist) });
  // Colours by system, so that a baseline never takes vsync's: vsync's cases in turn from their own list.
  const vsyncColors = [COLORS.vsync, COLORS.sender, COLORS.flush, '#e377c2', '#17becf'];
  let k = 0;
  for (const l of r.latency) {
    if (!l.othersHist || l.othersHist.count === 0) continue;
    const color = l.system === 'ws' ? COLORS.ws : l.system === 'seq' ? (l.sealed ? COLORS.seqSealed : COLORS.seq) : vsyncColors[k++ % vsyncColors.length]!;
    series.push({ label: `${l.system === 'ws' ? 'ws mesh one-way' : systemName(l.system)} n=${l.n}, ${l.label}, at others`, color, dashed: l.system === 'ws', pts: cdf(l.othersHist) });
  }
  const all = series.flatMap((s) => s.pts.map((p) => p[0]));
  if (all.length === 0) return '<p class="empty">No latency distributions in this run.</p>';
  const f: Frame = { w: 760, h: 330, left: 60, right: 20, top: 20, bottom: 50 + series.length * 15 };
  f.h += series.length * 15;
  const lo = Math.log10(Math.max(1, Math.min(...all)) * 0.8);
  const hi = Math.log10(Math.max(...all) * 1.25);
  const plotB = f.h - f.bottom;
  const x = (v: number): number => f.left + ((Math.log10(Math.max(v, 1)) - lo) / (hi - lo || 1)) * (f.w - f.left - f.right);
  // y: the fraction delivered on a tail-stretching scale (-log10 of the rest), so p90, p99 and p99.9 get equal room.
  const TAIL = 3;
  const y = (q: number): number => plotB - (Math.min(TAIL, -Math.log10(Math.max(1 - q, 10 ** -TAIL))) / TAIL) * (plotB - f.top);
  const parts = [svgOpen('latency', f, 'Latency distribution against the round-trip floor')];
  for (const q of [0, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]) {
    const label = q === 0 ? '0' : `p${(q * 100).toFixed(q >= 0.999 ? 1 : 0)}`;
    parts.push(`<line x1="${f.left}" x2="${f.w - f.right}" y1="${y(q)}" y2="${y(q)}" stroke="${q === 0.5 || q === 0.99 ? '#c8c8c8' : '#eee'}"/><text x="${f.left - 6}" y="${y(q) + 4}" text-anchor="end">${label}</text>`);
  }
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) < lo || Math.log10(v) > hi) continue;
      parts.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${f.top}" y2="${plotB}" stroke="#eee"/><text x="${x(v)}" y="${plotB + 14}" text-anchor="middle">${us(v)}</text>`);
    }
  }
  parts.push(`<text x="${(f.left + f.w - f.right) / 2}" y="${plotB + 30}" text-anchor="middle">latency (log scale); y: share of messages delivered within (percentile, tail stretched)</text>`);
  for (const s of series) {
    if (s.pts.length === 0) continue;
    let d = `M${x(s.pts[0]![0]).toFixed(1)} ${y(0).toFixed(1)}`;
    let prevY = 0;
    for (const [v, q] of s.pts) {
      d += `V${y(prevY).toFixed(1)}H${x(v).toFixed(1)}V${y(q).toFixed(1)}`;
      prevY = q;
    }
    parts.push(`<path class="series" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 3"' : ''}><title>${esc(s.label)}</title></path>`);
  }
  parts.push(legend(series.map((s) => [s.label, s.color, s.dashed]), f.left, plotB + 48));
  parts.push('</svg>');
  return parts.join('');
}

// ---- view changes ----------------------------------------------------------------------------------------------

function viewChangeChart(r: BenchResults): string {
  const vc = r.viewChanges.filter((v) => v.totalMaxMs !== null);
  if (vc.length === 0) return '<p class="empty">No view changes in this run.</p>';
  const rowH = 26;
  const f: Frame = { w: 760, h: 0, left: 190, right: 30, top: 20, bottom: 75 };
  f.h = f.top + vc.length * rowH + f.bottom;
  const max = Math.max(1, ...vc.map((v) => v.totalMaxMs ?? 0)) * 1.1;
  const x = (ms: number): number => f.left + (ms / max) * (f.w - f.left - f.right);
  const parts = [svgOpen('viewchanges', f, 'View-change timeline: SIGKILL to the new view')];
  const plotB = f.h - f.bottom;
  for (const t of ticks(max)) parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${f.top}" y2="${plotB}" stroke="#e5e5e5"/><text x="${x(t)}" y="${plotB + 14}" text-anchor="middle">${tickLabel(t)}</text>`);
  parts.push(`<text x="${(f.left + f.w - f.right) / 2}" y="${plotB + 30}" text-anchor="middle">ms after SIGKILL</text>`);
  vc.forEach((v, i) => {
    const yy = f.top + i * rowH + 4;
    const h = rowH - 8;
    parts.push(`<text x="${f.left - 8}" y="${yy + h / 2 + 4}" text-anchor="end">${esc(`n=${v.n}, ${v.victim} killed, round ${v.round}`)}</text>`);
    const det = v.detectionMs ?? 0;
    const done = v.totalMaxMs ?? det;
    parts.push(`<rect class="phase" x="${x(0)}" y="${yy}" width="${x(det) - x(0)}" height="${h}" fill="${COLORS.detection}"><title>detection ${f1(det)} ms</title></rect>`);
    parts.push(`<rect class="phase" x="${x(det)}" y="${yy}" width="${Math.max(1, x(done) - x(det))}" height="${h}" fill="${COLORS.flush}"><title>flush + install ${v.flushInstallMs === null ? '?' : f1(v.flushInstallMs)} ms</title></rect>`);
    if (v.totalMedianMs !== null) parts.push(`<line x1="${x(v.totalMedianMs)}" x2="${x(v.totalMedianMs)}" y1="${yy - 2}" y2="${yy + h + 2}" stroke="#222" stroke-width="1.5"/>`);
  });
  parts.push(legend([['detection (kill to first flush start)', COLORS.detection], ['flush + install (to the new view at the last survivor)', COLORS.flush]], f.left, plotB + 45));
  parts.push('</svg>');
  return parts.join('');
}

// ---- memory ----------------------------------------------------------------------------------------------------

function memoryChart(r: BenchResults): string {
  const m = r.memory;
  if (!m || m.series.length === 0) return '<p class="empty">No memory series in this run.</p>';
  const members = Math.max(...m.series.map((p) => p.rssMB.length));
  const f: Frame = { w: 760, h: 300, left: 60, right: 150, top: 20, bottom: 45 };
  const tMax = Math.max(1, ...m.series.map((p) => p.t)) / 1000;
  const yMax = Math.max(1, ...m.series.flatMap((p) => p.rssMB)) * 1.15;
  const plotB = f.h - f.bottom;
  const x = (s: number): number => f.left + (s / tMax) * (f.w - f.left - f.right);
  const y = (mb: number): number => plotB - (mb / yMax) * (plotB - f.top);
  const parts = [svgOpen('memory', f, 'Memory (RSS) of each member over time'), yAxis(f, yMax, 'RSS, MB')];
  for (const t of ticks(tMax)) parts.push(`<text x="${x(t)}" y="${plotB + 14}" text-anchor="middle">${tickLabel(t)}</text>`);
  parts.push(`<text x="${(f.left + f.w - f.right) / 2}" y="${plotB + 32}" text-anchor="middle">s since the memory part started (overload, then one member paused)</text>`);
  const items: Array<[string, string]> = [];
  for (let i = 0; i < members; i++) {
    const pts = m.series.filter((p) => p.rssMB[i] !== undefined && p.rssMB[i]! > 0);
    if (pts.length === 0) continue;
    const color = MEMBER_COLORS[i % MEMBER_COLORS.length]!;
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${x(p.t / 1000).toFixed(1)} ${y(p.rssMB[i]!).toFixed(1)}`).join('');
    parts.push(`<path class="series" d="${d}" fill="none" stroke="${color}" stroke-width="2"><title>member ${i}</title></path>`);
    items.push([`member ${i}`, color]);
  }
  parts.push(legend(items, f.w - f.right + 20, f.top + 10));
  parts.push('</svg>');
  return parts.join('');
}

// ---- page ------------------------------------------------------------------------------------------------------

function htmlTable(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const spreadText = (s: Spread | null, digits = 0): string => (s ? `${digits ? s.median.toFixed(digits) : num(s.median)} (${digits ? s.min.toFixed(digits) : num(s.min)}–${digits ? s.max.toFixed(digits) : num(s.max)})` : '-');

export function renderHtmlReport(r: BenchResults): string {
  const m = r.meta;
  const sections: string[] = [];
  sections.push(`<section id="throughput"><h2>Throughput against the machine's limit</h2>
<p>Deliveries per second per member (the median of the members), 3 systems measured in turn in each of ${Math.max(0, ...r.ratios.map((x) => x.rounds))} round(s): a raw <code>ws</code> mesh (no order), a bare batched fixed sequencer over <code>ws</code> (batches of up to 64, 12-byte order headers, no reliability), and vsync. Bars: the median of the rounds; each case has its own scale.</p>
<figure id="chart-throughput">${throughputChart(r)}</figure>
${r.ratios.length ? htmlTable(['case', 'ws mesh', 'bare sequencer', 'vsync', 'vsync / mesh', 'vsync / sequencer'], r.ratios.map((x) => [caseName(x) + (x.void ? ' (VOID)' : ''), spreadText(x.mesh), spreadText(x.seq), spreadText(x.vsync), spreadText(x.toMesh, 2), spreadText(x.toSeq, 2)])) : ''}
</section>`);
  const f = r.latencyFloor;
  sections.push(`<section id="latency"><h2>Latency against the round-trip floor</h2>
<p>${f ? `Floor: a <code>ws</code> ping-pong between two processes, ${num(f.rate)}/s, ${size(f.bytes)}: round trip p50 ${us(f.rtt.p50)}, p90 ${us(f.rtt.p90)}, p99 ${us(f.rtt.p99)}${f.windows ? ` over ${f.windows.length} windows, one before and one after each paced case (their p50s ${f.windows.map((w) => us(w.p50)).join(', ')}); each case is compared with the two windows around it` : ''}.` : 'No floor measured in this run.'}</p>
<figure id="chart-latency">${latencyChart(r)}</figure>
${r.latency.length ? htmlTable(['system', 'case', 'msgs/s', 'at others p50', 'p90', 'p99', 'max', '× floor (p50 / p90 / p99)', 'event-loop delay p50 / p90 / p99 / max', 'GC pauses (≥ 1 ms), longest'], r.latency.map((l) => [systemName(l.system), `n=${l.n}, ${l.label}, ${size(l.bytes)}`, num(l.achievedRate), us(l.atOthers.p50), us(l.atOthers.p90), us(l.atOthers.p99), us(l.atOthers.max), l.floorMultiples ? `${l.floorMultiples.p50} / ${l.floorMultiples.p90} / ${l.floorMultiples.p99}` : '-', l.loopDelay ? `${l.loopDelay.p50} / ${l.loopDelay.p90} / ${l.loopDelay.p99} / ${l.loopDelay.max} ms` : '-', l.gc ? `${l.gc.count} (${l.gc.over1ms}), ${l.gc.maxMs} ms` : '-'])) : ''}
</section>`);
  sections.push(`<section id="viewchanges"><h2>View changes</h2>
<p>Each bar: SIGKILL of a member or of the coordinator under light load, to the new view at the last survivor; the tick marks the median survivor.</p>
<figure id="chart-viewchanges">${viewChangeChart(r)}</figure></section>`);
  sections.push(`<section id="memory"><h2>Memory over time</h2>
<figure id="chart-memory">${memoryChart(r)}</figure>
${r.memory ? `<p>Overload: ${r.memory.overload.bounded ? 'bounded' : 'GROWING'}; one member paused: ${r.memory.pause.bounded ? 'bounded' : 'GROWING'}, excluded ${r.memory.pause.excludedAfterMs === null ? 'never' : `after ${f1(r.memory.pause.excludedAfterMs)} ms`}.</p>` : ''}
</section>`);
  if (r.targets.length) {
    sections.push(`<section id="targets"><h2>Targets</h2>${htmlTable(['target', 'wanted', 'measured', 'met'], r.targets.map((t) => [t.name, t.target, t.value, t.met === null ? 'void' : t.met ? 'yes' : 'NO']))}</section>`);
  }
  const issues = [...r.problems.map((p) => `problem: ${p}`), ...r.warnings.map((w) => `warning: ${w}`)];
  sections.push(`<section id="problems"><h2>Problems and warnings</h2>${issues.length ? `<ul>${issues.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : '<p>None: every digest agreed, every case quiesced.</p>'}</section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vsync bench ${esc(m.mode)} ${esc(m.startedAt)}</title>
<style>
body{font-family:sans-serif;margin:24px auto;max-width:1000px;color:#222;line-height:1.4}
h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
th{background:#f4f4f4}figure{margin:8px 0;overflow-x:auto}.meta{color:#555;font-size:13px}.empty{color:#888}
</style></head><body>
<h1>vsync bench (${esc(m.mode)})</h1>
<p class="meta">${esc(m.startedAt)} · ${esc(m.node)} · ${esc(m.platform)} · ${m.cpus} × ${esc(m.cpuModel)} · load average ${esc(m.loadavgStart.join(' '))} → ${esc(m.loadavgEnd.join(' '))} · ${m.durationS} s</p>
${sections.join('\n')}
</body></html>
`;
}
