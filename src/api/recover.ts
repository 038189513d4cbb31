/**
 * Recovery after a lost majority (docs/deploy.md, "how to recover"): the operator's explicit lever, never automatic.
 * A member blocked in a minority of its view cannot tell dead members from unreachable ones, so it waits for ever;
 * when the operator knows the others are gone, `group.recover({ confirm: true })` on one survivor ends the blocked
 * instance and founds a new lineage of the group (a new group id that records its parent) with the survivors.
 *
 * How: the member asks its connected view-mates whether they are blocked in a minority of the same instance, and how
 * far they delivered. The survivor that delivered the most (the longest prefix of the total order; tie: the lowest
 * node name) founds the new lineage alone, keeping its application state; every other survivor drops out of the old
 * instance and joins the new one with state transfer, so all of them end with that survivor's state. Messages that
 * only the lost side delivered are gone: the new lineage's history continues from the founder's.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCodes, VsyncError } from '../errors.js';
import { abortError } from './abort.js';
import { newGroupId } from './bootstrap.js';
import type { FormMsg, RecoverInfo, RecoverOrder } from './formation-messages.js';

/** How long the survivors are given to answer before the recovery goes on with those that did. */
const ASK_MS = 2000;
/** Most recoveries asked at once (each holds a timer and a map of answers). */
const MAX_ASKING = 16;

/** What a recovery needs to know of this node's instance of a group. */
export interface RecoverLocal {
  gid: string;
  view: number;
  /** Node names of the view's members, this node included. */
  nodes: string[];
  minority: boolean;
  /** The last sequence number delivered here. */
  seq: number;
}

export interface RecoverHost {
  self: string;
  logger: Logger;
  peers(): string[];
  send(node: string, msg: FormMsg): void;
  local(group: string): RecoverLocal | null;
  /** Carries out a recovery order for `group` (found, or join the founder). */
  apply(order: RecoverOrder): void;
}

/** What `group.recover()` did. */
export interface RecoverResult {
  group: string;
  /** The blocked instance that was ended. */
  previousGroupId: string;
  /** The new lineage's group id (its parent is `previousGroupId`). */
  groupId: string;
  /** The node that founded the new lineage with its state (it had delivered the most). */
  founder: string;
  /** The nodes that form the new lineage's first views. */
  survivors: string[];
  /** The last sequence number the founder had delivered: whatever the lost members delivered after it is gone. */
  keptSeq: number;
}

