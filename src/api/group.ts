import './dispose.js';
import { EventEmitter } from 'eventemitter3';
import type { Logger } from 'pino';
import { type CoreEvent, type Frame, type MemberId } from '../core/index.js';
import { ErrorCodes, VsyncError } from '../errors.js';
import { MemberRuntime, type MemberRuntimeOptions } from '../runtime/member-runtime.js';
import { throwIfAborted, withSignal } from './abort.js';
import type { ConflictInfo } from './bootstrap.js';
import type { RecoverResult } from './recover.js';
import { BoundedQueue } from './bounded-queue.js';
import { PendingSends } from './pending-sends.js';
import { SendCopies } from './send-copies.js';
import type { Group } from './public.js';
import { type CoreFigures, GroupCounters, type GroupStats } from './stats.js';
import { type DeliveryKind, type KindCode, kindCode, kindOf } from '../core/delivery-kinds.js';
import { bytes, integer, optionalDeliveryKind, optionalFunction, optionalSignal, optionsObject } from './validate.js';

/** How often (in ticks) a joiner's contacts are widened to the peers connected now. */
const CONTACT_REFRESH_TICKS = 50;

export interface ViewInfo {
  id: number;
  /** Rank order; the first is the coordinator (and the sequencer). */
  members: readonly MemberId[];
  joined: readonly MemberId[];
  left: readonly MemberId[];
  coordinator: MemberId;
}

export interface Message {
  sender: MemberId;
  /** Position in the group's total order: the same at every member. */
  seq: number;
  viewId: number;
  /**
   * Shared with the group's log, which serves it to other members until every member holds the message: read it,
   * do not change it in place (copy it first).
   */
  payload: Uint8Array;
  /** The delivery kind its sender asked for (README, "Delivery kinds"). */
  delivery: DeliveryKind;
}

export interface SendOptions {
  signal?: AbortSignal;
  /**
   * `'safe'` (delivered once a majority of the view holds it: uniform), `'agreed'` (delivered as soon as it is
   * ordered and received: total order, not uniform) or `'fifo'` (per-sender order; travels the agreed path for
   * now). Default: the group's `delivery` option, else `'safe'`. README, "Delivery kinds".
   */
  delivery?: DeliveryKind;
}

export interface SendResult {
  seq: number;
  viewId: number;
}

export interface GroupEvents {
  view: (view: ViewInfo) => void;
  message: (m: Message) => void;
  block: () => void;
  unblock: () => void;
  /** This incarnation was excluded (a pause, a partition); `rejoining` says whether a new one is on its way. */
  excluded: (info: { member: MemberId; rejoining: boolean }) => void;
  /** The view change cannot reach a majority: this member blocks until the partition heals. */
  minority: (info: { viewId: number; reachable: number; members: number }) => void;
  left: () => void;
  /** Another instance of this group name was met (two founders, a healed split): logged as an error too. */
  conflict: (info: ConflictInfo) => void;
  /**
   * An operator's recovery (group.recover on some survivor) ended this blocked instance: the founder goes on in a new
   * lineage with its state; the others see `excluded` next and receive the founder's state.
   */
  recovered: (info: RecoveredInfo) => void;
}

/** The `recovered` event: the blocked instance `previousGroupId` was ended, the new lineage is `groupId`. */
export interface RecoveredInfo {
  previousGroupId: string;
  groupId: string;
  founder: string;
  survivors: string[];
}

/** Application state for state transfer: joiners receive it at the exact cut of the view that admits them. */
export interface StateHooks {
  /** The state now: called right after a view with joiners is installed, before any later delivery. */
  getState: () => Uint8Array;
  /** A joiner's state at its join cut; nothing is delivered to it before this. */
  setState: (state: Uint8Array) => void;
  /** Optional digest (16 hex characters) written as the trace's `state` line after each install. */
  digest?: () => string;
}

export interface GroupOptions extends Partial<StateHooks> {
  /** Bound of each `messages()` / `views()` reader's buffer. */
  readerBuffer?: number;
  /** Rejoin as a new incarnation after an exclusion (default true). */
  rejoin?: boolean;
  /** Most send() calls waiting for room in the send window. */
  maxWaitingSends?: number;
  /** Delivery kind of a send() that names none (default 'safe'; README, "Delivery kinds"). */
  delivery?: DeliveryKind;
}

