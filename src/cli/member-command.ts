import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { GroupImpl, StateHooks } from '../api/group.js';
import { type Group, Node } from '../api/public.js';
import { DELIVERY_KINDS, type DeliveryKind } from '../core/delivery-kinds.js';
import { ClientEndpoint } from '../rsm/client-endpoint.js';
import { readClientTokens } from '../rsm/client-tokens.js';
import { HashChain } from '../rsm/hash-chain.js';
import { KvStore } from '../rsm/kv-store.js';
import { ReplicatedStateMachine } from '../rsm/replicated-state-machine.js';
import { codeOf, errorLine } from './cli-errors.js';
import { cliLogger } from './cli-logger.js';
import { helpText, intOption, joinNegativeNumbers, logLevelOption, numberOption, parseHostPort, type OptionHelp, UsageError, usageErrorOf } from './cli-options.js';

export { parseHostPort } from './cli-options.js';

const OPTIONS: OptionHelp[] = [
  { flag: '--name <name>', text: 'node name, unique in the cluster: [A-Za-z0-9._-]+ (required)' },
  { flag: '--listen <host:port>', text: 'where to listen for peers; port 0 picks a free one (required)' },
  { flag: '--group <g>', text: 'the group to join, or to found when there are no seeds (required)' },
  { flag: '--seeds <ws-url,...>', text: 'nodes already in the cluster; without seeds this node founds the group' },
  { flag: '--advertise <ws-url>', text: 'the URL peers use to reach this node (default: ws://<listen host>:<port>)' },
  { flag: '--cluster <name>', text: 'cluster name; peers of another cluster are refused (default vsync)' },
  { flag: '--secret <s>', text: 'shared cluster secret (or the VSYNC_SECRET environment variable); one of --secret, --tls-* or --insecure is required' },
  { flag: '--tls-cert <pem-file>', text: 'mutual TLS: this node\'s certificate (CN or DNS name = --name); with --tls-key and --tls-ca (docs/security.md)' },
  { flag: '--tls-key <pem-file>', text: 'mutual TLS: this node\'s private key' },
  { flag: '--tls-ca <pem-file>', text: 'mutual TLS: the CA that signs every node\'s certificate' },
  { flag: '--insecure', text: 'run an open cluster: peers are not authenticated and frames not protected (tests only)' },
  { flag: '--send-rate <msgs/s>', text: 'multicast this many messages per second (default 0: none, or as fast as backpressure allows with --send-count)' },
  { flag: '--send-count <n>', text: 'stop after this many messages (default 0: no limit)' },
  { flag: '--delivery <kind>', text: 'delivery kind of the messages sent: safe (default: uniform), agreed or fifo (README, Delivery kinds)' },
  { flag: '--max-payload-bytes <b>', text: 'largest payload a member accepts, at most 4194304 (default 1048576); every node of a cluster must use the same value (VSYNC_ERR_CONFIG_MISMATCH)' },
  { flag: '--payload-bytes <b>', text: 'size of each message, at least 16 (default 64); send errors are counted in `status` lines' },
  { flag: '--state-machine <kind>', text: 'hashchain (a SHA-256 chain over deliveries, transferred to joiners) or kv (a replicated kv store)' },
  { flag: '--state-bytes <n>', text: 'hashchain: extra bytes of state to transfer to joiners (default 0)' },
  { flag: '--client-listen <host:port>', text: 'kv: where external clients connect (needs --client-tokens or --client-insecure)' },
  { flag: '--client-tokens <file>', text: 'kv: the clients allowed to connect, one `<client-id> <secret>` per line (docs/clients.md)' },
  { flag: '--client-key <pem-file>', text: 'kv: this member\'s Ed25519 private key, to sign replies for byzantine clients (default: a fresh key)' },
  { flag: '--client-insecure', text: 'kv: clients connect without authentication (tests only)' },
  { flag: '--http <host:port>', text: 'serve /healthz, /status, /metrics and a live page there (docs/operations.md)' },
  { flag: '--http-token <t>', text: 'bearer token for the HTTP endpoint (or VSYNC_HTTP_TOKEN); without one, loopback only' },
  { flag: '--bootstrap-expect <n>', text: 'with seeds listing every node (itself included): found the group once n nodes that find none are connected (docs/deploy.md)' },
  { flag: '--join-timeout-ms <ms>', text: 'fail with VSYNC_ERR_UNREACHABLE when no seed answers for this long (default 60000; 0: wait for ever)' },
  { flag: '--merge', text: 'when another instance of the group is met, the smaller one rejoins the larger (losing its own history)' },
  { flag: '--no-rejoin', text: 'after an exclusion, stay out instead of joining again as a new incarnation' },
  { flag: '--trace-dir <dir>', text: 'write one trace file per member incarnation there (docs/trace-format.md)' },
  { flag: '--status-ms <ms>', text: 'print a `status` line this often (default 1000)' },
  { flag: '--log-level <level>', text: 'fatal, error, warn (default), info, debug (also prints stack traces), trace or silent; to stderr' },
  { flag: '--help', text: 'print this help' },
];

