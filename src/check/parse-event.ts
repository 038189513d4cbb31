import { ORDER_CLASSES, type OrderClass, type TraceEvent } from './trace-types.js';

export type ParsedEvent = { ok: true; event: TraceEvent } | { ok: false; error: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/**
 * Turns one decoded JSON line into an event. Known events with missing or mistyped fields are rejected rather
 * than guessed at: a property checked on a half-understood line would report nonsense far from the real cause.
 */
export function parseEvent(value: unknown, line: number): ParsedEvent {
  if (!isObj(value)) return fail('not a JSON object');
  const { ev, me } = value;
  if (!isStr(ev) || ev === '') return fail('missing "ev"');
  if (!isStr(me) || me === '') return fail('missing "me"');
  switch (ev) {
    case 'install': {
      const view = value['view'];
      if (!isObj(view) || !isInt(view['id'])) return fail('install without an integer view.id');
      const members = view['members'];
      if (!Array.isArray(members) || !members.every(isStr)) return fail('install without a string array view.members');
      return ok({ ev, me, line, view: { id: view['id'], members: [...members] } });
    }
    case 'send': {
      const { msg, view, hash, order } = value;
      if (!isStr(msg) || !isInt(view) || !isStr(hash)) return fail('send needs msg (string), view (integer), hash (string)');
      if (!ORDER_CLASSES.includes(order as OrderClass)) return fail(`send with unknown order ${JSON.stringify(order)}`);
      return ok({ ev, me, line, msg, view, hash, order: order as OrderClass });
    }
    case 'deliver': {
      const { msg, view, hash, seq } = value;
      if (!isStr(msg) || !isInt(view) || !isStr(hash)) return fail('deliver needs msg (string), view (integer), hash (string)');
      // JSON.stringify drops undefined fields, so an absent seq most likely means a writer bug; say so.
      if (!(seq === null || isInt(seq))) return fail('deliver needs seq (integer or null)');
      return ok({ ev, me, line, msg, view, hash, seq });
    }
    case 'state': {
      const { view, hash } = value;
      if (!isInt(view) || !isStr(hash)) return fail('state needs view (integer) and hash (string)');
      return ok({ ev, me, line, view, hash });
    }
    case 'block':
    case 'unblock': {
      const { view } = value;
      if (!isInt(view)) return fail(`${ev} needs view (integer)`);
      return ok({ ev, me, line, view });
    }
    case 'leave':
    case 'end':
      return ok({ ev, me, line });
    default:
      return ok({ ev: 'other', me, line, name: ev, raw: value });
  }
}

function ok(event: TraceEvent): ParsedEvent {
  return { ok: true, event };
}

function fail(error: string): ParsedEvent {
  return { ok: false, error };
}
