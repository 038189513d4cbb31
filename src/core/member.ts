import { RANKS, roundOf } from './ballot.js';
import { type CoreConfig, resolveConfig } from './config.js';
import { checkKindCode, deliverableUpTo, type KindCode } from './delivery-kinds.js';
import { assert, CoreErrorCodes, VsyncError } from './errors.js';
import type { CoreEvent, ExcludedReason, Outgoing, Ready } from './events.js';
import { Liveness } from './liveness.js';
import { InvariantWatch } from './member-invariants.js';
import { MAX_FRAME_ENTRIES } from './frame-limits.js';
import {
  acceptedOk, ackOk, decisionFollowsOk, fillEntriesOk, frameShapeOk, isContact, leaderBallotOk, type RejectReason, reportedBallotOk,
} from './frame-rules.js';
import type { Decision, Entry, Frame, FwdMsg } from './frames.js';
import { MessageLog } from './message-log.js';
import { type OwnMsg, Outbox } from './outbox.js';
import { StateProvider } from './state-provider.js';
import type { CoreMutation } from './test-hooks.js';
import { STATE_PROVIDERS, StateDownload } from './state-transfer.js';
import type { MemberId, View } from './types.js';
import { ViewState } from './view-state.js';
import { broadcastStatus, onForward, sequencerFlush, type SequencerHost } from './sequencer.js';
import {
  announce, type FlushLeaderHost, lead, onAccepted, onFrameWhileAnnouncing, onPromise, onReject, watchMinority,
} from './flush-leader.js';
import { DirectStore, ownPayload } from './direct-store.js';

export type Phase = 'idle' | 'joining' | 'member' | 'left' | 'excluded';

export interface MemberOptions {
  id: MemberId;
  config?: Partial<CoreConfig>;
  /** Injected randomness in [0, 1): the core never calls Math.random. */
  random: () => number;
  /**
   * The group has application state: joiners receive it at the cut of the view that admits them (the
   * `snapshot` and `state` events) and deliver nothing before it is in place. Every member must agree on this.
   */
  stateful?: boolean;
  /** Tests only: a deliberate breakage of the protocol, for testing the checker (`test-hooks.ts`). */
  mutation?: CoreMutation;
}

const HISTORY = 16;
/** The payload of a direct message's id-only entry. */
const NO_PAYLOAD = new Uint8Array(0);

/** A join request this member (as leader candidate) holds: admitted only once the joiner answered a ping. */
interface PendingJoin {
  /** Tick of the joiner's last request heard directly from it. */
  at: number;
  /** It sent a request after this member pinged it: it is alive and reachable, not a name someone made up. */
  confirmed: boolean;
}

/**
 * One member of one group: a pure state machine. Inputs are `receive`, `tick`, `send`, `join`, `leave` and
 * `bootstrap`; outputs accumulate until `ready()` hands them over. See docs/protocol.md for the protocol.
 */
export class Member {
  readonly id: MemberId;
  readonly cfg: CoreConfig;
  private readonly random: () => number;
  private readonly stateful: boolean;
  private readonly mutation: CoreMutation | null;

  private now = 0;
  phase: Phase = 'idle';
  private view: View | null = null;
  private rank = -1;
  /** The decision that installed the current view, and a few before it, to help members that lag one view. */
  private history: Decision[] = [];

  private readonly log = new MessageLog(0);
  /** Payloads of direct messages from their senders, and ordered entries waiting for theirs (this view only). */
  private readonly direct: DirectStore;
  private delivered = 0;
  private readonly outbox = new Outbox();
  /** Own messages assigned a forward number since the last ready(): sent together in one frame. */
  private toForward: OwnMsg[] = [];
  private leaving = false;
  private lastRequestAt = -Infinity;
  private contacts: MemberId[] = [];
  private joinStartedAt = 0;

  /** What this member keeps for the current view only (the flush, the sequencer, watermarks): rebuilt at install. */
  private current = new ViewState(0, false, 0, new Set());
  /** What the sequencer's part (`sequencer.ts`) sees of this member: read through getters, so always current. */
  private readonly sequencerHost: SequencerHost = (() => {
    const self = this;
    return {
      get id() { return self.id; },
      get cfg() { return self.cfg; },
      get log() { return self.log; },
      get current() { return self.current; },
      get viewId() { return self.view!.id; },
      get members() { return self.view!.members; },
      get delivered() { return self.delivered; },
      get isMember() { return self.phase === 'member'; },
      orderedOwn: (msgNo: number) => { self.outbox.orderedMsgNo = msgNo; },
      deliverReady: () => self.deliverReady(),
      broadcast: (frame: Frame) => self.broadcast(frame),
      broadcastOrdered: (from: number, to: number, fill: boolean, dest: MemberId[]) => self.broadcastOrdered(from, to, fill, dest),
    };
  })();

  /** What the flush leader's part (`flush-leader.ts`) sees of this member: read through getters, so always current. */
  private readonly flushLeader: FlushLeaderHost = (() => {
    const self = this;
    return {
      get id() { return self.id; },
      get cfg() { return self.cfg; },
      get now() { return self.now; },
      get view() { return self.view!; },
      get rank() { return self.rank; },
      get current() { return self.current; },
      get pendingJoins() { return self.pendingJoins; },
      get pendingLeaves() { return self.pendingLeaves; },
      isLive: (m: MemberId) => self.liveness.isLive(m),
      leaderCandidate: () => self.leaderCandidate(),
      survivors: () => self.liveness.survivors(self.view!, self.id),
      distrust: (m: MemberId, until: number) => self.liveness.distrust(m, until),
      random: () => self.random(),
      emit: (e: CoreEvent) => self.emit(e),
      sendTo: (to: MemberId[], frame: Frame) => self.sendTo(to, frame),
      applyDecision: (d: Decision) => self.onNewView(self.id, d),
    };
  })();

  // Leader candidate's requests: kept across views (a request may wait for the next view change).
  private readonly pendingJoins = new Map<MemberId, PendingJoin>();
  /** When this member (as leader candidate) last pinged a joiner to confirm its request; cleared when large. */
  private readonly joinPingAt = new Map<MemberId, number>();
  /** When this joiner last answered a member's ping (a rate limit); cleared when large. */
  private readonly pingAnsweredAt = new Map<MemberId, number>();
  private readonly pendingLeaves = new Set<MemberId>();
  private lastKeepaliveAt = -Infinity;
  private readonly excludedIds = new Set<MemberId>();

  // State transfer: what this member downloads as a joiner, and the snapshot it keeps for joiners.
  private download: StateDownload | null = null;
  private readonly provider = new StateProvider();

  /** Failure detector, distrust and the progress watch: who counts as live. */
  private readonly liveness: Liveness;

  // Receiver side of the ordered stream.
  private lastAckAt = -Infinity;
  private lastNakAt = -Infinity;
  private lastBroadcastAt = -Infinity;
  private readonly lastHelpAt = new Map<MemberId, number>();
  /** Highest sequence number this member ever asked for (NAK or fetch): fills are taken only up to it. */
  private askedTo = 0;
  /** Frames dropped by a rule of frame-rules.ts, per reason. */
  private readonly rejected = new Map<RejectReason, number>();

  /** The last watermarks `checkInvariants` saw, to assert that they only grow. */
  private readonly invariants = new InvariantWatch();

  private events: CoreEvent[] = [];
  private frames: Outgoing[] = [];
  private selfInbox: Frame[] = [];
  private processingSelf = false;

  constructor(opts: MemberOptions) {
    this.id = opts.id;
    this.cfg = resolveConfig(opts.config);
    this.random = opts.random;
    this.stateful = opts.stateful ?? false;
    this.mutation = opts.mutation ?? null;
    this.liveness = new Liveness(this.cfg.suspectTicks, this.cfg.confirmTicks);
    this.log.aheadByteLimit = this.cfg.maxAheadBytes;
    this.direct = new DirectStore(this.cfg.maxAheadBytes, this.cfg.maxLogEntries);
  }

