// A kv client: it talks to any server, and moves on to the next one (retrying the same request) if one dies.
//   node demos/kv/client.mjs ws://127.0.0.1:7700,ws://127.0.0.1:7701 put color blue
//   node demos/kv/client.mjs ws://127.0.0.1:7700,ws://127.0.0.1:7701 get color
//   node demos/kv/client.mjs ws://127.0.0.1:7700,ws://127.0.0.1:7701 bench 1000   # 1000 appends, then checks them
import { RsmClient } from '../../dist/index.js';

const [urls, op, key, value] = process.argv.slice(2);
if (!urls || !op) {
  console.error('usage: node demos/kv/client.mjs <url,url,...> put <key> <value> | get <key> | del <key> | dump | bench <n>');
  process.exit(2);
}
const client = new RsmClient({ urls: urls.split(',') });
const call = async (cmd) => JSON.parse(new TextDecoder().decode(await client.submit(new TextEncoder().encode(JSON.stringify(cmd)))));
if (op === 'bench') {
  const n = Number(key ?? 1000);
  const t0 = Date.now();
  for (let i = 0; i < n; i++) await call({ op: 'append', key: 'bench', value: `${i},` });
  const ms = Date.now() - t0;
  console.log(`${n} acknowledged appends in ${ms} ms (${Math.round((n * 1000) / ms)}/s, one at a time)`);
} else {
  console.log(JSON.stringify(await call({ op, key, value })));
}
client.close();
