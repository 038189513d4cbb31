/**
 * The node's side of group formation (bootstrap.ts): decides how each join starts (found alone, found together, or
 * join an instance), keeps each group's id, answers and sends formation messages, reports conflicts and carries out
 * merges. Node delegates to it, so that node.ts keeps to connections, groups and frames.
 */
import type { Logger } from 'pino';
import { type Frame, type MemberId } from '../core/index.js';
import { ErrorCodes, VsyncError } from '../errors.js';
import type { Transport } from '../net/index.js';
import { encodeFrame } from '../wire/index.js';
import { type ConflictInfo, Formation, type FormingStats, type LocalGroup, newGroupId } from './bootstrap.js';
import { CONTROL_GROUP, type FormMsg, type RecoverOrder, decodeControl, encodeControl } from './formation-messages.js';
import type { GroupImpl as Group } from './group.js';
import { type RecoverLocal, type RecoverResult, Recovery } from './recover.js';

/** Members report their group's status to connected peers outside their view this often (conflicts). */
const GOSSIP_MS = 1000;
/** Nodes a merging member may be in contact with. */
const MAX_CONTACTS = 64;
const MAX_GROUP_NAME = 256;

export interface FormationSettings {
  seeds: number;
  bootstrapExpect?: number;
  joinTimeoutMs?: number;
  merge?: boolean;
  maxMembers?: number;
}

/** How a join starts: `true` founds alone, a list founds together, `false` joins. */
export interface JoinPlan {
  start: boolean | MemberId[];
  gid: string;
  /** The instance the joined one was recovered from, if any (its lineage's parent). */
  parent?: string;
}

export { CONTROL_GROUP };

function nodeOf(id: MemberId): string {
  const i = id.lastIndexOf('#');
  return i < 0 ? id : id.slice(0, i);
}

export class NodeFormation {
  private readonly formation: Formation;
  private readonly timer: NodeJS.Timeout;
  /** Group id of each group this node is in ('' until learned). */
  private readonly gids = new Map<string, string>();
  /** The member id the next incarnation in a group takes (promised in a founding proposal). */
  private readonly reserved = new Map<string, MemberId>();
  /** Nodes the next join of a group goes through (the instance chosen, or the one merged into). */
  private readonly preferred = new Map<string, string[]>();
  /** The parent group id of each group this node is in whose instance was recovered from another (recover.ts). */
  private readonly parents = new Map<string, string>();
  private readonly recovery: Recovery;

  constructor(
    private readonly self: string,
    private readonly transport: Transport,
    private readonly groups: ReadonlyMap<string, Group>,
    private readonly settings: FormationSettings,
    private readonly nextIncarnation: () => MemberId,
    private readonly logger: Logger,
  ) {
    this.formation = new Formation({
      self,
      logger,
      peers: () => transport.peers(),
      seeds: () => transport.seedReport(),
      send: (node, msg) => this.send(node, msg),
      local: (group) => this.local(group),
      reserveId: (group) => {
        const id = nextIncarnation();
        this.reserved.set(group, id);
        return id;
      },
      adoptGid: (group, gid) => {
        if (this.groups.has(group) && !this.gids.get(group)) this.gids.set(group, gid);
      },
      conflict: (info) => this.onConflict(info),
    });
    this.recovery = new Recovery({
      self,
      logger,
      peers: () => transport.peers(),
      send: (node, msg) => this.send(node, msg),
      local: (group) => this.recoverLocal(group),
      apply: (order) => this.applyRecovery(order),
    });
    transport.on('peerDown', (node) => this.formation.forget(node));
    this.timer = setInterval(() => this.formation.gossip(this.groups.keys()), GOSSIP_MS);
  }