  // ---------------------------------------------------------------- inputs

  /** Founds the group: every initial member calls this with the same list and installs view 1. */
  bootstrap(members: readonly MemberId[]): void {
    assert(this.phase === 'idle', 'bootstrap twice');
    if (!members.includes(this.id)) throw new VsyncError(CoreErrorCodes.INVALID_ARGUMENT, 'bootstrap list must contain this member');
    this.phase = 'joining';
    this.install({ prevView: 0, view: 1, members: [...members], leavers: [], cut: 0 }, false);
  }

  /** Asks to join through any of `contacts` (members or former members of the group). */
  join(contacts: readonly MemberId[]): void {
    assert(this.phase === 'idle', 'join twice');
    if (contacts.length === 0) throw new VsyncError(CoreErrorCodes.INVALID_ARGUMENT, 'join needs at least one contact');
    this.phase = 'joining';
    this.contacts = [...contacts];
    this.joinStartedAt = this.now;
    this.requestJoin();
  }

  /**
   * Replaces a joiner's contacts: the runtime learns of more nodes while the join waits (with every node started
   * at once, the first contacts may all be joiners themselves, which never answer). Ignored once admitted.
   */
  setContacts(contacts: readonly MemberId[]): void {
    if (this.phase !== 'joining' || this.contacts.length === 0 || contacts.length === 0) return;
    this.contacts = [...new Set(contacts)];
  }

  /** Graceful leave: sends nothing new, waits until its own messages are delivered, then leaves in a view change. */
  leave(): void {
    if (this.phase === 'idle' || this.phase === 'joining') {
      this.phase = 'left';
      this.emit({ type: 'left', view: 0 });
      return;
    }
    if (this.phase !== 'member') return;
    this.leaving = true;
    this.maybeRequestLeave();
  }

  /**
   * Multicasts `payload` in total order. Returns the message number (the trace's `<me>/<n>`). Throws
   * VSYNC_ERR_BACKPRESSURE when the send window is full: wait for own deliveries and try again. The core keeps
   * `payload` as it is (in the outbox, and in the sequencer's log): pass bytes that nobody changes (the API's `send`
   * copies the caller's, mid-sized ones into shared slabs that are let go in send order).
   */
  send(payload: Uint8Array, kind: KindCode = 0): number {
    checkKindCode(kind);
    if (this.phase !== 'member') {
      throw new VsyncError(this.phase === 'excluded' ? CoreErrorCodes.EXCLUDED : CoreErrorCodes.NOT_MEMBER, `cannot send: member is ${this.phase}`);
    }
    if (this.leaving) throw new VsyncError(CoreErrorCodes.LEAVING, 'cannot send: leaving the group');
    if (payload.byteLength > this.cfg.maxPayloadBytes) {
      throw new VsyncError(CoreErrorCodes.PAYLOAD_TOO_LARGE, `payload of ${payload.byteLength} bytes exceeds ${this.cfg.maxPayloadBytes}`);
    }
    if (!this.canSend(payload.byteLength)) throw new VsyncError(CoreErrorCodes.BACKPRESSURE, 'send window full');
    const m = this.outbox.push(payload, kind);
    if (!this.current.frozen) this.assignForward(this.outbox.length - 1);
    return m.msgNo;
  }

  /** Answers a `snapshot` event: the application's state at the cut of `view` (right after its install). */
  provideSnapshot(view: number, data: Uint8Array): void {
    this.provider.provide(view, data);
  }

  /** True while a joiner is still receiving the group state (it delivers nothing until then). */
  get awaitingState(): boolean {
    return this.download !== null;
  }

  canSend(bytes = 0): boolean {
    return this.phase === 'member' && !this.leaving && this.outbox.hasRoom(bytes, this.cfg.maxPendingSends, this.cfg.maxPendingBytes);
  }

  tick(): void {
    this.now++;
    switch (this.phase) {
      case 'joining':
        if (this.contacts.length > 0 && this.now - this.joinStartedAt >= this.cfg.joinTimeoutTicks) {
          // Bounded: nobody admitted us in time; say so instead of asking for ever (§11 Q8).
          this.phase = 'left';
          this.emit({ type: 'join-failed', view: 0, reason: 'timeout', waitedTicks: this.now - this.joinStartedAt });
          break;
        }
        if (this.contacts.length > 0 && this.now - this.lastRequestAt >= this.cfg.requestRetryTicks) this.requestJoin();
        break;
      case 'member':
        this.tickMember();
        break;
      default:
        break;
    }
    this.drainSelf();
  }

  /**
   * A frame from `from`, the authenticated sender. Never throws: a frame that breaks a rule of frame-rules.ts is
   * dropped and counted (`rejectedFrames`) before it changes anything.
   */
  receive(from: MemberId, frame: Frame): void {
    if (this.phase === 'left' || this.phase === 'excluded' || this.phase === 'idle' || from === this.id) return;
    if (!frameShapeOk(frame, this.cfg)) {
      this.reject('shape');
      return;
    }
    this.liveness.heard(from, this.now);
    const broken = this.ruleBroken(from, frame);
    if (broken !== null) {
      this.reject(broken);
      return;
    }
    this.dispatch(from, frame);
    this.drainSelf();
  }

  /** Hands over everything produced since the last call: events first, then frames. */
  ready(): Ready {
    if (this.phase === 'member') {
      this.flushForwards();
      this.drainSelf();
      if (this.current.sequencer) sequencerFlush(this.sequencerHost);
      this.maybeAck();
    }
    const r = { events: this.events, frames: this.frames };
    this.events = [];
    this.frames = [];
    return r;
  }

  // ---------------------------------------------------------------- introspection (runtime, tests, simulator)

  get currentView(): View | null {
    return this.view;
  }
  /** Frozen by a flush: between the `block` and `unblock` events. */
  get isBlocked(): boolean {
    return this.current.frozen;
  }
  get pendingSends(): number {
    return this.outbox.length;
  }
  get deliveredSeq(): number {
    return this.delivered;
  }
  // Read-only figures for node.stats() and the ops endpoint (src/api/stats.ts); nothing here changes state.
  /** Ordered messages still held in the log (not yet known stable at every member). */
  get logMessages(): number {
    return this.log.size;
  }
  /** Payload bytes held in the log, including messages received ahead of a gap. */
  get logBytes(): number {
    return this.log.totalBytes;
  }
  /** Highest sequence number received without a gap. */
  get receivedSeq(): number {
    return this.log.received;
  }
  /** Highest sequence number every member is known to hold: the log is forgotten up to here. */
  get stableSeq(): number {
    return this.log.floor;
  }
  /** Highest sequence number known to be held by a majority of the view: deliverable. */
  get commitSeq(): number {
    return this.current.commit;
  }
  /** Payload bytes of own messages not yet delivered back (the send window's byte use). */
  get pendingSendBytes(): number {
    return this.outbox.bytes;
  }
  /** Members of the view the failure detector suspects now. */
  get suspectedMembers(): MemberId[] {
    return [...this.liveness.suspects];
  }
  /** Members that left gracefully in the change that installed the current view (the others that left failed). */
  get lastLeavers(): readonly MemberId[] {
    return this.history[this.history.length - 1]?.leavers ?? [];
  }
  /** Frames dropped because they broke a rule (docs/protocol.md, "Who may send what"), per reason. */
  get rejectedFrames(): Readonly<Partial<Record<RejectReason, number>>> {
    return Object.fromEntries(this.rejected);
  }
  /** Sizes of everything this member keeps that input can grow: for tests and fuzzing of the bounds. */
  get footprint(): { logEntries: number; logBytes: number; aheadBytes: number; directBytes: number; directCount: number; awaitingPayload: number; pendingJoins: number; joinPings: number; helped: number; excludedIds: number; history: number } {
    return {
      logEntries: this.log.size, logBytes: this.log.bytes, aheadBytes: this.log.aheadBytes,
      directBytes: this.direct.bytes, directCount: this.direct.count, awaitingPayload: this.direct.awaiting, pendingJoins: this.pendingJoins.size,
      joinPings: this.joinPingAt.size, helped: this.lastHelpAt.size, excludedIds: this.excludedIds.size, history: this.history.length,
    };
  }
  /** True when nothing is in flight: no flush, no pending change, every own message delivered. */
  get isQuiescent(): boolean {
    return this.phase === 'member' && !this.current.frozen && this.current.attempt === null && this.outbox.length === 0 && this.download === null &&
      this.pendingJoins.size === 0 && this.pendingLeaves.size === 0 && this.delivered === this.log.received;
  }

