import { createHash, randomUUID } from 'node:crypto';
import type { Message, ViewInfo } from '../api/group.js';
import type { JoinOptions } from '../api/node.js';
import type { Group, Node } from '../api/public.js';
import { ErrorCodes, VsyncError } from '../errors.js';
import { withSignal } from '../api/abort.js';
import { invalid, optionalFunction } from '../api/validate.js';
import { type ClientEntry, decodeCommand, decodeSnapshot, encodeCommand, encodeSnapshot } from './rsm-codec.js';

/** The application: deterministic, so every member that applies the same commands holds the same state. */
export interface StateMachine {
  apply(command: Uint8Array, ctx: { client: string; seq: number }): Uint8Array;
  /**
   * Optional: why a command is malformed, or null. A command refused here is answered with
   * VSYNC_ERR_INVALID_ARGUMENT at submit and never ordered. It must not depend on the state.
   */
  validate?(command: Uint8Array): string | null;
  snapshot(): Uint8Array;
  restore(snapshot: Uint8Array): void;
  /** Called at each view, at the same point of the command stream everywhere (e.g. release a departed holder's locks). */
  onView?(view: ViewInfo): void;
}

export interface RsmOptions extends Omit<JoinOptions, 'getState' | 'setState' | 'digest'> {
  /** Most clients remembered for exactly-once answers; the least recently active is forgotten first. */
  maxClients?: number;
  /** Most bytes of cached results (and client ids) in that table (default 64 MiB); beyond, the same rule. */
  maxClientBytes?: number;
  /** Write the state's digest (SHA-256 of the snapshot) as the trace's `state` line at every view. */
  traceDigest?: boolean;
}


/** What an exactly-once entry costs, by a rule every member computes alike. */
const entryBytes = (client: string, e: { result: Uint8Array; error?: string }): number => 64 + 2 * client.length + e.result.byteLength + 2 * (e.error?.length ?? 0);

interface Waiter {
  resolve: (r: Uint8Array) => void;
  reject: (e: unknown) => void;
}

/**
 * A replicated state machine on a group (Schneider 1990): commands go through the group's total order; every
 * member applies them in that order; joiners receive the state (and the table of last answers per client) at
 * their join cut. Commands carry a client id and a request number, so a retried command is applied once and
 * answered with its first result, across view changes and state transfer.
 */
export class ReplicatedStateMachine {
  private readonly clients = new Map<string, { request: number; result: Uint8Array; error?: string }>();
  private clientBytes = 0;
  private readonly maxClientBytes: number;
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly localClient = `local:${randomUUID()}`;
  private nextRequest = 1;
  private minority = false;
  private readonly maxClients: number;
  group!: Group;

  private constructor(
    private readonly sm: StateMachine,
    opts: RsmOptions,
  ) {
    this.maxClients = opts.maxClients ?? 100_000;
    this.maxClientBytes = opts.maxClientBytes ?? 64 * 1024 * 1024;
    for (const [k, v] of [['maxClients', this.maxClients], ['maxClientBytes', this.maxClientBytes]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `${k} must be a positive integer, got ${String(v)}`);
    }
  }

  static async join(node: Node, name: string, sm: StateMachine, opts: RsmOptions = {}): Promise<ReplicatedStateMachine> {
    // Checked at the call: a wrong node fails here with a TypeError, a wrong state machine at the first command.
    if (node === null || typeof node !== 'object' || typeof (node as { join?: unknown }).join !== 'function') {
      throw invalid('node must be a Node (from Node.start)');
    }
    if (sm === null || typeof sm !== 'object') throw invalid('sm must be a state machine: an object with apply, snapshot and restore');
    for (const m of ['apply', 'snapshot', 'restore'] as const) {
      if (typeof sm[m] !== 'function') throw invalid(`sm.${m} must be a function`);
    }
    for (const m of ['validate', 'onView'] as const) optionalFunction(sm[m], `sm.${m}`);
    const rsm = new ReplicatedStateMachine(sm, opts);
    rsm.group = await node.join(name, {
      ...opts,
      getState: () => rsm.snapshot(),
      setState: (s) => rsm.restore(s),
      digest: opts.traceDigest ? () => createHash('sha256').update(rsm.snapshot()).digest('hex').slice(0, 16) : undefined,
    });
    rsm.group.on('message', (m) => rsm.onMessage(m));
    rsm.group.on('view', (v) => {
      rsm.minority = false;
      sm.onView?.(v);
    });
    rsm.group.on('minority', () => {
      rsm.minority = true;
    });
    rsm.group.on('excluded', () => rsm.failAll(new VsyncError(ErrorCodes.EXCLUDED, 'excluded: the outcome of pending commands is unknown here')));
    rsm.group.on('left', () => rsm.failAll(new VsyncError(ErrorCodes.LEAVING, 'left the group')));
    return rsm;
  }

