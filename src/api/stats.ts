/**
 * What `node.stats()` and `group.stats()` report, and the counters behind it. Counts are cumulative over the life
 * of the Group object (across incarnations after an exclusion), so they only grow; rates are measured over the last
 * `RATE_WINDOW_MS`. Sizes, marks and window use are read from the current incarnation's core at call time.
 */
import type { MemberId } from '../core/index.js';
import type { PeerStats, TransportStats } from '../net/transport.js';
import type { FormingStats } from './bootstrap.js';

export type { PeerStats, TransportStats };

/** Views kept in `GroupStats.history`: the newest ones. */
export const VIEW_HISTORY = 50;
/** One rate sample per second, kept for five minutes (the web page's chart). */
export const SAMPLE_MS = 1000;
export const MAX_SAMPLES = 300;
/** Rates in `GroupStats.rates` are averages over this window. */
export const RATE_WINDOW_MS = 10_000;

/** One member of the current view, as this member sees it. */
export interface ViewMemberStats {
  id: MemberId;
  /** The node hosting it (the id up to its last '#'). */
  node: string;
  /** First in rank order: it runs flushes and orders messages (the sequencer). */
  coordinator: boolean;
  /** This member itself. */
  self: boolean;
  /** This member's failure detector suspects it now (it will be dropped at the next view change). */
  suspected: boolean;
}

/** One installed view, with why it changed. */
export interface ViewRecord {
  id: number;
  members: readonly MemberId[];
  joined: readonly MemberId[];
  /** Left gracefully (a `leave()`). */
  left: readonly MemberId[];
  /** Left without leaving: crashed, cut off, or excluded after a pause. */
  failed: readonly MemberId[];
  /** A one-line human summary of the change, e.g. "b#1 failed or was excluded". */
  reason: string;
  /** Wall-clock time of the install here (epoch ms). */
  at: number;
  /** From this member's block to the install (ms); null when this member did not block for it (e.g. it joined). */
  flushMs: number | null;
  /** The member id this member had in that view (it changes after an exclusion and rejoin). */
  self: MemberId;
}

export interface GroupRates {
  /** Messages delivered here per second. */
  delivered: number;
  /** Messages this member multicast per second (accepted `send()` calls). */
  sent: number;
  /** Messages ordered by the group per second (advance of the total order received here). */
  ordered: number;
}

export interface GroupStats {
  group: string;
  /** The current incarnation's id; null between an exclusion and the rejoin, and after leave/close. */
  memberId: MemberId | null;
  state: 'joining' | 'member' | 'left' | 'closed';
  /**
   * In a primary view: a member of an installed view that has not reported a minority since. A group that is not
   * primary delivers nothing new (joining, minority partition, left, closed).
   */
  primary: boolean;
  /** A flush is under way: sends wait until the next view is installed. */
  blocked: boolean;
  /** This member cannot reach a majority of its view (reported since the last install). */
  minority: boolean;
  view: { id: number; coordinator: MemberId; members: ViewMemberStats[] } | null;
  counts: {
    /** Messages delivered here (in total order). */
    delivered: number;
    /** `send()` calls accepted here. */
    sent: number;
    /** Sequence number of the last message delivered here. */
    deliveredSeq: number;
    /** Highest sequence number of the total order received here (ordered, maybe not yet deliverable). */
    orderedSeq: number;
  };
  rates: GroupRates;
  /** Own messages sent and not yet delivered back, against the send window's bounds (config.maxPendingSends/Bytes). */
  sendWindow: { messages: number; bytes: number; maxMessages: number; maxBytes: number };
  /** The ordered-message log: retained until stable (held by every member). */
  log: { messages: number; bytes: number; stableSeq: number; commitSeq: number };
  /** Views installed (the first view of each incarnation included). */
  viewChanges: number;
  /** Duration of the last flush this member blocked for (ms); null before the first. */
  lastFlushMs: number | null;
  /** Times this member was excluded, and new incarnations started after an exclusion. */
  excluded: number;
  rejoins: number;
  /** Minority reports (a view change that could not reach a majority). */
  minorityReports: number;
  /** Frames the current incarnation's core dropped for breaking a rule (docs/protocol.md, "Who may send what"), per reason. */
  rejectedFrames: Readonly<Record<string, number>>;
  /** Newest last, at most VIEW_HISTORY. */
  history: ViewRecord[];
  /** The id of this node's instance of the group (node.groupId); absent until known. */
  groupId?: string;
  /** The instance this one was recovered from (group.recover), if any. */
  parentGroupId?: string;
}

