// A kv client: it talks to any server, and moves on to the next one (retrying the same request) if one dies.
//   node demos/kv/client.mjs ws://127.0.0.1:7700,ws://127.0.0.1:7701 put color blue
//   node demos/kv/client.mjs ws://127.0.0.1:7700,ws://127.0.0.1:7701 get color
//   node demos/kv/client.mjs ws://127.0.0.1:7700,ws://127.0.0.1:7701 cas color blue red   # '-' means absent
//   node demos/kv/client.mjs ws://127.0.0.1:7700,ws://127.0.0.1:7701 bench 1000   # 1000 appends, then checks them
// It authenticates as KV_CLIENT_ID / KV_CLIENT_SECRET (default 'demo' / 'demo-secret') and gives up after
// KV_TIMEOUT_MS (default 10000) with VSYNC_ERR_UNREACHABLE or VSYNC_ERR_NO_QUORUM: it never hangs.
import { RsmClient } from '../../dist/index.js';

const [urls, op, key, value, value2] = process.argv.slice(2);
if (!urls || !op) {
  console.error('usage: node demos/kv/client.mjs <url,url,...> put <key> <value> | get <key> | del <key> | cas <key> <expected|-> <new|-> | dump | bench <n>');
  process.exit(2);
}
let client;
try {
  client = new RsmClient({
    urls: urls.split(','),
    clientId: process.env.KV_CLIENT_ID ?? 'demo',
    secret: process.env.KV_CLIENT_SECRET ?? 'demo-secret',
    timeoutMs: Number(process.env.KV_TIMEOUT_MS ?? 10_000),
  });
} catch (err) {
  console.error(`${err.code ?? 'error'}: ${err.message}`);
  process.exit(2);
}
const call = async (cmd) => JSON.parse(new TextDecoder().decode(await client.submit(new TextEncoder().encode(JSON.stringify(cmd)))));
const orNull = (s) => (s === '-' ? null : s);
try {
  if (op === 'bench') {
    const n = Number(key ?? 1000);
    const t0 = Date.now();
    for (let i = 0; i < n; i++) await call({ op: 'append', key: 'bench', value: `${i},` });
    const ms = Date.now() - t0;
    console.log(`${n} acknowledged appends in ${ms} ms (${Math.round((n * 1000) / ms)}/s, one at a time)`);
  } else if (op === 'cas') {
    console.log(JSON.stringify(await call({ op, key, expected: orNull(value), value: orNull(value2) })));
  } else if (op === 'dump') {
    console.log(JSON.stringify(await call({ op })));
  } else {
    console.log(JSON.stringify(await call(value === undefined ? { op, key } : { op, key, value })));
  }
} catch (err) {
  console.error(`${err.code ?? 'error'}: ${err.message}`);
  process.exitCode = 1;
} finally {
  client.close();
}
