import { makeBallot, roundOf } from './ballot.js';
import type { CoreConfig } from './config.js';
import { assert } from './errors.js';
import type { CoreEvent } from './events.js';
import type { Accepted, Decision, Frame } from './frames.js';
import { chooseDecision } from './paxos-choice.js';
import type { MemberId, View } from './types.js';
import { admitJoiners, planViewChange, viewCapacity } from './view-change-plan.js';
import type { ViewState } from './view-state.js';

/**
 * What the flush leader's part needs from its member. The member owns all of this state (the attempt lives in
 * `current.attempt`); the part reads it and acts through these calls, so the member stays the one place where
 * state changes hands. The pure rules it applies are `planViewChange`/`admitJoiners` and `chooseDecision`.
 */
export interface FlushLeaderHost {
  readonly id: MemberId;
  readonly cfg: CoreConfig;
  /** The member's clock, in ticks. */
  readonly now: number;
  readonly view: View;
  readonly rank: number;
  /** The state of the current view: the attempt, `round`, `nextAttemptAt`, `changeSince`, the member side's `promised`. */
  readonly current: ViewState;
  /** Join requests this member holds as leader candidate; only confirmed ones count. */
  readonly pendingJoins: ReadonlyMap<MemberId, { readonly confirmed: boolean }>;
  readonly pendingLeaves: ReadonlySet<MemberId>;
  /** Neither suspected nor distrusted (`Liveness.isLive`). */
  isLive(m: MemberId): boolean;
  /** The member that should run the next flush, as this member sees it. */
  leaderCandidate(): MemberId;
  /** This member and every live member of the view, in rank order. */
  survivors(): MemberId[];
  /** Leaves `m` out of flushes until tick `until`. */
  distrust(m: MemberId, until: number): void;
  /** The member's injected randomness in [0, 1). */
  random(): number;
  emit(event: CoreEvent): void;
  /** Frames to this member itself are handled after the current input, never re-entrantly. */
  sendTo(to: MemberId[], frame: Frame): void;
  /** Applies a decision this leader made to the member itself, as any member applies a `newView` (`onNewView`). */
  applyDecision(d: Decision): void;
}

/** Each tick: drop the attempt unless this member should lead, go on with it, or start one if a change is needed. */
export function lead(host: FlushLeaderHost): void {
  const current = host.current;
  if (current.installPending || host.leaderCandidate() !== host.id) {
    current.attempt = null;
    return;
  }
  const view = host.view;
  if (current.attempt) {
    progressAttempt(host);
    return;
  }
  if (host.now < current.nextAttemptAt) return;
  const suspects = view.members.some((m) => m !== host.id && !host.isLive(m));
  const roomForJoins = confirmedJoiners(host).length > 0 && view.members.length < viewCapacity(host.cfg);
  const need = suspects || roomForJoins || host.pendingLeaves.size > 0 || current.frozen || current.sawFrozen;
  if (!need) {
    current.changeSince = null;
    return;
  }
  if (current.changeSince === null) current.changeSince = host.now;
  if (!current.frozen && host.now - current.changeSince < host.cfg.batchChangesTicks) return;
  startAttempt(host);
}

/** The join requests whose joiner answered this member's ping, in the order the requests first arrived. */
export function confirmedJoiners(host: FlushLeaderHost): MemberId[] {
  const out: MemberId[] = [];
  for (const [j, p] of host.pendingJoins) if (p.confirmed) out.push(j);
  return out;
}

/** Reports once per view that this member cannot reach a majority of it: no view change can start from here. */
export function reportMinority(host: FlushLeaderHost, reachable: number): void {
  if (host.current.minorityReported) return;
  host.current.minorityReported = true;
  host.emit({ type: 'minority', view: host.view.id, reachable, members: host.view.members.length });
}

/** Each tick, at every member: a member that no longer reaches a majority of its view says so. */
export function watchMinority(host: FlushLeaderHost): void {
  if (host.current.minorityReported) return;
  const reachable = host.survivors().length;
  if (2 * reachable <= host.view.members.length) reportMinority(host, reachable);
}