/** Internal: what a Group needs from its Node. */
export interface GroupHost {
  newIncarnation(group: string): MemberId;
  contacts(): MemberId[];
  runtimeOptions(group: string, id: MemberId, onEvent: (e: CoreEvent) => void | 'yield'): MemberRuntimeOptions;
  /** The group has ended (left, closed, excluded for good): its name is free to be joined again. */
  release(group: GroupImpl): void;
  logger: Logger;
  /** Ops hook: a flush this member blocked for took `ms` (for the flush-duration histogram). */
  flushed?(group: string, ms: number): void;
  /** Recovery after a lost majority (recover.ts). */
  recover(group: string, opts: { confirm?: boolean; signal?: AbortSignal }): Promise<RecoverResult>;
}

/**
 * A process group as the application sees it: typed events, async iterators, and promises that resolve when
 * the message is delivered back to its sender (that is, ordered and held by a majority of the view).
 * Exported as the `Group` interface (public.ts); the methods marked internal are for the node and the runtime.
 */
export class GroupImpl extends EventEmitter<GroupEvents> implements Group {
  private rt: MemberRuntime | null = null;
  private view: ViewInfo | null = null;
  private readonly pending = new PendingSends();
  private readonly copies = new SendCopies();
  private readonly waiting: Array<() => void> = [];
  private readonly readers = new Set<BoundedQueue<Message>>();
  private readonly viewReaders = new Set<BoundedQueue<ViewInfo>>();
  private joinedWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private leftWaiters: Array<() => void> = [];
  private state: 'joining' | 'member' | 'left' | 'closed' = 'joining';
  private ticksJoining = 0;
  /** Some incarnation of this group object was admitted once (a later join is a rejoin). */
  private everMember = false;
  /** leave() was called: sends are refused with VSYNC_ERR_LEAVING from then on. */
  private leaving = false;
  /** Why the group ended ('left' or 'closed'): later calls fail with the same code. */
  private endCode: VsyncError['code'] = ErrorCodes.CLOSED;
  /** Left (or tried to) because its node closed: later calls are refused with VSYNC_ERR_CLOSED, not LEAVING. */
  private closedWithNode = false;
  private readonly readerBuffer: number;
  private readonly rejoin: boolean;
  private readonly maxWaitingSends: number;
  private readonly delivery: DeliveryKind;
  private readonly hooks: StateHooks | null;
  private readonly counters = new GroupCounters();
  private resolveClosed!: () => void;
  /** Resolves once the group has ended here (left, closed, excluded for good). */
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    readonly name: string,
    private readonly host: GroupHost,
    opts: GroupOptions = {},
  ) {
    super();
    this.readerBuffer = opts.readerBuffer ?? 10_000;
    this.rejoin = opts.rejoin ?? true;
    this.maxWaitingSends = opts.maxWaitingSends ?? 100_000;
    this.delivery = optionalDeliveryKind(opts.delivery, 'options.delivery') ?? 'safe';
    if ((opts.getState === undefined) !== (opts.setState === undefined)) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'getState and setState go together');
    }
    this.hooks = opts.getState && opts.setState ? { getState: opts.getState, setState: opts.setState, digest: opts.digest } : null;
  }

  /** The member id of the current incarnation. */
  get memberId(): MemberId | null {
    return this.rt?.id ?? null;
  }

  get currentView(): ViewInfo | null {
    return this.view;
  }

  /**
   * Counts, rates, view, send window, log marks and the recent view history of this group at this member
   * (see GroupStats). Cheap: nothing is computed beyond a few fields.
   */
  stats(): GroupStats {
    const m = this.rt?.member;
    const core: CoreFigures | null = m
      ? {
          id: m.id,
          view: m.currentView,
          blocked: m.isBlocked,
          suspected: m.suspectedMembers,
          deliveredSeq: m.deliveredSeq,
          receivedSeq: m.receivedSeq,
          pendingSends: m.pendingSends,
          pendingSendBytes: m.pendingSendBytes,
          maxPendingSends: m.cfg.maxPendingSends,
          maxPendingBytes: m.cfg.maxPendingBytes,
          logMessages: m.logMessages,
          logBytes: m.logBytes,
          stableSeq: m.stableSeq,
          commitSeq: m.commitSeq,
          rejectedFrames: m.rejectedFrames,
        }
      : null;
    return this.counters.stats(this.name, this.state, core);
  }

  /** @internal Rate samples for the ops web page's chart. */
  rateSeries(): ReturnType<GroupCounters['series']> {
    return this.counters.series();
  }

  /** @internal `found`: a list founds the group with those members (this one among them). */
  start(found: boolean | readonly MemberId[]): void {
    const id = this.host.newIncarnation(this.name);
    const rt: MemberRuntime = new MemberRuntime({ ...this.host.runtimeOptions(this.name, id, (e) => this.onEvent(rt, e)), stateful: this.hooks !== null });
    this.rt = rt;
    if (Array.isArray(found)) rt.input((m) => m.bootstrap(found as readonly MemberId[]));
    else if (found) rt.input((m) => m.bootstrap([id]));
    else rt.input((m) => m.join(this.host.contacts()));
  }

  /**
   * @internal Gives up this instance of the group without a word and joins another one (a merge), exactly as after
   * an exclusion: the application sees `excluded` and then receives the other instance's state.
   */
  restartElsewhere(): void {
    const rt = this.rt;
    if (rt && (this.state === 'member' || this.state === 'joining')) this.onEvent(rt, { type: 'excluded', view: this.view?.id ?? 0 });
  }

  /**
   * @internal Recovery: ends this blocked instance and founds a new lineage alone, keeping the application's state
   * (this member delivered the most of the survivors). Sends not yet delivered are rejected: they may be lost.
   */
  refound(): void {
    const rt = this.rt;
    if (!rt || this.state !== 'member') return;
    rt.close(false);
    const err = new VsyncError(ErrorCodes.EXCLUDED, `group ${this.name}: the blocked instance was ended by a recovery; this message may be lost`);
    this.pending.rejectAll(err);
    this.counters.incarnation(false);
    this.start(true);
  }

  /**
   * Recovery after a lost majority, the operator's explicit command (docs/deploy.md): when this member is blocked in
   * a minority of its view, ends that instance and founds a new lineage of the group (a new group id whose parent is
   * the old one) with the reachable survivors, from the state of the survivor that delivered the most. Messages
   * delivered only by the unreachable members are lost. Rejects with VSYNC_ERR_INVALID_ARGUMENT without
   * `confirm: true`, VSYNC_ERR_NOT_IN_MINORITY when the group is not blocked in a minority, VSYNC_ERR_NOT_MEMBER,
   * VSYNC_ERR_ABORTED.
   */
  recover(opts: { confirm?: boolean; signal?: AbortSignal } = {}): Promise<RecoverResult> {
    const o = optionsObject(opts, 'options');
    optionalSignal(o['signal'], 'options.signal');
    return this.host.recover(this.name, { confirm: o['confirm'] === true, signal: o['signal'] as AbortSignal | undefined });
  }

  /** @internal Resolves when the first view is installed. */
  joined(signal?: AbortSignal): Promise<void> {
    if (this.state === 'member') return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.joinedWaiters.push({ resolve, reject }));
    return withSignal(p, signal);
  }

  /** @internal Frames for this group from the node. */
  receive(from: MemberId, to: MemberId | '', frame: Frame): void {
    const rt = this.rt;
    // Addressed to an earlier incarnation of ours ('': a multicast, for whoever this node's member is now).
    if (rt === null || (to !== '' && rt.id !== to)) return;
    rt.input((m) => m.receive(from, frame));
  }

  /** @internal */
  tick(): void {
    const rt = this.rt;
    if (!rt) return;
    // A joiner's contacts were the peers connected when it started; nodes started together may all have been
    // joiners then. Widen them as peers connect, or two joiners that only know each other wait for ever.
    if (this.state === 'joining' && ++this.ticksJoining % CONTACT_REFRESH_TICKS === 0) {
      const contacts = this.host.contacts();
      rt.input((m) => m.setContacts(contacts));
    }
    rt.input((m) => m.tick());
    this.counters.sample(rt.member.receivedSeq);
  }

  /** A listener that is not a function would only fail when the event fires, far from the mistake: refuse it here. */
  override on<T extends EventEmitter.EventNames<GroupEvents>>(event: T, fn: EventEmitter.EventListener<GroupEvents, T>, context?: unknown): this {
    optionalFunction(fn ?? null, 'listener');
    return super.on(event, fn, context);
  }

  override once<T extends EventEmitter.EventNames<GroupEvents>>(event: T, fn: EventEmitter.EventListener<GroupEvents, T>, context?: unknown): this {
    optionalFunction(fn ?? null, 'listener');
    return super.once(event, fn, context);
  }

  override addListener<T extends EventEmitter.EventNames<GroupEvents>>(event: T, fn: EventEmitter.EventListener<GroupEvents, T>, context?: unknown): this {
    optionalFunction(fn ?? null, 'listener');
    return super.addListener(event, fn, context);
  }

  /**
   * Listener errors stay with the listener: logged, never thrown into the protocol's event dispatch (where one
   * throwing 'view' listener would otherwise stop this member from ever completing its join).
   */
  override emit<T extends EventEmitter.EventNames<GroupEvents>>(event: T, ...args: EventEmitter.EventArgs<GroupEvents, T>): boolean {
    try {
      return super.emit(event, ...args);
    } catch (err) {
      this.host.logger.error({ err, group: this.name, event }, 'a group event listener threw');
      return true;
    }
  }

  /**
   * Multicasts `payload` in total order. Resolves with its sequence number once it is delivered here; while the
   * send window is full it waits (backpressure). The payload is copied at the call: the caller may reuse its buffer. Rejects with VSYNC_ERR_INVALID_ARGUMENT (not a Uint8Array),
   * VSYNC_ERR_PAYLOAD_TOO_LARGE, VSYNC_ERR_NOT_MEMBER (no view yet, or rejoining after an exclusion),
   * VSYNC_ERR_LEAVING (leave() was called), VSYNC_ERR_EXCLUDED, VSYNC_ERR_CLOSED (the node closed) or
   * VSYNC_ERR_ABORTED.
   */
  send(payload: Uint8Array, opts: SendOptions = {}): Promise<SendResult> {
    // Not an async function: a send that finds room (the common case) returns the delivery promise itself, one
    // promise per message instead of three. Every error is still a rejection, never a throw.
    try {
      bytes(payload, 'payload');
      const o = optionsObject(opts, 'options');
      optionalSignal(o['signal'], 'options.signal');
      const signal = o['signal'] as AbortSignal | undefined;
      const kind = kindCode(optionalDeliveryKind(o['delivery'], 'options.delivery') ?? this.delivery);
      // A copy, taken now: the caller may reuse its buffer at once, also while the send waits for room, and the logs
      // that hold the message (the outbox until it comes back, the sequencer's until every member has it, for
      // retransmissions and the flush) keep bytes that nobody changes. One too large is refused uncopied.
      const max = this.rt?.member.cfg.maxPayloadBytes ?? 0;
      const own = payload.byteLength <= max ? this.copies.copy(payload) : payload;
      return this.trySend(own, kind, signal) ?? this.sendWhenRoom(own, kind, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Sends now if the window has room (the promise of its delivery), else null; throws the coded refusals. */
  private trySend(payload: Uint8Array, kind: KindCode, signal: AbortSignal | undefined): Promise<SendResult> | null {
    throwIfAborted(signal);
    const rt = this.rt;
    if (this.closedWithNode) throw new VsyncError(ErrorCodes.CLOSED, `group ${this.name}: closed with its node`);
    if (this.leaving || this.state === 'left') throw new VsyncError(ErrorCodes.LEAVING, `group ${this.name}: ${this.state === 'left' ? 'left' : 'leaving'}`);
    if (this.state === 'closed') throw new VsyncError(this.endCode, `group ${this.name}: closed`);
    if (this.state !== 'member' || rt === null) throw new VsyncError(ErrorCodes.NOT_MEMBER, `group ${this.name}: not a member (${this.state})`);
    if (payload.byteLength > rt.member.cfg.maxPayloadBytes) {
      throw new VsyncError(ErrorCodes.PAYLOAD_TOO_LARGE, `payload of ${payload.byteLength} bytes exceeds ${rt.member.cfg.maxPayloadBytes}`);
    }
    if (!rt.member.canSend(payload.byteLength)) return null;
    const msgNo = rt.input((m) => m.send(payload, kind))!;
    this.counters.sent++;
    return withSignal(this.pending.add(msgNo), signal);
  }

  /** The window is full: waits for room (backpressure), bounded by `maxWaitingSends`, then sends. */
  private async sendWhenRoom(payload: Uint8Array, kind: KindCode, signal: AbortSignal | undefined): Promise<SendResult> {
    for (;;) {
      if (this.waiting.length >= this.maxWaitingSends) throw new VsyncError(ErrorCodes.BACKPRESSURE, 'too many sends waiting for the send window');
      let wake!: () => void;
      const room = new Promise<void>((r) => {
        wake = r;
        this.waiting.push(r);
      });
      await withSignal(room, signal, () => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
      });
      const sent = this.trySend(payload, kind, signal);
      if (sent !== null) return sent;
    }
  }

  /** Delivered messages in total order. Each call is an independent reader with a bounded buffer. */
  messages(): AsyncIterable<Message> {
    const q: BoundedQueue<Message> = new BoundedQueue<Message>(this.readerBuffer, () => this.readers.delete(q));
    this.readers.add(q);
    if (this.state === 'left' || this.state === 'closed') q.end();
    return q;
  }

  /** Installed views, in order. */
  views(): AsyncIterable<ViewInfo> {
    const q: BoundedQueue<ViewInfo> = new BoundedQueue<ViewInfo>(this.readerBuffer, () => this.viewReaders.delete(q));
    this.viewReaders.add(q);
    if (this.view) q.push(this.view);
    if (this.state === 'left' || this.state === 'closed') q.end();
    return q;
  }

  /**
   * Graceful leave: own messages are delivered first; resolves when this member is out of the group. Sends are
   * refused with VSYNC_ERR_LEAVING from the call on. A signal that fires stops the wait, not the leave.
   */
  async leave(opts: { signal?: AbortSignal } = {}): Promise<void> {
    const o = optionsObject(opts, 'options');
    optionalSignal(o['signal'], 'options.signal');
    const signal = o['signal'] as AbortSignal | undefined;
    if (this.state === 'left' || this.state === 'closed') return;
    throwIfAborted(signal);
    const done = new Promise<void>((r) => this.leftWaiters.push(r));
    if (!this.leaving) {
      this.leaving = true;
      this.rt?.input((m) => m.leave());
    }
    await withSignal(done, signal);
  }

  /**
   * @internal The node is closing: leaves, when a member not blocked in a minority, until `signal` aborts (the
   * node's bound). The trace records the leave: a checker must not count a member that left in the majority of the
   * views after it.
   */
  async leaveForClose(signal: AbortSignal): Promise<void> {
    if (this.state !== 'member' || this.counters.minority) return;
    await this.leave({ signal }).catch(() => {});
    // The node is closed from now on, and what is called on this group says so.
    this.endCode = ErrorCodes.CLOSED;
    this.closedWithNode = true;
  }

  /** @internal Stops without leaving (node shutdown); `clean` writes `end` to the trace. */
  close(clean: boolean): void {
    // A group that has left is released: its name may belong to a newer group of the node by now.
    if (this.state === 'closed' || this.state === 'left') return;
    this.rt?.close(clean);
    this.rt = null;
    this.finish('closed', new VsyncError(ErrorCodes.CLOSED, `group ${this.name} closed`));
  }

  /** Writes `end` to this member's trace now: nothing after it is traced (used before a shutdown leave). */
  endTrace(): void {
    this.rt?.endTrace();
  }

  /** @internal Writes a `state` line (state-machine layer). */
  recordState(view: number, hash: string): void {
    integer(view, 'view', 0);
    if (typeof hash !== 'string' || !/^[0-9a-f]{16}$/.test(hash)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'hash must be 16 hex characters');
    this.rt?.recordState(view, hash);
  }

  private becomeMember(): void {
    this.state = 'member';
    this.everMember = true;
    for (const w of this.joinedWaiters.splice(0)) w.resolve();
  }

  private finish(state: 'left' | 'closed', err: VsyncError): void {
    this.state = state;
    this.endCode = err.code;
    this.pending.rejectAll(err);
    for (const w of this.waiting.splice(0)) w();
    for (const w of this.joinedWaiters.splice(0)) w.reject(err);
    for (const r of this.readers) r.end();
    for (const r of this.viewReaders) r.end();
    for (const w of this.leftWaiters.splice(0)) w();
    this.host.release(this);
    this.resolveClosed();
  }

  /** `await using`: a graceful leave at the end of the scope (waits for it like leave(); nothing if already ended). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.leave();
  }

  private onEvent(rt: MemberRuntime, e: CoreEvent): void | 'yield' {
    if (rt !== this.rt) return;
    switch (e.type) {
      case 'install': {
        const v: ViewInfo = { id: e.view.id, members: e.view.members, joined: e.joined, left: e.left, coordinator: e.view.members[0]! };
        this.view = v;
        // Graceful leavers are read from the core now: events reach us right after the core produced them, so this
        // is the change of this install (two installs in one burst would label the first one's leavers as failed).
        const rec = this.counters.install(rt.id, e.view, e.joined, e.left, rt.member.lastLeavers);
        this.host.logger.info(
          { group: this.name, member: rt.id, viewId: v.id, members: v.members, joined: rec.joined, left: rec.left, failed: rec.failed, flushMs: rec.flushMs },
          `view ${v.id} installed: ${rec.reason}`,
        );
        if (rec.flushMs !== null) this.host.flushed?.(this.name, rec.flushMs);
        const loading = rt.member.awaitingState;
        if (this.hooks?.digest && !loading) rt.recordState(v.id, this.hooks.digest());
        for (const r of this.viewReaders) r.push(v);
        this.emit('view', v);
        if (this.state === 'joining' && !loading) {
          this.becomeMember();
          return 'yield';
        }
        break;
      }
      case 'deliver': {
        this.counters.delivered++;
        if (e.sender === rt.id) {
          this.pending.delivered(e.msgNo, e.seq, e.view);
          const w = this.waiting.shift();
          if (w) w();
        }
        // Nobody reads messages (a sender-only member): no Message object per delivery.
        if (this.readers.size === 0 && this.listenerCount('message') === 0) break;
        const m: Message = { sender: e.sender, seq: e.seq, viewId: e.view, payload: e.payload, delivery: kindOf(e.kind) };
        if (this.readers.size > 0) for (const r of this.readers) r.push(m);
        this.emit('message', m);
        break;
      }
      case 'snapshot': {
        // Checked here: a wrong value would otherwise fail in the encoder, inside a timer, and end the process.
        const state = this.hooks!.getState();
        if (!(state instanceof Uint8Array)) {
          this.host.logger.error({ group: this.name, view: e.view }, 'getState() must return a Uint8Array: no state for the joiners');
          break;
        }
        rt.member.provideSnapshot(e.view, state);
        break;
      }
      case 'state':
        this.hooks!.setState(e.data);
        if (this.hooks!.digest) rt.recordState(e.view, this.hooks!.digest());
        if (this.state === 'joining') {
          this.becomeMember();
          return 'yield';
        }
        break;
      case 'block':
        this.counters.block();
        this.emit('block');
        break;
      case 'unblock':
        this.emit('unblock');
        break;
      case 'minority':
        this.counters.minority = true;
        this.counters.minorityReports++;
        this.host.logger.info(
          { group: this.name, member: rt.id, viewId: e.view, reachable: e.reachable, members: e.members },
          `minority: only ${e.reachable} of ${e.members} members of view ${e.view} reachable; blocked until a majority is reachable again (the others crashed, shut down or are cut off; recover() or 'vsync recover' if they are gone for good)`,
        );
        this.emit('minority', { viewId: e.view, reachable: e.reachable, members: e.members });
        break;
      case 'left':
        rt.close(false);
            this.rt = null;
        this.emit('left');
        this.finish('left', new VsyncError(ErrorCodes.LEAVING, `group ${this.name}: left`));
        break;
      case 'join-failed': {
        // The group did not admit this incarnation in time (the core stops asking). A rejoin after an exclusion
        // keeps trying as a new incarnation; a first join fails with the cause, and join() leaves nothing behind.
        rt.close(false);
        this.host.logger.warn({ group: this.name, member: rt.id, waitedTicks: e.waitedTicks }, 'the group did not admit this member in time');
        if (this.rejoin && this.everMember) {
          this.start(false);
        } else {
                this.rt = null;
          this.finish('closed', new VsyncError(ErrorCodes.UNREACHABLE, `group ${this.name}: not admitted within ${e.waitedTicks} ticks (no member answered the join)`));
        }
        break;
      }
      case 'excluded': {
        rt.close(false);
        const old = rt.id;
        const err = new VsyncError(ErrorCodes.EXCLUDED, `member ${old} was excluded from ${this.name}`);
        // Messages not yet delivered back may or may not have been delivered to the others: say so, do not guess.
        this.pending.rejectAll(err);
        this.counters.excluded++;
        this.host.logger.info({ group: this.name, member: old, rejoining: this.rejoin }, `excluded from the group${this.rejoin ? ': rejoining as a new incarnation' : ''}`);
        this.emit('excluded', { member: old, rejoining: this.rejoin });
        if (this.rejoin) {
          this.state = 'joining';
          this.counters.incarnation(true);
          this.start(false);
        } else {
                this.rt = null;
          this.finish('closed', err);
        }
        break;
      }
      default:
        break;
    }
  }
}