export interface NodeStats {
  node: string;
  /** The URL peers use to reach this node, if it listens. */
  url: string | null;
  /** Epoch ms of `Node.start`. */
  startedAt: number;
  uptimeSec: number;
  groups: GroupStats[];
  /** Peer nodes this node knows, with link state and heartbeat round trip. */
  peers: PeerStats[];
  /** Totals of the node's transport: bytes and frames in and out, drops, refused connections. */
  transport: TransportStats;
  /** Joins still finding out how to start (waiting for seeds, or for `bootstrapExpect` nodes). */
  forming?: FormingStats[];
}

/** A point of the rate chart: cumulative counts at `t` (epoch ms). */
export interface RateSample {
  t: number;
  delivered: number;
  sent: number;
  ordered: number;
}

/** What a Group reads from its current incarnation's core to fill in its stats. */
export interface CoreFigures {
  id: MemberId;
  view: { id: number; members: readonly MemberId[] } | null;
  blocked: boolean;
  suspected: readonly MemberId[];
  deliveredSeq: number;
  receivedSeq: number;
  pendingSends: number;
  pendingSendBytes: number;
  maxPendingSends: number;
  maxPendingBytes: number;
  logMessages: number;
  logBytes: number;
  stableSeq: number;
  commitSeq: number;
  rejectedFrames: Readonly<Partial<Record<string, number>>>;
}

function nodeOf(id: MemberId): string {
  const i = id.lastIndexOf('#');
  return i < 0 ? id : id.slice(0, i);
}

function describeChange(r: Pick<ViewRecord, 'joined' | 'left' | 'failed' | 'id' | 'members' | 'self'>, first: boolean, rejoin: boolean): string {
  if (first) {
    if (rejoin) return `rejoined as ${r.self} after an exclusion`;
    // View 1 is a founding: by one node, or by several together (bootstrapExpect); never a join.
    return r.id === 1 ? `founded by ${r.members.join(', ')}` : `${r.self} joined`;
  }
  const parts: string[] = [];
  if (r.joined.length > 0) parts.push(`${r.joined.join(', ')} joined`);
  if (r.left.length > 0) parts.push(`${r.left.join(', ')} left`);
  if (r.failed.length > 0) parts.push(`${r.failed.join(', ')} failed or ${r.failed.length > 1 ? 'were' : 'was'} excluded`);
  return parts.length > 0 ? parts.join('; ') : 'membership unchanged';
}

/**
 * The counters of one Group, fed by its events. Durations use a monotonic clock; timestamps are epoch ms.
 * Everything is bounded: VIEW_HISTORY views, MAX_SAMPLES rate samples.
 */
export class GroupCounters {
  delivered = 0;
  sent = 0;
  viewChanges = 0;
  excluded = 0;
  rejoins = 0;
  minorityReports = 0;
  minority = false;
  lastFlushMs: number | null = null;
  orderedSeq = 0;
  /** Messages ordered since the start, summed over incarnations (the seq restarts at a rejoin's cut). */
  orderedTotal = 0;
  readonly history: ViewRecord[] = [];
  private readonly samples: RateSample[] = [];
  private blockedAt: number | null = null;
  private rejoining = false;
  private firstOfIncarnation = true;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A new incarnation starts (after an exclusion when `rejoin`). */
  incarnation(rejoin: boolean): void {
    this.firstOfIncarnation = true;
    this.rejoining = rejoin;
    this.blockedAt = null;
    if (rejoin) this.rejoins++;
  }

  block(): void {
    this.blockedAt ??= this.now();
  }