/** Fixes survivors and leavers, checks for a primary component, and sends `prepare` with a fresh ballot. */
export function startAttempt(host: FlushLeaderHost): void {
  const view = host.view;
  const current = host.current;
  const survivors = host.survivors();
  const { leavers, joiners, primary } = planViewChange(view, survivors, confirmedJoiners(host), host.pendingLeaves, host.cfg);
  if (!primary) {
    reportMinority(host, survivors.length);
    current.nextAttemptAt = host.now + host.cfg.flushRetryTicks;
    return;
  }
  current.round = Math.max(current.round, roundOf(current.promised)) + 1;
  const ballot = makeBallot(current.round, host.rank);
  current.attempt = {
    ballot, survivors, leavers, joiners, phase: 'prepare', promises: new Map(), acks: new Set(),
    decision: null, source: null, lastProgressAt: host.now, lastSendAt: host.now,
  };
  host.sendTo(survivors, { t: 'prepare', view: view.id, ballot });
}

/** Each tick of an attempt: start over on a new failure or on silence, otherwise resend to whoever is awaited. */
export function progressAttempt(host: FlushLeaderHost): void {
  const current = host.current;
  const a = current.attempt!;
  if (a.survivors.some((m) => m !== host.id && !host.isLive(m))) {
    current.attempt = null; // Someone else failed: start over with the smaller set.
    return;
  }
  const waiting = a.survivors.filter((m) => (a.phase === 'prepare' ? !a.promises.has(m) : !a.acks.has(m)));
  if (host.now - a.lastProgressAt >= host.cfg.flushTimeoutTicks) {
    // Alive but not answering (a one-way cut, say): leave them out for a while and start over.
    for (const m of waiting) if (m !== host.id) host.distrust(m, host.now + 4 * host.cfg.flushTimeoutTicks);
    current.attempt = null;
    return;
  }
  if (host.now - a.lastSendAt >= host.cfg.flushRetryTicks && waiting.length > 0) {
    a.lastSendAt = host.now;
    const view = host.view;
    if (a.phase === 'prepare') host.sendTo(waiting, { t: 'prepare', view: view.id, ballot: a.ballot });
    else host.sendTo(waiting, { t: 'accept', view: view.id, ballot: a.ballot, decision: a.decision!, source: a.source! });
  }
}

/** A survivor's `promise`: once every survivor promised, choose the value (`chooseDecision`) and send `accept`. */
export function onPromise(host: FlushLeaderHost, from: MemberId, ballot: number, received: number, accepted: Accepted | null): void {
  const a = host.current.attempt;
  if (a && a.phase === 'accept' && a.ballot === ballot && a.survivors.includes(from)) {
    // A survivor still catching up (messages or its joining state) says it is working: not a silent one.
    a.lastProgressAt = host.now;
    return;
  }
  if (!a || a.phase !== 'prepare' || a.ballot !== ballot || !a.survivors.includes(from) || a.promises.has(from)) return;
  a.promises.set(from, { received, accepted });
  a.lastProgressAt = host.now;
  if (a.promises.size < a.survivors.length) return;

  const view = host.view;
  // Joiners are not acceptors, so those whose requests arrived during the prepare phase can still come in now
  // rather than wait for a whole further flush (unless the group dissolves: then nobody could admit them).
  const stay = a.survivors.length - a.leavers.length;
  const joiners = stay > 0 ? admitJoiners(view, confirmedJoiners(host), a.survivors.length, stay, host.cfg) : a.joiners;
  // A value some majority may already have accepted must be proposed again (Paxos), or two views could follow this one.
  const { decision, source, longest } = chooseDecision(a.promises, host.id, {
    prevView: view.id,
    view: view.id + 1,
    members: [...a.survivors.filter((m) => !a.leavers.includes(m)), ...joiners],
    leavers: a.leavers,
  });
  assert(decision.cut <= longest, () => `adopted cut ${decision.cut} above every survivor's log (${longest})`);
  a.phase = 'accept';
  a.decision = decision;
  a.source = source;
  a.lastSendAt = host.now;
  host.sendTo(a.survivors, { t: 'accept', view: view.id, ballot, decision, source });
}

