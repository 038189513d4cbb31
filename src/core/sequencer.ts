import type { CoreConfig } from './config.js';
import type { Frame, FwdMsg } from './frames.js';
import type { MessageLog } from './message-log.js';
import type { MemberId } from './types.js';
import type { ViewState } from './view-state.js';

/**
 * What the sequencer's part needs from its member. The member owns all of this state; the part only reads it
 * and acts through these calls, so the member stays the one place where state changes hands.
 */
export interface SequencerHost {
  readonly id: MemberId;
  readonly cfg: CoreConfig;
  readonly log: MessageLog;
  /** The state of the current view; `current.sequencer` is set only on the sequencer (rank 0). */
  readonly current: ViewState;
  readonly viewId: number;
  readonly members: readonly MemberId[];
  readonly delivered: number;
  readonly isMember: boolean;
  /** The sequencer ordered one of its own messages: the outbox learns how far its own messages are ordered. */
  orderedOwn(msgNo: number): void;
  /** Delivers whatever may be delivered now (committed, or held and of a kind that does not wait for a majority). */
  deliverReady(): void;
  broadcast(frame: Frame): void;
  /** Sends ordered entries `from..to` to `dest` in frames of bounded size (shared with answering fetches). */
  broadcastOrdered(from: number, to: number, fill: boolean, dest: MemberId[]): void;
}

/** Orders forwarded messages that arrive in forward-number order; a gap waits for the sender to re-forward. */
export function onForward(host: SequencerHost, from: MemberId, msgs: FwdMsg[]): void {
  const s = host.current.sequencer;
  if (s === null || host.current.frozen || !host.members.includes(from)) return;
  // Read once: the host's fields are getters, and this loop runs once per ordered message.
  const log = host.log;
  const { maxLogEntries, maxLogBytes } = host.cfg;
  const own = from === host.id;
  let exp = s.expectedFseq(from);
  for (const m of msgs) {
    if (m.fseq < exp) continue;
    if (m.fseq > exp) break; // A gap: the sender re-forwards from its first unordered message.
    if (log.size >= maxLogEntries || log.totalBytes + m.payload.byteLength > maxLogBytes) break;
    // A direct message keeps its flag: the multicast then carries its id only (its sender sent the payload to all).
    const entry = m.direct === true
      ? { sender: from, msgNo: m.msgNo, payload: m.payload, kind: m.kind, direct: true }
      : { sender: from, msgNo: m.msgNo, payload: m.payload, kind: m.kind };
    // Its own messages come from its outbox, not from a decoded frame (Member.send: bytes nobody changes), kept as
    // they are. (Asking a small one for its buffer would also move it off V8's heap.)
    if (own) log.append(entry);
    else log.appendFromFrame(entry);
    if (own) host.orderedOwn(m.msgNo);
    exp++;
  }
  log.endFrame(); // One buffer for the frame's kept payloads (message-log.ts).
  s.setExpectedFseq(from, exp);
}

/** Recomputes watermarks, delivers, and multicasts what was ordered since the last call. */
export function sequencerFlush(host: SequencerHost): void {
  const s = host.current.sequencer!;
  if (host.current.frozen) return;
  const log = host.log;
  const changed = s.recompute(host.members, host.id, log.received);
  host.current.commit = s.commit;
  host.deliverReady();
  if (!host.isMember) return;
  log.gc(Math.min(s.stable, host.delivered));
  if (s.broadcastUpTo < log.received) {
    host.broadcastOrdered(s.broadcastUpTo + 1, log.received, false, host.members.filter((m) => m !== host.id));
    s.broadcastUpTo = log.received;
  } else if (changed) {
    broadcastStatus(host);
  }
}

/** Tells the members the watermarks when nothing new was ordered, so delivery and garbage collection go on. */
export function broadcastStatus(host: SequencerHost): void {
  const s = host.current.sequencer!;
  const received = host.log.received;
  host.broadcast({ t: 'msgs', view: host.viewId, first: received + 1, senders: [], entries: [], last: received, commit: s.commit, stable: s.stable, fill: false });
}