const USAGE = helpText(
  'usage: vsync member --name <name> --listen <host:port> --group <g> [options]',
  'Runs one member process. Prints one line per event on stdout: `ready`, `view`, `join-time`, `status`, `send-error`,\n' +
    '`sent-all`, `minority`, `excluded`, `recovered`, `bye`. SIGUSR1 stops sending; SIGTERM/SIGINT leaves (traced as leave; a member that cannot leave ends its trace), exits 0.\n' +
    'Errors: one line on stderr with their code; exit 2.',
  OPTIONS,
);

/** Send errors by code: counted and reported, never swallowed (a wrong --payload-bytes must not look like silence). */
class SendErrors {
  total = 0;
  private readonly byCode = new Map<string, number>();

  /** Returns true the first time a code is seen: the caller prints it then, and counts afterwards. */
  add(code: string): boolean {
    this.total++;
    const n = this.byCode.get(code) ?? 0;
    this.byCode.set(code, n + 1);
    return n === 0;
  }

  summary(): string {
    return [...this.byCode].map(([c, n]) => `${c}:${n}`).join(',');
  }
}

/**
 * `vsync member`: one real member process. Prints one line per event that a script (the demo, the tests) can
 * read: `ready`, `view ...`, `status ...`, `sent-all ...`, `excluded ...`, `bye`.
 */
