import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/bench/histogram.js';
import { htmlPathFor, renderHtmlReport, writeHtmlReport } from '../../src/bench/html-report.js';
import type { BenchResults, Spread, ThroughputResult } from '../../src/bench/results.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(process.cwd(), 'test-output');

const spread = (values: number[]): Spread => {
  const s = [...values].sort((a, b) => a - b);
  return { median: s[s.length >> 1]!, min: s[0]!, max: s[s.length - 1]!, values };
};

/** A latency histogram whose values spread around `us` (a few slow ones). */
function hist(us: number, n = 400): ReturnType<Histogram['toJSON']> {
  const h = new Histogram();
  for (let i = 0; i < n; i++) h.record(us * (0.6 + (i % 40) / 40) * (i % 97 === 0 ? 8 : 1));
  return h.toJSON();
}

const empty = { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
const tp = (system: ThroughputResult['system'], bytes: number, rate: number): ThroughputResult => ({
  system, round: 1, n: 3, senders: 'all', bytes, windowMs: 1000, members: [], medianDeliveriesPerSec: rate, minDeliveriesPerSec: rate, medianMBps: 0,
  ratioToBaseline: null, latencySelf: empty, latencyOthers: empty, digest: null, quiesced: true, void: false,
});

/** A small, fixed results object with something for every chart. */
function fixture(): BenchResults {
  const floor = hist(150);
  const vs = hist(520);
  const pct = (h: ReturnType<Histogram['toJSON']>) => ({ ...Histogram.from(h).percentiles() });
  return {
    meta: {
      mode: 'quick', startedAt: '2026-11-30T14:00:00.000Z', durationS: 61.2, node: 'v20.20.2', platform: 'linux x64', cpus: 2, cpuModel: 'Test CPU <&>',
      loadavgStart: [0.2, 0.3, 0.3], loadavgEnd: [1.1, 0.5, 0.4], timeOriginSkewUs: 0, settings: {}, notes: [],
    },
    baseline: [tp('ws', 1024, 60_000)],
    seqBaseline: [tp('seq', 1024, 94_000)],
    throughput: [tp('vsync', 1024, 50_000)],
    ratios: [
      { n: 3, senders: 'all', bytes: 1024, rounds: 3, mesh: spread([59_000, 61_000, 64_000]), seq: spread([90_000, 94_000, 95_000]), vsync: spread([45_000, 52_000, 60_000]), toMesh: spread([0.74, 0.85, 0.94]), toSeq: spread([0.5, 0.55, 0.63]), void: false },
      { n: 3, senders: 'all', bytes: 16 * 1024, rounds: 3, mesh: spread([5800, 5900, 6000]), seq: spread([7000, 7100, 7300]), vsync: spread([3200, 3300, 3400]), toMesh: spread([0.55, 0.56, 0.57]), toSeq: spread([0.45, 0.46, 0.47]), void: false },
      { n: 3, senders: 'all', bytes: 64, rounds: 3, mesh: spread([130_000, 133_000, 136_000]), seq: spread([200_000, 210_000, 220_000]), vsync: spread([170_000, 172_000, 175_000]), toMesh: spread([1.28, 1.3, 1.32]), toSeq: spread([0.8, 0.82, 0.84]), void: false },
    ],
    latencyFloor: { rate: 1000, bytes: 1024, windowMs: 1500, rtt: pct(floor), hist: floor },
    latency: [
      { system: 'vsync', n: 3, senders: 'one', label: '1000/s, 1 sender', rate: 1000, achievedRate: 1000, bytes: 1024, windowMs: 1500, atSender: pct(vs), atOthers: pct(vs), othersHist: vs, floorMultiples: { p50: 3.4, p90: 3.5, p99: 3.4 }, loopDelayMaxMs: 2, loopDelay: { p50: 0.05, p90: 0.4, p99: 1.7, max: 2 }, gc: { count: 40, major: 1, totalMs: 31.5, maxMs: 3.25, over1ms: 4 }, digest: null, void: false },
      { system: 'seq', n: 3, senders: 'one', label: '1000/s, 1 sender', rate: 1000, achievedRate: 1000, bytes: 1024, windowMs: 1500, atSender: pct(vs), atOthers: pct(vs), othersHist: vs, floorMultiples: { p50: 1.8, p90: 2, p99: 2.5 }, loopDelayMaxMs: 1, digest: null, void: false },
    ],
    viewChanges: [
      { n: 5, victim: 'member', round: 1, detectionMs: 620, flushInstallMs: 14, totalMedianMs: 630, totalMaxMs: 634, newViewId: 7 },
      { n: 5, victim: 'coordinator', round: 1, detectionMs: 700, flushInstallMs: 22, totalMedianMs: 715, totalMaxMs: 722, newViewId: 9 },
    ],
    joins: [],
    stateJoins: [],
    memory: {
      n: 3, bytes: 1024, window: 5000,
      overload: { ms: 3000, freshRssMB: [60, 60, 60], startRssMB: [80, 80, 80], peakRssMB: [120, 110, 115], afterWarmupPeakMB: [118, 108, 112], lastPartPeakMB: [120, 110, 115], deliveriesPerSec: 40_000, bounded: true },
      pause: { ms: 3000, paused: 'm2', peakRssMB: [130, 125, 115], afterWarmupPeakMB: [128, 122, 115], lastPartPeakMB: [130, 125, 115], pausedAfterPeakMB: 118, excludedAfterMs: 1500, rejoined: true, deliveriesPerSec: 30_000, bounded: true },
      hwmMB: [140, 130, 120],
      series: Array.from({ length: 12 }, (_, i) => ({ t: i * 1000, rssMB: [80 + i * 4, 78 + i * 3.5, i < 7 ? 79 + i * 3 : 100] })),
      digest: null,
    },
    profile: null,
    protection: null,
    targets: [{ name: 'throughput vs the mesh <script>', target: '>= 1.50×', value: '0.85×', met: false }],
    problems: [],
    warnings: ['a warning with <b>markup</b>'],
  };
}

describe('bench HTML report', () => {
  it('is one self-contained page: four inline SVG charts, no script, nothing fetched, text escaped', () => {
    const html = renderHtmlReport(fixture());
    for (const c of ['throughput', 'latency', 'viewchanges', 'memory']) expect(html).toContain(`data-chart="${c}"`);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain('Test CPU &#60;&#38;&#62;');
    expect(html).not.toContain('<b>markup</b>');
    // Bars for three systems in three cases.
    expect(html.match(/class="bar"/g)).toHaveLength(9);
    // The latency table puts the event-loop delay and GC pauses next to the tail.
    expect(html).toContain('0.05 / 0.4 / 1.7 / 2 ms');
    expect(html).toContain('40 (4), 3.25 ms');
    // The bare sequencer's latency at the floor's rate, named as the reports name it.
    expect(html).toContain('bare sequencer n=3, 1000/s, 1 sender, at others');
    expect(html).toContain('<td>bare sequencer</td>');
    expect(htmlPathFor('/x/bench-results.json')).toBe('/x/bench-results.html');
  });

  it('renders the charts in headless Chromium; screenshot in test-output/', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      console.log(`skipped: ${CHROMIUM} not found (install chromium to run this test)`);
      ctx.skip();
      return;
    }
    mkdirSync(OUT, { recursive: true });
    const file = writeHtmlReport(join(OUT, 'bench-report.json'), fixture());
    expect(file).toBe(join(OUT, 'bench-report.html'));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(`file://${file}`);
      const charts = await page.$$eval('svg[data-chart]', (els) =>
        els.map((e) => {
          const b = e.getBoundingClientRect();
          return { name: e.getAttribute('data-chart'), w: b.width, h: b.height, marks: e.querySelectorAll('rect, path').length };
        }),
      );
      expect(charts.map((c) => c.name)).toEqual(['throughput', 'latency', 'viewchanges', 'memory']);
      for (const c of charts) {
        expect(c.w, c.name!).toBeGreaterThan(300);
        expect(c.h, c.name!).toBeGreaterThan(100);
        expect(c.marks, c.name!).toBeGreaterThanOrEqual(2);
      }
      // The latency chart draws the floor, vsync's distribution and the bare sequencer's.
      expect(await page.$$eval('svg[data-chart="latency"] path.series', (els) => els.length)).toBe(3);
      expect(requests).toEqual([]);
      const png = join(OUT, 'bench-report.png');
      await page.screenshot({ path: png, fullPage: true });
      expect(statSync(png).size).toBeGreaterThan(10_000);
      expect(readFileSync(file, 'utf8')).toContain('<svg');
    } finally {
      await browser.close();
    }
  }, 120_000);
});
