import type {
  DeliverEvent,
  InstallEvent,
  MemberTrace,
  SendEvent,
  StateEvent,
  TraceEvent,
  ViewInfo,
} from './trace-types.js';
import { parseEvent } from './parse-event.js';

/**
 * The stretch of one member's trace from installing a view up to (not including) its next install. Grouping by
 * position rather than by the lines' own `view` fields is what virtual synchrony is about ("delivered while in
 * V"); a line whose field disagrees with its position is reported as a format problem.
 */
export interface Segment {
  /** Position among this member's installs. */
  readonly index: number;
  readonly install: InstallEvent;
  readonly view: ViewInfo;
  /** Where this segment's deliveries start in the member's `deliveries` (and `deliveryMsg`, `repeat`). */
  readonly deliveryFrom: number;
  readonly deliveries: DeliverEvent[];
  readonly sends: SendEvent[];
  readonly states: StateEvent[];
}

export interface MemberIndex {
  /** Position in TraceIndex.members, for per-member arrays. */
  readonly ordinal: number;
  readonly me: string;
  readonly file: string;
  readonly segments: Segment[];
  /** Every deliver line, in trace order. */
  readonly deliveries: DeliverEvent[];
  /** For each delivery, its message's number in TraceIndex.msgs (interned once, so checks avoid string maps). */
  readonly deliveryMsg: number[];
  /** For each delivery, whether this member had delivered the same message before. */
  readonly repeat: boolean[];
  /** Every send line, in trace order. */
  readonly sends: SendEvent[];
  /** Send lines grouped by their own `view` field, each group in trace order. */
  readonly sendsByView: Map<number, SendEvent[]>;
  /** Group events logged before the member installed any view. */
  readonly beforeInstall: TraceEvent[];
  /** Known events logged after the first `leave`/`end` (an `end` right after `leave` is fine and not listed). */
  readonly afterExit: TraceEvent[];
  /** Events of an in-memory trace that the reader would have rejected (they are left out of the index). */
  readonly problems: string[];
  readonly left: boolean;
  /** Id of the last view installed before `leave`, if the member left after installing something. */
  readonly leftAfterView: number | undefined;
  /** The last known event is `end` and the member did not leave: it stayed in the group to the end. */
  readonly endedCleanly: boolean;
}

export interface SendRef {
  readonly me: string;
  readonly event: SendEvent;
}

/** Everything known about one message id across the run. */
export interface MsgRecord {
  readonly n: number;
  readonly id: string;
  /** Every send line of it, by trace and then in trace order (one sender in a well-formed run). */
  readonly sends: SendRef[];
  /** The member of the first send line, if any. */
  sender: MemberIndex | undefined;
  /** The sender's last send line: the view the message belongs to. */
  lastSend: SendRef | undefined;
}

export interface ViewRecord {
  readonly id: number;
  /** The member list of the first install of this id met while indexing. */
  readonly members: readonly string[];
  readonly firstInstalledBy: string;
}

export interface TraceStats {
  traces: number;
  members: number;
  views: number;
  sends: number;
  deliveries: number;
  tornLines: number;
}

export interface TraceIndex {
  readonly traces: readonly MemberTrace[];
  /** One per distinct member id; a second file with the same id is left out (and reported). */
  readonly members: MemberIndex[];
  readonly byMe: Map<string, MemberIndex>;
  readonly views: Map<number, ViewRecord>;
  /** All distinct view ids, ascending. */
  readonly viewIds: number[];
  /** Every message id met in a send or deliver line; `msgs[n].n === n`. */
  readonly msgs: MsgRecord[];
  readonly msgById: Map<string, MsgRecord>;
  /** prev view id -> next view id -> first member seen installing next right after prev. */
  readonly successions: Map<number, Map<number, string>>;
  readonly stats: TraceStats;
}