  /**
   * Asserts the invariants of docs/protocol.md §8 that this member's own state shows (throws InvariantError, a
   * bug in vsync). Cheap, O(view size): the simulator calls it after every input. Checks nothing unless in a view.
   */
  checkInvariants(): void {
    if (this.phase !== 'member' || this.view === null) return;
    const s = this.current.sequencer;
    this.invariants.check({
      id: this.id,
      view: this.view.id,
      viewCut: this.history[this.history.length - 1]!.cut,
      delivered: this.delivered,
      received: this.log.received,
      floor: this.log.floor,
      commit: this.current.commit,
      deliverable: deliverableUpTo(0, this.log.received, this.current.commit, this.log),
      knownLast: this.current.knownLast,
      promised: this.current.promised,
      frozen: this.current.frozen,
      installPending: this.current.installPending !== null,
      accepted: this.current.accepted,
      fetchTarget: this.current.fetch?.target ?? null,
      downloadView: this.download?.view ?? null,
      sequencer: s === null ? null : { commit: s.commit, stable: s.stable, stableHeld: s.stableHeld(this.view.members, this.id, this.log.received) },
    });
  }

  // ---------------------------------------------------------------- who may send what (frame-rules.ts)

  private reject(why: RejectReason): void {
    this.rejected.set(why, (this.rejected.get(why) ?? 0) + 1);
  }

  /** The highest flush round seen in this view: a new ballot may go at most MAX_ROUND_STEP beyond it. */
  private knownRound(): number {
    return Math.max(this.current.round, roundOf(this.current.promised));
  }

  /**
   * The rule `f` breaks, given who sent it and this member's state, or null. Frames this member would ignore
   * anyway (another view's, or of a type its phase does not handle) pass: they change nothing.
   */
  private ruleBroken(from: MemberId, f: Frame): RejectReason | null {
    if (this.phase === 'joining') {
      // A joiner knows only its contacts: only they may admit it (nv) or turn it away (excl).
      if (f.t === 'newView' || f.t === 'exclude') return isContact(this.contacts, from) ? null : 'not-member';
      return null;
    }
    const view = this.view;
    if (this.phase !== 'member' || view === null) return null;
    const inView = view.members.includes(from);
    switch (f.t) {
      case 'join':
        // From the joiner itself, or relayed by a member (members relay only requests heard from the joiner).
        return f.joiner === from || inView ? null : 'join-not-joiner';
      case 'newView':
        if (this.current.installPending || f.decision.prevView !== view.id) return null;
        if (!inView) return 'not-member';
        return decisionFollowsOk(f.decision, view, this.delivered) ? null : 'decision';
      case 'exclude':
        // Only a member of this view that has moved on can know that this member was left behind.
        return f.view > view.id && !inView ? 'not-member' : null;
      case 'fetch': {
        if (f.view === view.id) return inView ? null : 'not-member';
        if (f.view > view.id) return null;
        const d = this.history.find((h) => h.view === f.view);
        return d !== undefined && d.members.includes(from) ? null : 'not-member';
      }
      default:
        break;
    }
    if (f.view < view.id) return null; // Stale: answered by helpStale (rate-limited), never acted on.
    if (f.t === 'msgs') return this.msgsRuleBroken(from, f, view);
    if (f.view > view.id) return null;
    if (!inView) return 'not-member';
    switch (f.t) {
      case 'ack':
        return ackOk(f.received, this.current.sequencer !== null ? this.log.received : null) ? null : 'ack-above-sent';
      case 'prepare':
      case 'accept':
        if (!leaderBallotOk(f.ballot, view.members.indexOf(from), view.members.length, this.knownRound())) return 'ballot';
        if (f.t === 'accept' && !(view.members.includes(f.source) && decisionFollowsOk(f.decision, view, this.delivered))) return 'decision';
        return null;
      case 'reject':
        return reportedBallotOk(f.ballot, this.knownRound()) ? null : 'ballot';
      case 'promise':
        return f.accepted !== null && !acceptedOk(f.accepted, f.ballot, f.received, view) ? 'decision' : null;
      case 'stateRequest':
        return f.length > 8 * this.cfg.maxFrameBytes ? 'state-request' : null;
      default:
        return null;
    }
  }

  private msgsRuleBroken(from: MemberId, f: Extract<Frame, { t: 'msgs' }>, view: View): RejectReason | null {
    const fromSequencer = from === view.members[0];
    if (fromSequencer && f.view === view.id && (f.stable > f.commit || f.commit > f.last || f.first + f.entries.length - 1 > f.last)) {
      return 'watermarks';
    }
    if (!f.fill) {
      if (f.view !== view.id) return null;
      return fromSequencer ? null : 'not-sequencer';
    }
    if (!fillEntriesOk(f.entries)) return 'fill-direct';
    // A fill answers a request: a fetch to its sources, or a NAK to the sequencer. Entries beyond what was asked
    // are ignored (onMsgs), like duplicates.
    if (this.current.fetch !== null && this.current.fetch.sources.includes(from)) return null;
    return fromSequencer && this.askedTo > 0 ? null : 'fill-unasked';
  }

  // ---------------------------------------------------------------- dispatch

  private dispatch(from: MemberId, f: Frame): void {
    // A leader decided out of its next view only announces that decision until it goes (flush-leader.ts).
    if (this.current.announce !== null && !onFrameWhileAnnouncing(this.flushLeader, from, f)) return;
    switch (f.t) {
      case 'join':
        this.onJoin(from, f.joiner);
        return;
      case 'newView': {
        // An nv from an older view and from outside this one (a leader decided out of the view it announces) is
        // answered like any stale frame: with the decision that left that view (or excl), which tells it we have it.
        const announced = this.phase === 'member' && this.view !== null && f.view < this.view.id && !this.view.members.includes(from);
        this.onNewView(from, f.decision);
        if (announced) this.helpStale(from, f.view);
        return;
      }
      case 'exclude':
        if (this.phase === 'joining' || (this.view !== null && f.view > this.view.id)) this.becomeExcluded(f.view);
        return;
      case 'fetch':
        this.onFetch(from, f.view, f.from, f.to);
        if (this.view !== null && f.view < this.view.id) this.helpStale(from, f.view);
        return;
      case 'ping':
        if (this.phase === 'joining') this.answerJoinPing(from);
        break;
      default:
        break;
    }
    if (this.phase !== 'member' || this.view === null) return;
    if (f.view < this.view.id) {
      // Whatever it sent (a heartbeat, or the status of a sequencer that was excluded), tell it what it missed.
      this.helpStale(from, f.view);
      return;
    }
    if (f.t === 'msgs') {
      this.onMsgs(from, f);
      return;
    }
    if (f.view > this.view.id) return;
    switch (f.t) {
      case 'heartbeat':
        // A member frozen by a flush whose leader gave up: whoever leads now must finish it.
        if (f.promised > 0) this.current.sawFrozen = true;
        return;
      case 'ping':
        this.sendTo([from], { t: 'heartbeat', view: this.view.id, promised: this.current.promised });
        return;
      case 'forward':
        if (this.current.sequencer !== null) onForward(this.sequencerHost, from, f.msgs);
        else this.onDirect(from, f.msgs);
        return;
      case 'ack':
        // Ignored while frozen: a frozen member computes no commit (§5.2). Elsewhere than at the sequencer the
        // commit it may raise is computed once per turn (`maybeAck`), not once per ack.
        if (this.current.frozen) return;
        if (this.current.sequencer) this.current.sequencer.ack(from, f.received, this.now);
        else this.current.acks.record(from, f.received);
        return;
      case 'leave':
        if (this.view.members.includes(from) && this.leaderCandidate() === this.id) this.pendingLeaves.add(from);
        return;
      case 'prepare':
        this.onPrepare(from, f.ballot);
        return;
      case 'promise':
        onPromise(this.flushLeader, from, f.ballot, f.received, f.accepted);
        return;
      case 'reject':
        onReject(this.flushLeader, f.ballot);
        return;
      case 'accept':
        this.onAccept(from, f.ballot, f.decision, f.source);
        return;
      case 'accepted':
        onAccepted(this.flushLeader, from, f.ballot);
        return;
      case 'stateRequest':
        this.onStateRequest(from, f.offset, f.length);
        return;
      case 'stateChunk':
        this.onStateChunk(from, f.offset, f.total, f.data);
        return;
      default:
        return;
    }
  }

