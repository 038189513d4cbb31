import { at, list } from '../describe.js';
import type { MemberIndex, TraceIndex } from '../index-traces.js';
import type { SendEvent, Violation } from '../trace-types.js';

const property = 'liveness';

/**
 * At a quiescent end (sending stopped, the run settled, members shut down cleanly with `end`): those members
 * share one final view F that holds exactly them, each delivered every message sent in F, and each delivered
 * every message it sent itself, in whichever view. Only meaningful for runs that end that way, hence optional.
 */
export function checkLiveness(index: TraceIndex): Violation[] {
  const out: Violation[] = [];
  const add = (message: string): void => {
    out.push({ property, message });
  };
  const ended = index.members.filter((m) => m.endedCleanly);
  if (ended.length === 0) return out;

  const finalOf = (m: MemberIndex): number | undefined => m.segments[m.segments.length - 1]?.view.id;
  for (const m of ended) {
    if (finalOf(m) === undefined) add(`${at(m.me, m.file)} ended cleanly without ever installing a view`);
  }
  const installed = ended.filter((m) => finalOf(m) !== undefined);
  if (installed.length === 0) return out;

  // Judge against the final view most clean enders reached (the highest on a tie): the odd ones out are
  // then the ones named.
  const votes = new Map<number, number>();
  for (const m of installed) votes.set(finalOf(m)!, (votes.get(finalOf(m)!) ?? 0) + 1);
  let f = finalOf(installed[0]!)!;
  for (const [id, n] of votes) if (n > votes.get(f)! || (n === votes.get(f)! && id > f)) f = id;
  const behind = installed.filter((m) => finalOf(m) !== f);
  if (behind.length > 0) {
    add(`members that ended cleanly are not in one final view: ${list(behind.map((m) => `${m.me} in view ${finalOf(m)}`))} while others ended in view ${f}`);
  }

  const endedIds = new Set(ended.map((m) => m.me));
  const fMembers = index.views.get(f)!.members;
  const notEnded = fMembers.filter((me) => !endedIds.has(me));
  const notInF = ended.filter((m) => !fMembers.includes(m.me)).map((m) => m.me);
  if (notEnded.length > 0 || notInF.length > 0) {
    const why = notEnded.map((me) => `${me} (${describeExit(index.byMe.get(me))})`);
    add(
      `final view ${f} ${list(fMembers, 12)} is not exactly the members that ended cleanly ${list([...endedIds], 12)}: ` +
        (notEnded.length > 0 ? `it still holds ${list(why, 12)}` : '') +
        (notEnded.length > 0 && notInF.length > 0 ? '; ' : '') +
        (notInF.length > 0 ? `it lacks ${list(notInF, 12)}` : ''),
    );
  }

  // How many clean enders delivered each message; a shortfall is then named member by member.
  const deliveredBy = new Int32Array(index.msgs.length);
  const mark = new Int32Array(index.msgs.length);
  for (const m of ended) {
    for (let i = 0; i < m.deliveries.length; i++) if (!m.repeat[i]) deliveredBy[m.deliveryMsg[i]!]!++;
  }
  const delivered = (m: MemberIndex, n: number): boolean => {
    // Linear, so only used to name the members for the first few messages.
    for (let i = 0; i < m.deliveries.length; i++) if (m.deliveryMsg[i] === n) return true;
    return false;
  };
  let named = 0;
  for (const rec of index.msgs) {
    if (deliveredBy[rec.n]! >= ended.length || !rec.sends.some((r) => r.event.view === f)) continue;
    const missing = named++ < 3 ? ended.filter((m) => !delivered(m, rec.n)).map((m) => m.me) : [];
    add(`msg ${rec.id} was sent in final view ${f} by ${rec.sends[0]!.me} but not delivered by all members that ended cleanly${missing.length > 0 ? `: missing at ${list(missing, 12)}` : ''}`);
  }

  for (const m of ended) {
    const stamp = m.ordinal + 1;
    for (const n of m.deliveryMsg) mark[n] = stamp;
    // Judged at the last send line of each message: earlier ones were superseded by a re-send.
    const last = new Map<string, SendEvent>();
    for (const s of m.sends) last.set(s.msg, s);
    for (const [msg, s] of last) {
      if (mark[index.msgById.get(msg)!.n] !== stamp) add(`${at(m.me, m.file, s)} sent msg ${msg} (last in view ${s.view}), ended cleanly, and never delivered it`);
    }
  }
  return out;
}

function describeExit(m: MemberIndex | undefined): string {
  if (m === undefined) return 'no trace';
  if (m.left) return 'left';
  if (m.segments.length === 0) return 'never installed a view';
  return 'trace stops without end: crashed';
}
