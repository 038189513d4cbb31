import { describe, expect, it } from 'vitest';
import { makeBallot } from '../../src/core/ballot.js';
import { resolveConfig } from '../../src/core/config.js';
import type { CoreEvent } from '../../src/core/events.js';
import {
  announce, confirmedJoiners, type FlushLeaderHost, lead, onAccepted, onFrameWhileAnnouncing, onPromise, onReject,
  progressAttempt, watchMinority,
} from '../../src/core/flush-leader.js';
import type { Accepted, Decision, Frame } from '../../src/core/frames.js';
import type { MemberId, View } from '../../src/core/types.js';
import { ViewState } from '../../src/core/view-state.js';
import { expectOk, TestCluster } from '../helpers/cluster.js';

/**
 * A member as the flush leader sees it: the state is plain fields the test sets, and what the part does through
 * the host (frames, events, the decision it applies, distrust) is recorded in order.
 */
class FakeHost implements FlushLeaderHost {
  readonly cfg = resolveConfig({});
  now = 100;
  view: View;
  current = new ViewState(0, false, 0, new Set());
  readonly pendingJoins = new Map<MemberId, { confirmed: boolean }>();
  readonly pendingLeaves = new Set<MemberId>();
  /** Members this member does not count as live (suspected or distrusted). */
  readonly down = new Set<MemberId>();
  leader: MemberId;
  randoms: number[] = [];
  readonly frames: Array<{ to: MemberId[]; frame: Frame }> = [];
  readonly events: CoreEvent[] = [];
  readonly applied: Decision[] = [];
  readonly distrusted = new Map<MemberId, number>();

  constructor(readonly id: MemberId, members: string, viewId = 4) {
    this.view = { id: viewId, members: members.split(' ') };
    this.leader = id;
  }
  get rank(): number {
    return this.view.members.indexOf(this.id);
  }
  isLive(m: MemberId): boolean {
    return !this.down.has(m);
  }
  leaderCandidate(): MemberId {
    return this.leader;
  }
  survivors(): MemberId[] {
    return this.view.members.filter((m) => m === this.id || this.isLive(m));
  }
  distrust(m: MemberId, until: number): void {
    this.distrusted.set(m, until);
  }
  random(): number {
    return this.randoms.shift() ?? 0;
  }
  emit(event: CoreEvent): void {
    this.events.push(event);
  }
  sendTo(to: MemberId[], frame: Frame): void {
    this.frames.push({ to, frame });
  }
  applyDecision(d: Decision): void {
    this.applied.push(d);
  }
  /** The frames sent so far as `type→to,to`, and forgets them. */
  sent(): string[] {
    const out = this.frames.map((f) => `${f.frame.t}→${f.to.join(',')}`);
    this.frames.length = 0;
    return out;
  }
}

/** A leader `a` of `members` that started its attempt (prepare phase); `down`: members it does not count as live. */
function preparing(members: string, opts: { down?: string; leaves?: string; joins?: string } = {}): FakeHost {
  const h = new FakeHost('a', members);
  for (const m of (opts.down ?? '').split(' ').filter(Boolean)) h.down.add(m);
  for (const m of (opts.leaves ?? '').split(' ').filter(Boolean)) h.pendingLeaves.add(m);
  for (const m of (opts.joins ?? '').split(' ').filter(Boolean)) h.pendingJoins.set(m, { confirmed: true });
  h.current.frozen = true; // Frozen members start at once (no batching), which keeps the rows short.
  lead(h);
  return h;
}

/** Every survivor of `h`'s attempt promises, with `received` from the table (default 10) and nothing accepted. */
function promiseAll(h: FakeHost, received: Record<string, number> = {}, accepted: Record<string, Accepted> = {}): void {
  const a = h.current.attempt!;
  for (const m of a.survivors) onPromise(h, m, a.ballot, received[m] ?? 10, accepted[m] ?? null);
}