  /** A member one view behind gets the decision it missed; a member that is no longer in the group is told so. */
  private helpStale(from: MemberId, fromView: number): void {
    const last = this.lastHelpAt.get(from);
    if (last !== undefined && this.now - last < this.cfg.heartbeatTicks) return;
    this.lastHelpAt.set(from, this.now);
    if (this.lastHelpAt.size > 4 * this.cfg.maxPendingJoins) this.lastHelpAt.clear();
    const d = this.history.find((h) => h.prevView === fromView);
    const view = this.view!;
    // Only a member of the current view (or a leaver of the change it missed) may still install that change:
    // anyone else was excluded later on, and the messages it would need may be gone.
    if (d && (view.members.includes(from) || d.leavers.includes(from))) {
      this.sendTo([from], { t: 'newView', view: view.id, decision: d });
    } else if (!view.members.includes(from)) {
      this.sendTo([from], { t: 'exclude', view: view.id });
    }
  }

  // ---------------------------------------------------------------- joining and leaving

  private requestJoin(): void {
    this.lastRequestAt = this.now;
    this.sendTo(this.contacts, { t: 'join', view: 0, joiner: this.id });
  }

  private onJoin(from: MemberId, joiner: MemberId): void {
    if (this.phase !== 'member' || this.view === null) return;
    if (this.view.members.includes(joiner)) {
      // It is in the view but missed the decision that admitted it.
      const d = this.history[this.history.length - 1];
      if (d) this.sendTo([joiner], { t: 'newView', view: this.view.id, decision: d });
      return;
    }
    if (this.excludedIds.has(joiner) || this.history.some((h) => h.members.includes(joiner) || h.leavers.includes(joiner))) {
      this.sendTo([joiner], { t: 'exclude', view: this.view.id });
      return;
    }
    const leader = this.leaderCandidate();
    if (leader === this.id) {
      const p = this.pendingJoins.get(joiner);
      if (from !== joiner) {
        // Relayed: whoever names a joiner proves nothing about it. Ask the joiner itself; its answer is a request.
        if (p === undefined || !p.confirmed) this.pingJoiner(joiner);
        return;
      }
      // Admitted only once it answered a ping: a joiner that never answers must not dilute the view's majority.
      const pingedAt = this.joinPingAt.get(joiner);
      const answered = pingedAt !== undefined && this.now - pingedAt <= 5 * this.cfg.requestRetryTicks;
      if (p !== undefined) {
        p.at = this.now;
        if (answered) p.confirmed = true;
        else this.pingJoiner(joiner);
      } else if (this.pendingJoins.size < this.cfg.maxPendingJoins) {
        this.pendingJoins.set(joiner, { at: this.now, confirmed: answered });
        if (!answered) this.pingJoiner(joiner);
      }
    } else if (from === joiner) {
      this.sendTo([leader], { t: 'join', view: this.view.id, joiner });
    }
  }

  private pingJoiner(joiner: MemberId): void {
    if (!this.rateLimit(this.joinPingAt, joiner, 1)) return;
    this.sendTo([joiner], { t: 'ping', view: this.view!.id });
  }

  /** A joiner answers a leader's ping with its request, sent directly: it shows it is alive and reachable. */
  private answerJoinPing(from: MemberId): void {
    if (!this.rateLimit(this.pingAnsweredAt, from, 1)) return;
    this.sendTo([from], { t: 'join', view: 0, joiner: this.id });
  }

  /** True (and records `now`) unless `key` was let through less than `ticks` ago. The map is bounded. */
  private rateLimit(at: Map<MemberId, number>, key: MemberId, ticks: number): boolean {
    const last = at.get(key);
    if (last !== undefined && this.now - last < ticks) return false;
    if (at.size >= 4 * this.cfg.maxPendingJoins) at.clear();
    at.set(key, this.now);
    return true;
  }

  private maybeRequestLeave(): void {
    if (!this.leaving || this.outbox.length > 0 || this.view === null) return;
    if (this.now - this.lastRequestAt < this.cfg.requestRetryTicks) return;
    this.lastRequestAt = this.now;
    if (this.view.members.length === 1) {
      // The last member leaves: there is no one left to install a view for.
      this.phase = 'left';
      this.emit({ type: 'left', view: this.view.id });
      return;
    }
    const leader = this.leaderCandidate();
    if (leader === this.id) this.pendingLeaves.add(this.id);
    else this.sendTo([leader], { t: 'leave', view: this.view.id });
  }

  private becomeExcluded(view: number, reason?: ExcludedReason): void {
    if (this.phase === 'excluded' || this.phase === 'left') return;
    this.phase = 'excluded';
    this.emit(reason ? { type: 'excluded', view, reason } : { type: 'excluded', view });
  }

  // ---------------------------------------------------------------- ticks

  private tickMember(): void {
    if (this.current.announce !== null) {
      announce(this.flushLeader); // Decided out of the next view: nothing else until it goes.
      return;
    }
    const view = this.view!;
    for (const m of this.liveness.tick(this.now)) this.sendTo([m], { t: 'ping', view: view.id });
    // A joiner retries every requestRetryTicks; one that stopped asking has gone away.
    for (const [j, p] of this.pendingJoins) if (this.now - p.at > 5 * this.cfg.requestRetryTicks) this.pendingJoins.delete(j);
    this.watchProgress();

    // A non-sequencer's periodic ack (below, later in the tick) goes to the same members and says it is alive: when
    // it is due, a heartbeat would only double an idle group's frames. (An unfrozen member has promised no ballot in
    // this view, so its heartbeat would carry no news; a frozen one sends no ack, and its heartbeat goes.)
    if (this.now - this.lastBroadcastAt >= this.cfg.heartbeatTicks && view.members.length > 1 && !this.periodicAckDue()) {
      // The sequencer's heartbeat is its status, so a lost last frame or a lost commit is noticed.
      if (this.current.sequencer && !this.current.frozen) broadcastStatus(this.sequencerHost);
      else this.broadcast({ t: 'heartbeat', view: view.id, promised: this.current.promised });
    }
    if (this.current.fetch && this.now - this.current.fetch.lastAt >= this.cfg.fetchRetryTicks) {
      this.current.fetch.idx = (this.current.fetch.idx + 1) % this.current.fetch.sources.length;
      this.sendFetch();
    }
    this.keepAcceptAlive();
    if (this.downloadStuck()) {
      if (this.current.installPending) {
        this.giveUpState(this.current.installPending.view);
        return;
      }
      if (this.current.pendingAccept) this.completeAccept();
    }
    if (this.download && this.now - this.download.lastAt >= 4 * this.cfg.fetchRetryTicks) {
      this.download.rotate(this.now);
      this.requestState();
    }
    if (!this.current.frozen) {
      this.retryForwards();
      if (this.current.sequencer === null && (this.current.knownLast > this.log.received || this.log.hasGap)) this.nak();
      if (this.periodicAckDue()) this.sendAck();
    }
    this.maybeRequestLeave();
    if (this.phase === 'member') lead(this.flushLeader);
    if (this.phase === 'member') watchMinority(this.flushLeader);
  }