export async function runMemberCommand(args: string[], out: (line: string) => void, err: (line: string) => void = out): Promise<number> {
  let v;
  let rate: number, count: number, bytes: number, maxPayloadBytes: number | undefined, statusMs: number, stateBytes: number, bootstrapExpect: number, joinTimeoutMs: number;
  let logLevel: string;
  let listen: { host: string; port: number };
  let clientListen: { host: string; port: number } | null = null;
  let http: { host: string; port: number } | null = null;
  try {
    ({ values: v } = parseArgs({
      args: joinNegativeNumbers(args),
      options: {
        name: { type: 'string' }, listen: { type: 'string' }, seeds: { type: 'string' }, group: { type: 'string' },
        'send-rate': { type: 'string' }, 'send-count': { type: 'string' }, 'payload-bytes': { type: 'string' }, 'max-payload-bytes': { type: 'string' }, delivery: { type: 'string' },
        'trace-dir': { type: 'string' }, secret: { type: 'string' }, 'no-rejoin': { type: 'boolean' },
        insecure: { type: 'boolean' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-ca': { type: 'string' },
        'status-ms': { type: 'string' }, 'state-machine': { type: 'string' }, advertise: { type: 'string' },
        'client-listen': { type: 'string' }, 'client-tokens': { type: 'string' }, 'client-key': { type: 'string' }, 'client-insecure': { type: 'boolean' }, 'state-bytes': { type: 'string' }, 'log-level': { type: 'string' }, cluster: { type: 'string' }, help: { type: 'boolean' },
        // Ops endpoint (docs/operations.md): off unless --http; the token defaults to $VSYNC_HTTP_TOKEN.
        http: { type: 'string' }, 'http-token': { type: 'string' },
        'bootstrap-expect': { type: 'string' }, 'join-timeout-ms': { type: 'string' }, merge: { type: 'boolean' },
      },
      strict: true,
    }));
    if (v.help) {
      out(USAGE);
      return 0;
    }
    for (const req of ['name', 'listen', 'group'] as const) if (!v[req]) throw new UsageError(`--${req} is required`);
    if (v['state-machine'] !== undefined && !['hashchain', 'kv'].includes(v['state-machine'])) throw new UsageError(`--state-machine is hashchain or kv, got '${v['state-machine']}'`);
    if (v['client-listen'] !== undefined && v['state-machine'] !== 'kv') throw new UsageError('--client-listen needs --state-machine kv');
    if (v.delivery !== undefined && !(DELIVERY_KINDS as readonly string[]).includes(v.delivery)) {
      throw new UsageError(`--delivery is one of ${DELIVERY_KINDS.join(', ')}, got '${v.delivery}'`);
    }
    rate = numberOption(v['send-rate'], 'send-rate', { min: 0, max: 1_000_000, dflt: 0 });
    count = intOption(v['send-count'], 'send-count', { min: 0, max: Number.MAX_SAFE_INTEGER, dflt: 0 });
    bytes = intOption(v['payload-bytes'], 'payload-bytes', { min: 16, max: 1024 * 1024 * 1024, dflt: 64 });
    maxPayloadBytes = v['max-payload-bytes'] === undefined ? undefined : intOption(v['max-payload-bytes'], 'max-payload-bytes', { min: 1, max: 4 * 1024 * 1024, dflt: 0 });
    statusMs = intOption(v['status-ms'], 'status-ms', { min: 10, max: 3_600_000, dflt: 1000 });
    stateBytes = intOption(v['state-bytes'], 'state-bytes', { min: 0, max: 1024 * 1024 * 1024, dflt: 0 });
    bootstrapExpect = intOption(v['bootstrap-expect'], 'bootstrap-expect', { min: 0, max: 1024, dflt: 0 });
    joinTimeoutMs = intOption(v['join-timeout-ms'], 'join-timeout-ms', { min: 0, max: 86_400_000, dflt: 60_000 });
    logLevel = logLevelOption(v['log-level'], 'warn');
    listen = parseHostPort(v.listen!, 'listen');
    for (const url of [...(v.seeds ?? '').split(',').filter(Boolean), ...(v.advertise ? [v.advertise] : [])]) {
      if (!/^wss?:\/\/[^/\s]+/.test(url)) throw new UsageError(`--${url === v.advertise ? 'advertise' : 'seeds'} takes ws:// or wss:// URLs, got '${url}'`);
    }
    if (v['client-listen'] !== undefined) clientListen = parseHostPort(v['client-listen'], 'client-listen');
    if (v.http !== undefined) http = parseHostPort(v.http, 'http');
    const tlsFlags = [v['tls-cert'], v['tls-key'], v['tls-ca']].filter((x) => x !== undefined).length;
    if (tlsFlags !== 0 && tlsFlags !== 3) throw new UsageError('--tls-cert, --tls-key and --tls-ca go together');
    // Secure by default: a cluster secret (--secret or VSYNC_SECRET), mutual TLS, or an explicit --insecure.
    if (v.secret === undefined && !process.env['VSYNC_SECRET'] && tlsFlags === 0 && !v.insecure) {
      throw new UsageError('no --secret (or VSYNC_SECRET) and no --tls-cert/--tls-key/--tls-ca: peers would not be authenticated; pass one, or --insecure to run an open cluster');
    }
    // Clients authenticate by token, or by a certificate of the cluster's CA when the node runs mutual TLS.
    if (clientListen && !v['client-tokens'] && tlsFlags === 0 && !v['client-insecure']) {
      throw new UsageError('--client-listen needs --client-tokens <file>, the --tls-* flags (client certificates), or --client-insecure');
    }
  } catch (e) {
    err(errorLine('vsync member', usageErrorOf(e)) + ' (see vsync member --help)');
    return 2;
  }
  const debug = logLevel === 'debug' || logLevel === 'trace';
  const httpToken = v['http-token'] ?? process.env['VSYNC_HTTP_TOKEN'];
  const logger = cliLogger(logLevel);
  let node: Node;
  try {
    node = await Node.start({
      name: v.name!,
      cluster: v.cluster,
      listen,
      advertise: v.advertise,
      seeds: v.seeds ? v.seeds.split(',').filter(Boolean) : [],
      secret: v.secret ?? (process.env['VSYNC_SECRET'] || undefined),
      ...(v['tls-cert'] ? { tls: { cert: readFileSync(v['tls-cert']), key: readFileSync(v['tls-key']!), ca: readFileSync(v['tls-ca']!) } } : {}),
      insecure: v.insecure === true,
      trace: v['trace-dir'],
      logger,
      bootstrapExpect,
      joinTimeoutMs,
      merge: v.merge === true,
      ...(maxPayloadBytes !== undefined ? { config: { maxPayloadBytes } } : {}),
      ...(http ? { http: { ...http, ...(httpToken ? { token: httpToken } : {}) } } : {}),
    });
  } catch (e) {
    err(errorLine('vsync member', e, debug));
    return 2;
  }
  if (node.httpUrl) out(`http url=${node.httpUrl}`);
  const ac = new AbortController();
  let stopping = false;
  let stopSending = false;
  let group: Group;
  // --state-machine hashchain: the state is a SHA-256 chain over delivered payloads, transferred to joiners.
  const chain = v['state-machine'] === 'hashchain' ? new HashChain(stateBytes) : null;
  const hooks: Partial<StateHooks> = chain
    ? { getState: () => chain.snapshot(), setState: (s) => chain.restore(s), digest: () => chain.digest() }
    : {};
  let endpoint: ClientEndpoint | null = null;
  const joinStart = performance.now();
  try {
    if (v['state-machine'] === 'kv') {
      // --state-machine kv: a replicated key-value store; external clients connect to --client-listen.
      const rsm = await ReplicatedStateMachine.join(node, v.group!, new KvStore(), { rejoin: !v['no-rejoin'], signal: ac.signal, traceDigest: true });
      group = rsm.group;
      if (clientListen) {
        endpoint = await ClientEndpoint.start(rsm, {
          ...clientListen, logger, insecure: v['client-insecure'],
          clients: v['client-tokens'] ? readClientTokens(v['client-tokens']) : undefined,
          ...(v['tls-cert'] && !v['client-tokens'] ? { tls: { cert: readFileSync(v['tls-cert']), key: readFileSync(v['tls-key']!), ca: readFileSync(v['tls-ca']!) } } : {}),
          signingKey: v['client-key'] ? readFileSync(v['client-key']) : undefined,
        });
        out(`clients url=${endpoint.url} key=${endpoint.publicKeyLine}`);
      }
    } else {
      group = await node.join(v.group!, { rejoin: !v['no-rejoin'], signal: ac.signal, delivery: v.delivery as DeliveryKind | undefined, ...hooks });
    }
  } catch (e) {
    err(errorLine('vsync member', e, debug));
    await node.close();
    return 2;
  }
  let delivered = 0;
  let sent = 0;
  const errors = new SendErrors();
  const onSendError = (e: unknown): void => {
    // Our own abort at shutdown is not an error of the run.
    if (stopping) return;
    if (errors.add(codeOf(e))) out(`${errorLine('send-error', e, debug)} (the first of its code; all are counted as errors= in status lines)`);
  };
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
  group.on('recovered', (r) => out(`recovered group=${group.name} from=${r.previousGroupId} to=${r.groupId} founder=${r.founder} survivors=${r.survivors.join(',')}`));
  group.on('conflict', (c) => out(`conflict group=${c.group} ours=${c.ours.gid} members=${c.ours.members.join(',')} theirs=${c.theirs.gid} members=${c.theirs.members.join(',')} yielding=${c.yielding}`));
  const me = group.memberId;
  const view = group.currentView!;
  // Handlers first: a script may signal as soon as it reads a line below (stdout to a pipe is written at once),
  // and a SIGTERM that came before them would kill the process without its leave, its trace's end and `bye`.
  const done = new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  out(`ready me=${group.memberId} url=${node.url}`);
  out(`view id=${view.id} members=${view.members.join(',')} me=${group.memberId}`);
  // How long the join took, by this process's own clock (from its start, and from the join call): a loaded machine
  // delays the whole process, and a script can tell that apart from a join that is passed over.
  out(`join-time me=${group.memberId} process-ms=${Math.round(performance.now())} join-ms=${Math.round(performance.now() - joinStart)}`);

  const parentOf = (): string => {
    const p = node.stats().groups.find((g) => g.group === v.group)?.parentGroupId;
    return p ? ` parent=${p}` : '';
  };
  const status = setInterval(() => out(`status me=${group.memberId} view=${group.currentView?.id} delivered=${delivered} sent=${sent} seq=${lastSeq}${chain ? ` state=${chain.digest()}` : ''} errors=${errors.total}${parentOf()} gid=${node.groupId(v.group!) ?? ''}`), statusMs);
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
          group.send(payload(sent), { signal: ac.signal }).catch(onSendError);
        }
      }
    } else {
      const inflight = new Set<Promise<unknown>>();
      while (!stopping && !stopSending && sent < count) {
        sent++;
        const p = group.send(payload(sent), { signal: ac.signal }).catch(onSendError);
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= 256) await Promise.race(inflight);
      }
    }
    if (!stopping && !stopSending) out(`sent-all me=${group.memberId} sent=${sent}`);
  })();

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
  ac.abort();
  await sending.catch(() => {});
  await endpoint?.close();
  // The leave lets the others move on without a failure timeout, and the trace records it (`leave`): a checker
  // then does not count this member in the majority of the views after it (in a group of two, the survivor's view
  // of itself is a primary view, not a minority one). A leave needs a view without us, which needs a majority: in a
  // minority it cannot complete, so do not wait for it.
  let left = false;
  group.once('left', () => (left = true));
  if (group.stats().minority) {
    logger.warn({ group: group.name, member: group.memberId, view: group.currentView?.id }, 'not leaving gracefully: no majority of the view is reachable (the others will exclude this member)');
  } else {
    await group.leave({ signal: AbortSignal.timeout(2000) }).catch(() => {});
  }
  // Not left: the trace ends here, a clean end in the last view it installed (the others exclude this member).
  if (!left) (group as GroupImpl).endTrace(); // An internal of the group: the CLI is part of the library.
  await node.close();
  out(`bye me=${group.memberId ?? me} delivered=${delivered} sent=${sent} errors=${errors.total}${errors.total ? ` (${errors.summary()})` : ''}`);
  return 0;
}
