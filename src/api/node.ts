import './dispose.js';
import { pino, type Logger } from 'pino';
import { type CoreConfig, type CoreEvent, type Frame, type MemberId } from '../core/index.js';
import { ErrorCodes, VsyncError } from '../errors.js';
import { Transport, type TlsOptions } from '../net/index.js';
import { type HttpOptions, OpsServer } from '../ops/http-server.js';
import type { MemberRuntimeOptions } from '../runtime/member-runtime.js';
import { decodeFrame, encodeFrame } from '../wire/index.js';
import { abortError, throwIfAborted } from './abort.js';
import { type GroupHost, GroupImpl, type GroupOptions } from './group.js';
import type { Group, Node } from './public.js';
import type { NodeStats, RateSample } from './stats.js';
import { validateJoin, validateNodeOptions } from './node-options.js';
import { groupName, optionalBoolean, optionalSignal, optionsObject } from './validate.js';
import { CONTROL_GROUP, NodeFormation } from './node-formation.js';
import { writeLineage } from '../trace/lineage.js';
import type { RecoverResult } from './recover.js';

export interface NodeOptions {
  /** Node name, unique in the cluster; member ids are `<name>#<incarnation>`. */
  name: string;
  cluster?: string;
  listen?: { host: string; port: number };
  /** URL other nodes use to reach this one (default: ws://<listen host>:<port>). */
  advertise?: string;
  /** ws:// URLs of nodes already in the cluster. */
  seeds?: string[];
  /**
   * Shared cluster secret: authenticates peers and protects every frame (docs/security.md). A node needs a secret,
   * `tls`, or `insecure: true`.
   */
  secret?: string;
  /** Mutual TLS for peer links (wss://): this node's certificate and key, and the CA peers' certificates chain to. */
  tls?: TlsOptions;
  /** Run without a secret and without TLS (an open cluster: anyone who can connect is a peer). Warned on every link. */
  insecure?: boolean;
  logger?: Logger;
  /** Folder for trace files, one per member incarnation (docs/trace-format.md). */
  trace?: string;
  /** Length of a protocol tick in milliseconds (default 10). */
  tickMs?: number;
  /** Protocol tunables (in ticks, counts and bytes). */
  config?: Partial<CoreConfig>;
  /** Largest websocket message accepted (default 16 MiB). */
  maxFrameBytes?: number;
  /**
   * Ops HTTP endpoint (off by default): /healthz, /status, /metrics and a live web page; see docs/operations.md.
   * Without `token` it binds only to loopback addresses.
   */
  http?: HttpOptions;
  /**
   * Found groups together with others: a node that finds no running instance through its seeds waits until this
   * many nodes (itself included) that found none either are connected, and they found it together, once. Every
   * node may then be started with the same seed list (its own URL included). Default 0: no seeds found, seeds join.
   */
  bootstrapExpect?: number;
  /**
   * join() fails with VSYNC_ERR_UNREACHABLE (or VSYNC_ERR_AUTH) when no seed answered for this long, and with
   * VSYNC_ERR_UNKNOWN_GROUP / VSYNC_ERR_GROUP_FULL when seeds answer but none can take us. Default 60 000; 0: never.
   */
  joinTimeoutMs?: number;
  /**
   * When another instance of a group this node is in is met: the instance with fewer members (tie: the younger)
   * gives way and rejoins the other with state transfer, losing what it delivered after its last common view with
   * nobody. Default false: the conflict is only logged and emitted (`group.on('conflict')`).
   */
  merge?: boolean;
}

/** `node.close(opts)`. */
export interface CloseOptions {
  /** Leave every group first (default true); false stops at once, which the others see as a crash. */
  leave?: boolean;
  /** Stops waiting for the leaves (the node then closes anyway). */
  signal?: AbortSignal;
}

export interface JoinOptions extends GroupOptions {
  signal?: AbortSignal;
  /**
   * Found the group instead of joining it. Default: found when this node has no seeds, join through the seeds
   * otherwise. Founding a group that already exists elsewhere splits it: only one node may found.
   */
  found?: boolean;
  /** Overrides the node's bootstrapExpect for this group. */
  bootstrapExpect?: number;
  /** Overrides the node's joinTimeoutMs for this join. */
  joinTimeoutMs?: number;
}

