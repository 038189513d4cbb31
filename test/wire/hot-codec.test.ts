/**
 * The hand-written codec of `forward`, `msgs` and `ack` (src/wire/hot-codec.ts) against the generated one: the same bytes
 * out of the encoder, the same frame (or the same coded error) out of the decoder, on random frames and on random
 * corruptions of them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/core/frames.js';
import { VsyncError } from '../../src/errors.js';
import { WIRE_VERSION, decodeFrame, decodeGeneric, encodeFrame, encodeGeneric } from '../../src/wire/codec.js';
import { decodeHot, encodeHot } from '../../src/wire/hot-codec.js';
import { MAX, canon, frameArb, idArb } from './frames.js';

type Hot = Extract<Frame, { t: 'msgs' | 'forward' | 'ack' }>;
const hotArb = frameArb.filter((f): f is Hot => f.t === 'msgs' || f.t === 'forward' || f.t === 'ack');
/** Member ids and group names as vsync makes them: ASCII, which is what the fast path takes. */
const asciiId = fc.stringMatching(/^[a-z0-9#._-]{1,24}$/);
const anyId = fc.oneof(asciiId, idArb);

/** The frame with ASCII sender ids (frameArb's may be any text). */
const asciiSenders = (f: Hot): Hot => (f.t === 'msgs' ? { ...f, senders: f.senders.map((_, i) => `s#${i}`) } : f);
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** What a decoder made of some bytes: the frame (canonical) or the error's code. */
function outcome(decode: () => unknown): unknown {
  try {
    return { ok: canon(decode()) };
  } catch (err) {
    expect(err).toBeInstanceOf(VsyncError);
    return { code: (err as VsyncError).code };
  }
}

describe('hot codec (forward, msgs, ack) against the generated code', () => {
  it('encodes the same bytes and decodes the same frame, for random frames', () => {
    fc.assert(
      fc.property(anyId, anyId, fc.option(anyId, { nil: '' }), hotArb, (group, from, to, frame) => {
        const fast = encodeFrame(group, from, to, frame);
        const slow = encodeGeneric(group, from, to, frame);
        expect(Buffer.from(fast)).toEqual(Buffer.from(slow));
        expect(canon(decodeFrame(fast))).toEqual(canon(decodeGeneric(plain(slow))));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes ordinary frames (ASCII ids) itself, and leaves other ids to the generated code', () => {
    fc.assert(
      fc.property(asciiId, asciiId, fc.option(asciiId, { nil: '' }), hotArb.map(asciiSenders), (group, from, to, frame) => {
        const bytes = encodeHot(WIRE_VERSION, group, from, to, frame);
        expect(bytes).not.toBeNull();
        expect(decodeHot(plain(bytes!), WIRE_VERSION)).not.toBeNull();
      }),
      { numRuns: 500 },
    );
    const f: Hot = { t: 'forward', view: 1, msgs: [] };
    expect(encodeHot(WIRE_VERSION, 'gröup', 'a#1', '', f)).toBeNull();
    expect(decodeHot(plain(encodeFrame('gröup', 'a#1', '', f)), WIRE_VERSION)).toBeNull();
    // Another version, another body: the generated code decides (and refuses, or decodes).
    expect(decodeHot(plain(encodeFrame('g', 'a#1', '', f)), WIRE_VERSION + 1)).toBeNull();
    expect(decodeHot(plain(encodeFrame('g', 'a#1', '', { t: 'heartbeat', view: 1, promised: 3 })), WIRE_VERSION)).toBeNull();
    expect(decodeHot(plain(encodeFrame('g', 'a#1', '', { t: 'ack', view: 1, received: 3 })), WIRE_VERSION)).not.toBeNull();
  });

  it('an ack: zero, small and the largest numbers round-trip; a second body or a repeated field goes to the generated code', () => {
    for (const [view, received] of [[0, 0], [1, 0], [7, 300], [MAX, MAX]] as const) {
      const frame: Hot = { t: 'ack', view, received };
      const bytes = encodeFrame('g', 'a#1', '', frame);
      expect(Buffer.from(bytes)).toEqual(Buffer.from(encodeGeneric('g', 'a#1', '', frame)));
      expect(decodeHot(plain(bytes), WIRE_VERSION)?.frame).toEqual(frame);
    }
    const ack = Buffer.from(encodeFrame('g', 'a#1', '', { t: 'ack', view: 2, received: 5 }));
    // The ack body again (a repeated oneof member: protobufjs merges), then a forward after it.
    const twice = Buffer.concat([ack, Buffer.from([0x4a, 0x02, 0x08, 0x09])]);
    expect(decodeHot(plain(twice), WIRE_VERSION)).toBeNull();
    expect(canon(decodeFrame(twice))).toEqual(canon(decodeGeneric(plain(twice))));
    const other = Buffer.concat([ack, Buffer.from([0x3a, 0x00])]);
    expect(decodeHot(plain(other), WIRE_VERSION)).toBeNull();
    expect(outcome(() => decodeFrame(other))).toEqual(outcome(() => decodeGeneric(plain(other))));
    // `received` twice inside the body: the last wins in protobufjs; the fast path leaves it to it.
    const inner = Buffer.from(encodeFrame('g', 'a#1', '', { t: 'ack', view: 2, received: 0 }));
    const body = Buffer.concat([inner.subarray(0, inner.length - 2), Buffer.from([0x4a, 0x04, 0x08, 0x01, 0x08, 0x02])]);
    expect(decodeHot(plain(body), WIRE_VERSION)).toBeNull();
    expect(canon(decodeFrame(body))).toEqual(canon(decodeGeneric(plain(body))));
  });

  it('the largest numbers and every optional field round-trip', () => {
    const frame: Hot = {
      t: 'msgs', view: MAX, first: MAX - 3, senders: ['a#1', 'b#2'],
      entries: [
        { sender: 1, msgNo: MAX, payload: new Uint8Array(300).fill(9), kind: 2, direct: true },
        { sender: 0, msgNo: 0, payload: new Uint8Array(0), kind: 0 },
      ],
      last: MAX, commit: 2 ** 35, stable: 2 ** 35 - 1, fill: true,
    };
    const bytes = encodeFrame('g', 'a#1', 'b#2', frame);
    expect(Buffer.from(bytes)).toEqual(Buffer.from(encodeGeneric('g', 'a#1', 'b#2', frame)));
    expect(canon(decodeFrame(bytes).frame)).toEqual(canon(frame));
  });

  it('corrupted bytes: the same frame or the same coded error as the generated decoder, never a throw of another kind', () => {
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
      fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
    );
    fc.assert(
      fc.property(asciiId, asciiId, fc.option(asciiId, { nil: '' }), hotArb.map(asciiSenders), fc.array(mutation, { minLength: 1, maxLength: 3 }), (group, from, to, frame, ms) => {
        let b = Buffer.from(encodeFrame(group, from, to, frame));
        for (const m of ms) {
          const at = b.length === 0 ? 0 : m.at % b.length;
          if (m.op === 'set') b[at] = m.value;
          else if (m.op === 'cut') b = b.subarray(0, at);
          else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
          else b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at, at + m.length), b.subarray(at + m.length)]);
        }
        const input = new Uint8Array(b);
        expect(outcome(() => decodeFrame(input))).toEqual(outcome(() => decodeGeneric(input)));
      }),
      { numRuns: 5000 },
    );
  });
});
