// Types of trace format v1 (docs/trace-format.md). The checker depends on nothing but these and
// node: built-ins, so that a bug in the protocol core cannot also hide in the checker.

export type OrderClass = 'total' | 'safe' | 'fifo' | 'causal';

export const ORDER_CLASSES: readonly OrderClass[] = ['total', 'safe', 'fifo', 'causal'];

export interface ViewInfo {
  readonly id: number;
  /** In rank order, the coordinator first. */
  readonly members: readonly string[];
}

interface EventBase {
  readonly me: string;
  /** 1-based line in the trace file (or position in an in-memory trace); only used to point a human at it. */
  readonly line?: number;
}

export interface InstallEvent extends EventBase {
  readonly ev: 'install';
  readonly view: ViewInfo;
}

export interface SendEvent extends EventBase {
  readonly ev: 'send';
  readonly msg: string;
  readonly view: number;
  readonly hash: string;
  readonly order: OrderClass;
}

export interface DeliverEvent extends EventBase {
  readonly ev: 'deliver';
  readonly msg: string;
  readonly view: number;
  readonly hash: string;
  /** Position in the group's total order; null for messages that are not totally ordered. */
  readonly seq: number | null;
}

export interface StateEvent extends EventBase {
  readonly ev: 'state';
  readonly view: number;
  readonly hash: string;
}

export interface BlockEvent extends EventBase {
  readonly ev: 'block' | 'unblock';
  readonly view: number;
}

export interface LeaveEvent extends EventBase {
  readonly ev: 'leave';
}

export interface EndEvent extends EventBase {
  readonly ev: 'end';
}

/**
 * An event this checker does not know. The format lets traces carry more events, so these are kept (a human
 * reading a report may want them) but no property looks at them. `name` is the original `ev`.
 */
export interface OtherEvent extends EventBase {
  readonly ev: 'other';
  readonly name: string;
  readonly raw: Readonly<Record<string, unknown>>;
}

export type TraceEvent =
  | InstallEvent
  | SendEvent
  | DeliverEvent
  | StateEvent
  | BlockEvent
  | LeaveEvent
  | EndEvent
  | OtherEvent;

/** What one member incarnation did: one trace file. */
export interface MemberTrace {
  readonly file: string;
  /** '' when the file held no readable line at all (e.g. killed before its first write completed). */
  readonly me: string;
  readonly events: TraceEvent[];
  /** Torn last lines tolerated while reading (0 or 1 per file). */
  readonly tornLines?: number;
  /** Format problems found while reading; each becomes a `trace-wellformed` violation. */
  readonly problems?: string[];
}

export interface Violation {
  readonly property: string;
  readonly message: string;
}
