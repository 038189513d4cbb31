import './dispose.js';
import type { EventEmitter } from 'eventemitter3';
import type { MemberId } from '../core/index.js';
import type { GroupEvents, Message, SendOptions, SendResult, ViewInfo } from './group.js';
import { type CloseOptions, type JoinOptions, NodeImpl, type NodeOptions } from './node.js';
import type { RecoverResult } from './recover.js';
import type { GroupStats, NodeStats } from './stats.js';

/**
 * The public face of a node and of a group: what an application may call. The classes behind them (NodeImpl,
 * GroupImpl) also carry what the node and the runtime use to drive a group (ticks, frames, traces); those stay out of
 * the exported surface, so they can change without breaking users.
 */

type Listener<E extends keyof GroupEvents> = EventEmitter.EventListener<GroupEvents, E>;

/**
 * A process group as the application sees it: typed events, async iterators, and promises that resolve when a
 * message is delivered back to its sender (ordered and held by a majority of the view). Get one from `Node.join`.
 */
export interface Group {
  readonly name: string;
  /** The member id of the current incarnation. */
  readonly memberId: MemberId | null;
  readonly currentView: ViewInfo | null;
  /** Counts, rates, view, send window, log marks and recent view history of this group at this member. */
  stats(): GroupStats;
  /**
   * Multicasts `payload` in total order; resolves with its sequence number once it is delivered here. Waits while
   * the send window is full. The payload is copied at the call: the caller may reuse its buffer. `delivery` picks the kind (default: the group's, else `'safe'`). Rejects with a
   * VsyncError (see GroupImpl.send for the codes).
   */
  send(payload: Uint8Array, opts?: SendOptions): Promise<SendResult>;
  /** Delivered messages in total order. Each call is an independent reader with a bounded buffer. */
  messages(): AsyncIterable<Message>;
  /** Installed views, in order. */
  views(): AsyncIterable<ViewInfo>;
  /**
   * Recovery after a lost majority, never automatic (docs/deploy.md): when this member is blocked in a minority, ends
   * that instance and founds a new lineage of the group with the reachable survivors, from the state of the one that
   * delivered the most. Messages delivered only by the unreachable members are lost. Needs `confirm: true`;
   * VSYNC_ERR_NOT_IN_MINORITY when the group is not blocked in a minority.
   */
  recover(opts: { confirm: boolean; signal?: AbortSignal }): Promise<RecoverResult>;
  /** Graceful leave: resolves when this member is out of the group. */
  leave(opts?: { signal?: AbortSignal }): Promise<void>;
  /** Resolves once the group has ended here: left, closed with its node, or excluded without rejoining. Never rejects. */
  readonly closed: Promise<void>;
  /** `await using group = await node.join(...)`: leaves the group (gracefully) at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;

  on<E extends keyof GroupEvents>(event: E, fn: Listener<E>, context?: unknown): this;
  once<E extends keyof GroupEvents>(event: E, fn: Listener<E>, context?: unknown): this;
  addListener<E extends keyof GroupEvents>(event: E, fn: Listener<E>, context?: unknown): this;
  off<E extends keyof GroupEvents>(event: E, fn?: Listener<E>, context?: unknown, once?: boolean): this;
  removeListener<E extends keyof GroupEvents>(event: E, fn?: Listener<E>, context?: unknown, once?: boolean): this;
  removeAllListeners(event?: keyof GroupEvents): this;
  listenerCount(event: keyof GroupEvents): number;
}

/** A vsync node: one process's presence in a cluster, with one connection per peer node shared by its groups. */
export interface Node {
  /** Node name, unique in the cluster. */
  readonly name: string;
  /** The URL peers use to reach this node, if it listens. */
  readonly url: string | null;
  /** The ops endpoint's URL (`http://host:port`), when started with `http`. */
  readonly httpUrl: string | null;
  /** This node's groups, peers and transport totals now. */
  stats(): NodeStats;
  /** The id of this node's instance of `group` ('' while unknown; null when not in it): see docs/deploy.md. */
  groupId(group: string): string | null;
  /** Joins (or founds) `group`; resolves with the group once this member has installed its first view. */
  join(group: string, opts?: JoinOptions): Promise<Group>;
  /**
   * Leaves every group (the others get a smaller view at once; waits at most 2 s, or until `signal` aborts, and not
   * for a group blocked in a minority, which cannot leave), then closes the groups and the transport. With
   * `leave: false` it stops at once, which the others see as a crash (they exclude it after the failure timeout).
   */
  close(opts?: CloseOptions): Promise<void>;
  /** Resolves once the node is closed (by `close()` or disposal). Never rejects. */
  readonly closed: Promise<void>;
  /** `await using node = await Node.start(...)`: closes the node at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** `Node.start(options)`: the only way to make a node. */
export const Node: {
  /**
   * Starts a node: validates every option (VSYNC_ERR_INVALID_ARGUMENT naming the option, before anything is
   * opened), then listens and dials the seeds. VSYNC_ERR_LISTEN_FAILED when the address cannot be listened on;
   * VSYNC_ERR_ABORTED when `signal` fires first.
   */
  start(opts: NodeOptions & { signal?: AbortSignal }): Promise<Node>;
} = Object.freeze({
  start: (opts: NodeOptions & { signal?: AbortSignal }): Promise<Node> => NodeImpl.start(opts),
});
