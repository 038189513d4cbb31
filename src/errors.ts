// The public home of vsync's errors: one class, `VsyncError`, and every stable code. The core raises a few of them
// itself (src/core/errors.ts, which keeps the class so the sans-IO core needs nothing outside itself); the rest
// belong to the links, the client endpoint, formation and the API.
import { CoreErrorCodes, InvariantError, VsyncError } from './core/errors.js';

/** Stable error codes: callers branch on `code`, never on message text. */
export const ErrorCodes = {
  ...CoreErrorCodes,
  MALFORMED_FRAME: 'VSYNC_ERR_MALFORMED_FRAME',
  VERSION: 'VSYNC_ERR_VERSION',
  UNKNOWN_GROUP: 'VSYNC_ERR_UNKNOWN_GROUP',
  AUTH: 'VSYNC_ERR_AUTH',
  ABORTED: 'VSYNC_ERR_ABORTED',
  CLOSED: 'VSYNC_ERR_CLOSED',
  /** Replicated state machine: a repeat of a request older than the client's last one (its result is gone). */
  STALE_REQUEST: 'VSYNC_ERR_STALE_REQUEST',
  /** Replicated state machine, byzantine output mode: not enough members gave the same result. */
  REPLY_MISMATCH: 'VSYNC_ERR_REPLY_MISMATCH',
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

export { InvariantError, VsyncError };