  /** Validates the join's options and finds out how it starts (may wait for seeds, or for others to found with). */
  async plan(group: string, opts: { found?: boolean; bootstrapExpect?: number; joinTimeoutMs?: number; signal?: AbortSignal }): Promise<JoinPlan> {
    if (typeof group !== 'string' || group.length === 0 || group.length > MAX_GROUP_NAME || group.startsWith('$vsync')) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `invalid group name ${JSON.stringify(group)}: 1..${MAX_GROUP_NAME} characters, not starting with '$vsync'`);
    }
    const expect = opts.bootstrapExpect ?? this.settings.bootstrapExpect ?? 0;
    const timeoutMs = opts.joinTimeoutMs ?? this.settings.joinTimeoutMs ?? 60_000;
    if (!Number.isSafeInteger(expect) || expect < 0 || expect > 1024) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `bootstrapExpect must be 0..1024, got ${String(expect)}`);
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `joinTimeoutMs must be a non-negative integer, got ${String(timeoutMs)}`);
    if (opts.found === true || (opts.found === undefined && this.settings.seeds === 0 && expect <= 1)) return { start: true, gid: newGroupId() };
    if (expect > 1 && expect * 2 <= this.settings.seeds) {
      this.logger.warn({ group, bootstrapExpect: expect, seeds: this.settings.seeds }, 'bootstrapExpect is at most half the seed list: two disjoint sets of nodes could each found the group');
    }
    const d = await this.formation.decide(group, { expect, timeoutMs, signal: opts.signal });
    if (d.kind === 'found') return { start: d.members, gid: d.gid };
    this.preferred.set(group, d.contacts);
    return { start: false, gid: d.gid, ...(d.parent ? { parent: d.parent } : {}) };
  }

  /** The group was created with `plan`'s outcome (or failed to join: `gid` null). */
  started(group: string, gid: string | null, parent?: string): void {
    this.parents.delete(group);
    if (gid === null) {
      this.gids.delete(group);
      this.preferred.delete(group);
      this.reserved.delete(group);
    } else {
      this.gids.set(group, gid);
      if (parent) this.parents.set(group, parent);
    }
  }

  /** The lineage of this node's instance of `group` when it was recovered from another (null: founded afresh). */
  lineage(group: string): { gid: string; parent: string } | null {
    const parent = this.parents.get(group);
    const gid = this.gids.get(group);
    return parent && gid ? { gid, parent } : null;
  }

  /** Recovery after a lost majority (recover.ts), asked by the operator on this node. */
  recover(group: string, opts: { confirm?: boolean; signal?: AbortSignal }): Promise<RecoverResult> {
    return this.recovery.recover(group, opts);
  }

  /** Joins still deciding how to start (node.stats()). */
  forming(): FormingStats[] {
    return this.formation.forming();
  }

  /** The group id of this node's instance of `group`, and its parent's when it was recovered (for stats). */
  ids(group: string): { groupId?: string; parentGroupId?: string } {
    const gid = this.gids.get(group);
    const parent = this.parents.get(group);
    return { ...(gid ? { groupId: gid } : {}), ...(parent ? { parentGroupId: parent } : {}) };
  }

  groupId(group: string): string | null {
    return this.groups.has(group) ? (this.gids.get(group) ?? '') : null;
  }

  /** The id of a new incarnation in `group`: the one promised to a founding proposal, if any. */
  incarnation(group: string): MemberId {
    const id = this.reserved.get(group);
    this.reserved.delete(group);
    return id ?? this.nextIncarnation();
  }

  /** The nodes a join goes through when formation chose them (used once), else null. */
  contacts(group: string): string[] | null {
    const p = this.preferred.get(group);
    this.preferred.delete(group);
    return p && p.length > 0 ? p : null;
  }

  /** A frame of the reserved formation group from connected node `node`. */
  receive(node: string, frame: Frame): void {
    const m = decodeControl(frame);
    if (m === null) {
      this.logger.warn({ peer: node }, 'ignoring a malformed formation message');
      return;
    }
    if (m.k === 'rquery' || m.k === 'rinfo' || m.k === 'recover') this.recovery.receive(node, m);
    else this.formation.receive(node, m);
  }

  close(): void {
    clearInterval(this.timer);
    this.formation.close();
  }

  private local(group: string): LocalGroup | null {
    const g = this.groups.get(group);
    const v = g?.currentView;
    if (!g || !v || g.memberId === null || !v.members.includes(g.memberId)) return null;
    const parent = this.parents.get(group);
    return { gid: this.gids.get(group) ?? '', members: [...v.members], view: v.id, max: Math.min(1024, this.settings.maxMembers ?? 1024), ...(parent ? { parent } : {}) };
  }

  private recoverLocal(group: string): RecoverLocal | null {
    const g = this.groups.get(group);
    const l = this.local(group);
    if (!g || !l) return null;
    const s = g.stats();
    return { gid: l.gid, view: l.view, nodes: l.members.map(nodeOf), minority: s.minority, seq: s.counts.deliveredSeq };
  }

  /** Ends the blocked instance here: founds the new lineage (the founder) or joins it with state transfer. */
  private applyRecovery(order: RecoverOrder): void {
    const g = this.groups.get(order.g);
    if (!g) return;
    this.gids.set(order.g, order.gid);
    this.parents.set(order.g, order.old);
    // The group's emit keeps a throwing listener's error to itself (logged).
    g.emit('recovered', { previousGroupId: order.old, groupId: order.gid, founder: order.founder, survivors: [...order.survivors] });
    if (order.founder === this.self) {
      g.refound();
    } else {
      this.preferred.set(order.g, [order.founder]);
      g.restartElsewhere();
    }
  }

  private onConflict(info: ConflictInfo): void {
    const g = this.groups.get(info.group);
    if (!g) return;
    try {
      g.emit('conflict', info);
    } catch (err) {
      this.logger.error({ err }, 'a conflict listener threw');
    }
    if (!this.settings.merge || !info.yielding || this.groups.get(info.group) !== g) return;
    this.logger.warn({ group: info.group, from: info.ours.gid, into: info.theirs.gid }, 'merging: leaving the smaller instance to rejoin the other');
    const nodes = [...new Set(info.theirs.members.map(nodeOf))].filter((n) => n !== this.self).slice(0, MAX_CONTACTS);
    this.preferred.set(info.group, nodes.length > 0 ? nodes : [info.theirs.node]);
    this.gids.set(info.group, info.theirs.gid);
    if (info.theirs.parent) this.parents.set(info.group, info.theirs.parent);
    else this.parents.delete(info.group);
    g.restartElsewhere();
  }

  private send(node: string, msg: FormMsg): void {
    try {
      this.transport.send(node, encodeFrame(CONTROL_GROUP, `${this.self}#form`, '', encodeControl(msg)));
    } catch (err) {
      this.logger.debug({ err, peer: node }, 'formation message not sent');
    }
  }
}