  // ---------------------------------------------------------------- normal operation: forwarding

  private assignForward(idx: number): void {
    const m = this.outbox.at(idx)!;
    m.fseq = this.outbox.nextFseq++;
    m.sentAt = this.now;
    this.emit({ type: 'send', view: this.view!.id, msgNo: m.msgNo, payload: m.payload, kind: m.kind });
    this.toForward.push(m);
  }

  private flushForwards(): void {
    if (this.toForward.length === 0 || this.current.frozen) {
      this.toForward.length = 0;
      return;
    }
    const msgs: FwdMsg[] = [];
    // Message objects, not outbox positions: deliveries between send() and ready() move the outbox's head.
    for (const m of this.toForward) {
      if (m.fseq > 0) msgs.push(this.fwdMsg(m));
    }
    this.toForward.length = 0;
    this.forward(msgs, true);
  }

  /** The forwarded form of an own message; direct when its payload reaches `directMinBytes`. */
  private fwdMsg(m: OwnMsg): FwdMsg {
    return m.payload.byteLength >= this.cfg.directMinBytes
      ? { fseq: m.fseq, msgNo: m.msgNo, payload: m.payload, kind: m.kind, direct: true }
      : { fseq: m.fseq, msgNo: m.msgNo, payload: m.payload, kind: m.kind };
  }

  /**
   * Sends own messages to the sequencer in forward order, in frames of bounded size. With `multicast` (first
   * sends), runs of direct messages go to every other member instead, the sequencer included, so that order holds
   * on the sequencer's link; re-sends go to the sequencer only (the others fetch what they missed from it).
   */
  private forward(msgs: FwdMsg[], multicast: boolean): void {
    if (msgs.length === 0) return;
    const view = this.view!;
    const seqr = view.members[0]!;
    if (seqr === this.id) onForward(this.sequencerHost, this.id, msgs);
    let batch: FwdMsg[] = [];
    let bytes = 0;
    let direct = false;
    const send = (): void => {
      if (direct) this.sendTo(view.members.filter((m) => m !== this.id), { t: 'forward', view: view.id, msgs: batch });
      else if (seqr !== this.id) this.sendTo([seqr], { t: 'forward', view: view.id, msgs: batch });
      batch = [];
      bytes = 0;
    };
    for (const m of msgs) {
      const d = multicast && m.direct === true;
      if (batch.length > 0 && (d !== direct || bytes + m.payload.byteLength > this.cfg.maxFrameBytes || batch.length >= MAX_FRAME_ENTRIES)) send();
      direct = d;
      batch.push(m);
      bytes += m.payload.byteLength;
    }
    send();
  }

  /** Re-forwards own messages the sequencer has not ordered for a while (lost frames, a full log). */
  private retryForwards(): void {
    const first = this.outbox.firstUnordered();
    if (first < 0) return;
    const head = this.outbox.at(first)!;
    if (head.fseq === 0 || this.now - head.sentAt < this.cfg.forwardRetryTicks) return;
    const msgs: FwdMsg[] = [];
    let bytes = 0;
    for (let i = first; i < this.outbox.length; i++) {
      const m = this.outbox.at(i)!;
      if (m.fseq === 0 || (msgs.length > 0 && (bytes + m.payload.byteLength > this.cfg.maxFrameBytes || msgs.length >= MAX_FRAME_ENTRIES))) break;
      m.sentAt = this.now;
      msgs.push(this.fwdMsg(m));
      bytes += m.payload.byteLength;
    }
    this.forward(msgs, false);
  }

  // ---------------------------------------------------------------- normal operation: the sequencer

  /** Sends ordered entries `from..to` in frames of bounded size. */
  private broadcastOrdered(from: number, to: number, fill: boolean, dest: MemberId[]): void {
    if (dest.length === 0) return;
    const viewId = this.view!.id;
    const commit = this.current.sequencer?.commit ?? this.current.commit;
    const stable = this.current.sequencer?.stable ?? this.log.floor;
    let seq = from;
    while (seq <= to) {
      const senders: MemberId[] = [];
      const senderIdx = new Map<MemberId, number>();
      const entries: Entry[] = [];
      const first = seq;
      let bytes = 0;
      while (seq <= to) {
        const e = this.log.get(seq);
        assert(e !== undefined, () => `log lacks ${seq} (floor ${this.log.floor}, received ${this.log.received})`);
        // The sequencer's multicast of a direct message carries its id only; fills always carry payloads.
        const idOnly = e.direct === true && !fill;
        const size = idOnly ? 0 : e.payload.byteLength;
        if (entries.length > 0 && (bytes + size > this.cfg.maxFrameBytes || entries.length >= MAX_FRAME_ENTRIES)) break;
        let si = senderIdx.get(e.sender);
        if (si === undefined) {
          si = senders.length;
          senders.push(e.sender);
          senderIdx.set(e.sender, si);
        }
        entries.push(idOnly
          ? { sender: si, msgNo: e.msgNo, payload: NO_PAYLOAD, kind: e.kind, direct: true }
          : { sender: si, msgNo: e.msgNo, payload: e.payload, kind: e.kind });
        bytes += size;
        seq++;
      }
      const frame: Extract<Frame, { t: 'msgs' }> = { t: 'msgs', view: viewId, first, senders, entries, last: this.log.received, commit, stable, fill };
      if (dest.length === this.view!.members.length - 1 && !fill) this.multicastOrdered(frame);
      else this.sendTo(dest, frame);
    }
  }

  /**
   * The sequencer's multicast of new entries. A member's own messages go back to it as ids only (at least
   * `ownIdsMinBytes`): it holds their payloads in its outbox until it delivers them (`onMsgs`), so their bytes
   * would only cost the links and the crypto. Such a member gets a frame of its own; the others share one.
   */
  private multicastOrdered(frame: Extract<Frame, { t: 'msgs' }>): void {
    const min = this.cfg.ownIdsMinBytes;
    const leaveOut = (e: Entry): boolean => e.direct !== true && e.payload.byteLength >= min;
    // Sender indexes with at least one entry in this frame whose payload is worth leaving out.
    const strip = new Set<number>();
    for (const e of frame.entries) if (leaveOut(e)) strip.add(e.sender);
    if (strip.size === 0) {
      this.broadcast(frame);
      return;
    }
    this.lastBroadcastAt = this.now;
    const shared: MemberId[] = [];
    const own: Array<[MemberId, number]> = [];
    for (const m of this.view!.members) {
      if (m === this.id) continue;
      const si = frame.senders.indexOf(m);
      if (strip.has(si)) own.push([m, si]);
      else shared.push(m);
    }
    // The shared frame first: its receivers lack these payloads and have the most to do before they deliver,
    // while a sender only learns the order of what it holds (one socket write after another on a busy machine).
    if (shared.length > 0) this.frames.push({ to: shared, frame });
    for (const [m, si] of own) {
      const entries = frame.entries.map((e) => (e.sender === si && leaveOut(e) ? { sender: si, msgNo: e.msgNo, payload: NO_PAYLOAD, kind: e.kind, direct: true } : e));
      this.frames.push({ to: [m], frame: { ...frame, entries } });
    }
  }