/** One pass over all events; every property then runs in about linear time on what this holds. */
export function indexTraces(traces: readonly MemberTrace[]): TraceIndex {
  const members: MemberIndex[] = [];
  const byMe = new Map<string, MemberIndex>();
  const views = new Map<number, ViewRecord>();
  const successions = new Map<number, Map<number, string>>();
  const msgs: MsgRecord[] = [];
  const msgById = new Map<string, MsgRecord>();
  const stats: TraceStats = { traces: traces.length, members: 0, views: 0, sends: 0, deliveries: 0, tornLines: 0 };

  const intern = (id: string): MsgRecord => {
    let rec = msgById.get(id);
    if (rec === undefined) {
      rec = { n: msgs.length, id, sends: [], sender: undefined, lastSend: undefined };
      msgs.push(rec);
      msgById.set(id, rec);
    }
    return rec;
  };
  // Which member last delivered each message (ordinal + 1), to spot repeats without a set per member.
  const deliveredBy: number[] = [];

  for (const trace of traces) {
    stats.tornLines += trace.tornLines ?? 0;
    if (trace.me === '' || byMe.has(trace.me)) continue;
    const m = indexMember(trace, members.length, intern, deliveredBy);
    members.push(m);
    byMe.set(m.me, m);

    let prev: number | undefined;
    for (const seg of m.segments) {
      const { id } = seg.view;
      if (!views.has(id)) views.set(id, { id, members: seg.view.members, firstInstalledBy: m.me });
      if (prev !== undefined) {
        let nexts = successions.get(prev);
        if (nexts === undefined) successions.set(prev, (nexts = new Map()));
        if (!nexts.has(id)) nexts.set(id, m.me);
      }
      prev = id;
    }
    for (const event of m.sends) {
      const rec = intern(event.msg);
      rec.sends.push({ me: m.me, event });
      if (rec.sender === undefined) rec.sender = m;
      if (rec.sender === m) rec.lastSend = rec.sends[rec.sends.length - 1];
    }
    stats.sends += m.sends.length;
    stats.deliveries += m.deliveries.length;
  }
  stats.members = members.length;
  const viewIds = [...views.keys()].sort((a, b) => a - b);
  stats.views = viewIds.length;
  return { traces, members, byMe, views, viewIds, msgs, msgById, successions, stats };
}

function indexMember(
  trace: MemberTrace,
  ordinal: number,
  intern: (id: string) => MsgRecord,
  deliveredBy: number[],
): MemberIndex {
  const segments: Segment[] = [];
  const deliveries: DeliverEvent[] = [];
  const deliveryMsg: number[] = [];
  const repeat: boolean[] = [];
  const sends: SendEvent[] = [];
  const sendsByView = new Map<number, SendEvent[]>();
  const beforeInstall: TraceEvent[] = [];
  const afterExit: TraceEvent[] = [];
  const problems: string[] = [];
  const stamp = ordinal + 1;
  let left = false;
  let leftAfterView: number | undefined;
  let exited = false;
  let lastKnown: TraceEvent | undefined;
  let current: Segment | undefined;

  for (let k = 0; k < trace.events.length; k++) {
    const raw = trace.events[k]!;
    if (raw.ev === 'other') continue;
    // In-memory traces (from the simulator) skip the reader, so every event is checked and copied here: a
    // missing field must surface as a format problem, not as a wrong verdict; and one key order per event type
    // keeps V8's field reads monomorphic (objects built with spread made every check about 5x slower).
    const parsed = parseEvent(raw, raw.line ?? k + 1);
    if (!parsed.ok) {
      problems.push(`${trace.file}:${raw.line ?? k + 1}: ${parsed.error}`);
      continue;
    }
    const event = parsed.event;
    if (event.ev === 'other') continue;
    // A process that left may still shut down cleanly; anything else after leave/end breaks the format.
    if (exited && !(event.ev === 'end' && left && lastKnown?.ev === 'leave')) afterExit.push(event);
    lastKnown = event;
    switch (event.ev) {
      case 'install':
        current = {
          index: segments.length,
          install: event,
          view: event.view,
          deliveryFrom: deliveries.length,
          deliveries: [],
          sends: [],
          states: [],
        };
        segments.push(current);
        break;
      case 'send': {
        sends.push(event);
        let group = sendsByView.get(event.view);
        if (group === undefined) sendsByView.set(event.view, (group = []));
        group.push(event);
        if (current) current.sends.push(event);
        else beforeInstall.push(event);
        break;
      }
      case 'deliver': {
        const { n } = intern(event.msg);
        while (deliveredBy.length <= n) deliveredBy.push(0);
        repeat.push(deliveredBy[n] === stamp);
        deliveredBy[n] = stamp;
        deliveries.push(event);
        deliveryMsg.push(n);
        if (current) current.deliveries.push(event);
        else beforeInstall.push(event);
        break;
      }
      case 'state':
        if (current) current.states.push(event);
        else beforeInstall.push(event);
        break;
      case 'block':
      case 'unblock':
        if (!current) beforeInstall.push(event);
        break;
      case 'leave':
        if (!exited) {
          left = true;
          leftAfterView = current?.view.id;
        }
        exited = true;
        break;
      case 'end':
        exited = true;
        break;
    }
  }
  return {
    ordinal,
    me: trace.me,
    file: trace.file,
    segments,
    deliveries,
    deliveryMsg,
    repeat,
    sends,
    sendsByView,
    beforeInstall,
    afterExit,
    problems,
    left,
    leftAfterView,
    endedCleanly: !left && lastKnown?.ev === 'end',
  };
}

