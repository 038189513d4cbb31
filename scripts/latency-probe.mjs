#!/usr/bin/env node
// Latency by role, one case at a time: 3 vsync member processes on 127.0.0.1 (the bench's workers), one
// non-sequencer sending 1 KB at 1,000/s; prints p50/p90/p99 at the sequencer, at the other receiver, at the sender
// (its own deliveries) and at the other members pooled (what `npm run bench` compares with the ws round trip), and
// the CPU time per delivered message of each member. Used for interleaved comparisons of two builds (run it from
// each checkout in turn), which are steadier than whole bench runs.
//
//   npm run build && node scripts/latency-probe.mjs [safe|agreed] [--digest] [--warm] [--insecure] [--bare [--sealed]] [--warmup-ms N] [--window-ms N] [--cpu-prof DIR]
//
// --digest: the members digest every delivery as the bench does; --warm: 2 s of all members sending as fast as
// they can first (as the bench's cluster warm-up); --insecure: no frame protection; --bare: the bench's bare
// batched sequencer instead of vsync (worker 0 orders; one delivery kind, no frame protection: neither a kind nor
// --insecure goes with it); --sealed (with --bare): the bare sequencer's frames protected as vsync's are with a
// secret (AES-256-GCM per link and direction, src/bench/sealed-links.ts); --cpu-prof DIR: the members run with node's --cpu-prof (a sample every 100 µs) into DIR,
// and each role's profile is summarized over the window: its busy time per message, by layer and by function.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = 'usage: node scripts/latency-probe.mjs [safe|agreed] [--digest] [--warm] [--insecure] [--bare [--sealed]] [--warmup-ms N] [--window-ms N] [--cpu-prof DIR]';
const refuse = (why) => {
  console.error(`latency-probe: ${why}\n${USAGE}`);
  process.exit(2);
};
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { digest: { type: 'boolean' }, warm: { type: 'boolean' }, insecure: { type: 'boolean' }, bare: { type: 'boolean' }, sealed: { type: 'boolean' }, 'warmup-ms': { type: 'string' }, 'window-ms': { type: 'string' }, 'cpu-prof': { type: 'string' } },
  });
} catch (err) {
  refuse(err.message);
}
const { values: o, positionals } = parsed;
const bad = positionals.find((p) => p !== 'safe' && p !== 'agreed');
if (bad !== undefined || positionals.length > 1) refuse(`unknown argument ${bad ?? positionals[1]}`);
const ms = (name, dflt) => {
  if (o[name] === undefined) return dflt;
  const v = Number(o[name]);
  if (!(v > 0)) refuse(`--${name} needs a positive number of ms`);
  return v;
};
const flag = (name) => o[name.replace(/^--/, '')] === true;
const bare = flag('--bare');
if (bare && (positionals.length > 0 || flag('--insecure'))) refuse(`--bare takes no ${positionals.length > 0 ? 'delivery kind' : '--insecure'}: the bare sequencer has one kind and no frame protection`);
if (flag('--sealed') && !bare) refuse('--sealed goes with --bare: vsync\'s links are sealed unless --insecure');
const delivery = bare ? `bare sequencer${flag('--sealed') ? ', frames sealed' : ''}` : (positionals[0] ?? 'safe');
const warmupMs = ms('warmup-ms', 1500);
const windowMs = ms('window-ms', 4000);
const profDir = o['cpu-prof'];
if (profDir !== undefined && profDir.trim() === '') refuse('--cpu-prof needs a directory');
if (profDir !== undefined && bare) refuse('--bare takes no --cpu-prof: profile vsync\'s members');
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { Cluster } = await import(join(dist, 'bench/cluster.js'));
const { Histogram } = await import(join(dist, 'bench/histogram.js'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const profArgs = profDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', resolve(profDir), '--cpu-prof-interval', '100'];
const c = bare ? await Cluster.seq(3, flag('--sealed')) : await Cluster.vsync(3, profArgs, undefined, flag('--insecure'));
let report = async () => {};
try {
  await sleep(1000);
  if (flag('--warm')) {
    await Promise.all(c.workers.map((w) => w.load(0, 1024, 64)));
    await sleep(2000);
    await Promise.all(c.workers.map((w) => w.stop()));
    await c.quiesce(10_000);
  }
  const { coordinator, others } = await c.coordinator();
  const sender = others[others.length - 1];
  if (flag('--digest')) await Promise.all(c.workers.map((w) => w.digest(true, 1024, 16)));
  await sender.load(1000, 1024, 2000, bare ? undefined : delivery);
  await sleep(warmupMs);
  const wins = await Promise.all(c.workers.map((w) => w.window(windowMs, true)));
  const hists = await Promise.all(c.workers.map((w) => w.hist()));
  await sender.stop();
  await c.quiesce(10_000);
  const us = (x) => `${Math.round(x)} µs`;
  const line = (label, hs) => {
    const h = new Histogram();
    for (const x of hs) h.add(x);
    const p = h.percentiles();
    return `${label.padEnd(20)} p50 ${us(p.p50)}  p90 ${us(p.p90)}  p99 ${us(p.p99)}  (${p.count} deliveries)`;
  };
  const at = (w) => c.workers.indexOf(w);
  const third = others.find((w) => w !== sender);
  const roles = [['sequencer', coordinator], ['receiver', third], ['sender', sender]];
  console.log(`${delivery}, 1 KB at 1,000/s from a non-sequencer, ${windowMs} ms after ${warmupMs} ms${flag('--digest') ? ', digests' : ''}${flag('--warm') ? ', warmed at saturation' : ''}${flag('--insecure') ? ', insecure' : ''}`);
  console.log(line('at the others', [hists[at(coordinator)].others, hists[at(third)].others]));
  console.log(line('  at the sequencer', [hists[at(coordinator)].others]));
  console.log(line('  at the receiver', [hists[at(third)].others]));
  console.log(line('at the sender', [hists[at(sender)].self]));
  for (const [label, w] of roles) {
    const win = wins[at(w)];
    console.log(`cpu per message, ${label}: ${us(((win.cpuUserMs + win.cpuSystemMs) * 1000) / Math.max(1, win.deliveries))}`);
  }
  if (profDir !== undefined) report = () => profileReport(roles, wins, at);
} finally {
  await c.close(); // a worker writes its profile as it exits
}
await report();

/** Each role's busy time in the window, per delivered message, by layer and by function (src/bench/profile.ts). */
async function profileReport(roles, wins, at) {
  const { profileOf, summarizeProfile } = await import(join(dist, 'bench/profile.js'));
  for (const [label, w] of roles) {
    const win = wins[at(w)];
    let f;
    let sum;
    try {
      f = profileOf(profDir, w.pid);
      if (f === null) {
        console.log(`profile, ${label}: none written (pid ${w.pid})`);
        continue;
      }
      sum = summarizeProfile(f, 8, { fromUs: win.hrFromUs, toUs: win.hrToUs });
    } catch (err) {
      console.log(`profile, ${label}: cannot read ${f ?? profDir}: ${err.message}`);
      continue;
    }
    const per = (ms) => `${Math.round((ms * 1000) / Math.max(1, win.deliveries))} µs`;
    console.log(`profile, ${label} (${f}): busy ${per(sum.totalMs)} per message`);
    console.log(`  by layer: ${sum.byLayer.map((e) => `${e.fn} ${e.pct}%`).join(', ')}`);
    console.log(`  functions: ${sum.top.map((e) => `${e.fn}${e.where ? ` (${e.where})` : ''} ${e.pct}%`).join(', ')}`);
  }
}