  private onFetch(from: MemberId, fromView: number, lo: number, hi: number): void {
    if (this.phase !== 'member' || this.view === null) return;
    // Serve only what belongs to the requester's view: our own view's log, or the previous view up to its cut.
    let limit: number;
    if (fromView === this.view.id) limit = this.log.received;
    else {
      const d = this.history.find((h) => h.prevView === fromView);
      if (!d) return;
      limit = Math.min(d.cut, this.log.received);
    }
    const start = Math.max(lo, this.log.floor + 1);
    let end = Math.min(hi, limit);
    if (start > end) return;
    // One frame's worth per request: the requester asks again for the rest, which paces a large catch-up.
    let bytes = 0;
    for (let s = start; s <= end; s++) {
      bytes += this.log.get(s)!.payload.byteLength;
      if ((bytes > this.cfg.maxFrameBytes || s - start >= MAX_FRAME_ENTRIES) && s > start) {
        end = s - 1;
        break;
      }
    }
    this.broadcastOrdered(start, end, true, [from]);
  }

  // ---------------------------------------------------------------- normal operation: receiving the order

  private onMsgs(from: MemberId, frame: Extract<Frame, { t: 'msgs' }>): void {
    const f = this.mutation === 'early-deliver' ? { ...frame, commit: Math.max(frame.commit, frame.last) } : frame;
    if (this.phase !== 'member' || this.view === null) return;
    const fromSequencer = f.view === this.view.id && from === this.view.members[0];
    if (!f.fill && !fromSequencer) return;
    if (this.current.frozen && !f.fill) return;
    // Normal mode takes what fits the log bound; it binds only while deliveries wait (a joiner loading state).
    const limit = this.current.frozen ? (this.current.fetch?.target ?? this.log.received) : this.delivered + this.cfg.maxLogEntries;
    // A fill brings only what was asked for (entries already held ahead of the gap may still drain past it).
    const top = f.fill ? Math.min(limit, this.askedTo) : limit;
    const before = this.log.received;
    for (let i = 0; i < f.entries.length && f.first + i <= top; i++) {
      const e = f.entries[i]!;
      const sender = f.senders[e.sender]!;
      const seq = f.first + i;
      let payload = e.payload;
      let own = false;
      if (e.direct === true) {
        // An id only (never in a fill, frame-rules.ts): the payload came, or comes, from its sender, or it is one
        // of ours, still in the outbox (`multicastOrdered`).
        own = sender === this.id;
        const p = own ? ownPayload(this.outbox, e.msgNo) : this.direct.get(sender, e.msgNo);
        if (p === undefined) {
          if (seq > this.log.received && seq <= limit && seq <= this.log.received + this.cfg.maxLogEntries) {
            this.direct.wait({ seq, sender, msgNo: e.msgNo, kind: e.kind, since: this.now });
          }
          continue;
        }
        payload = p;
      }
      const entry = { sender, msgNo: e.msgNo, payload, kind: e.kind };
      // An own payload is kept as send() copied it (message-log.ts `addOwn`), not as a view into this frame.
      if (own ? this.log.addOwn(seq, entry, limit, this.cfg.maxLogEntries) : this.log.addFromFrame(seq, entry, limit, this.cfg.maxLogEntries)) {
        this.direct.settle(sender, e.msgNo);
        if (sender === this.id && e.msgNo > this.outbox.orderedMsgNo) this.outbox.orderedMsgNo = e.msgNo;
      }
    }
    this.log.endFrame(); // One buffer for the payloads kept in order (message-log.ts).
    if (this.log.received > before) {
      this.liveness.progressed(this.now);
      this.direct.dropThrough(this.log.received);
    }
    if (fromSequencer && !this.current.frozen) {
      if (f.last > this.current.knownLast) this.current.knownLast = f.last;
      if (f.commit > this.current.commit) this.current.commit = f.commit;
      this.deliverReady();
      if (this.phase !== 'member') return;
      this.log.gc(Math.min(f.stable, this.delivered));
      if (this.current.knownLast > this.log.received || this.log.hasGap) this.nak(f.fill && this.log.received > before);
    }
    if (this.current.fetch) {
      if (this.log.received >= this.current.fetch.target) this.fetchDone();
      else if (this.log.received > before) this.sendFetch();
    }
  }

  /**
   * A direct `forward` at a non-sequencer: completes the ordered entry waiting for that payload, or keeps the payload
   * until the sequencer's id-only entry comes (docs/protocol.md §3, "Direct payloads").
   */
  private onDirect(from: MemberId, msgs: FwdMsg[]): void {
    if (this.current.frozen || !this.view!.members.includes(from)) return;
    const limit = this.delivered + this.cfg.maxLogEntries;
    const before = this.log.received;
    for (const m of msgs) {
      if (m.direct !== true) continue;
      const w = this.direct.claim(from, m.msgNo);
      if (w === undefined) this.direct.put(from, m.msgNo, m.payload);
      else if (this.log.add(w.seq, { sender: from, msgNo: m.msgNo, payload: m.payload, kind: w.kind }, limit, this.cfg.maxLogEntries)) {
        this.direct.settle(from, m.msgNo);
      }
    }
    if (this.log.received === before) return;
    this.liveness.progressed(this.now);
    this.direct.dropThrough(this.log.received);
    this.deliverReady();
  }

  /** Asks the sequencer for what is missing; `progressed`: the last answer helped, so ask for more at once. */
  private nak(progressed = false): void {
    // The next entry's payload is on its way from its sender (direct): give it time before asking the sequencer.
    const since = this.direct.waitingSince(this.log.received + 1);
    if (since !== undefined && this.now - since < this.cfg.forwardRetryTicks) return;
    if (!progressed && this.now - this.lastNakAt < this.cfg.fetchRetryTicks && this.lastNakAt !== -Infinity) return;
    this.lastNakAt = this.now;
    const to = Math.max(this.current.knownLast, this.log.received + 1);
    if (to > this.askedTo) this.askedTo = to;
    this.sendTo([this.view!.members[0]!], { t: 'fetch', view: this.view!.id, from: this.log.received + 1, to });
  }

  /** At a non-sequencer, once per turn: delivers what the acks taken in may have committed, and acks what grew. */
  private maybeAck(): void {
    if (this.current.sequencer !== null || this.current.frozen) return;
    if (this.current.acks.moved) this.deliverReady();
    if (this.phase === 'member' && this.log.received > this.current.lastAckSent) this.sendAck();
  }

  /** A non-sequencer, not frozen, that has sent no ack for `heartbeatTicks`: its tick sends one. */
  private periodicAckDue(): boolean {
    return this.current.sequencer === null && !this.current.frozen && this.now - this.lastAckAt >= this.cfg.heartbeatTicks;
  }

  /** To every other member (one frame for all): each one counts a majority itself (`AckTable.localCommit`). */
  private sendAck(): void {
    if (this.current.frozen || this.view === null || this.current.sequencer !== null) return;
    this.current.lastAckSent = this.log.received;
    this.lastAckAt = this.now;
    this.broadcast({ t: 'ack', view: this.view.id, received: this.log.received });
  }

  /**
   * Delivers what may be delivered now: committed messages, then on over held ones that do not wait for a majority
   * (`deliverableUpTo`). The one rule for every path but the install, which delivers up to its cut.
   */
  private deliverReady(): void {
    if (this.current.sequencer === null && !this.current.frozen && this.view !== null) {
      // A non-sequencer counts the majority itself too: its own log, the sequencer's `last`, the others' acks.
      const c = this.current.acks.localCommit(this.view.members, this.id, this.log.received, this.current.knownLast);
      if (c > this.current.commit) this.current.commit = c;
    }
    this.deliverUpTo(deliverableUpTo(this.delivered, this.log.received, this.current.commit, this.log));
  }

