import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Node } from '../api/node.js';
import type { Group, StateHooks } from '../api/group.js';
import { ClientEndpoint } from '../rsm/client-endpoint.js';
import { HashChain } from '../rsm/hash-chain.js';
import { KvStore } from '../rsm/kv-store.js';
import { ReplicatedStateMachine } from '../rsm/replicated-state-machine.js';

const USAGE = `usage: vsync member --name <name> --listen <host:port> --group <g> [--seeds <ws-url,...>] [--send-rate <msgs/s>]
       [--send-count <n>] [--payload-bytes <b>] [--trace-dir <dir>] [--secret <s>] [--no-rejoin] [--status-ms <ms>] [--log-level <level>]
       [--state-machine hashchain|kv] [--state-bytes <n>] [--client-listen <host:port>] [--advertise <ws-url>]
       [--bootstrap-expect <n>] [--join-timeout-ms <ms>] [--merge]`;

export function parseHostPort(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--listen takes host:port, got '${s}'`);
  return { host: s.slice(0, i), port };
}

/**
 * `vsync member`: one real member process. Prints one line per event that a script (the demo, the tests) can
 * read: `ready`, `view ...`, `status ...`, `sent-all ...`, `excluded ...`, `bye`.
 */
export async function runMemberCommand(args: string[], out: (line: string) => void): Promise<number> {
  let v;
  try {
    ({ values: v } = parseArgs({
      args,
      options: {
        name: { type: 'string' }, listen: { type: 'string' }, seeds: { type: 'string' }, group: { type: 'string' },
        'send-rate': { type: 'string' }, 'send-count': { type: 'string' }, 'payload-bytes': { type: 'string' },
        'trace-dir': { type: 'string' }, secret: { type: 'string' }, 'no-rejoin': { type: 'boolean' },
        'status-ms': { type: 'string' }, 'state-machine': { type: 'string' }, advertise: { type: 'string' },
        'client-listen': { type: 'string' }, 'state-bytes': { type: 'string' }, 'log-level': { type: 'string' }, cluster: { type: 'string' }, help: { type: 'boolean' },
        'bootstrap-expect': { type: 'string' }, 'join-timeout-ms': { type: 'string' }, merge: { type: 'boolean' },
      },
      strict: true,
    }));
    if (v.help) {
      out(USAGE);
      return 0;
    }
    if (!v.name || !v.listen || !v.group) throw new RangeError('--name, --listen and --group are required');
    if (v['state-machine'] !== undefined && !['hashchain', 'kv'].includes(v['state-machine'])) throw new RangeError('--state-machine is hashchain or kv');
    if (v['client-listen'] !== undefined && v['state-machine'] !== 'kv') throw new RangeError('--client-listen needs --state-machine kv');
    for (const k of ['bootstrap-expect', 'join-timeout-ms'] as const) {
      if (v[k] !== undefined && !/^\d+$/.test(v[k])) throw new RangeError(`--${k} takes a non-negative integer, got '${v[k]}'`);
    }
  } catch (err) {
    out(`vsync member: ${(err as Error).message}`);
    out(USAGE);
    return 2;
  }
  const rate = Number(v['send-rate'] ?? '0');
  const count = Number(v['send-count'] ?? '0');
  const bytes = Math.max(16, Number(v['payload-bytes'] ?? '64'));
  const statusMs = Number(v['status-ms'] ?? '1000');
  const logger = pino({ level: v['log-level'] ?? 'warn' }, pino.destination(2));
  const node = await Node.start({
    name: v.name,
    cluster: v.cluster,
    listen: parseHostPort(v.listen),
    advertise: v.advertise,
    seeds: v.seeds ? v.seeds.split(',').filter(Boolean) : [],
    secret: v.secret ?? process.env['VSYNC_SECRET'],
    trace: v['trace-dir'],
    logger,
    bootstrapExpect: v['bootstrap-expect'] === undefined ? undefined : Number(v['bootstrap-expect']),
    joinTimeoutMs: v['join-timeout-ms'] === undefined ? undefined : Number(v['join-timeout-ms']),
    merge: v.merge === true,
  });
  const ac = new AbortController();
  let stopping = false;
  let stopSending = false;
  let group: Group;
  // --state-machine hashchain: the state is a SHA-256 chain over delivered payloads, transferred to joiners.
  const chain = v['state-machine'] === 'hashchain' ? new HashChain(Number(v['state-bytes'] ?? '0')) : null;
  const hooks: Partial<StateHooks> = chain
    ? { getState: () => chain.snapshot(), setState: (s) => chain.restore(s), digest: () => chain.digest() }
    : {};
  let endpoint: ClientEndpoint | null = null;
  try {
    if (v['state-machine'] === 'kv') {
      // --state-machine kv: a replicated key-value store; external clients connect to --client-listen.
      const rsm = await ReplicatedStateMachine.join(node, v.group, new KvStore(), { rejoin: !v['no-rejoin'], signal: ac.signal, traceDigest: true });
      group = rsm.group;
      if (v['client-listen']) {
        endpoint = await ClientEndpoint.start(rsm, { ...parseHostPort(v['client-listen']), logger });
        out(`clients url=${endpoint.url}`);
      }
    } else {
      group = await node.join(v.group, { rejoin: !v['no-rejoin'], signal: ac.signal, ...hooks });
    }
  } catch (err) {
    // One line with the stable code first: scripts branch on it.
    const code = (err as { code?: string }).code;
    out(`error ${code ? `${code}: ` : ''}${(err as Error).message}`);
    await node.close();
    return code ? 2 : 1;
  }
  let delivered = 0;
  let sent = 0;
  let lastSeq = 0;
  group.on('view', (view) => out(`view id=${view.id} members=${view.members.join(',')} me=${group.memberId}`));
  group.on('message', (m) => {
    chain?.apply(m.payload);
    delivered++;
    lastSeq = m.seq;
  });
  group.on('excluded', (e) => {
    out(`excluded member=${e.member} rejoining=${e.rejoining}`);
    // A new incarnation starts empty and receives the group's state when it is admitted.
    chain?.reset();
  });
  group.on('minority', (m) => out(`minority view=${m.viewId} reachable=${m.reachable}/${m.members}`));
  group.on('left', () => out('left'));
  group.on('conflict', (c) => out(`conflict group=${c.group} ours=${c.ours.gid} members=${c.ours.members.join(',')} theirs=${c.theirs.gid} members=${c.theirs.members.join(',')} yielding=${c.yielding}`));
  const me = group.memberId;
  const view = group.currentView!;
  out(`ready me=${group.memberId} url=${node.url}`);
  out(`view id=${view.id} members=${view.members.join(',')} me=${group.memberId}`);

  const status = setInterval(() => out(`status me=${group.memberId} view=${group.currentView?.id} delivered=${delivered} sent=${sent} seq=${lastSeq}${chain ? ` state=${chain.digest()}` : ''} gid=${node.groupId(v.group!) ?? ''}`), statusMs);
  const pad = 'x'.repeat(bytes);
  const payload = (n: number): Uint8Array => {
    const head = `${group.memberId}:${n}:`;
    return new TextEncoder().encode((head + pad).slice(0, Math.max(bytes, head.length)));
  };

  const sending = (async () => {
    if (rate <= 0 && count <= 0) return;
    const unlimited = count <= 0;
    if (rate > 0) {
      let credit = 0;
      const every = 10;
      while (!stopping && !stopSending && (unlimited || sent < count)) {
        await new Promise((r) => setTimeout(r, every));
        credit += (rate * every) / 1000;
        while (credit >= 1 && !stopping && !stopSending && (unlimited || sent < count)) {
          credit--;
          sent++;
          group.send(payload(sent), { signal: ac.signal }).catch(() => {});
        }
      }
    } else {
      const inflight = new Set<Promise<unknown>>();
      while (!stopping && !stopSending && sent < count) {
        sent++;
        const p = group.send(payload(sent), { signal: ac.signal }).catch(() => {});
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= 256) await Promise.race(inflight);
      }
    }
    if (!stopping && !stopSending) out(`sent-all me=${group.memberId} sent=${sent}`);
  })();

  const done = new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // SIGUSR1: stop multicasting but stay in the group, so a script can let the group go quiet before it ends.
  let quiet = false;
  process.on('SIGUSR1', () => {
    if (quiet) return;
    quiet = true;
    stopSending = true;
    out(`stopped-sending me=${group.memberId} sent=${sent}`);
  });
  await done;
  clearInterval(status);
  // The trace ends here (a clean end); the leave that follows lets the others move on without a failure timeout.
  group.endTrace();
  ac.abort();
  await sending.catch(() => {});
  await endpoint?.close();
  await group.leave({ signal: AbortSignal.timeout(2000) }).catch(() => {});
  await node.close();
  out(`bye me=${group.memberId ?? me} delivered=${delivered} sent=${sent}`);
  return 0;
}
