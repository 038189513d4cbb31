/** Shared frame fixtures and fast-check arbitraries for the wire tests. */
import fc from 'fast-check';
import type { Accepted, Decision, Entry, Frame, FwdMsg } from '../../src/core/frames.js';

export const BIG = 2 ** 32 + 7; // above uint32
export const MAX = Number.MAX_SAFE_INTEGER;

export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

export const decision: Decision = { prevView: BIG, view: BIG + 1, members: ['a#1', 'b#2', 'c#3'], leavers: ['d#4'], cut: MAX };

/** One representative frame of every type (several for some). */
export const sampleFrames: Array<[string, Frame]> = [
  ['heartbeat', { t: 'heartbeat', view: 3, promised: 0 }],
  ['hb promised', { t: 'heartbeat', view: 3, promised: BIG }],
  ['ping', { t: 'ping', view: 0 }],
  ['forward', { t: 'forward', view: BIG, msgs: [{ fseq: 1, msgNo: BIG, payload: bytes(10), kind: 1 }, { fseq: MAX, msgNo: 0, payload: new Uint8Array(0) }] }],
  ['fwd empty', { t: 'forward', view: 1, msgs: [] }],
  [
    'msgs',
    {
      t: 'msgs',
      view: 7,
      first: BIG,
      senders: ['a#1', 'b#2'],
      entries: [
        { sender: 0, msgNo: 1, payload: bytes(3) },
        { sender: 1, msgNo: BIG, payload: bytes(100, 7), kind: 2 },
        { sender: 0, msgNo: 2, payload: new Uint8Array(0), kind: 0 },
      ],
      last: BIG + 5,
      commit: BIG + 1,
      stable: BIG,
      fill: true,
    },
  ],
  ['msgs empty', { t: 'msgs', view: 0, first: 0, senders: [], entries: [], last: 0, commit: 0, stable: 0, fill: false }],
  ['msgs 1 MiB', { t: 'msgs', view: 2, first: 1, senders: ['x#1'], entries: [{ sender: 0, msgNo: 9, payload: bytes(1 << 20) }], last: 1, commit: 0, stable: 0, fill: false }],
  ['fwd 1 MiB', { t: 'forward', view: 2, msgs: [{ fseq: 3, msgNo: 3, payload: bytes(1 << 20, 5) }] }],
  ['ack', { t: 'ack', view: 1, received: MAX }],
  ['fetch', { t: 'fetch', view: 1, from: BIG, to: BIG + 100 }],
  ['join', { t: 'join', view: 0, joiner: 'newbie#17' }],
  ['leave', { t: 'leave', view: 4 }],
  ['prepare', { t: 'prepare', view: 4, ballot: BIG }],
  ['prepare, ballot 0', { t: 'prepare', view: 4, ballot: 0 }],
  ['prom null', { t: 'promise', view: 4, ballot: 5, received: BIG, accepted: null }],
  ['prom accepted', { t: 'promise', view: 4, ballot: 5, received: 0, accepted: { ballot: BIG, decision } }],
  [
    'prom accepted empty decision',
    { t: 'promise', view: 4, ballot: 5, received: 0, accepted: { ballot: 0, decision: { prevView: 0, view: 0, members: [], leavers: [], cut: 0 } } },
  ],
  ['reject', { t: 'reject', view: 4, ballot: MAX }],
  ['accept', { t: 'accept', view: 4, ballot: 6, decision, source: 'b#2' }],
  ['accepted', { t: 'accepted', view: 4, ballot: 6 }],
  ['newView', { t: 'newView', view: 4, decision }],
  ['exclude', { t: 'exclude', view: BIG }],
];

// ---- arbitraries ----

export const seqArb = fc.oneof(
  fc.nat(1000),
  fc.integer({ min: 0, max: MAX }),
  fc.constantFrom(0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 2, MAX),
);
export const idArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
export const idsArb = fc.array(idArb, { maxLength: 6 });
export const payloadArb = fc.uint8Array({ maxLength: 64 });

export const decisionArb: fc.Arbitrary<Decision> = fc.record({ prevView: seqArb, view: seqArb, members: idsArb, leavers: idsArb, cut: seqArb });
export const acceptedArb: fc.Arbitrary<Accepted> = fc.record({ ballot: seqArb, decision: decisionArb });
/** A delivery kind code, or none (safe). */
const kindArb = fc.constantFrom(0, 1, 2);
export const fwdMsgArb: fc.Arbitrary<FwdMsg> = fc.record({ fseq: seqArb, msgNo: seqArb, payload: payloadArb, kind: kindArb }, { requiredKeys: ['fseq', 'msgNo', 'payload'] });

const msgsArb = fc.array(idArb, { minLength: 0, maxLength: 5 }).chain((senders) =>
  fc.record({
    t: fc.constant('msgs' as const),
    view: seqArb,
    first: seqArb,
    senders: fc.constant(senders),
    entries:
      senders.length === 0
        ? fc.constant<Entry[]>([])
        : fc.array(fc.record({ sender: fc.nat(senders.length - 1), msgNo: seqArb, payload: payloadArb, kind: kindArb }, { requiredKeys: ['sender', 'msgNo', 'payload'] }), { maxLength: 8 }),
    last: seqArb,
    commit: seqArb,
    stable: seqArb,
    fill: fc.boolean(),
  }),
);

export const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ t: fc.constant('heartbeat' as const), view: seqArb, promised: seqArb }),
  fc.record({ t: fc.constant('ping' as const), view: seqArb }),
  fc.record({ t: fc.constant('forward' as const), view: seqArb, msgs: fc.array(fwdMsgArb, { maxLength: 6 }) }),
  msgsArb,
  fc.record({ t: fc.constant('ack' as const), view: seqArb, received: seqArb }),
  fc.record({ t: fc.constant('fetch' as const), view: seqArb, from: seqArb, to: seqArb }),
  fc.record({ t: fc.constant('join' as const), view: seqArb, joiner: idArb }),
  fc.record({ t: fc.constant('leave' as const), view: seqArb }),
  fc.record({ t: fc.constant('prepare' as const), view: seqArb, ballot: seqArb }),
  fc.record({ t: fc.constant('promise' as const), view: seqArb, ballot: seqArb, received: seqArb, accepted: fc.option(acceptedArb, { nil: null }) }),
  fc.record({ t: fc.constant('reject' as const), view: seqArb, ballot: seqArb }),
  fc.record({ t: fc.constant('accept' as const), view: seqArb, ballot: seqArb, decision: decisionArb, source: idArb }),
  fc.record({ t: fc.constant('accepted' as const), view: seqArb, ballot: seqArb }),
  fc.record({ t: fc.constant('newView' as const), view: seqArb, decision: decisionArb }),
  fc.record({ t: fc.constant('exclude' as const), view: seqArb }),
);

/**
 * A comparable copy of `v`: every byte array becomes a base64 string (vitest compares big typed arrays element by
 * element, which is very slow for 1 MiB payloads).
 */
export function canon<T>(v: T): unknown {
  if (v instanceof Uint8Array) return `bytes:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}`;
  if (Array.isArray(v)) return v.map(canon);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    // A delivery kind of 0 (safe) is what an absent one means: the codec always yields the field.
    for (const [k, x] of Object.entries(v)) if (!(k === 'kind' && x === 0)) out[k] = canon(x);
    return out;
  }
  return v;
}

/** Every payload of a frame. */
export function payloadsOf(f: Frame): Uint8Array[] {
  if (f.t === 'forward') return f.msgs.map((m) => m.payload);
  if (f.t === 'msgs') return f.entries.map((e) => e.payload);
  return [];
}
