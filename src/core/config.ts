/**
 * Tunables of one member, in ticks (the runtime decides how long a tick is; the default runtime uses 10 ms)
 * and in counts/bytes for every bound the core keeps.
 */
export interface CoreConfig {
  /** Send a heartbeat when nothing else went to the view for this many ticks. */
  heartbeatTicks: number;
  /** Silence after which a member is doubted and pinged directly. */
  suspectTicks: number;
  /** Further silence after the ping before a doubted member is suspected (the double-check). */
  confirmTicks: number;
  /** Re-send flush frames to members that have not answered. */
  flushRetryTicks: number;
  /** A flush attempt that makes no progress this long excludes whoever did not answer and starts again. */
  flushTimeoutTicks: number;
  /** No progress of the ordered stream through a member (or of the sequencer for a waiting member) for this long excludes it. */
  progressTimeoutTicks: number;
  /** Largest view (ballots encode ranks below 1024). */
  maxMembers: number;
  /** Re-forward own messages the sequencer has not ordered yet. */
  forwardRetryTicks: number;
  /** Re-ask for missing sequence numbers. */
  fetchRetryTicks: number;
  /** Re-send a join or leave request. */
  requestRetryTicks: number;
  /** Wait this long after the first membership change before flushing, so that changes arriving together make one view. */
  batchChangesTicks: number;
  /** Most own messages not yet delivered back to the sender (the send window). */
  maxPendingSends: number;
  /** Most bytes of payload in the send window. */
  maxPendingBytes: number;
  /** Largest payload accepted by send(). */
  maxPayloadBytes: number;
  /** Most ordered messages kept that some member of the view may still lack. */
  maxLogEntries: number;
  /** Most payload bytes in that log. */
  maxLogBytes: number;
  /**
   * Most payload bytes held ahead of a gap in the ordered stream (entries that arrived before a missing one).
   * Beyond it such entries are dropped and fetched again once the gap is filled.
   */
  maxAheadBytes: number;
  /** Upper bound on payload bytes packed in one frame (a single larger message still goes alone). */
  maxFrameBytes: number;
  /** Most join requests remembered while waiting for a view change. */
  maxPendingJoins: number;
  /** Most excluded ids remembered, so that an excluded incarnation is told so instead of readmitted. */
  maxRememberedExcluded: number;
  /**
   * A joiner not admitted within this many ticks gives up with a `join-failed` event (its contacts are gone or
   * unreachable, the group is full, or it refuses us): a join ends one way or the other.
   */
  joinTimeoutTicks: number;
  /**
   * A message whose payload has at least this many bytes is *direct*: its sender multicasts it to every member
   * and the sequencer orders its id only, so large payloads do not all pass through the sequencer's uplink.
   * Smaller ones take the sequencer's path (one hop fewer to deliver). `maxPayloadBytes + 1` turns direct off.
   * Carried per message on the wire, so members need not agree on it.
   */
  directMinBytes: number;
  /**
   * The sequencer's multicast gives each member that member's own messages of at least this many bytes as ids
   * only: the member still holds their payloads in its outbox, so sending them back only costs bandwidth and
   * crypto. Each member then gets a frame of its own (one encoding per member instead of one for all), which does
   * not pay for payloads below this size. `maxPayloadBytes + 1` turns it off. Nothing for members to agree on.
   */
  ownIdsMinBytes: number;
}

export const DEFAULT_CONFIG: Readonly<CoreConfig> = Object.freeze({
  heartbeatTicks: 5,
  suspectTicks: 30,
  confirmTicks: 20,
  flushRetryTicks: 5,
  flushTimeoutTicks: 60,
  progressTimeoutTicks: 300,
  maxMembers: 1024,
  forwardRetryTicks: 10,
  fetchRetryTicks: 5,
  requestRetryTicks: 10,
  batchChangesTicks: 2,
  maxPendingSends: 4096,
  maxPendingBytes: 32 * 1024 * 1024,
  maxPayloadBytes: 1024 * 1024,
  maxLogEntries: 16384,
  maxLogBytes: 64 * 1024 * 1024,
  maxAheadBytes: 16 * 1024 * 1024,
  maxFrameBytes: 256 * 1024,
  maxPendingJoins: 256,
  maxRememberedExcluded: 4096,
  joinTimeoutTicks: 3000,
  directMinBytes: 8 * 1024,
  ownIdsMinBytes: 256,
});

export function resolveConfig(partial?: Partial<CoreConfig>): CoreConfig {
  const c = { ...DEFAULT_CONFIG, ...partial };
  for (const [k, v] of Object.entries(c)) {
    if (!Number.isInteger(v) || (v as number) < 1) throw new RangeError(`config.${k} must be a positive integer, got ${String(v)}`);
  }
  return c;
}
