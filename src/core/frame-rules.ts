/**
 * Who may send what, and which values are acceptable: the rules a member checks before a frame changes any of
 * its state (docs/protocol.md, "Who may send what"). Pure functions over explicit inputs, so each rule can be
 * tested as a table. A frame that breaks a rule is dropped and counted under its reason; it is never acted on.
 *
 * `from` is always the authenticated sender: the runtime hands the core only frames whose sender id belongs to
 * the node at the other end of an authenticated link, so a rule about `from` is a rule about who really sent it.
 */
import { RANKS, roundOf } from './ballot.js';
import type { CoreConfig } from './config.js';
import { MAX_FRAME_ENTRIES, MAX_FRAME_SENDERS, MAX_ID_BYTES, MAX_MEMBER_LIST, MAX_ROUND, MAX_ROUND_STEP } from './frame-limits.js';
import type { Decision, Entry, Frame } from './frames.js';
import type { MemberId, View } from './types.js';

/** Why a frame was dropped. Counted per reason (`Member.rejectedFrames`). */
export type RejectReason =
  /** A value outside its type's range: a negative or unsafe number, an oversize list, id or payload. */
  | 'shape'
  /** The sender is not a member of the receiver's view (or, for a joiner, not one of its contacts). */
  | 'not-member'
  /** A non-fill `msgs` from someone other than the view's sequencer. */
  | 'not-sequencer'
  /** A join that neither comes from the joiner itself nor is relayed by a member. */
  | 'join-not-joiner'
  /** An `ack`, at the sequencer, above what it ever had (so above anything it sent). */
  | 'ack-above-sent'
  /** A `msgs` whose watermarks contradict each other (stable > commit > last, entries beyond last). */
  | 'watermarks'
  /** A fill nobody asked for, or one that reaches beyond what was asked. */
  | 'fill-unasked'
  /** A ballot of another rank than its sender's, or a round out of range or far beyond any round seen. */
  | 'ballot'
  /** A decision that cannot follow the receiver's view (cut below its deliveries, leavers not in the view...). */
  | 'decision'
  /** A state request for more than one window. */
  | 'state-request'
  /** A fill with an id-only (direct) entry: answers to a fetch must carry every payload. */
  | 'fill-direct';