describe('lead: when a flush starts, and whom it asks', () => {
  // Each row: the view, who is down, pending leaves and joins, and the frames the first `lead` sends.
  const rows: Array<{ name: string; members: string; down?: string; leaves?: string; joins?: string; frozen?: boolean; want: string[] }> = [
    { name: 'nothing to change: no attempt', members: 'a b c', frozen: false, want: [] },
    { name: 'a suspected member: prepare to the others, itself included', members: 'a b c', down: 'c', frozen: false, want: ['prepare→a,b'] },
    { name: 'a pending leave: prepare to everyone, the leaver included', members: 'a b c', leaves: 'c', frozen: false, want: ['prepare→a,b,c'] },
    { name: 'a confirmed joiner: prepare to the members, not the joiner', members: 'a b c', joins: 'x', frozen: false, want: ['prepare→a,b,c'] },
    { name: 'frozen by a flush whose leader gave up: prepare', members: 'a b c', frozen: true, want: ['prepare→a,b,c'] },
    { name: 'no majority reachable: no prepare', members: 'a b c', down: 'b c', frozen: false, want: [] },
  ];
  it.each(rows)('$name', (r) => {
    const h = new FakeHost('a', r.members);
    for (const m of (r.down ?? '').split(' ').filter(Boolean)) h.down.add(m);
    for (const m of (r.leaves ?? '').split(' ').filter(Boolean)) h.pendingLeaves.add(m);
    for (const m of (r.joins ?? '').split(' ').filter(Boolean)) h.pendingJoins.set(m, { confirmed: true });
    h.current.frozen = r.frozen ?? false;
    lead(h); // The first need starts the batching window...
    h.now += h.cfg.batchChangesTicks;
    lead(h); // ...and the change goes ahead once it has passed.
    expect(h.sent()).toEqual(r.want);
  });

  it('waits batchChangesTicks after the first need unless frozen', () => {
    const h = new FakeHost('a', 'a b c');
    h.down.add('c');
    lead(h);
    expect(h.current.changeSince).toBe(100);
    expect(h.sent()).toEqual([]);
    h.now += h.cfg.batchChangesTicks - 1;
    lead(h);
    expect(h.sent()).toEqual([]);
    h.now += 1;
    lead(h);
    expect(h.sent()).toEqual(['prepare→a,b']);
  });

  it('a ballot above anything promised, from this member\'s rank', () => {
    const h = new FakeHost('b', 'a b c');
    h.down.add('a');
    h.current.frozen = true;
    h.current.promised = makeBallot(3, 0);
    lead(h);
    expect(h.current.attempt!.ballot).toBe(makeBallot(4, 1));
    expect(h.frames[0]!.frame).toEqual({ t: 'prepare', view: 4, ballot: makeBallot(4, 1) });
  });

  it('only confirmed joins count as a need', () => {
    const h = new FakeHost('a', 'a b c');
    h.pendingJoins.set('x', { confirmed: false });
    h.pendingJoins.set('y', { confirmed: true });
    expect(confirmedJoiners(h)).toEqual(['y']);
    h.pendingJoins.set('y', { confirmed: false });
    lead(h);
    expect(h.current.changeSince).toBeNull();
  });

  it('drops its attempt when it is no longer the leader candidate, or a decided view is pending', () => {
    const h = preparing('a b c');
    h.leader = 'b';
    lead(h);
    expect(h.current.attempt).toBeNull();
    const g = preparing('a b c');
    g.current.installPending = { prevView: 4, view: 5, members: ['a', 'b', 'c'], leavers: [], cut: 0 };
    lead(g);
    expect(g.current.attempt).toBeNull();
    expect(g.sent()).toEqual(['prepare→a,b,c']); // Only the first attempt's prepare; nothing after.
  });
});