  private deliverUpTo(limit: number): void {
    // A joiner delivers nothing before the state it joins with is in place.
    if (this.download && this.mutation !== 'deliver-before-state') return;
    const viewId = this.view!.id;
    while (this.delivered < limit) {
      const seq = this.delivered + 1;
      const e = this.log.get(seq);
      assert(e !== undefined, () => `${this.id}: cannot deliver ${seq}: not in log (floor ${this.log.floor}, received ${this.log.received})`);
      if (e.sender === this.id && this.outbox.at(0)?.msgNo !== e.msgNo) {
        // Only a lying sequencer (or fill source) orders a message in this member's name that is not its next
        // own message. Own messages could no longer be delivered in FIFO order: this incarnation ends, as an
        // excluded one does (a new one may join), rather than deliver a forged order or throw.
        this.becomeExcluded(viewId);
        return;
      }
      this.delivered = seq;
      if (e.sender === this.id) this.outbox.delivered(e.msgNo);
      this.emit({ type: 'deliver', view: viewId, seq, sender: e.sender, msgNo: e.msgNo, payload: e.payload, kind: e.kind });
    }
  }

  // ---------------------------------------------------------------- view change: leader side

  /**
   * Liveness against one-way cuts, which heartbeats alone do not catch: the sequencer distrusts a member whose
   * acknowledgements stopped advancing while it lags, and a member distrusts a sequencer that orders nothing
   * for it while it waits. A distrusted member is left out of the next view; the progress timeout is long
   * enough that a member catching up (its acknowledgements advance) is never mistaken for a cut one.
   */
  private watchProgress(): void {
    if (this.current.frozen || this.view === null) return;
    const limit = this.cfg.progressTimeoutTicks;
    // A joiner loading its state takes at most maxLogEntries past its cut and then stops acknowledging while
    // the group waits for it (its lag holds `stable`): the sequencer gives it longer before calling it cut off
    // (§11 Q7), and the members, whose sends then wait, give the sequencer longer too (see below).
    const patient = this.stateful && this.current.joiners.size > 0;
    if (this.current.sequencer) {
      for (const m of this.current.sequencer.stalled(this.view.members, this.id, this.log.received, this.now, limit, patient ? this.current.joiners : undefined, 4 * limit)) {
        this.liveness.distrust(m, this.now + 4 * this.cfg.flushTimeoutTicks);
      }
      return;
    }
    // A joiner loading its state stops taking the stream at its own log bound: no evidence against the sequencer.
    const waiting = this.download === null && (this.outbox.firstUnordered() >= 0 || this.current.knownLast > this.log.received);
    // Twice the sequencer's limit: when a slow member fills the log, the sequencer excludes it first.
    this.liveness.watchSequencer(this.view.members[0]!, waiting, this.now, 2 * (patient ? 4 * limit : limit), 4 * this.cfg.flushTimeoutTicks);
  }

  /** Lowest-ranked member this member counts as live: the one that should run the next flush. */
  private leaderCandidate(): MemberId {
    return this.liveness.leaderCandidate(this.view!, this.id, this.now);
  }

  // ---------------------------------------------------------------- view change: every member's side

  private freeze(): void {
    if (this.current.frozen) return;
    this.current.frozen = true;
    this.current.fetch = null;
    this.toForward.length = 0;
    this.emit({ type: 'block', view: this.view!.id });
  }

  /**
   * The part of prepare and accept that Paxos shares: an already decided view wins, a lower ballot is rejected,
   * otherwise the member promises `ballot` and freezes. Returns false when the request was answered already.
   */
  private promise(from: MemberId, ballot: number): boolean {
    const view = this.view!;
    if (this.current.installPending) {
      this.sendTo([from], { t: 'newView', view: view.id, decision: this.current.installPending });
      return false;
    }
    if (ballot < this.current.promised) {
      this.sendTo([from], { t: 'reject', view: view.id, ballot: this.current.promised });
      return false;
    }
    this.current.promised = ballot;
    this.freeze();
    // Someone ranked before us (and not the sequencer we distrust) runs a view change: let it lead, no duel.
    const r = view.members.indexOf(from);
    if (r >= 0 && r < this.rank && !this.liveness.isDistrusted(from)) this.liveness.stepAside();
    return true;
  }

  private onPrepare(from: MemberId, ballot: number): void {
    if (!this.promise(from, ballot)) return;
    this.sendTo([from], { t: 'promise', view: this.view!.id, ballot, received: this.log.received, accepted: this.current.accepted });
  }

  private onAccept(from: MemberId, ballot: number, decision: Decision, source: MemberId): void {
    if (!this.promise(from, ballot)) return;
    const view = this.view!;
    if (this.current.accepted && this.current.accepted.ballot === ballot) {
      this.sendTo([from], { t: 'accepted', view: view.id, ballot });
      return;
    }
    this.current.pendingAccept = { ballot, decision, leader: from };
    if (this.log.received >= decision.cut) this.completeAccept();
    else this.startFetch(decision.cut, [source, from]);
  }

  /**
   * While an accept waits for messages or for the joining state, tell the leader now and then, so that its flush
   * timeout (meant for members that do not answer at all) does not exclude a member that is making progress.
   * A download that made no progress for a flush timeout stops the keepalives: then the leader gives up on it.
   */
  private keepAcceptAlive(): void {
    const p = this.current.pendingAccept;
    if (!p || this.now - this.lastKeepaliveAt < this.cfg.flushRetryTicks) return;
    const stuck = this.download !== null && this.now - this.download.progressAt > this.cfg.flushTimeoutTicks;
    if ((this.current.fetch === null && this.download === null) || stuck) return;
    this.lastKeepaliveAt = this.now;
    this.sendTo([p.leader], { t: 'promise', view: this.view!.id, ballot: p.ballot, received: this.log.received, accepted: this.current.accepted });
  }

  /**
   * A joiner's download that has made no progress for a flush timeout: its sources are gone (or never had the
   * snapshot), and nobody else holds the state at its cut. It must not hold the flush any longer (§11 Q4).
   */
  private downloadStuck(): boolean {
    return this.download !== null && this.now - this.download.progressAt > this.cfg.flushTimeoutTicks;
  }

  /**
   * Accept only with every message up to the cut in hand, so whoever adopts this value can fetch from us. A
   * joiner still loading its state waits for it while the download progresses; once it is stuck it accepts
   * anyway: as an acceptor it only needs the messages, and the group may need its vote for a majority.
   */
  private completeAccept(): void {
    const p = this.current.pendingAccept;
    if (!p || this.log.received < p.decision.cut || (this.download && !this.downloadStuck())) return;
    this.current.pendingAccept = null;
    if (this.current.promised !== p.ballot) return;
    assert(this.download === null || this.downloadStuck(), () => `${this.id}: a joiner accepted while its state still arrives`);
    this.current.accepted = { ballot: p.ballot, decision: p.decision };
    this.sendTo([p.leader], { t: 'accepted', view: this.view!.id, ballot: p.ballot });
  }

  private onNewView(from: MemberId, decision: Decision): void {
    const d = this.mutation === 'skip-flush' ? { ...decision, cut: Math.min(decision.cut, this.log.received) } : decision;
    if (this.phase === 'joining') {
      if (d.members.includes(this.id)) this.install(d, false);
      return;
    }
    if (this.phase !== 'member' || this.view === null || d.prevView !== this.view.id || this.current.installPending) return;
    if (d.members.includes(this.id)) {
      if (this.downloadStuck()) {
        this.giveUpState(d.view);
        return;
      }
      this.freeze();
      if (this.log.received >= d.cut && !this.download) this.install(d, true);
      else {
        this.current.installPending = d;
        this.current.pendingAccept = null;
        if (this.log.received < d.cut) this.startFetch(d.cut, [from, ...d.members.filter((m) => m !== this.id && m !== from)]);
      }
    } else if (d.leavers.includes(this.id)) {
      this.deliverUpTo(Math.min(d.cut, this.log.received));
      if (this.phase !== 'member') return;
      this.phase = 'left';
      this.emit({ type: 'left', view: this.view.id });
    } else {
      this.becomeExcluded(d.view);
    }
  }