/** A listen failure as its own code: it is the environment, not an argument, that is wrong. */
function listenError(err: unknown, opts: NodeOptions): unknown {
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  if (err instanceof VsyncError && typeof cause?.code === 'string' && opts.listen) {
    const where = `${opts.listen.host}:${opts.listen.port}`;
    const why = cause.code === 'EADDRINUSE' ? 'address in use' : cause.code === 'EACCES' ? 'permission denied' : cause.message;
    return new VsyncError(ErrorCodes.LISTEN_FAILED, `cannot listen on ${where}: ${why} (${cause.code})`, { cause });
  }
  return err;
}

/**
 * The ops endpoint's listen failure under the same code as the peer port's: an address in use is the
 * environment, not a wrong argument (the ops server reports every listen error as an argument error).
 */
function httpListenError(err: unknown): unknown {
  const cause = err instanceof VsyncError ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  if (err instanceof VsyncError && typeof cause?.code === 'string') {
    return new VsyncError(ErrorCodes.LISTEN_FAILED, err.message, { cause });
  }
  return err;
}

/** Longest wait for each group's leave when the node closes (a leave takes one view change: milliseconds). */
const LEAVE_ON_CLOSE_MS = 2000;

/** Member id -> node name: everything before the last '#'. */
function nodeOf(id: MemberId): string {
  const i = id.lastIndexOf('#');
  return i < 0 ? id : id.slice(0, i);
}

/**
 * A vsync node: one process's presence in a cluster. It keeps one connection per peer node, shared by all the
 * groups it is a member of. Exported as the `Node` interface and `Node.start` (public.ts).
 */