describe('the minority report', () => {
  it('a leader without a majority reports once per view and retries after flushRetryTicks', () => {
    const h = new FakeHost('a', 'a b c d');
    h.down.add('c');
    h.down.add('d');
    h.current.frozen = true;
    lead(h);
    expect(h.events).toEqual([{ type: 'minority', view: 4, reachable: 2, members: 4 }]);
    expect(h.current.nextAttemptAt).toBe(100 + h.cfg.flushRetryTicks);
    lead(h);
    h.now = h.current.nextAttemptAt;
    lead(h);
    watchMinority(h);
    expect(h.events).toHaveLength(1);
    expect(h.sent()).toEqual([]);
  });

  // Each row: the view, who is down, and whether a member (leader or not) reports a minority.
  const rows: Array<{ members: string; down: string; report: boolean }> = [
    { members: 'a b c', down: 'c', report: false },
    { members: 'a b c', down: 'b c', report: true },
    { members: 'a b c d', down: 'd', report: false },
    { members: 'a b c d', down: 'c d', report: true },
    { members: 'a', down: '', report: false },
  ];
  it.each(rows)('$members with $down down: reported $report', (r) => {
    const h = new FakeHost('a', r.members);
    for (const m of r.down.split(' ').filter(Boolean)) h.down.add(m);
    watchMinority(h);
    watchMinority(h);
    expect(h.events.length).toBe(r.report ? 1 : 0);
  });
});

describe('onPromise: the accept phase', () => {
  // Each row: the view and who is down or leaving, the logs the promises report, and the acc sent.
  const rows: Array<{
    name: string; members: string; down?: string; leaves?: string; joins?: string; received?: Record<string, number>;
    want: { to: string; members: string[]; leavers: string[]; cut: number; source: string };
  }> = [
    { name: 'everyone promised: acc to the survivors, cut at the longest log', members: 'a b c', down: 'c', received: { b: 12 },
      want: { to: 'a,b', members: ['a', 'b'], leavers: [], cut: 12, source: 'b' } },
    { name: 'a leaver is asked to accept but is not in the next view', members: 'a b c', leaves: 'c',
      want: { to: 'a,b,c', members: ['a', 'b'], leavers: ['c'], cut: 10, source: 'a' } },
    { name: 'the leader itself leaves', members: 'a b c', leaves: 'a',
      want: { to: 'a,b,c', members: ['b', 'c'], leavers: ['a'], cut: 10, source: 'a' } },
    { name: 'a confirmed joiner comes in at the end, not asked', members: 'a b c', joins: 'x',
      want: { to: 'a,b,c', members: ['a', 'b', 'c', 'x'], leavers: [], cut: 10, source: 'a' } },
  ];
  it.each(rows)('$name', (r) => {
    const h = preparing(r.members, r);
    h.sent();
    promiseAll(h, r.received);
    expect(h.frames).toHaveLength(1);
    const f = h.frames[0]!;
    expect(f.frame.t).toBe('accept');
    if (f.frame.t !== 'accept') return;
    expect({ to: f.to.join(','), members: f.frame.decision.members, leavers: f.frame.decision.leavers, cut: f.frame.decision.cut, source: f.frame.source })
      .toEqual(r.want);
    expect(f.frame.decision).toMatchObject({ prevView: 4, view: 5 });
  });

  it('an accepted value is proposed again', () => {
    const h = preparing('a b c');
    h.sent();
    const adopted: Decision = { prevView: 4, view: 5, members: ['b', 'c'], leavers: [], cut: 7 };
    promiseAll(h, {}, { c: { ballot: 5, decision: adopted } });
    expect(h.frames[0]!.frame).toMatchObject({ t: 'accept', decision: adopted, source: 'a' });
  });

  // Each row: a promise the leader must ignore (no acc, however many arrive).
  const ignored: Array<{ name: string; from: string; ballotDelta: number }> = [
    { name: 'from a member outside the survivors', from: 'd', ballotDelta: 0 },
    { name: 'for another ballot', from: 'c', ballotDelta: 1 },
  ];
  it.each(ignored)('ignores a promise $name', (r) => {
    const h = preparing('a b c d', { down: 'd' });
    h.sent();
    const ballot = h.current.attempt!.ballot;
    onPromise(h, 'a', ballot, 1, null);
    onPromise(h, 'b', ballot, 1, null);
    onPromise(h, r.from, ballot + r.ballotDelta, 1, null);
    expect(h.sent()).toEqual([]);
    expect(h.current.attempt!.phase).toBe('prepare');
  });

  it('counts a repeated promise once', () => {
    const h = preparing('a b c');
    h.sent();
    const ballot = h.current.attempt!.ballot;
    onPromise(h, 'a', ballot, 1, null);
    onPromise(h, 'b', ballot, 1, null);
    onPromise(h, 'b', ballot, 1, null);
    expect(h.sent()).toEqual([]);
    onPromise(h, 'c', ballot, 1, null);
    expect(h.sent()).toEqual(['accept→a,b,c']);
  });

  it('a promise in the accept phase is a keepalive: it moves lastProgressAt, sends nothing', () => {
    const h = preparing('a b c');
    promiseAll(h);
    h.sent();
    h.now += 30;
    onPromise(h, 'b', h.current.attempt!.ballot, 3, null);
    expect(h.current.attempt!.lastProgressAt).toBe(130);
    expect(h.sent()).toEqual([]);
  });
});