  private startFetch(target: number, sources: MemberId[]): void {
    const srcs = sources.filter((s, i) => s !== this.id && sources.indexOf(s) === i);
    if (srcs.length === 0) return; // Nobody to ask; a new attempt will pick another source.
    this.current.fetch = { target, sources: srcs, idx: 0, lastAt: this.now };
    this.sendFetch();
  }

  private sendFetch(): void {
    const f = this.current.fetch!;
    f.lastAt = this.now;
    if (f.target > this.askedTo) this.askedTo = f.target;
    this.sendTo([f.sources[f.idx]!], { t: 'fetch', view: this.view!.id, from: this.log.received + 1, to: f.target });
  }

  private fetchDone(): void {
    this.current.fetch = null;
    this.afterCatchUp();
  }

  /** Messages or state just arrived: an install or an accept that waited for them may go ahead. */
  private afterCatchUp(): void {
    if (this.current.installPending && this.log.received >= this.current.installPending.cut && !this.download) this.install(this.current.installPending, true);
    else this.completeAccept();
  }

  private install(d: Decision, oldMember: boolean): void {
    this.installView(d, oldMember);
    if (this.mutation === 'no-resend') this.forgetUnsent();
  }

  /** Mutation `no-resend`: drops the own messages re-sent by the install, and their `send` events. */
  private forgetUnsent(): void {
    while (this.outbox.length > 0) this.outbox.delivered(this.outbox.at(0)!.msgNo);
    this.toForward.length = 0;
    let at = this.events.length - 1;
    while (at >= 0 && this.events[at]!.type !== 'install') at--;
    this.events = this.events.filter((e, i) => !(i > at && e.type === 'send'));
  }

  private installView(d: Decision, oldMember: boolean): void {
    const prev = this.view;
    if (oldMember) {
      assert(prev !== null && d.prevView === prev.id, 'install must follow the current view');
      assert(this.delivered <= d.cut, () => `${this.id} delivered ${this.delivered} beyond the cut ${d.cut} of view ${prev!.id}`);
      assert(this.log.received >= d.cut, 'install without the messages up to the cut');
      this.deliverUpTo(d.cut);
      if (this.phase !== 'member') return;
      this.log.truncateAbove(d.cut);
    } else {
      this.log.reset(d.cut);
      this.delivered = d.cut;
    }
    assert(d.members.length <= RANKS, () => `a view of ${d.members.length} members exceeds ${RANKS}: ballots would collide`);
    const view: View = { id: d.view, members: d.members };
    this.view = view;
    this.rank = d.members.indexOf(this.id);
    assert(this.rank >= 0, 'installing a view without this member');
    this.phase = 'member';
    this.history.push(d);
    if (this.history.length > HISTORY) this.history.shift();

    const prevMembers = prev?.members ?? [];
    const wasFrozen = this.current.frozen;
    const joiners = new Set(d.prevView === 0 || !oldMember ? [] : d.members.filter((m) => !prevMembers.includes(m)));
    this.current = new ViewState(d.cut, this.rank === 0, this.now, joiners);
    this.direct.clear();
    this.liveness.watch(d.members.filter((m) => m !== this.id), this.now);

    for (const m of prevMembers) {
      if (!d.members.includes(m) && !d.leavers.includes(m)) this.rememberExcluded(m);
    }
    for (const m of d.members) this.pendingJoins.delete(m);
    for (const m of [...this.pendingLeaves]) if (!d.members.includes(m)) this.pendingLeaves.delete(m);
    for (const j of [...this.pendingJoins.keys()]) if (this.excludedIds.has(j)) this.pendingJoins.delete(j);

    this.emit({
      type: 'install',
      view,
      joined: d.members.filter((m) => !prevMembers.includes(m)),
      left: prevMembers.filter((m) => !d.members.includes(m)),
    });
    if (wasFrozen) this.emit({ type: 'unblock', view: view.id });
    if (this.stateful) this.startStateTransfer(d, prevMembers, oldMember);
    // What was not delivered in the old view is sent again in this one, in the original order.
    this.outbox.newView();
    this.toForward.length = 0;
    for (let i = 0; i < this.outbox.length; i++) this.assignForward(i);
    this.lastRequestAt = -Infinity;
  }

  // ---------------------------------------------------------------- state transfer

  private startStateTransfer(d: Decision, prevMembers: readonly MemberId[], oldMember: boolean): void {
    if (!oldMember) {
      if (d.prevView === 0) return; // A founder starts from the application's initial state.
      this.download = new StateDownload(d.view, d.members.slice(0, STATE_PROVIDERS).filter((m) => m !== this.id), this.now);
      this.requestState();
      return;
    }
    // Taken right after the install, before any delivery of the new view: exactly the state at the cut.
    if (this.provider.installed(d.view, d.members, prevMembers, this.rank)) {
      assert(this.delivered === d.cut, () => `${this.id}: snapshot of view ${d.view} asked after delivering ${this.delivered}, past the cut ${d.cut}`);
      this.emit({ type: 'snapshot', view: d.view });
    }
  }

  private requestState(): void {
    const dl = this.download!;
    const req = dl.nextRequest(8 * this.cfg.maxFrameBytes);
    if (req) this.sendTo([dl.source], { t: 'stateRequest', view: this.view!.id, offset: req.offset, length: req.length });
  }

  private onStateRequest(from: MemberId, offset: number, length: number): void {
    const viewId = this.view!.id;
    for (const c of this.provider.serve(viewId, offset, length, this.cfg.maxFrameBytes)) {
      this.sendTo([from], { t: 'stateChunk', view: viewId, offset: c.offset, total: c.total, data: c.data });
    }
  }

  private onStateChunk(from: MemberId, offset: number, total: number, data: Uint8Array): void {
    const dl = this.download;
    if (dl === null || from !== dl.source) return;
    if (total < 0) {
      dl.rotate(this.now);
      this.requestState();
      return;
    }
    if (!dl.accept(offset, total, data, this.now)) return;
    if (!dl.done) {
      this.requestState();
      return;
    }
    this.download = null;
    this.emit({ type: 'state', view: dl.view, data: dl.assemble() });
    this.deliverReady();
    if (this.phase !== 'member') return;
    this.afterCatchUp();
  }

  /**
   * A joiner whose state cannot arrive (both providers gone) is decided into a next view it cannot install
   * without that state: it leaves the group as an excluded incarnation (the others drop it in the view after,
   * and the application may join again as a new incarnation) instead of holding every later flush (§11 Q4).
   */
  private giveUpState(view: number): void {
    this.download = null;
    this.becomeExcluded(view, 'state-unavailable');
  }

  private rememberExcluded(m: MemberId): void {
    this.excludedIds.add(m);
    if (this.excludedIds.size > this.cfg.maxRememberedExcluded) {
      const oldest = this.excludedIds.values().next().value as MemberId;
      this.excludedIds.delete(oldest);
    }
  }

  // ---------------------------------------------------------------- output helpers

  private emit(e: CoreEvent): void {
    this.events.push(e);
  }

  private broadcast(frame: Frame): void {
    const to = this.view!.members.filter((m) => m !== this.id);
    this.lastBroadcastAt = this.now;
    if (to.length > 0) this.frames.push({ to, frame });
  }

  /** Frames to self are handled after the current input, never re-entrantly. */
  private sendTo(to: MemberId[], frame: Frame): void {
    let others = to;
    if (to.includes(this.id)) {
      this.selfInbox.push(frame);
      others = to.filter((m) => m !== this.id);
    }
    if (others.length > 0) this.frames.push({ to: others, frame });
  }

  private drainSelf(): void {
    if (this.processingSelf) return;
    this.processingSelf = true;
    try {
      while (this.selfInbox.length > 0) {
        const f = this.selfInbox.shift()!;
        if (this.phase === 'member' || this.phase === 'joining') this.dispatch(this.id, f);
      }
    } finally {
      this.processingSelf = false;
    }
  }
}