function isCount(n: unknown): boolean {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function idOk(id: unknown): boolean {
  // UTF-16 units never outnumber UTF-8 bytes: whatever the codec let through passes.
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_BYTES;
}

function idListOk(ids: unknown, max: number): boolean {
  if (!Array.isArray(ids) || ids.length > max) return false;
  for (const id of ids) if (!idOk(id)) return false;
  return true;
}

function bytesOk(b: unknown, max: number): boolean {
  return b instanceof Uint8Array && b.byteLength <= max;
}

/** A ballot value that can be held and outbid: a count whose round is at most MAX_ROUND. */
export function ballotInRange(b: unknown): boolean {
  return isCount(b) && roundOf(b as number) <= MAX_ROUND;
}

/** A decision's own consistency, whoever receives it: consecutive views, bounded distinct lists. */
export function decisionShapeOk(d: unknown, maxMembers: number): boolean {
  if (d === null || typeof d !== 'object') return false;
  const x = d as Decision;
  if (!isCount(x.prevView) || !isCount(x.view) || !isCount(x.cut) || x.view !== x.prevView + 1) return false;
  if (!idListOk(x.members, Math.min(MAX_MEMBER_LIST, maxMembers)) || !idListOk(x.leavers, MAX_MEMBER_LIST)) return false;
  const seen = new Set<MemberId>();
  for (const m of x.members) seen.add(m);
  for (const m of x.leavers) seen.add(m);
  return seen.size === x.members.length + x.leavers.length;
}

/**
 * Value ranges of a frame, independent of the receiver's state. Returns false for any value the protocol never
 * produces: the core can then rely on types and ranges everywhere else. Sizes that depend on the sender's own
 * settings (frame bytes, send window) are not checked here: the transport bounds a frame's size, and a member
 * with a larger setting must not be cut off. Payloads are bounded by `maxPayloadBytes`, which every member of a
 * group must share.
 */
export function frameShapeOk(f: Frame, cfg: CoreConfig): boolean {
  if (f === null || typeof f !== 'object' || !isCount(f.view)) return false;
  switch (f.t) {
    case 'heartbeat':
      return ballotInRange(f.promised);
    case 'ping':
    case 'leave':
    case 'exclude':
      return true;
    case 'forward': {
      if (!Array.isArray(f.msgs) || f.msgs.length > MAX_FRAME_ENTRIES) return false;
      for (const m of f.msgs) {
        if (m === null || typeof m !== 'object' || !isCount(m.fseq) || !isCount(m.msgNo) || !bytesOk(m.payload, cfg.maxPayloadBytes)) return false;
        if (m.direct !== undefined && typeof m.direct !== 'boolean') return false;
      }
      return true;
    }
    case 'msgs': {
      if (!isCount(f.first) || f.first < 1 || !isCount(f.last) || !isCount(f.commit) || !isCount(f.stable) || typeof f.fill !== 'boolean') return false;
      if (!Array.isArray(f.entries) || f.entries.length > MAX_FRAME_ENTRIES) return false;
      if (!idListOk(f.senders, MAX_FRAME_SENDERS) || f.senders.length > f.entries.length) return false;
      for (const e of f.entries) {
        if (e === null || typeof e !== 'object' || !isCount(e.msgNo) || !Number.isInteger(e.sender) || e.sender < 0 || e.sender >= f.senders.length) return false;
        if (!bytesOk(e.payload, cfg.maxPayloadBytes) || (e.direct !== undefined && typeof e.direct !== 'boolean')) return false;
      }
      return Number.isSafeInteger(f.first + f.entries.length);
    }
    case 'ack':
      return isCount(f.received);
    case 'fetch':
      return isCount(f.from) && isCount(f.to);
    case 'join':
      return idOk(f.joiner);
    case 'prepare':
      return ballotInRange(f.ballot);
    case 'promise':
      return ballotInRange(f.ballot) && isCount(f.received) &&
        (f.accepted === null || (typeof f.accepted === 'object' && ballotInRange(f.accepted.ballot) && decisionShapeOk(f.accepted.decision, cfg.maxMembers)));
    case 'reject':
    case 'accepted':
      return ballotInRange(f.ballot);
    case 'accept':
      return ballotInRange(f.ballot) && idOk(f.source) && decisionShapeOk(f.decision, cfg.maxMembers);
    case 'newView':
      return decisionShapeOk(f.decision, cfg.maxMembers);
    case 'stateRequest':
      return isCount(f.offset) && isCount(f.length);
    case 'stateChunk':
      // A provider splits chunks at its maxFrameBytes; any single chunk the transport carried is accepted.
      return isCount(f.offset) && Number.isSafeInteger(f.total) && f.total >= -1 && f.data instanceof Uint8Array &&
        (f.total < 0 || f.offset + f.data.byteLength <= f.total);
    default:
      return false;
  }
}

/**
 * A fill's entries all carry their payloads: only the sequencer's multicast of new entries may name a direct
 * message by id alone (its sender multicast the payload); a fetch asks for payloads, so its answer has them.
 */
export function fillEntriesOk(entries: readonly Entry[]): boolean {
  for (const e of entries) if (e.direct === true) return false;
  return true;
}

/**
 * A flush ballot (prepare, accept) from the member of rank `senderRank` in a view of `viewSize`. Only a member that
 * could lead may send one: a leader suspects every member ranked below it and still needs a majority of the view
 * among the rest, so its rank is below half the view (a joiner, ranked last, never leads its first view). The
 * ballot must carry the sender's rank (ballots are unique per rank, so a member cannot pose as another), a round
 * of at least 1, and a round at most MAX_ROUND_STEP beyond `knownRound`, the highest this member has seen in its
 * view.
 */
export function leaderBallotOk(ballot: number, senderRank: number, viewSize: number, knownRound: number): boolean {
  const round = roundOf(ballot);
  return senderRank >= 0 && 2 * senderRank < viewSize && round >= 1 && round <= MAX_ROUND && round <= knownRound + MAX_ROUND_STEP &&
    ballot % RANKS === RANKS - 1 - senderRank;
}

/**
 * An `ack`'s `received`, at a member of the same view; `sequencerReceived` is the receiver's own `log.received` if
 * it is the sequencer, else null. The sequencer knows everything it ever sent: an ack above it is a lie. Any other
 * member knows only what it heard of (`knownLast`), and an honest member may legitimately be ahead of it (its
 * copy of the sequencer's multicast came first): refusing that ack would lose it until it is repeated (after the
 * acker's next growth, or `heartbeatTicks`) and delay this member's commit. So a non-sequencer accepts any value;
 * `AckTable.localCommit` counts it as at most `knownLast`, so it can never commit more than the sequencer sent,
 * and the true value counts as soon as this member hears of it.
 */
export function ackOk(received: number, sequencerReceived: number | null): boolean {
  return sequencerReceived === null || received <= sequencerReceived;
}

/** A reported ballot (a `reject`: the ballot its sender promised): any rank, a round in the same window. */
export function reportedBallotOk(ballot: number, knownRound: number): boolean {
  const round = roundOf(ballot);
  return round <= MAX_ROUND && round <= knownRound + MAX_ROUND_STEP;
}

/**
 * A decision that would end `view` at this member: it must follow the view, keep every message this member
 * delivered (`cut ≥ delivered`: installing below it is impossible), take its leavers from the view, and list
 * the view's members that stay before the joiners, in their old rank order (so the next sequencer is an old
 * member that holds the log).
 */
export function decisionFollowsOk(d: Decision, view: View, delivered: number): boolean {
  if (d.prevView !== view.id || d.cut < delivered) return false;
  for (const m of d.leavers) if (!view.members.includes(m)) return false;
  let lastRank = -1;
  let joinersStarted = false;
  for (const m of d.members) {
    const r = view.members.indexOf(m);
    if (r < 0) {
      joinersStarted = true;
      continue;
    }
    if (joinersStarted || r < lastRank) return false;
    lastRank = r;
  }
  return true;
}

/**
 * A promise's accepted value: a decision for this view, accepted at a ballot no higher than the one promised (a
 * late copy of a prepare is promised again after the accept), with
 * a cut its sender holds (an acceptor fetches up to the cut before it accepts, and logs do not shrink in a view).
 */
export function acceptedOk(acc: { ballot: number; decision: Decision }, promiseBallot: number, received: number, view: View): boolean {
  return acc.ballot <= promiseBallot && acc.decision.cut <= received && acc.decision.prevView === view.id;
}

/**
 * Whether `from` is one of a joiner's contacts: the same id, or a `node#*` contact (whichever member that node
 * hosts) naming the node of `from` (everything before its last '#').
 */
export function isContact(contacts: readonly MemberId[], from: MemberId): boolean {
  for (const c of contacts) {
    if (c === from) return true;
    if (c.endsWith('#*')) {
      const node = c.slice(0, -2);
      if (from.lastIndexOf('#') === node.length && from.startsWith(node)) return true;
    }
  }
  return false;
}
