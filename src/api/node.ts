import { pino, type Logger } from 'pino';
import { type CoreConfig, type CoreEvent, ErrorCodes, type Frame, type MemberId, VsyncError } from '../core/index.js';
import { Transport } from '../net/index.js';
import type { MemberRuntime, MemberRuntimeOptions } from '../runtime/member-runtime.js';
import { decodeFrame, encodeFrame } from '../wire/index.js';
import { Group, type GroupHost, type GroupOptions } from './group.js';
import { CONTROL_GROUP, NodeFormation } from './node-formation.js';

export interface NodeOptions {
  /** Node name, unique in the cluster; member ids are `<name>#<incarnation>`. */
  name: string;
  cluster?: string;
  listen?: { host: string; port: number };
  /** URL other nodes use to reach this one (default: ws://<listen host>:<port>). */
  advertise?: string;
  /** ws:// URLs of nodes already in the cluster. */
  seeds?: string[];
  /** Shared cluster secret (HMAC-SHA256 challenge-response); without one, peers are not authenticated. */
  secret?: string;
  logger?: Logger;
  /** Folder for trace files, one per member incarnation (shared/trace-format.md). */
  trace?: string;
  /** Length of a protocol tick in milliseconds (default 10). */
  tickMs?: number;
  /** Protocol tunables (in ticks, counts and bytes). */
  config?: Partial<CoreConfig>;
  /** Largest websocket message accepted (default 16 MiB). */
  maxFrameBytes?: number;
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

/** Member id -> node name: everything before the last '#'. */
function nodeOf(id: MemberId): string {
  const i = id.lastIndexOf('#');
  return i < 0 ? id : id.slice(0, i);
}

/**
 * A vsync node: one process's presence in a cluster. It keeps one connection per peer node, shared by all the
 * groups it is a member of.
 */
export class Node {
  private readonly groups = new Map<string, Group>();
  private readonly runtimes = new Map<string, MemberRuntime>();
  private readonly timer: NodeJS.Timeout;
  private readonly formation: NodeFormation;
  private incarnation = 0;
  private readonly incBase = Date.now().toString(36);
  private closed = false;

  private constructor(
    readonly name: string,
    private readonly transport: Transport,
    private readonly opts: NodeOptions,
    readonly logger: Logger,
  ) {
    transport.on('frame', (node, bytes) => this.onFrame(node, bytes));
    this.formation = new NodeFormation(name, transport, this.groups, {
      seeds: (opts.seeds ?? []).length, bootstrapExpect: opts.bootstrapExpect, joinTimeoutMs: opts.joinTimeoutMs, merge: opts.merge, maxMembers: opts.config?.maxMembers,
    }, () => `${this.name}#${this.incBase}${(++this.incarnation).toString(36)}`, logger);
    this.timer = setInterval(() => {
      for (const g of this.groups.values()) g.tick();
    }, opts.tickMs ?? 10);
  }

  static async start(opts: NodeOptions & { signal?: AbortSignal }): Promise<Node> {
    if (!/^[A-Za-z0-9._-]+$/.test(opts.name)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `node name '${opts.name}' must match [A-Za-z0-9._-]+`);
    const logger = (opts.logger ?? pino({ level: 'silent' })).child({ node: opts.name });
    const transport = await Transport.start({
      cluster: opts.cluster ?? 'vsync',
      node: opts.name,
      listen: opts.listen,
      advertise: opts.advertise,
      seeds: opts.seeds,
      secret: opts.secret,
      logger,
      maxPayload: opts.maxFrameBytes,
    }, opts.signal);
    return new Node(opts.name, transport, opts, logger);
  }

  /** The URL peers use to reach this node, if it listens. */
  get url(): string | null {
    return this.transport.url;
  }

  /** Joins (or founds) `group`; resolves with the group once this member has installed its first view. */
  async join(group: string, opts: JoinOptions = {}): Promise<Group> {
    if (this.closed) throw new VsyncError(ErrorCodes.CLOSED, 'node closed');
    if (this.groups.has(group)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `already in group '${group}'`);
    // Found alone, found with others, or join a running instance: formation finds out, or fails with the cause.
    const plan = await this.formation.plan(group, opts);
    if (this.closed) throw new VsyncError(ErrorCodes.CLOSED, 'node closed');
    const g = new Group(group, this.host(group), opts);
    this.groups.set(group, g);
    this.formation.started(group, plan.gid);
    g.start(plan.start);
    // The join was sent: say so while it takes long (a busy or partitioned group), never wait silently.
    const since = Date.now();
    const slow = setInterval(() => this.logger.warn({ group, afterMs: Date.now() - since, peers: this.transport.peers() }, 'still joining the group'), 5000);
    try {
      await g.joined(opts.signal);
    } catch (err) {
      g.close(false);
      this.groups.delete(group);
      this.formation.started(group, null);
      throw err;
    } finally {
      clearInterval(slow);
    }
    return g;
  }

  /** Closes every group (writing `end` to traces: a clean shutdown, no leave) and the transport. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.formation.close();
    for (const g of this.groups.values()) g.close(true);
    this.groups.clear();
    await this.transport.close();
  }

  /** The id of this node's instance of `group` ('' while unknown; null when not in it): see docs/deploy.md. */
  groupId(group: string): string | null {
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
      runtimeOptions: (group, id, onEvent: (e: CoreEvent) => void | 'yield'): MemberRuntimeOptions => ({
        group,
        id,
        config: this.opts.config,
        traceDir: this.opts.trace,
        logger: this.logger.child({ group, member: id }),
        out: { sendFrame: (g, from, to, frame) => this.sendFrame(g, from, to, frame) },
        onEvent,
      }),
      attach: (group, rt) => {
        if (rt) this.runtimes.set(group, rt);
        else this.runtimes.delete(group);
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
    const rt = this.runtimes.get(env.group);
    if (env.to !== '' && rt?.id !== env.to) return; // For an earlier incarnation of ours.
    g.receive(env.from, env.frame);
  }
}