  /** A view was installed; returns its record (with the flush duration and the reason). */
  install(self: MemberId, view: { id: number; members: readonly MemberId[] }, joined: readonly MemberId[], left: readonly MemberId[], leavers: readonly MemberId[]): ViewRecord {
    const flushMs = this.blockedAt === null ? null : Math.round((this.now() - this.blockedAt) * 10) / 10;
    this.blockedAt = null;
    if (flushMs !== null) this.lastFlushMs = flushMs;
    this.viewChanges++;
    this.minority = false;
    const first = this.firstOfIncarnation;
    const base = {
      id: view.id,
      members: [...view.members],
      joined: first ? [] : [...joined],
      left: first ? [] : left.filter((m) => leavers.includes(m)),
      failed: first ? [] : left.filter((m) => !leavers.includes(m)),
      self,
    };
    const record: ViewRecord = { ...base, reason: describeChange(base, first, this.rejoining), at: Date.now(), flushMs };
    this.firstOfIncarnation = false;
    this.rejoining = false;
    this.history.push(record);
    if (this.history.length > VIEW_HISTORY) this.history.shift();
    return record;
  }

  /** Called every tick; keeps one sample per SAMPLE_MS. */
  sample(orderedSeq: number): void {
    if (orderedSeq > this.orderedSeq) this.orderedTotal += orderedSeq - this.orderedSeq;
    this.orderedSeq = orderedSeq;
    const t = Date.now();
    const last = this.samples[this.samples.length - 1];
    if (last && t - last.t < SAMPLE_MS) return;
    this.samples.push({ t, delivered: this.delivered, sent: this.sent, ordered: this.orderedTotal });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  /** The rate samples, oldest first (a copy). */
  series(): RateSample[] {
    return this.samples.slice();
  }

  rates(): GroupRates {
    const t = Date.now();
    let from: RateSample | undefined;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      from = this.samples[i];
      if (t - from!.t >= RATE_WINDOW_MS) break;
    }
    if (!from || t - from.t < 500) return { delivered: 0, sent: 0, ordered: 0 };
    const dt = (t - from.t) / 1000;
    const r = (x: number): number => Math.round(x * 10) / 10;
    return { delivered: r((this.delivered - from.delivered) / dt), sent: r((this.sent - from.sent) / dt), ordered: r((this.orderedTotal - from.ordered) / dt) };
  }

  /** The stats of a group from these counters and, when it has a running incarnation, its core's figures. */
  stats(group: string, state: GroupStats['state'], core: CoreFigures | null): GroupStats {
    const view = core?.view ?? null;
    return {
      group,
      memberId: core?.id ?? null,
      state,
      primary: state === 'member' && view !== null && !this.minority,
      blocked: core?.blocked ?? false,
      minority: this.minority,
      view: view && core
        ? {
            id: view.id,
            coordinator: view.members[0]!,
            members: view.members.map((m, i) => ({ id: m, node: nodeOf(m), coordinator: i === 0, self: m === core.id, suspected: core.suspected.includes(m) })),
          }
        : null,
      counts: { delivered: this.delivered, sent: this.sent, deliveredSeq: core?.deliveredSeq ?? 0, orderedSeq: core?.receivedSeq ?? 0 },
      rates: this.rates(),
      sendWindow: {
        messages: core?.pendingSends ?? 0,
        bytes: core?.pendingSendBytes ?? 0,
        maxMessages: core?.maxPendingSends ?? 0,
        maxBytes: core?.maxPendingBytes ?? 0,
      },
      log: { messages: core?.logMessages ?? 0, bytes: core?.logBytes ?? 0, stableSeq: core?.stableSeq ?? 0, commitSeq: core?.commitSeq ?? 0 },
      viewChanges: this.viewChanges,
      lastFlushMs: this.lastFlushMs,
      excluded: this.excluded,
      rejoins: this.rejoins,
      minorityReports: this.minorityReports,
      rejectedFrames: { ...(core?.rejectedFrames ?? {}) } as Record<string, number>,
      history: this.history.slice(),
    };
  }
}