describe('progressAttempt: resends, silence and failures', () => {
  it('resends prep every flushRetryTicks to those awaited only', () => {
    const h = preparing('a b c');
    h.sent();
    onPromise(h, 'a', h.current.attempt!.ballot, 1, null);
    h.now += h.cfg.flushRetryTicks - 1;
    progressAttempt(h);
    expect(h.sent()).toEqual([]);
    h.now += 1;
    progressAttempt(h);
    expect(h.sent()).toEqual(['prepare→b,c']);
  });

  it('resends acc to those that have not accepted', () => {
    const h = preparing('a b c');
    promiseAll(h);
    onAccepted(h, 'b', h.current.attempt!.ballot);
    h.sent();
    h.now += h.cfg.flushRetryTicks;
    progressAttempt(h);
    expect(h.sent()).toEqual(['accept→a,c']);
  });

  it('after flushTimeoutTicks of silence, distrusts whoever is awaited (not itself) and drops the attempt', () => {
    const h = preparing('a b c');
    onPromise(h, 'b', h.current.attempt!.ballot, 1, null);
    h.now += h.cfg.flushTimeoutTicks;
    progressAttempt(h);
    expect([...h.distrusted]).toEqual([['c', h.now + 4 * h.cfg.flushTimeoutTicks]]);
    expect(h.current.attempt).toBeNull();
  });

  it('a survivor that became suspected drops the attempt', () => {
    const h = preparing('a b c');
    h.down.add('b');
    progressAttempt(h);
    expect(h.current.attempt).toBeNull();
  });
});

describe('onReject: the random back-off', () => {
  // Each row: the random draw and the tick of the next attempt (from now = 100, flushRetryTicks = 5).
  const rows: Array<{ random: number; next: number }> = [
    { random: 0, next: 101 },
    { random: 0.5, next: 111 },
    { random: 0.999, next: 120 },
  ];
  it.each(rows)('random $random: next attempt at $next', (r) => {
    const h = preparing('a b c');
    h.randoms = [r.random];
    const higher = h.current.attempt!.ballot + 1024;
    onReject(h, higher);
    expect(h.current.attempt).toBeNull();
    expect(h.current.round).toBe(2);
    expect(h.current.nextAttemptAt).toBe(r.next);
    expect(r.next).toBeGreaterThanOrEqual(h.now + 1);
    expect(r.next).toBeLessThanOrEqual(h.now + 4 * h.cfg.flushRetryTicks);
  });

  it('ignores a ballot not above its own, and draws no random number', () => {
    const h = preparing('a b c');
    h.randoms = [0.5];
    onReject(h, h.current.attempt!.ballot);
    expect(h.current.attempt).not.toBeNull();
    expect(h.randoms).toEqual([0.5]);
  });
});

