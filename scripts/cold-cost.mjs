#!/usr/bin/env node
// What one frame seal costs when it comes alone: vsync's own Sealer (src/net/frame-seal.ts: AES-256-GCM, the
// cipher object for the next nonce made ahead) over 1 KB, measured back to back, after a 1 ms sleep (the thread blocked, as a member waits
// for its next message at 1,000/s), and after 1 ms of spinning (the thread busy on other work). On a VM whose
// code and data go cold while a process waits, work done once a millisecond costs several times its hot cost,
// and so does every frame a paced message takes; the bench's latency cases run in that regime.
//
//   npm run build && node scripts/cold-cost.mjs [--count N]
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = 'usage: node scripts/cold-cost.mjs [--count N]';
let values;
try {
  ({ values } = parseArgs({ options: { count: { type: 'string' } } }));
} catch (err) {
  console.error(`cold-cost: ${err.message}\n${USAGE}`);
  process.exit(2);
}
const count = values.count === undefined ? 3000 : Number(values.count);
if (!Number.isInteger(count) || count < 10) {
  console.error(`cold-cost: --count needs an integer of at least 10\n${USAGE}`);
  process.exit(2);
}

const { Sealer } = await import(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'net', 'frame-seal.js'));
const plain = randomBytes(1024);
const blocked = new Int32Array(new SharedArrayBuffer(4));

function run(label, between) {
  const us = [];
  const sealer = new Sealer(randomBytes(32));
  sealer.prepare();
  for (let i = 0; i < count; i++) {
    between();
    const t0 = process.hrtime.bigint();
    sealer.seal(plain);
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
    sealer.prepare(); // the next nonce's cipher object, made ahead (off the measured path) as after a turn's writes
  }
  us.sort((a, b) => a - b);
  const at = (q) => us[Math.min(us.length - 1, Math.floor(q * us.length))].toFixed(1);
  console.log(`${label.padEnd(28)} p50 ${at(0.5)} µs  p90 ${at(0.9)} µs  (${count} seals of 1 KB)`);
}

run('back to back', () => {});
run('after a 1 ms sleep', () => Atomics.wait(blocked, 0, 0, 1));
run('after 1 ms of spinning', () => {
  const end = performance.now() + 1;
  while (performance.now() < end);
});
