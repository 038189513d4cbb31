// The error class and the codes the core itself raises. Every other code (links, clients, formation, the API)
// lives in src/errors.ts, the public home of errors, so the transport and the API need nothing from the core for
// them; the core only borrows the type of the full list, which is a plain type.
import type { ErrorCode } from '../errors.js';

/** The codes the core raises: calls into a member that cannot be taken, and broken invariants. */
export const CoreErrorCodes = {
  /** The send window is full; wait for deliveries (the async API waits for you). */
  BACKPRESSURE: 'VSYNC_ERR_BACKPRESSURE',
  PAYLOAD_TOO_LARGE: 'VSYNC_ERR_PAYLOAD_TOO_LARGE',
  /** The member has no view yet, or is no longer in the group. */
  NOT_MEMBER: 'VSYNC_ERR_NOT_MEMBER',
  LEAVING: 'VSYNC_ERR_LEAVING',
  /** This incarnation was excluded from the group; a new incarnation must join. */
  EXCLUDED: 'VSYNC_ERR_EXCLUDED',
  INVALID_ARGUMENT: 'VSYNC_ERR_INVALID_ARGUMENT',
  /** An internal invariant was violated: a bug in vsync. */
  INVARIANT: 'VSYNC_ERR_INVARIANT',
} as const;

/** Every error vsync raises: callers branch on `code` (src/errors.ts lists them all), never on message text. */
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
    super(CoreErrorCodes.INVARIANT, message);
    this.name = 'InvariantError';
  }
}

/** Guards an invariant of the core; a failure is a bug, never an input error. */
export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new InvariantError(typeof message === 'string' ? message : message());
}