/** A higher ballot is about: give up this attempt and back off for a random while. */
export function onReject(host: FlushLeaderHost, ballot: number): void {
  const current = host.current;
  if (!current.attempt || ballot <= current.attempt.ballot) return;
  current.round = Math.max(current.round, roundOf(ballot));
  current.attempt = null;
  // Random back-off, so that two leaders that both think they lead do not duel forever.
  current.nextAttemptAt = host.now + 1 + Math.floor(host.random() * 4 * host.cfg.flushRetryTicks);
}

/** A survivor's `accepted`: once every survivor accepted, the value is decided: send `newView` and apply it here. */
export function onAccepted(host: FlushLeaderHost, from: MemberId, ballot: number): void {
  const a = host.current.attempt;
  if (!a || a.phase !== 'accept' || a.ballot !== ballot || !a.survivors.includes(from) || a.acks.has(from)) return;
  a.acks.add(from);
  a.lastProgressAt = host.now;
  if (a.acks.size < a.survivors.length) return;
  const d = a.decision!;
  host.current.attempt = null;
  const to = new Set([...d.members, ...d.leavers, ...a.survivors]);
  // The group dissolves: nobody will be left to answer the members that were not survivors (suspected, or a
  // joiner still loading its state), so tell them now that they are out (§11 Q5). Best effort.
  if (d.members.length === 0) for (const m of host.view.members) to.add(m);
  to.delete(host.id);
  host.sendTo([...to], { t: 'newView', view: host.view.id, decision: d });
  if (d.members.length > 0 && !d.members.includes(host.id)) {
    // Out of the view it decided (it leaves, or an adopted value excludes it): once gone it answers nobody, and if
    // this nv is lost the new view's members cannot tell that the value they accepted was decided (§11 Q13).
    host.current.announce = { decision: d, confirmed: new Set(), since: host.now, lastSendAt: host.now };
    return;
  }
  host.applyDecision(d);
}

/**
 * Each tick while announcing: once a majority of the new view has the decision, or after a flush timeout, apply it
 * (deliver up to the cut and go `left`, or go `excluded`); until then resend the `newView` every `flushRetryTicks` to
 * the new view's members not yet heard from in it. Frozen since its own prepare: it delivers and emits nothing.
 */
export function announce(host: FlushLeaderHost): void {
  const an = host.current.announce!;
  const d = an.decision;
  assert(host.current.frozen, () => `${host.id}: announcing view ${d.view} while not frozen`);
  if (2 * an.confirmed.size > d.members.length || host.now - an.since >= host.cfg.flushTimeoutTicks) {
    host.current.announce = null;
    host.applyDecision(d);
    return;
  }
  if (host.now - an.lastSendAt < host.cfg.flushRetryTicks) return;
  an.lastSendAt = host.now;
  host.sendTo(d.members.filter((m) => !an.confirmed.has(m)), { t: 'newView', view: host.view.id, decision: d });
}

/**
 * A frame that reaches a member while it announces its decision. A member of the new view that sends anything
 * stamped with that view or later has it (a stale `newView` is answered through `helpStale`); a `prepare` or `accept` of the
 * old view comes from a member that missed it, and gets the `newView`. Only fetches go on to the member (it may hold
 * messages below the cut that the new view's members still need); everything else is dropped. Returns true when
 * the member should handle the frame.
 */
export function onFrameWhileAnnouncing(host: FlushLeaderHost, from: MemberId, f: Frame): boolean {
  const an = host.current.announce!;
  const d = an.decision;
  if (f.view >= d.view && d.members.includes(from)) an.confirmed.add(from);
  if ((f.t === 'prepare' || f.t === 'accept') && f.view === host.view.id) {
    host.sendTo([from], { t: 'newView', view: host.view.id, decision: d });
    return false;
  }
  return f.t === 'fetch';
}
