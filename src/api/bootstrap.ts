/**
 * How a node comes to be in a group: it asks the nodes it is connected to (its seeds, mostly) about the group and
 * joins an instance that runs, or, with `bootstrapExpect` N, founds the group together with N-1 others once N nodes
 * that found none are connected. Founding is a small two-phase exchange so that it happens exactly once, on one list:
 * the lowest-named node among the candidates it sees proposes the N lowest names; each named node promises its place
 * to at most one proposal at a time (for a few seconds) and answers with the member id it will use; once all have
 * promised, the proposer commits (with a fresh group id) and every one of them calls the core's bootstrap(list).
 * A node that sees a running instance joins it instead, and refuses proposals. Competing proposals refuse each other
 * and retry after a random delay.
 *
 * The same messages carry group identity: members report their instance's id with their status; a node that meets
 * two instances of one group name reports the conflict (and relays each side's status to the other, so both sides
 * learn of it); with `merge` the smaller instance (tie: the younger) rejoins the larger one.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type MemberId } from '../core/index.js';
import { ErrorCodes, VsyncError } from '../errors.js';
import { abortError } from './abort.js';
import type { FormMsg, StatusMsg } from './formation-messages.js';

export interface SeedInfo {
  url: string;
  node: string | null;
  connected: boolean;
  error: string | null;
}

/** What this node knows of one of its groups, for status reports. */
export interface LocalGroup {
  gid: string;
  /** The instance this one was recovered from (recover.ts), if any. */
  parent?: string;
  members: MemberId[];
  view: number;
  max: number;
}

/** A second instance of a group name met by a node (emitted as the group's `conflict` event). */
export interface ConflictInfo {
  group: string;
  ours: { gid: string; members: MemberId[] };
  theirs: { gid: string; members: MemberId[]; node: string; parent?: string };
  /** With `merge`: whether this side gives way and rejoins the other. */
  yielding: boolean;
}

export interface FormationHost {
  self: string;
  logger: Logger;
  /** Connected nodes. */
  peers(): string[];
  seeds(): SeedInfo[];
  send(node: string, msg: FormMsg): void;
  /** This node's instance of `group`, when it is a member (gid '' while not yet learned). */
  local(group: string): LocalGroup | null;
  /** Reserves the member id this node's next incarnation in `group` will have. */
  reserveId(group: string): MemberId;
  /** A view-mate told us our instance's id (we joined it, so we did not know it). */
  adoptGid(group: string, gid: string): void;
  /** A conflict about `group`, at most once per pair of ids and 30 s. */
  conflict(info: ConflictInfo): void;
}

export type Decision =
  | { kind: 'join'; contacts: string[]; gid: string; parent?: string }
  | { kind: 'found'; members: MemberId[]; gid: string };

export interface DecideOptions {
  /** Found together once this many nodes (this one included) are connected and none runs the group; 0: never. */
  expect: number;
  /** Fail when no seed answered for this long (0: wait for ever). */
  timeoutMs: number;
  signal?: AbortSignal;
}

const PROBE_MS = 250;
/** A status older than this is not believed any more. */
const FRESH_MS = 2000;
const PROPOSAL_MS = 3000;
/** A connected node that has not answered a probe for this long does not speak formation messages. */
const LEGACY_MS = 3000;
/** No proposal before this long after the start: answers from the seeds connected by then come first. */
const MIN_WAIT_MS = 1000;
/** A promise outlives the proposal's own deadline, so that a commit sent in time always finds it. */
const LOCK_MS = 5000;
const WARN_EVERY_MS = 5000;
const FIRST_WARN_MS = 1500;
const CONFLICT_REPEAT_MS = 30_000;
const RELAY_REPEAT_MS = 2000;
/** Most nodes whose status is kept per group. */
const MAX_STATUSES = 1024;

