#!/usr/bin/env node
// What an idle group costs: N member processes on 127.0.0.1 (a cluster secret, default options) form one group and
// send nothing; over a window after a warm-up, each prints its CPU time per second (user + system) and the frames it
// sent and received per second. Heartbeats, acks, the sequencer's status and ticks are all an idle group does.
//
//   npm run build && node scripts/idle-cost.mjs [--members N] [--warmup-ms N] [--window-ms N]
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = 'usage: node scripts/idle-cost.mjs [--members N] [--warmup-ms N] [--window-ms N]';
const here = fileURLToPath(import.meta.url);
const dist = join(dirname(here), '..', 'dist', 'index.js');
const args = process.argv.slice(2);

if (args[0] === '--member') {
  // One member: argv = --member name port seeds expect warmupMs windowMs; one JSON line on stdout.
  const [, name, port, seeds, expect, warmupMs, windowMs] = args;
  const { Node } = await import(dist);
  const node = await Node.start({ name, listen: { host: '127.0.0.1', port: Number(port) }, seeds: seeds.split(','), secret: 'idle-cost-secret-0123456789', bootstrapExpect: Number(expect) });
  await node.join('idle', { signal: AbortSignal.timeout(30_000) });
  await new Promise((r) => setTimeout(r, Number(warmupMs)));
  const c0 = process.cpuUsage();
  const f0 = node.stats().transport;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(windowMs)));
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const f1 = node.stats().transport;
  console.log(JSON.stringify({ name, cpuMsPerSec: (c.user + c.system) / 1000 / s, framesInPerSec: (f1.framesIn - f0.framesIn) / s, framesOutPerSec: (f1.framesOut - f0.framesOut) / s }));
  await node.close();
  process.exit(0);
}

let parsed;
try {
  parsed = parseArgs({ args, options: { members: { type: 'string', default: '3' }, 'warmup-ms': { type: 'string', default: '3000' }, 'window-ms': { type: 'string', default: '10000' } } });
} catch (err) {
  console.error(`idle-cost: ${err.message}\n${USAGE}`);
  process.exit(2);
}
const numbers = {};
for (const [name, text] of Object.entries(parsed.values)) {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1 || (name === 'members' && v > 9)) {
    console.error(`idle-cost: --${name} needs a positive integer${name === 'members' ? ' up to 9' : ''}\n${USAGE}`);
    process.exit(2);
  }
  numbers[`--${name}`] = v;
}
const n = numbers['--members'];

/** Free ports on 127.0.0.1, for the members' listeners. */
async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}
const ports = [];
for (let i = 0; i < n; i++) ports.push(await freePort());
const seeds = ports.map((p) => `ws://127.0.0.1:${p}`).join(',');
const results = await Promise.all(
  ports.map(
    (port, i) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [here, '--member', `m${i}`, String(port), seeds, String(n), String(numbers['--warmup-ms']), String(numbers['--window-ms'])], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`member m${i} exited with ${code}`))));
      }),
  ),
).catch((err) => {
  console.error(`idle-cost: ${err.message}`);
  process.exit(1);
});
console.log(`idle group of ${n} members, ${numbers['--window-ms']} ms after ${numbers['--warmup-ms']} ms (per member: CPU ms per second, frames per second)`);
for (const r of results) console.log(`${r.name}  cpu ${r.cpuMsPerSec.toFixed(1)} ms/s  frames in ${r.framesInPerSec.toFixed(0)}/s  out ${r.framesOutPerSec.toFixed(0)}/s`);
