// A lock for external clients, built on the kv store's compare-and-set (start the kv servers of demos/kv first):
// take = cas(lock, absent -> me), release = cas(lock, me -> absent). Every cas is applied once, in the group's
// total order, so exactly one of several clients racing for the lock wins it.
//   node demos/lock/cas-lock.mjs ws://127.0.0.1:7700,ws://127.0.0.1:7701 worker-1
//   node demos/lock/cas-lock.mjs ws://127.0.0.1:7700,ws://127.0.0.1:7701 worker-2   # at the same time
// Each worker is its own client id (the kv demo servers know worker-1 to worker-3, secret 'worker-N-secret').
// This lock is simple, not fair (whoever retries first after a release wins) and has no lease: a client that
// dies holding it blocks the others. For a fair lock that also frees a crashed holder's lock, see lock-service.mjs.
import { RsmClient } from '../../dist/index.js';

const [urls, who = 'worker-1'] = process.argv.slice(2);
if (!urls) {
  console.error('usage: node demos/lock/cas-lock.mjs <url,url,...> [name]');
  process.exit(2);
}
const client = new RsmClient({ urls: urls.split(','), clientId: who, secret: process.env.KV_CLIENT_SECRET ?? `${who}-secret` });
const cas = async (expected, value) =>
  JSON.parse(new TextDecoder().decode(await client.submit(new TextEncoder().encode(JSON.stringify({ op: 'cas', key: 'lock:printer', expected, value })))));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  for (let round = 0; round < 5; round++) {
    let r;
    while (!(r = await cas(null, who)).swapped) {
      console.log(`held by ${r.value}; waiting`);
      await sleep(100 + Math.random() * 200); // Jitter: racing clients do not retry in step.
    }
    console.log(`${who} holds the lock`);
    await sleep(300);
    const rel = await cas(who, null);
    console.log(`${who} released: ${rel.swapped}`);
    await sleep(100);
  }
} catch (err) {
  console.error(`${err.code ?? 'error'}: ${err.message}`);
  process.exitCode = 1;
} finally {
  client.close();
}