/** A fresh group id: its founding time (base 36, for "the younger") and 64 random bits. */
export function newGroupId(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(8).toString('hex')}`;
}

function foundedAt(gid: string): number {
  const t = parseInt(gid.split('-')[0] ?? '', 36);
  return Number.isFinite(t) ? t : 0;
}

/** Whether instance `a` gives way to `b` when merging: fewer members, or as many and younger (then: larger id). */
export function yieldsTo(a: { gid: string; members: readonly string[] }, b: { gid: string; members: readonly string[] }): boolean {
  if (a.members.length !== b.members.length) return a.members.length < b.members.length;
  const ta = foundedAt(a.gid);
  const tb = foundedAt(b.gid);
  if (ta !== tb) return ta > tb;
  return a.gid > b.gid;
}

function nodeOf(id: string): string {
  const i = id.lastIndexOf('#');
  return i < 0 ? id : id.slice(0, i);
}

/** "connect ECONNREFUSED 10.0.0.1:7000" -> "connection refused"; others as they are, shortened. */
export function describeError(e: string): string {
  if (/ECONNREFUSED/.test(e)) return 'connection refused';
  if (/EHOSTUNREACH|ENETUNREACH/.test(e)) return 'no route to host';
  if (/ETIMEDOUT|timed out|timeout/i.test(e)) return 'timed out';
  if (/ENOTFOUND|EAI_AGAIN/.test(e)) return 'host name not found';
  if (/VSYNC_ERR_AUTH/.test(e)) return 'secret refused (VSYNC_ERR_AUTH)';
  return e.length > 120 ? `${e.slice(0, 117)}...` : e;
}

interface Pending {
  expect: number;
  /** Our promise to a proposal. */
  lock: { by: string; id: string; until: number } | null;
  /** Our own proposal. */
  proposal: { id: string; list: string[]; accepts: Map<string, MemberId>; until: number } | null;
  backoffUntil: number;
  myId: MemberId | null;
  /** Nodes ready to found with us (this one first), as of the last probe round. */
  ready: string[];
  finish: (d: Decision | Error) => void;
}

/** A join still deciding how to start (for `node.stats()`): what it waits for. */
export interface FormingStats {
  group: string;
  /** bootstrapExpect (0: looking for a running instance). */
  expect: number;
  /** Nodes ready to found the group together, this one included (with `expect`). */
  ready: string[];
  /** Connected peer nodes. */
  connected: string[];
}

export class Formation {
  private readonly statuses = new Map<string, Map<string, { msg: StatusMsg; at: number }>>();
  private readonly pending = new Map<string, Pending>();
  private readonly conflictsSeen = new Map<string, number>();
  private readonly relayed = new Map<string, number>();
  private readonly log: Logger;

  constructor(private readonly host: FormationHost) {
    this.log = host.logger;
  }

  /** Finds out how to enter `group`: join a running instance, or found it with others. */
  decide(group: string, opts: DecideOptions): Promise<Decision> {
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal));
    return new Promise<Decision>((resolve, reject) => {
      const started = Date.now();
      // The first warning comes soon (a silent wait is the trap), later ones every WARN_EVERY_MS.
      let lastWarn = started - WARN_EVERY_MS + FIRST_WARN_MS;
      let answered = false;
      /** Connected peers since when, to tell nodes that never answer (a version without formation messages). */
      const connectedSince = new Map<string, number>();
      const onAbort = (): void => {
        const peers = this.host.peers();
        const fresh = this.fresh(group, new Set(peers));
        p.finish(abortError(opts.signal!, this.waitingFor(p, fresh, fresh.some((s) => s.st === 'member' && s.members.length > 0))));
      };
      const guarded = (): void => {
        try {
          step();
        } catch (err) {
          p.finish(err as Error);
        }
      };
      const timer = setInterval(guarded, PROBE_MS);
      const p: Pending = {
        expect: opts.expect,
        lock: null,
        proposal: null,
        backoffUntil: 0,
        myId: null,
        ready: [this.host.self],
        finish: (d) => {
          clearInterval(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          if (this.pending.get(group) === p) this.pending.delete(group);
          if (p.proposal && d instanceof Error) this.abortProposal(group, p);
          if (d instanceof Error) reject(d);
          else resolve(d);
        },
      };
      this.pending.set(group, p);
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      const step = (): void => {
        const now = Date.now();
        const peers = this.host.peers();
        for (const n of peers) this.host.send(n, { k: 'probe', g: group, exp: p.expect });
        const fresh = this.fresh(group, new Set(peers));
        if (fresh.length > 0) answered = true;
        p.ready = [this.host.self, ...fresh.filter((s) => s.st === 'none' && s.exp === p.expect).map((s) => s.origin)];
        for (const n of [...connectedSince.keys()]) if (!peers.includes(n)) connectedSince.delete(n);
        for (const n of peers) if (!connectedSince.has(n)) connectedSince.set(n, now);
        if (p.expect === 0) {
          // A seed that stays silent runs an older vsync (rolling upgrade): join through it as that version did.
          const silent = peers.filter((n) => now - connectedSince.get(n)! >= LEGACY_MS && !this.everAnswered(group, n));
          if (silent.length > 0 && fresh.every((s) => s.st !== 'member')) {
            this.log.warn({ group, peers: silent }, 'seeds do not answer group status (an older version?): joining through them');
            p.finish({ kind: 'join', contacts: silent, gid: '' });
            return;
          }
        }
        if (p.lock && p.lock.until < now) p.lock = null;
        if (p.proposal && p.proposal.until < now) {
          this.log.info({ group, list: p.proposal.list }, 'founding proposal timed out');
          this.abortProposal(group, p);
        }
        const running = fresh.filter((s) => s.st === 'member' && s.members.length > 0);
        if (running.length > 0 && !p.lock && !p.proposal) {
          const d = this.joinDecision(group, running);
          if (d) {
            p.finish(d);
            return;
          }
          if (now - started >= opts.timeoutMs && opts.timeoutMs > 0) {
            p.finish(new VsyncError(ErrorCodes.GROUP_FULL, `group ${group} has no room: ${running.map((s) => `${s.origin} reports ${s.members.length}/${s.max} members`).join(', ')}`));
            return;
          }
        } else if (running.length === 0 && p.expect > 0 && now - started >= MIN_WAIT_MS && fresh.length >= peers.length) {
          // Every connected node has answered: had one of them run the group, we would know.
          this.maybePropose(group, p, now);
        }
        if (now - lastWarn >= WARN_EVERY_MS) {
          lastWarn = now;
          this.warnWaiting(group, p, fresh, running.length > 0);
        }
        if (!answered) {
          const seeds = this.host.seeds();
          const auth = seeds.filter((s) => s.error !== null && /VSYNC_ERR_AUTH/.test(s.error));
          if (seeds.length > 0 && auth.length === seeds.length) {
            p.finish(new VsyncError(ErrorCodes.AUTH, `every seed refused our credentials (a different secret or TLS CA than theirs, or none): ${seeds.map((s) => s.url).join(', ')}`));
            return;
          }
          // Seeds that refuse a setting of ours (another wire version, another config.maxPayloadBytes) will refuse it
          // however long we wait: say so now, in their words.
          for (const code of [ErrorCodes.VERSION, ErrorCodes.CONFIG_MISMATCH]) {
            const refusing = seeds.filter((s) => s.error !== null && s.error.includes(code));
            if (seeds.length > 0 && refusing.length === seeds.length) {
              p.finish(new VsyncError(code, `every seed refused this node: ${refusing[0]!.error}`));
              return;
            }
          }
          // A seed that calls itself by our name will refuse us however long we wait: say so now, not as
          // "unreachable" at the timeout. (Refusals by a seed that still holds an old link of ours say "already connected".)
          const sameName = seeds.filter((s) => s.error !== null && /duplicate node name: the peer calls itself/.test(s.error));
          if (sameName.length > 0 && auth.length + sameName.length === seeds.length) {
            p.finish(new VsyncError(ErrorCodes.INVALID_ARGUMENT, `options.name: node name ${this.host.self} is taken by seed ${sameName.map((s) => s.url).join(', ')}; node names must be unique in the cluster`));
            return;
          }
          if (opts.timeoutMs > 0 && now - started >= opts.timeoutMs) {
            const code = auth.length > 0 ? ErrorCodes.AUTH : ErrorCodes.UNREACHABLE;
            p.finish(new VsyncError(code, `no seed answered within ${opts.timeoutMs} ms: ${this.seedSummary(seeds)}`));
            return;
          }
        } else if (p.expect === 0 && running.length === 0 && opts.timeoutMs > 0 && now - started >= opts.timeoutMs) {
          p.finish(new VsyncError(ErrorCodes.UNKNOWN_GROUP, `no node runs group ${group} (asked: ${fresh.map((s) => s.origin).join(', ')}); to found it, start with bootstrapExpect or without seeds`));
        }
      };
      guarded();
    });
  }

  /** The joins still deciding how to start, and what they wait for. */
  forming(): FormingStats[] {
    const connected = this.host.peers();
    return [...this.pending].map(([group, p]) => ({ group, expect: p.expect, ready: [...p.ready], connected }));
  }

  /** The status this node reports for `group`. */
  statusOf(group: string): StatusMsg {
    const local = this.host.local(group);
    if (local) {
      return { k: 'status', g: group, st: 'member', exp: 0, gid: local.gid, members: local.members, view: local.view, max: local.max, origin: this.host.self, ...(local.parent ? { parent: local.parent } : {}) };
    }
    const p = this.pending.get(group);
    const st = p && (p.lock || p.proposal) ? 'forming' : 'none';
    return { k: 'status', g: group, st, exp: p?.expect ?? 0, gid: '', members: [], view: 0, max: 0, origin: this.host.self };
  }

  /**
   * Sends this node's status of each group in `groups` to the connected peers outside its view: how a second
   * instance of the group is met. View-mates are skipped (they run our instance), so a settled cluster sends none.
   */
  gossip(groups: Iterable<string>): void {
    const peers = this.host.peers();
    for (const g of groups) {
      const s = this.statusOf(g);
      if (s.st !== 'member') continue;
      const mates = new Set(s.members.map(nodeOf));
      for (const n of peers) if (!mates.has(n)) this.host.send(n, s);
    }
  }

  /** A formation message from connected node `from`. */
  receive(from: string, m: FormMsg): void {
    switch (m.k) {
      case 'probe':
        this.host.send(from, this.statusOf(m.g));
        return;
      case 'status':
        this.onStatus(from, m);
        return;
      case 'propose':
        this.onPropose(from, m.g, m.id, m.list);
        return;
      case 'accept': {
        const p = this.pending.get(m.g);
        if (!p?.proposal || p.proposal.id !== m.id || !p.proposal.list.includes(from) || nodeOf(m.member) !== from) return;
        p.proposal.accepts.set(from, m.member);
        if (p.proposal.accepts.size === p.proposal.list.length - 1) this.commit(m.g, p);
        return;
      }
      case 'refuse': {
        const p = this.pending.get(m.g);
        if (!p?.proposal || p.proposal.id !== m.id) return;
        this.log.info({ group: m.g, by: from, reason: m.reason }, 'founding proposal refused; retrying later');
        this.abortProposal(m.g, p);
        return;
      }
      case 'commit': {
        const p = this.pending.get(m.g);
        if (!p?.lock || p.lock.by !== from || p.lock.id !== m.id || p.myId === null || !m.members.includes(p.myId)) {
          this.log.warn({ group: m.g, from, proposal: m.id }, 'ignoring a founding commit we did not promise to');
          return;
        }
        this.log.info({ group: m.g, gid: m.gid, members: m.members }, 'founding the group together');
        p.finish({ kind: 'found', members: m.members, gid: m.gid });
        return;
      }
      case 'abort': {
        const p = this.pending.get(m.g);
        if (p?.lock && p.lock.by === from && p.lock.id === m.id) p.lock = null;
        return;
      }
      default:
        return;
    }
  }

  /** The node is closing: every join still deciding fails with VSYNC_ERR_CLOSED. */
  close(): void {
    for (const p of [...this.pending.values()]) p.finish(new VsyncError(ErrorCodes.CLOSED, 'node closed'));
  }

  /** A peer went away: its statuses no longer count. */
  forget(node: string): void {
    for (const m of this.statuses.values()) m.delete(node);
  }

  // ---- joining ----

  /** Join the largest running instance (tie: the oldest) that has room; null when none has. */
  private joinDecision(group: string, running: StatusMsg[]): Decision | null {
    const byGid = new Map<string, StatusMsg[]>();
    for (const s of running) {
      const list = byGid.get(s.gid) ?? [];
      list.push(s);
      byGid.set(s.gid, list);
    }
    if (byGid.size > 1) {
      this.log.error({ group, instances: [...byGid.entries()].map(([gid, l]) => ({ gid, members: l[0]!.members })) }, 'several instances of the group run: joining the largest');
    }
    const open = [...byGid.values()].filter((l) => l.some((s) => s.members.length < s.max));
    if (open.length === 0) return null;
    open.sort((a, b) => (yieldsTo(a[0]!, b[0]!) ? 1 : yieldsTo(b[0]!, a[0]!) ? -1 : 0));
    const best = open[0]!;
    const parent = best[0]!.parent;
    return { kind: 'join', contacts: best.map((s) => s.origin), gid: best[0]!.gid, ...(parent ? { parent } : {}) };
  }

  // ---- founding ----

  private maybePropose(group: string, p: Pending, now: number): void {
    if (p.lock || p.proposal || now < p.backoffUntil) return;
    const candidates = [...p.ready].sort();
    if (candidates.length < p.expect || candidates[0] !== this.host.self) return;
    const list = candidates.slice(0, p.expect);
    const id = randomBytes(8).toString('hex');
    p.myId ??= this.host.reserveId(group);
    p.proposal = { id, list, accepts: new Map(), until: now + PROPOSAL_MS };
    this.log.info({ group, list }, 'proposing to found the group');
    if (list.length === 1) {
      this.commit(group, p);
      return;
    }
    for (const n of list) if (n !== this.host.self) this.host.send(n, { k: 'propose', g: group, id, list });
  }

  private onPropose(from: string, group: string, id: string, list: string[]): void {
    const refuse = (reason: string): void => this.host.send(from, { k: 'refuse', g: group, id, reason });
    const p = this.pending.get(group);
    if (!p || p.expect === 0) return refuse('not waiting to found this group');
    if (!list.includes(this.host.self) || !list.includes(from) || list.length !== p.expect) return refuse('proposal does not match our bootstrapExpect');
    const now = Date.now();
    if (p.proposal) return refuse('proposing ourselves');
    if (p.lock && p.lock.until >= now && !(p.lock.by === from && p.lock.id === id)) return refuse(`promised to ${p.lock.by}`);
    if (this.fresh(group, new Set(this.host.peers())).some((s) => s.st === 'member')) return refuse('an instance of the group runs');
    p.lock = { by: from, id, until: now + LOCK_MS };
    p.myId ??= this.host.reserveId(group);
    this.host.send(from, { k: 'accept', g: group, id, member: p.myId });
  }

  private commit(group: string, p: Pending): void {
    const prop = p.proposal!;
    const members = prop.list.map((n) => (n === this.host.self ? p.myId! : prop.accepts.get(n)!));
    const gid = newGroupId();
    for (const n of prop.list) if (n !== this.host.self) this.host.send(n, { k: 'commit', g: group, id: prop.id, gid, members });
    this.log.info({ group, gid, members }, 'founding the group together');
    p.proposal = null;
    p.finish({ kind: 'found', members, gid });
  }

  private abortProposal(group: string, p: Pending): void {
    const prop = p.proposal;
    if (!prop) return;
    for (const n of prop.accepts.keys()) this.host.send(n, { k: 'abort', g: group, id: prop.id });
    p.proposal = null;
    p.backoffUntil = Date.now() + 300 + Math.floor(Math.random() * 1000);
  }

  // ---- statuses and conflicts ----

  private everAnswered(group: string, node: string): boolean {
    return this.statuses.get(group)?.has(node) ?? false;
  }

  private fresh(group: string, connected: Set<string>): StatusMsg[] {
    const m = this.statuses.get(group);
    if (!m) return [];
    const now = Date.now();
    const out: StatusMsg[] = [];
    for (const [n, e] of m) if (connected.has(n) && now - e.at <= FRESH_MS) out.push(e.msg);
    return out;
  }

  private onStatus(from: string, s: StatusMsg): void {
    // Only groups this node is in or is entering: anything else is not kept (bounds memory).
    const local = this.host.local(s.g);
    if (!local && !this.pending.has(s.g)) return;
    if (s.origin === from) {
      let m = this.statuses.get(s.g);
      if (!m) this.statuses.set(s.g, (m = new Map()));
      if (m.has(from) || m.size < MAX_STATUSES) m.set(from, { msg: s, at: Date.now() });
    }
    if (s.st !== 'member' || s.gid === '') return;
    this.relayConflicts(from, s);
    if (!local || local.gid === s.gid) return;
    // A node of our own view runs our instance: its id is ours. It cannot be another instance (a merge in progress).
    if (local.members.some((id) => nodeOf(id) === s.origin)) {
      if (local.gid === '' && s.origin === from) this.host.adoptGid(s.g, s.gid);
      return;
    }
    if (local.gid === '') return;
    const key = `${s.g}\u0000${[local.gid, s.gid].sort().join('\u0000')}`;
    const last = this.conflictsSeen.get(key);
    const now = Date.now();
    if (last !== undefined && now - last < CONFLICT_REPEAT_MS) return;
    this.conflictsSeen.set(key, now);
    if (this.conflictsSeen.size > MAX_STATUSES) this.conflictsSeen.delete(this.conflictsSeen.keys().next().value!);
    const yielding = yieldsTo(local, s);
    this.log.error(
      { group: s.g, ours: { gid: local.gid, members: local.members }, theirs: { gid: s.gid, members: s.members, node: s.origin } },
      'another instance of this group runs (a second founder or a healed split)',
    );
    // Our view-mates may not be connected to the other side: tell them.
    for (const id of local.members) {
      const n = nodeOf(id);
      if (n !== this.host.self && n !== from) this.host.send(n, s);
    }
    this.host.conflict({ group: s.g, ours: { gid: local.gid, members: local.members }, theirs: { gid: s.gid, members: s.members, node: s.origin, ...(s.parent ? { parent: s.parent } : {}) }, yielding });
  }

  /** Tells each of two instances of one group about the other (neither may be connected to the other). */
  private relayConflicts(from: string, s: StatusMsg): void {
    const m = this.statuses.get(s.g);
    if (!m || s.origin !== from) return;
    const now = Date.now();
    for (const [n, e] of m) {
      if (n === from || e.msg.st !== 'member' || e.msg.gid === '' || e.msg.gid === s.gid || now - e.at > FRESH_MS) continue;
      const key = `${from}\u0000${n}`;
      if (now - (this.relayed.get(key) ?? 0) < RELAY_REPEAT_MS) continue;
      this.relayed.set(key, now);
      if (this.relayed.size > MAX_STATUSES) this.relayed.delete(this.relayed.keys().next().value!);
      this.host.send(n, s);
      this.host.send(from, e.msg);
    }
  }

  private seedSummary(seeds: SeedInfo[]): string {
    if (seeds.length === 0) return 'no seeds';
    return seeds.map((s) => `${s.url}: ${s.connected ? 'connected' : s.error ? describeError(s.error) : 'no answer yet'}`).join(', ');
  }

  /** What a join still deciding how to start waits for, in words (its periodic warning, or why an abort came). */
  private waitingFor(p: Pending, fresh: StatusMsg[], running: boolean): string {
    if (fresh.length === 0) return `waiting for seeds ${this.seedSummary(this.host.seeds())}`;
    if (running) return `waiting for room in the group (${fresh.map((s) => `${s.origin} reports ${s.members.length}/${s.max} members`).join(', ')})`;
    if (p.expect > 0) return `waiting for ${p.expect} nodes to found the group (${p.ready.length} ready); seeds ${this.seedSummary(this.host.seeds())}`;
    return `waiting for a node that runs the group (asked: ${fresh.map((s) => s.origin).join(', ')})`;
  }

  private warnWaiting(group: string, p: Pending, fresh: StatusMsg[], running: boolean): void {
    // The words say it all; the fields keep it queryable in JSON logs (who answered, with how many members).
    const fields = fresh.length === 0 ? {} : running ? { answers: fresh.map((s) => `${s.origin}:${s.members.length}/${s.max}`) } : { asked: fresh.map((s) => s.origin) };
    this.log.warn({ group, ready: p.ready, expect: p.expect, ...fields }, this.waitingFor(p, fresh, running));
  }
}
