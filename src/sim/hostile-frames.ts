import { makeBallot, RANKS } from '../core/ballot.js';
import type { Decision, Entry, Frame, FwdMsg } from '../core/frames.js';
import type { MemberId } from '../core/types.js';
import type { Prng } from './prng.js';

/**
 * Well-typed frames with hostile values, for fuzzing the core in the simulator: every frame type, with numbers
 * drawn from the edges (0, 2^32, 2^53-1, negative, fractional) as well as from near the values a running group
 * uses, and member ids drawn from the group's own ids as well as from made-up ones.
 */
export class HostileFrames {
  constructor(
    private readonly rng: Prng,
    /** Ids to draw from: the group's members (so frames look plausible) and a few made-up ones. */
    private readonly ids: () => MemberId[],
  ) {}

  private n(near = 0): number {
    const r = this.rng;
    switch (r.int(0, 11)) {
      case 0: return 0;
      case 1: return 1;
      case 2: return 2 ** 53 - 1;
      case 3: return 2 ** 32 + r.int(0, 3);
      case 4: return -1 - r.int(0, 5);
      case 5: return r.next() * 100;
      case 6: return r.int(0, 20);
      default: return Math.max(0, near + r.int(-20, 40));
    }
  }

  private ballot(): number {
    const r = this.rng;
    switch (r.int(0, 3)) {
      case 0: return this.n();
      case 1: return makeBallot(r.int(0, 5), r.int(0, 8));
      case 2: return makeBallot(r.int(2 ** 20, 2 ** 41), r.int(0, RANKS - 1));
      default: return makeBallot(r.int(1, 3), r.int(0, 4));
    }
  }

  private id(): MemberId {
    const ids = this.ids();
    return this.rng.chance(0.8) && ids.length > 0 ? this.rng.pick(ids) : `evil#${this.rng.int(1, 3)}`;
  }

  private list(max: number): MemberId[] {
    const out: MemberId[] = [];
    const k = this.rng.int(0, max);
    for (let i = 0; i < k; i++) out.push(this.id());
    return out;
  }

  private payload(): Uint8Array {
    const p = new Uint8Array(this.rng.int(0, 24));
    for (let i = 0; i < p.length; i++) p[i] = this.rng.int(0, 255);
    return p;
  }

  private decision(view: number, near: number): Decision {
    const prev = this.rng.chance(0.7) ? view : this.n(view);
    return { prevView: prev, view: this.rng.chance(0.9) ? prev + 1 : this.n(view), members: this.list(6), leavers: this.list(2), cut: this.n(near) };
  }

  /** One frame; `view` and `near` (a sequence number in use) make values plausible. */
  frame(view: number, near: number): Frame {
    const r = this.rng;
    const v = r.chance(0.7) ? view : this.n(view);
    switch (r.int(0, 16)) {
      case 0: return { t: 'heartbeat', view: v, promised: r.chance(0.5) ? 0 : this.ballot() };
      case 1: return { t: 'ping', view: v };
      case 2: {
        const msgs = [];
        // Direct (multicast payloads, issue 12) for odd msgNos: drawn from values already drawn, so the random
        // stream, and every other frame, stay as they were.
        for (let i = r.int(0, 4); i > 0; i--) {
          const m: FwdMsg = { fseq: this.n(1), msgNo: this.n(near), payload: this.payload() };
          if (m.msgNo % 2 === 1) m.direct = true;
          msgs.push(m);
        }
        return { t: 'forward', view: v, msgs };
      }
      case 3: {
        const senders = this.list(3);
        const entries = [];
        for (let i = r.int(0, 6); i > 0; i--) {
          const e: Entry = { sender: r.chance(0.9) ? r.int(0, Math.max(0, senders.length - 1)) : this.n(), msgNo: this.n(near), payload: this.payload() };
          if (e.msgNo % 4 === 1) e.direct = true; // an id-only entry (its payload is then ignored)
          entries.push(e);
        }
        return { t: 'msgs', view: v, first: this.n(near), senders, entries, last: this.n(near), commit: this.n(near), stable: this.n(near), fill: r.chance(0.5) };
      }
      case 4: return { t: 'ack', view: v, received: this.n(near) };
      case 5: return { t: 'fetch', view: v, from: this.n(near), to: this.n(near) };
      case 6: return { t: 'join', view: r.chance(0.5) ? 0 : v, joiner: this.id() };
      case 7: return { t: 'leave', view: v };
      case 8: {
        const ballot = this.ballot();
        this.list(4); // Drawn as when prepare carried survivors, so earlier seeds replay the same frames.
        return { t: 'prepare', view: v, ballot };
      }
      case 9: return { t: 'promise', view: v, ballot: this.ballot(), received: this.n(near), accepted: r.chance(0.5) ? null : { ballot: this.ballot(), decision: this.decision(view, near) } };
      case 10: return { t: 'reject', view: v, ballot: this.ballot() };
      case 11: return { t: 'accept', view: v, ballot: this.ballot(), decision: this.decision(view, near), source: this.id() };
      case 12: return { t: 'accepted', view: v, ballot: this.ballot() };
      case 13: return { t: 'newView', view: v, decision: this.decision(view, near) };
      case 14: return { t: 'exclude', view: v };
      case 15: return { t: 'stateRequest', view: v, offset: this.n(), length: this.n(1000) };
      default: {
        const data = this.payload();
        return { t: 'stateChunk', view: v, offset: this.n(), total: r.chance(0.2) ? -1 : this.n(data.length), data };
      }
    }
  }
}