  /**
   * Submits a command and resolves with its result once it is applied at this member. `client` and `request`
   * identify it for exactly-once execution (an external client's retry); by default this member's own client.
   */
  async submit(command: Uint8Array, opts: { client?: string; request?: number; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    if (!(command instanceof Uint8Array)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'command must be a Uint8Array');
    if (opts.client !== undefined && (typeof opts.client !== 'string' || opts.client.length === 0)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'client must be a non-empty string');
    if (opts.request !== undefined && (!Number.isSafeInteger(opts.request) || opts.request < 0)) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'request must be a non-negative safe integer');
    const invalid = this.sm.validate?.(command);
    if (invalid) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `command refused: ${invalid}`);
    const client = opts.client ?? this.localClient;
    const request = opts.request ?? this.nextRequest++;
    const key = `${client}\u0000${request}`;
    let w!: Waiter;
    const result = new Promise<Uint8Array>((resolve, reject) => {
      w = { resolve, reject };
      const list = this.waiters.get(key);
      if (list) list.push(w);
      else this.waiters.set(key, [w]);
    });
    const forget = (): void => {
      const list = this.waiters.get(key)?.filter((x) => x !== w);
      if (list && list.length > 0) this.waiters.set(key, list);
      else this.waiters.delete(key);
    };
    this.group.send(encodeCommand({ client, request, body: command }), { signal: opts.signal }).catch((err) => {
      forget();
      w.reject(err);
    });
    return withSignal(result, opts.signal, forget);
  }

  private onMessage(m: Message): void {
    let cmd;
    try {
      cmd = decodeCommand(m.payload);
    } catch {
      return; // Not a command: every member skips it alike.
    }
    const known = this.clients.get(cmd.client);
    let result: Uint8Array;
    let stale = false;
    let failed: VsyncError | null = null;
    if (known && cmd.request <= known.request) {
      if (cmd.request === known.request) {
        result = known.result;
        if (known.error !== undefined) failed = new VsyncError(ErrorCodes.INVALID_ARGUMENT, known.error);
      } else {
        result = new Uint8Array(0);
        stale = true;
      }
    } else {
      try {
        result = this.sm.apply(cmd.body, { client: cmd.client, seq: m.seq });
      } catch (err) {
        // A state machine that throws (e.g. on input it did not expect) throws alike at every member: the command
        // is answered with an error and counted as done, never left unanswered or allowed out of the handler.
        failed = new VsyncError(ErrorCodes.INVALID_ARGUMENT, `command failed: ${(err as Error)?.message ?? String(err)}`);
        result = new Uint8Array(0);
      }
      this.remember(cmd.client, { request: cmd.request, result, error: failed?.message });
    }
    const key = `${cmd.client}\u0000${cmd.request}`;
    const list = this.waiters.get(key);
    if (!list) return;
    this.waiters.delete(key);
    for (const w of list) {
      if (stale) w.reject(new VsyncError(ErrorCodes.STALE_REQUEST, `request ${cmd.request} of ${cmd.client} is older than its last one`));
      else if (failed) w.reject(failed);
      else w.resolve(result);
    }
  }

  /**
   * Records a client's last answer, most recent last; forgets the least recently active clients beyond the
   * count and byte bounds (never the newest). The same at every member: it depends only on delivered commands.
   */
  private remember(client: string, e: { request: number; result: Uint8Array; error?: string }): void {
    const old = this.clients.get(client);
    if (old) {
      this.clients.delete(client);
      this.clientBytes -= entryBytes(client, old);
    }
    this.clients.set(client, e);
    this.clientBytes += entryBytes(client, e);
    while (this.clients.size > 1 && (this.clients.size > this.maxClients || this.clientBytes > this.maxClientBytes)) {
      const [c, x] = this.clients.entries().next().value as [string, { result: Uint8Array; error?: string }];
      this.clients.delete(c);
      this.clientBytes -= entryBytes(c, x);
    }
  }

  /** True between a `minority` report and the next view: this member cannot order anything (no majority). */
  get noQuorum(): boolean {
    return this.minority;
  }

  /** Why the state machine refuses `command` before it is ordered, or null. */
  validate(command: Uint8Array): string | null {
    return this.sm.validate?.(command) ?? null;
  }

  private snapshot(): Uint8Array {
    const clients: ClientEntry[] = [];
    for (const [client, e] of this.clients) clients.push({ client, request: e.request, result: e.result, error: e.error });
    return encodeSnapshot(this.sm.snapshot(), clients);
  }

  private restore(data: Uint8Array): void {
    const s = decodeSnapshot(data);
    this.sm.restore(s.app);
    this.clients.clear();
    this.clientBytes = 0;
    for (const c of s.clients) this.remember(c.client, { request: c.request, result: c.result, error: c.error });
  }

  private failAll(err: VsyncError): void {
    for (const list of this.waiters.values()) for (const w of list) w.reject(err);
    this.waiters.clear();
  }

  async leave(opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.group.leave(opts);
  }
}