describe('onAccepted: the decision and its nv', () => {
  // Each row: the view, who is down or leaving, and to whom the nv goes once every survivor accepted.
  const rows: Array<{ name: string; members: string; down?: string; leaves?: string; to: string }> = [
    { name: 'to the next view\'s members, not to itself', members: 'a b c', to: 'b,c' },
    { name: 'a leaver gets it too', members: 'a b c', leaves: 'c', to: 'b,c' },
    { name: 'a suspected member is not told', members: 'a b c', down: 'c', to: 'b' },
    { name: 'a dissolving group tells every member of the view, suspected ones too', members: 'a b c', down: 'c', leaves: 'a b', to: 'b,c' },
  ];
  it.each(rows)('$name', (r) => {
    const h = preparing(r.members, r);
    promiseAll(h);
    h.sent();
    const a = h.current.attempt!;
    for (const m of a.survivors) onAccepted(h, m, a.ballot);
    expect(h.sent()).toEqual([`newView→${r.to}`]);
    expect(h.current.attempt).toBeNull();
    expect(h.applied).toEqual([a.decision]);
  });

  it('counts each survivor once and ignores other ballots', () => {
    const h = preparing('a b c');
    promiseAll(h);
    h.sent();
    const ballot = h.current.attempt!.ballot;
    onAccepted(h, 'a', ballot);
    onAccepted(h, 'a', ballot);
    onAccepted(h, 'b', ballot + 1);
    onAccepted(h, 'b', ballot);
    expect(h.applied).toEqual([]);
    onAccepted(h, 'c', ballot);
    expect(h.applied).toHaveLength(1);
  });
});

/** A leader `a` of `members` whose flush decided `leaves` out of the next view: every survivor accepted. */
function decided(members: string, leaves: string): FakeHost {
  const h = preparing(members, { leaves });
  promiseAll(h);
  const a = h.current.attempt!;
  for (const m of a.survivors) onAccepted(h, m, a.ballot);
  return h;
}

describe('a leader decided out of its next view announces it before it goes (§11 Q13)', () => {
  it('sends the nv but neither applies it nor goes: it announces, frozen', () => {
    const h = decided('a b c d', 'a');
    expect(h.sent()).toEqual(['prepare→a,b,c,d', 'accept→a,b,c,d', 'newView→b,c,d']);
    expect(h.applied).toEqual([]);
    expect(h.current.announce).toMatchObject({ since: 100, lastSendAt: 100 });
    expect(h.current.announce!.decision).toMatchObject({ members: ['b', 'c', 'd'], leavers: ['a'] });
  });

  it('a leader that stays, or a group that dissolves, applies its decision at once', () => {
    const stays = decided('a b c', 'c');
    expect(stays.applied).toHaveLength(1);
    expect(stays.current.announce).toBeNull();
    const dissolves = decided('a b', 'a b');
    expect(dissolves.applied).toHaveLength(1);
    expect(dissolves.current.announce).toBeNull();
  });

  it('resends the nv every flushRetryTicks to the new view\'s members not heard from in it', () => {
    const h = decided('a b c d', 'a');
    h.sent();
    h.now += h.cfg.flushRetryTicks - 1;
    announce(h);
    expect(h.sent()).toEqual([]);
    h.now += 1;
    onFrameWhileAnnouncing(h, 'c', { t: 'newView', view: 5, decision: h.current.announce!.decision });
    announce(h);
    expect(h.sent()).toEqual(['newView→b,d']);
    expect(h.applied).toEqual([]);
  });

  it('applies the decision (to leave) once a majority of the new view confirmed it', () => {
    const h = decided('a b c d', 'a');
    const d = h.current.announce!.decision;
    onFrameWhileAnnouncing(h, 'b', { t: 'heartbeat', view: 5, promised: 0 });
    announce(h);
    expect(h.applied).toEqual([]);
    onFrameWhileAnnouncing(h, 'c', { t: 'exclude', view: 6 });
    announce(h);
    expect(h.applied).toEqual([d]);
    expect(h.current.announce).toBeNull();
  });

  it('applies it after flushTimeoutTicks without confirmations', () => {
    const h = decided('a b c d', 'a');
    h.now += h.cfg.flushTimeoutTicks - 1;
    announce(h);
    expect(h.applied).toEqual([]);
    h.now += 1;
    announce(h);
    expect(h.applied).toHaveLength(1);
  });

  // Each row: a frame reaching the announcing leader `a` (old view 4, new view 5 = b c d), whether the member
  // handles it, what the leader answers, and whether it confirms the sender.
  const rows: Array<{ name: string; from: string; frame: Frame; handled: boolean; sent: string[]; confirms: boolean }> = [
    { name: 'any frame of the new view from its member confirms', from: 'b', frame: { t: 'heartbeat', view: 5, promised: 0 }, handled: false, sent: [], confirms: true },
    { name: 'a frame of the old view does not', from: 'b', frame: { t: 'heartbeat', view: 4, promised: 0 }, handled: false, sent: [], confirms: false },
    { name: 'nor one from outside the new view', from: 'x', frame: { t: 'heartbeat', view: 5, promised: 0 }, handled: false, sent: [], confirms: false },
    { name: 'a prepare of the old view gets the nv', from: 'c', frame: { t: 'prepare', view: 4, ballot: 3000 }, handled: false, sent: ['newView→c'], confirms: false },
    { name: 'a fetch goes on to the member (it may hold what the new view needs)', from: 'd', frame: { t: 'fetch', view: 4, from: 1, to: 9 }, handled: true, sent: [], confirms: false },
    { name: 'a join is dropped', from: 'x', frame: { t: 'join', view: 0, joiner: 'x' }, handled: false, sent: [], confirms: false },
  ];
  it.each(rows)('$name', (r) => {
    const h = decided('a b c d', 'a');
    h.sent();
    expect(onFrameWhileAnnouncing(h, r.from, r.frame)).toBe(r.handled);
    expect(h.sent()).toEqual(r.sent);
    expect(h.current.announce!.confirmed.has(r.from)).toBe(r.confirms);
  });
});