/** The survivor that founds: the one with the latest view, then the most delivered, then the lowest name. */
export function chooseFounder(answers: ReadonlyArray<{ node: string; view: number; seq: number }>): { node: string; view: number; seq: number } {
  const sorted = [...answers].sort((a, b) => b.view - a.view || b.seq - a.seq || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return sorted[0]!;
}

export class Recovery {
  private readonly asking = new Map<string, { group: string; answers: Map<string, RecoverInfo> }>();

  constructor(private readonly host: RecoverHost) {}

  /** Recovers `group` from this node (see the file comment); rejects with a coded error when it may not. */
  async recover(group: string, opts: { confirm?: boolean; signal?: AbortSignal } = {}): Promise<RecoverResult> {
    if (opts.confirm !== true) {
      throw new VsyncError(
        ErrorCodes.INVALID_ARGUMENT,
        `recover: pass confirm: true (--confirm) to end the blocked instance of ${group}: messages delivered only by the unreachable members are lost`,
      );
    }
    if (opts.signal?.aborted) throw abortError(opts.signal);
    const local = this.host.local(group);
    if (!local) throw new VsyncError(ErrorCodes.NOT_MEMBER, `recover: not a member of an installed view of group ${group}`);
    if (!local.minority) {
      throw new VsyncError(ErrorCodes.NOT_IN_MINORITY, `recover: group ${group} is not blocked in a minority (view ${local.view}, ${local.nodes.length} members): there is nothing to recover from`);
    }
    if (local.gid === '') throw new VsyncError(ErrorCodes.NOT_IN_MINORITY, `recover: the id of this instance of ${group} is not known yet; try again`);
    if (this.asking.size >= MAX_ASKING) throw new VsyncError(ErrorCodes.BACKPRESSURE, 'recover: too many recoveries in progress');
    const peers = new Set(this.host.peers());
    const mates = local.nodes.filter((n) => n !== this.host.self && peers.has(n));
    const id = randomBytes(8).toString('hex');
    const ask = { group, answers: new Map<string, RecoverInfo>() };
    this.asking.set(id, ask);
    try {
      for (const n of mates) this.host.send(n, { k: 'rquery', g: group, id, gid: local.gid });
      const until = Date.now() + ASK_MS;
      while (ask.answers.size < mates.length && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        if (opts.signal?.aborted) throw abortError(opts.signal);
      }
    } finally {
      this.asking.delete(id);
    }
    const now = this.host.local(group);
    if (!now || !now.minority || now.gid !== local.gid) {
      throw new VsyncError(ErrorCodes.NOT_IN_MINORITY, `recover: group ${group} is no longer blocked in a minority of instance ${local.gid}`);
    }
    const answers = [...ask.answers.entries()].filter(([, a]) => a.gid === local.gid);
    const primary = answers.filter(([, a]) => !a.minority).map(([n]) => n);
    if (primary.length > 0) {
      throw new VsyncError(ErrorCodes.NOT_IN_MINORITY, `recover: ${primary.join(', ')} of group ${group} ${primary.length > 1 ? 'are' : 'is'} not blocked in a minority (a view change may be under way): not recovering`);
    }
    // Every survivor must be a majority of nothing: if the survivors were a majority of the view, it was not lost.
    const survivors = [{ node: this.host.self, view: now.view, seq: now.seq }, ...answers.map(([node, a]) => ({ node, view: a.view, seq: a.seq }))];
    if (survivors.length * 2 > local.nodes.length) {
      throw new VsyncError(ErrorCodes.NOT_IN_MINORITY, `recover: ${survivors.length} of ${local.nodes.length} members of view ${local.view} answer: a majority, which recovers by itself`);
    }
    const founder = chooseFounder(survivors);
    const order: RecoverOrder = { k: 'recover', g: group, old: local.gid, gid: newGroupId(), founder: founder.node, survivors: survivors.map((s) => s.node).sort() };
    this.host.logger.warn(
      { group, previousGroupId: order.old, groupId: order.gid, founder: order.founder, survivors: order.survivors, lost: local.nodes.filter((n) => !order.survivors.includes(n)), keptSeq: founder.seq },
      `recovering group ${group} by operator's command: ending the blocked instance ${order.old} and founding ${order.gid} from ${order.founder}'s state (delivered up to seq ${founder.seq}); messages delivered only by the unreachable members are lost`,
    );
    // The founder first, so that the others' joins find the new lineage as soon as possible.
    for (const n of [...order.survivors].sort((a, b) => (a === order.founder ? -1 : b === order.founder ? 1 : 0))) {
      if (n === this.host.self) this.host.apply(order);
      else this.host.send(n, order);
    }
    return { group, previousGroupId: order.old, groupId: order.gid, founder: order.founder, survivors: order.survivors, keptSeq: founder.seq };
  }

  /** A recovery message from connected node `from`. */
  receive(from: string, m: FormMsg): void {
    switch (m.k) {
      case 'rquery': {
        const l = this.host.local(m.g);
        if (!l || l.gid !== m.gid || !l.nodes.includes(from)) return;
        this.host.send(from, { k: 'rinfo', g: m.g, id: m.id, gid: l.gid, minority: l.minority, view: l.view, seq: l.seq });
        return;
      }
      case 'rinfo': {
        const ask = this.asking.get(m.id);
        if (ask && ask.group === m.g) ask.answers.set(from, m);
        return;
      }
      case 'recover': {
        const l = this.host.local(m.g);
        // Only a view-mate of the same blocked instance may end it here, and only with us among the survivors.
        if (!l || l.gid !== m.old || !l.nodes.includes(from) || !m.survivors.includes(this.host.self) || !m.survivors.includes(from)) {
          this.host.logger.warn({ group: m.g, from, old: m.old }, 'ignoring a recovery order that does not match our instance of the group');
          return;
        }
        if (!l.minority) {
          this.host.logger.warn({ group: m.g, from, old: m.old }, 'ignoring a recovery order: this member is not blocked in a minority');
          return;
        }
        this.host.logger.warn(
          { group: m.g, previousGroupId: m.old, groupId: m.gid, founder: m.founder, by: from },
          `recovering group ${m.g} on ${from}'s order: ending the blocked instance ${m.old}; ${m.founder === this.host.self ? 'founding' : `joining ${m.founder}'s`} new lineage ${m.gid}; messages delivered only by the unreachable members are lost`,
        );
        this.host.apply(m);
        return;
      }
      default:
        return;
    }
  }
}
