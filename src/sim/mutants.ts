import { Member, type MemberOptions } from '../core/index.js';
import type { Mutation } from './options.js';

/*
 * Broken variants of the core, built by overriding its internals from outside (the core carries no switch for
 * them). Each breaks one part of the protocol; the simulator's tests require the checker to notice.
 */
type Internals = Record<string, unknown> & { log: { received: number } };

function mutate(m: Member, mutation: Mutation): Member {
  const self = m as unknown as Internals;
  const proto = Member.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  switch (mutation) {
    case 'skip-flush': {
      // Installs a decided view with whatever the member has, instead of fetching up to the agreed cut.
      const orig = proto['onNewView']!;
      self['onNewView'] = function (this: Internals, from: unknown, d: { cut: number; members: string[] }) {
        const cut = Math.min(d.cut, this.log.received);
        return orig.call(this, from, { ...d, cut });
      };
      break;
    }
    case 'no-resend': {
      // Forgets own messages that were not delivered in the old view.
      const orig = proto['install']!;
      self['install'] = function (this: Internals, d: unknown, oldMember: boolean) {
        const r = orig.call(this, d, oldMember);
        const ob = this['outbox'] as { length: number; delivered(n: number): unknown; at(i: number): { msgNo: number } };
        while (ob.length > 0) ob.delivered(ob.at(0).msgNo);
        (this['toForward'] as unknown[]).length = 0;
        const evs = this['events'] as Array<{ type: string }>;
        let at = evs.length - 1;
        while (at >= 0 && evs[at]!.type !== 'install') at--;
        this['events'] = evs.filter((e, i) => !(i > at && e.type === 'send'));
        return r;
      };
      break;
    }
    case 'early-deliver': {
      // Delivers what it receives at once, without waiting for a majority to hold it.
      const orig = proto['onMsgs']!;
      self['onMsgs'] = function (this: Internals, from: unknown, f: { last: number; commit: number }) {
        return orig.call(this, from, { ...f, commit: Math.max(f.commit, f.last) });
      };
      break;
    }
    case 'deliver-before-state': {
      // A joiner delivers (applies) messages of its new view before the state it joins with is in place.
      const orig = proto['deliverUpTo']!;
      self['deliverUpTo'] = function (this: Internals, limit: number) {
        const dl = this['download'];
        this['download'] = null;
        try {
          return orig.call(this, limit);
        } finally {
          this['download'] = dl;
        }
      };
      break;
    }
  }
  return m;
}

export function createMember(opts: MemberOptions, mutation?: Mutation): Member {
  const m = new Member(opts);
  return mutation ? mutate(m, mutation) : m;
}
