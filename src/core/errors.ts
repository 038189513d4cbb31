/** Stable error codes: callers branch on `code`, never on message text. */
export const ErrorCodes = {
  /** The send window is full; wait for deliveries (the async API waits for you). */
  BACKPRESSURE: 'VSYNC_ERR_BACKPRESSURE',
  PAYLOAD_TOO_LARGE: 'VSYNC_ERR_PAYLOAD_TOO_LARGE',
  /** The member has no view yet, or is no longer in the group. */
  NOT_MEMBER: 'VSYNC_ERR_NOT_MEMBER',
  LEAVING: 'VSYNC_ERR_LEAVING',
  /** This incarnation was excluded from the group; a new incarnation must join. */
  EXCLUDED: 'VSYNC_ERR_EXCLUDED',
  MALFORMED_FRAME: 'VSYNC_ERR_MALFORMED_FRAME',
  VERSION: 'VSYNC_ERR_VERSION',
  UNKNOWN_GROUP: 'VSYNC_ERR_UNKNOWN_GROUP',
  AUTH: 'VSYNC_ERR_AUTH',
  ABORTED: 'VSYNC_ERR_ABORTED',
  CLOSED: 'VSYNC_ERR_CLOSED',
  INVALID_ARGUMENT: 'VSYNC_ERR_INVALID_ARGUMENT',
  /** Replicated state machine: a repeat of a request older than the client's last one (its result is gone). */
  STALE_REQUEST: 'VSYNC_ERR_STALE_REQUEST',
  /** Replicated state machine, byzantine output mode: not enough members gave the same result. */
  REPLY_MISMATCH: 'VSYNC_ERR_REPLY_MISMATCH',
  /** An internal invariant was violated: a bug in vsync. */
  INVARIANT: 'VSYNC_ERR_INVARIANT',
  /** No member (client) or seed (join) could be reached in time: connection refused, no route, timeouts. */
  UNREACHABLE: 'VSYNC_ERR_UNREACHABLE',
  /** The group has no majority: it cannot order anything until the partition heals. */
  NO_QUORUM: 'VSYNC_ERR_NO_QUORUM',
  /** Node.start could not listen on the given address (in use, not permitted, not available). */
  LISTEN_FAILED: 'VSYNC_ERR_LISTEN_FAILED',
  /** The group has as many members as it may have: a join cannot be admitted. */
  GROUP_FULL: 'VSYNC_ERR_GROUP_FULL',
  /** A peer runs with a setting every node of a cluster must share (`config.maxPayloadBytes`): its link is refused. */
  CONFIG_MISMATCH: 'VSYNC_ERR_CONFIG_MISMATCH',
  /** A recovery (group.recover) was asked of a member that is not blocked in a minority: nothing to recover from. */
  NOT_IN_MINORITY: 'VSYNC_ERR_NOT_IN_MINORITY',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class VsyncError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VsyncError';
    this.code = code;
  }
}

export class InvariantError extends VsyncError {
  constructor(message: string) {
    super(ErrorCodes.INVARIANT, message);
    this.name = 'InvariantError';
  }
}

/** Guards an invariant of the core; a failure is a bug, never an input error. */
export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new InvariantError(typeof message === 'string' ? message : message());
}
