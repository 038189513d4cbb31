/**
 * Hard limits on the shape of one frame, shared by the core (which never produces a frame above them) and the
 * codec (which refuses one above them before it allocates anything). They are wire-format constants, not
 * tunables: two members with different values could not talk.
 */
import { RANKS } from './ballot.js';

/** Longest member id, group name or node name, in UTF-8 bytes. */
export const MAX_ID_BYTES = 1024;
/** Most member ids in a member list: a decision's `members` or `leavers` (a view's size). */
export const MAX_MEMBER_LIST = RANKS;
/** Most distinct senders named by one `msgs` frame. */
export const MAX_FRAME_SENDERS = 4096;
/** Most entries of one `msgs` frame or messages of one `forward` frame. */
export const MAX_FRAME_ENTRIES = 65536;
/**
 * Largest flush round a ballot may carry: `makeBallot(MAX_ROUND, 0)` is about 2^50, so every ballot stays an exact
 * integer with room for the rounds that follow.
 */
export const MAX_ROUND = 2 ** 40;
/**
 * Largest jump of the flush round over the highest round a member has seen in its view. Honest rounds grow by one
 * per attempt; a jump this large would take that many failed attempts in one view, which the flush timeout
 * (an attempt per `flushTimeoutTicks` at most) makes impossible in practice. It makes exhausting `MAX_ROUND`
 * take 2^24 frames instead of one.
 */
export const MAX_ROUND_STEP = 2 ** 16;
