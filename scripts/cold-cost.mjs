#!/usr/bin/env node
// What one frame seal costs when it comes alone: AES-256-GCM over 1 KB with a cipher object made ahead (as
// src/net/frame-seal.ts does), measured back to back, after a 1 ms sleep (the thread blocked, as a member waits
// for its next message at 1,000/s), and after 1 ms of spinning (the thread busy on other work). On a VM whose
// code and data go cold while a process waits, work done once a millisecond costs several times its hot cost,
// and so does every frame a paced message takes; the bench's latency cases run in that regime.
//
//   node scripts/cold-cost.mjs [--count N]
import { createCipheriv, randomBytes } from 'node:crypto';
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

const key = randomBytes(32);
const iv = Buffer.alloc(12);
const plain = randomBytes(1024);
const blocked = new Int32Array(new SharedArrayBuffer(4));

function run(label, between) {
  const us = [];
  let c = createCipheriv('aes-256-gcm', key, iv);
  for (let i = 0; i < count; i++) {
    between();
    const t0 = process.hrtime.bigint();
    c.update(plain);
    c.final();
    c.getAuthTag();
    us.push(Number(process.hrtime.bigint() - t0) / 1000);
    iv.writeUInt32BE(i, 8);
    c = createCipheriv('aes-256-gcm', key, iv); // the next object, made ahead as the sealer does
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