export class NodeImpl implements Node {
  private readonly groups = new Map<string, GroupImpl>();
  private readonly timer: NodeJS.Timeout;
  /** Group names with a join in progress: a second join of the same name is refused, not raced. */
  private readonly joining = new Set<string>();
  private readonly formation: NodeFormation;
  private incarnation = 0;
  private readonly incBase = Date.now().toString(36);
  private isClosed = false;
  private resolveClosed!: () => void;
  /** Resolves once the node is closed. */
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });
  private readonly startedAt = Date.now();
  private ops: OpsServer | null = null;

  private constructor(
    readonly name: string,
    private readonly transport: Transport,
    private readonly opts: NodeOptions,
    readonly logger: Logger,
  ) {
    // Nothing may throw out of a transport event or a timer: it would take the whole process down.
    transport.on('frame', (node, bytes) => {
      try {
        this.onFrame(node, bytes);
      } catch (err) {
        this.logger.error({ err, peer: node }, 'frame handling failed');
      }
    });
    this.formation = new NodeFormation(name, transport, this.groups, {
      seeds: (opts.seeds ?? []).length, bootstrapExpect: opts.bootstrapExpect, joinTimeoutMs: opts.joinTimeoutMs, merge: opts.merge, maxMembers: opts.config?.maxMembers,
    }, () => `${this.name}#${this.incBase}${(++this.incarnation).toString(36)}`, logger);
    this.timer = setInterval(() => {
      for (const g of this.groups.values()) {
        try {
          g.tick();
        } catch (err) {
          this.logger.error({ err, group: g.name }, 'tick failed');
        }
      }
    }, opts.tickMs ?? 10);
  }

  /**
   * Starts a node: validates every option (VSYNC_ERR_INVALID_ARGUMENT naming the option, before anything is
   * opened), then listens and dials the seeds. VSYNC_ERR_LISTEN_FAILED when the address cannot be listened on
   * (in use, not permitted); VSYNC_ERR_ABORTED when `signal` fires first.
   */
  static async start(opts: NodeOptions & { signal?: AbortSignal }): Promise<NodeImpl> {
    validateNodeOptions(opts);
    if (opts.secret == null && opts.tls == null && opts.insecure !== true) {
      throw new VsyncError(
        ErrorCodes.INVALID_ARGUMENT,
        'Node.start: no `secret` and no `tls`. Pass a cluster secret (`secret`), mutual TLS (`tls: { cert, key, ca }`), or `insecure: true` to run an open cluster whose peers are not authenticated (docs/security.md)',
      );
    }
    throwIfAborted(opts.signal);
    const logger = (opts.logger ?? pino({ level: 'silent' })).child({ node: opts.name });
    let transport: Transport;
    try {
      transport = await Transport.start({
        cluster: opts.cluster ?? 'vsync',
        node: opts.name,
        listen: opts.listen,
        advertise: opts.advertise,
        seeds: opts.seeds,
        secret: opts.secret,
        tls: opts.tls,
        insecure: opts.insecure,
        logger,
        maxPayload: opts.maxFrameBytes,
        maxPayloadBytes: opts.config?.maxPayloadBytes,
      }, opts.signal);
    } catch (err) {
      throw listenError(err, opts);
    }
    const node = new NodeImpl(opts.name, transport, opts, logger);
    if (opts.http) {
      try {
        node.ops = await OpsServer.start(opts.http, {
          stats: () => node.stats(),
          series: () => node.rateSeries(),
          recover: (group, o) => node.recoverGroup(group, o),
        }, logger.child({ endpoint: 'http' }));
      } catch (err) {
        await node.close();
        throw httpListenError(err);
      }
    }
    return node;
  }

  /** The ops endpoint's URL (`http://host:port`), when started with `http`. */
  get httpUrl(): string | null {
    return this.ops?.url ?? null;
  }

  /** This node's groups, peers and transport totals now (see NodeStats). */
  stats(): NodeStats {
    return {
      node: this.name,
      url: this.transport.url,
      startedAt: this.startedAt,
      uptimeSec: Math.round((Date.now() - this.startedAt) / 1000),
      groups: [...this.groups.values()].map((g) => ({ ...g.stats(), ...this.formation.ids(g.name) })),
      peers: this.transport.peerStats(),
      transport: this.transport.stats(),
      forming: this.formation.forming(),
    };
  }

  /** The ops endpoint's recovery action: `group.recover()` of the group of that name. */
  private recoverGroup(group: string, o: { confirm?: boolean; signal?: AbortSignal }): Promise<RecoverResult> {
    const g = this.groups.get(group);
    if (!g) return Promise.reject(new VsyncError(ErrorCodes.NOT_MEMBER, `recover: this node is not in group ${JSON.stringify(group)}`));
    return g.recover(o);
  }

  private rateSeries(): Record<string, RateSample[]> {
    const out: Record<string, RateSample[]> = {};
    for (const [name, g] of this.groups) out[name] = g.rateSeries();
    return out;
  }

  /** The URL peers use to reach this node, if it listens. */
  get url(): string | null {
    return this.transport.url;
  }

  /**
   * Joins (or founds) `group`; resolves with the group once this member has installed its first view. A join
   * that fails (VSYNC_ERR_ABORTED, VSYNC_ERR_CLOSED, ...) leaves nothing behind: the same group can be joined again.
   */
  async join(group: string, opts: JoinOptions = {}): Promise<Group> {
    validateJoin(group, opts);
    if (this.isClosed) throw new VsyncError(ErrorCodes.CLOSED, 'node closed');
    if (this.groups.has(group) || this.joining.has(group)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `group: already in group '${group}' (or joining it)`);
    throwIfAborted(opts.signal);
    this.joining.add(group);
    let g: GroupImpl | null = null;
    let slow: ReturnType<typeof setInterval> | undefined;
    try {
      // Found alone, found with others, or join a running instance: formation finds out, or fails with the cause.
      const plan = await this.formation.plan(group, opts);
      if (this.isClosed) throw new VsyncError(ErrorCodes.CLOSED, 'node closed');
      if (opts.signal?.aborted) throw abortError(opts.signal);
      g = new GroupImpl(group, this.host(group), opts);
      this.groups.set(group, g);
      this.formation.started(group, plan.gid, plan.parent);
      g.start(plan.start);
      // The join was sent: say so while it takes long (a busy or partitioned group), never wait silently.
      const since = Date.now();
      slow = setInterval(() => this.logger.warn({ group, afterMs: Date.now() - since, peers: this.transport.peers() }, 'still joining the group'), 5000);
      await g.joined(opts.signal);
      return g;
    } catch (err) {
      // A failed join leaves nothing behind: a second join of the same name starts afresh.
      if (g) {
        g.close(false);
        if (this.groups.get(group) === g) this.groups.delete(group);
        this.formation.started(group, null);
      }
      throw err;
    } finally {
      if (slow) clearInterval(slow);
      this.joining.delete(group);
    }
  }

  /**
   * Leaves every group this node is a member of (traced as `leave`), then closes the groups (those it could not
   * leave write `end` to their traces: a clean shutdown) and the transport. Leaving, as the anchors' close does, lets the others install a view without this
   * node at once instead of after a failure timeout, and keeps a group of two going with the survivor, which a crash
   * would leave a blocked minority of one. Bounded: a member blocked in a minority cannot leave (no view without it
   * can form) and is not waited for, nor is any leave beyond LEAVE_ON_CLOSE_MS; the others then exclude it.
   */
  async close(opts: CloseOptions = {}): Promise<void> {
    const o = optionsObject(opts, 'options');
    optionalBoolean(o['leave'], 'options.leave');
    optionalSignal(o['signal'], 'options.signal');
    if (this.isClosed) return;
    this.isClosed = true;
    if (o['leave'] !== false) {
      // The ticks go on meanwhile: the leave's view change runs on them.
      const signal = o['signal'] as AbortSignal | undefined;
      const bound = signal ? AbortSignal.any([signal, AbortSignal.timeout(LEAVE_ON_CLOSE_MS)]) : AbortSignal.timeout(LEAVE_ON_CLOSE_MS);
      await Promise.all([...this.groups.values()].map((g) => g.leaveForClose(bound)));
    }
    clearInterval(this.timer);
    await this.ops?.close();
    this.formation.close();
    for (const g of this.groups.values()) g.close(true);
    this.groups.clear();
    await this.transport.close();
    this.resolveClosed();
  }

  /** `await using`: closes the node at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The id of this node's instance of `group` ('' while unknown; null when not in it): see docs/deploy.md. */
  groupId(group: string): string | null {
    // A wrong type would otherwise read as "not in that group" (null).
    groupName(group, 'group');
    return this.formation.groupId(group);
  }

  private host(group: string): GroupHost {
    return {
      logger: this.logger,
      newIncarnation: () => this.formation.incarnation(group),
      // Seeds by node: a `node#*` contact reaches whichever member of the group that node hosts.
      contacts: () => {
        const chosen = this.formation.contacts(group);
        if (chosen) return chosen.map((n) => `${n}#*`);
        const nodes = new Set([...this.transport.seedNodes(), ...this.transport.peers()]);
        nodes.delete(this.name);
        return [...nodes].map((n) => `${n}#*`);
      },
      runtimeOptions: (group, id, onEvent: (e: CoreEvent) => void | 'yield'): MemberRuntimeOptions => {
        // An incarnation of a recovered lineage says so on its trace's first line, before the runtime opens the file.
        const lineage = this.formation.lineage(group);
        if (this.opts.trace && lineage) writeLineage(this.opts.trace, id, lineage.gid, lineage.parent);
        return {
          group,
          id,
          config: this.opts.config,
          traceDir: this.opts.trace,
          logger: this.logger.child({ group, member: id }),
          out: { sendFrame: (to, frame) => this.sendFrame(group, id, to, frame) },
          onEvent,
        };
      },
      flushed: (group, ms) => this.ops?.metrics.observeFlush(group, ms),
      recover: (group, o) => this.formation.recover(group, o),
      release: (g) => {
        if (this.groups.get(g.name) === g) this.groups.delete(g.name);
      },
    };
  }

  private sendFrame(group: string, from: MemberId, to: MemberId[], frame: Frame): void {
    // A multicast is encoded once; `to` is then left empty, which is safe because the core checks views and ids.
    if (to.length === 1) {
      const dest = to[0]!;
      const wildcard = dest.endsWith('#*');
      this.transport.send(nodeOf(dest), encodeFrame(group, from, wildcard ? '' : dest, frame));
      return;
    }
    const bytes = encodeFrame(group, from, '', frame);
    for (const dest of to) this.transport.send(nodeOf(dest), bytes);
  }

  private onFrame(node: string, bytes: Uint8Array): void {
    let env;
    try {
      env = decodeFrame(bytes);
    } catch (err) {
      const code = (err as VsyncError).code ?? ErrorCodes.MALFORMED_FRAME;
      this.logger.warn({ peer: node, code, err: (err as Error).message }, 'refusing peer: bad frame');
      this.transport.dropPeer(node, `${code}: ${(err as Error).message}`);
      return;
    }
    if (nodeOf(env.from) !== node) {
      this.logger.warn({ peer: node, from: env.from }, 'refusing peer: frame claims a member of another node');
      this.transport.dropPeer(node, 'member id does not belong to the sending node');
      return;
    }
    if (env.group === CONTROL_GROUP) {
      this.formation.receive(node, env.frame);
      return;
    }
    const g = this.groups.get(env.group);
    if (!g) {
      this.logger.debug({ peer: node, group: env.group, code: ErrorCodes.UNKNOWN_GROUP }, 'frame for a group this node is not in');
      return;
    }
    g.receive(env.from, env.to, env.frame);
  }
}
