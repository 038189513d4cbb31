import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileEntry } from './results.js';

/**
 * The profile `node --cpu-prof --cpu-prof-dir dir` wrote for process `pid` (its name holds `.<pid>.`), or null.
 * Throws when `dir` cannot be read.
 */
export function profileOf(dir: string, pid: number): string | null {
  const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile') && x.includes(`.${pid}.`));
  return f === undefined ? null : join(dir, f);
}

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) this summary reads. */
interface CpuProfile {
  startTime: number;
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (!url) return '';
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 1);
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
}

/**
 * Self time per function (and per file) from a .cpuprofile: each sample's time delta goes to the function on top
 * of the stack. Idle time ("(idle)") is left out of the percentages, which are of busy time.
 */
/** A coarse layer for a function, from its file: where the time goes, in the project's own terms. */
export function categoryOf(fn: string, url: string): string {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)') return 'v8 (program)';
  if (url.includes('/dist/core/')) return 'core (dist/core)';
  if (url.includes('/dist/wire/') || url.includes('protobufjs')) return 'wire codec (dist/wire, protobufjs)';
  if (url.includes('/dist/net/')) return 'transport (dist/net)';
  if (url.includes('/node_modules/ws/')) return 'ws library';
  if (url.includes('/dist/api/') || url.includes('/dist/runtime/') || url.includes('eventemitter3')) return 'api + runtime (dist/api, dist/runtime)';
  if (url.includes('/dist/bench/') || url.includes('internal/crypto/hash')) return 'bench worker (dist/bench, its SHA-256)';
  if (url === 'node:internal/buffer' || url === 'node:buffer') return 'Buffer allocation and access (node:buffer)';
  if (fn === 'runMicrotasks' || url.includes('task_queues') || url.includes('internal/process/promises') || url.includes('internal/timers')) {
    return 'promises, ticks, timers';
  }
  if (/^(writev|writeBuffer|writeUtf8String|readStart|onStreamRead)$/.test(fn) || url.startsWith('node:net') || url.includes('stream_base_commons') || url.includes('internal/streams')) {
    return 'socket I/O (node:net, streams, write syscalls)';
  }
  if (url.includes('node:internal/modules') || url.includes('bootstrap') || url.includes('cjs-module-lexer') || fn === 'compileSourceTextModule' || fn === 'openFileHandle') {
    return 'startup (module loading)';
  }
  if (url.startsWith('node:') || !url) return 'node internals / native';
  return 'other';
}

export interface ProfileSummary {
  /** Busy (not idle) time, ms. */
  totalMs: number;
  /** Self time by function. */
  top: ProfileEntry[];
  byFile: ProfileEntry[];
  byLayer: ProfileEntry[];
  /** Total (inclusive) time of the project's own functions (dist/), each counted once per stack. */
  inclusive: ProfileEntry[];
}

/**
 * `range`: only samples taken within [fromUs, toUs] of the monotonic clock that V8 stamps profiles with (the one
 * process.hrtime reads), e.g. the measurement window without the process start-up.
 */
export function summarizeProfile(path: string, topN = 20, range?: { fromUs: number; toUs: number }): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    t += p.timeDeltas[i] ?? 0;
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (range && (t < range.fromUs || t > range.toUs)) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  const files = new Map<string, number>();
  const layers = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') continue;
    busy += us;
    const file = shortUrl(n.callFrame.url) || name;
    const where = n.callFrame.url ? `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const e = fns.get(key) ?? { fn: name, where, us: 0 };
    e.us += us;
    fns.set(key, e);
    files.set(file, (files.get(file) ?? 0) + us);
    const layer = categoryOf(name, n.callFrame.url);
    layers.set(layer, (layers.get(layer) ?? 0) + us);
  }
  const pct = (us: number): number => (busy > 0 ? Math.round((1000 * us) / busy) / 10 : 0);
  const top = [...fns.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: Math.round(e.us / 1000), pct: pct(e.us) }));
  const byFile = [...files.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([f, us]) => ({ fn: f, where: '', selfMs: Math.round(us / 1000), pct: pct(us) }));
  // Inclusive time of project functions: a depth-first walk that counts a function once per stack.
  const incl = new Map<string, { fn: string; where: string; us: number }>();
  const root = p.nodes[0];
  const onPath = new Map<string, number>();
  const walk = (id: number): number => {
    const n = byId.get(id);
    if (!n) return 0;
    const name = n.callFrame.functionName || '(anonymous)';
    const mine = n.callFrame.url.includes('/dist/') && !n.callFrame.url.includes('/dist/bench/');
    const key = mine ? `${name}@${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '';
    if (mine) onPath.set(key, (onPath.get(key) ?? 0) + 1);
    let total = name === '(idle)' ? 0 : selfUs.get(id) ?? 0;
    for (const c of n.children ?? []) total += walk(c);
    if (mine) {
      const depth = onPath.get(key)!;
      if (depth === 1) {
        const e = incl.get(key) ?? { fn: name, where: `${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`, us: 0 };
        e.us += total;
        incl.set(key, e);
      }
      onPath.set(key, depth - 1);
    }
    return total;
  };
  if (root) walk(root.id);
  const inclusive = [...incl.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ fn: e.fn, where: e.where, selfMs: Math.round(e.us / 1000), pct: pct(e.us) }));
  const byLayer = [...layers.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([f, us]) => ({ fn: f, where: '', selfMs: Math.round(us / 1000), pct: pct(us) }));
  return { totalMs: Math.round(busy / 1000), top, byFile, byLayer, inclusive };
}