describe('a leaving leader whose nv is lost (the members, seed 1904 in small)', () => {
  it('resends it: the new view\'s live members install it although one of them crashed, then the leader leaves', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1', 'd#1']);
    for (const id of ['a#1', 'b#1']) c.send(id);
    c.tick(3);
    // d accepts and crashes; the leader's first nv to b and c is lost. b and c are 2 of view 1's 4 members: without
    // the resend they could neither install view 2 nor start a flush of their own.
    c.onFrame = (from, _to, f) => {
      if (from === 'd#1' && f.t === 'accepted') c.crash('d#1');
    };
    const lost = new Set<string>();
    c.filter = (from, to, f) => {
      if (from !== 'a#1' || f.t !== 'newView' || lost.has(to)) return true;
      lost.add(to);
      return false;
    };
    c.leave('a#1');
    c.until(() => c.member('b#1').currentView!.id >= 2 && c.member('c#1').currentView!.id >= 2, 500, 'b and c to install view 2');
    expect([...lost].sort()).toEqual(['b#1', 'c#1']);
    expect(c.member('b#1').currentView!.members).toContain('b#1');
    c.until(() => c.events('a#1').at(-1)?.type === 'left', 500, 'the leader to leave');
    const a = c.events('a#1');
    expect(a.filter((e) => e.type === 'deliver')).toHaveLength(2);
    c.filter = null;
    c.onFrame = null;
    c.until(() => c.member('b#1').isQuiescent && c.member('b#1').currentView!.members.length === 2, 1000, 'b and c alone');
    expectOk(c.finish());
  });

  it('goes after flushTimeoutTicks if nobody of the new view answers', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1']);
    c.leave('a#1');
    let decidedAt = -1;
    let ticks = 0;
    c.onFrame = (from, to, f) => {
      if (from === 'a#1' && f.t === 'newView' && decidedAt < 0) decidedAt = ticks;
      if (from === 'a#1' && f.t === 'newView') c.cutOneWay('b#1', 'a#1'); // The new view hears it; it never hears back.
      if (from === 'a#1' && f.t === 'newView') c.cutOneWay('c#1', 'a#1');
    };
    c.until(() => {
      ticks++;
      return c.events('a#1').at(-1)?.type === 'left';
    }, 500, 'the leader to leave');
    expect(ticks - decidedAt).toBeGreaterThanOrEqual(c.member('b#1').cfg.flushTimeoutTicks);
    expect(c.member('b#1').currentView!.members).toEqual(['b#1', 'c#1']);
    c.heal();
    c.onFrame = null;
    expectOk(c.finish());
  });
});
