import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, VsyncError } from '../../src/errors.js';
import type { Frame } from '../../src/core/frames.js';
import { vsync } from '../../src/wire/gen/vsync.js';
import { WIRE_VERSION, decodeFrame, encodeFrame } from '../../src/wire/index.js';
import { decision, sampleFrames } from './frames.js';

const W = vsync.wire;
const { MALFORMED_FRAME, VERSION } = ErrorCodes;

/** The error decodeFrame throws for `bytes`; fails the test when it does not throw a VsyncError. */
function decodeError(bytes: unknown): VsyncError {
  try {
    decodeFrame(bytes as Uint8Array);
  } catch (err) {
    if (!(err instanceof VsyncError)) throw new Error(`expected a VsyncError, got ${String(err)}`, { cause: err });
    return err;
  }
  throw new Error('expected decodeFrame to throw');
}

/** decodeFrame either succeeds or throws a VsyncError of a wire code: never anything else. */
function decodesOrRejects(bytes: Uint8Array): void {
  try {
    decodeFrame(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(VsyncError);
    expect([MALFORMED_FRAME, VERSION]).toContain((err as VsyncError).code);
  }
}

/** An envelope built field by field, for inputs encodeFrame cannot produce. */
function envelope(props: vsync.wire.Envelope.$Properties): Uint8Array {
  return W.Envelope.encode({ version: WIRE_VERSION, group: 'g', from: 'a#1', ...props }).finish();
}

/** A uint64 as protobufjs accepts it: a Long-like object of low and high 32-bit words. */
type U64 = NonNullable<vsync.wire.Envelope.$Properties['view']>;
const u64 = (high: number, low = 0) => ({ low, high, unsigned: true }) as unknown as U64;

const small = sampleFrames.filter(([name]) => !name.includes('MiB'));

describe('decodeFrame rejects', () => {
  it('an empty input (no version)', () => {
    const err = decodeError(new Uint8Array(0));
    expect(err.code).toBe(MALFORMED_FRAME);
    expect(err.message).toMatch(/missing version/);
  });

  it('inputs that are not a Uint8Array', () => {
    for (const x of [new ArrayBuffer(8), 'abc', [8, 1], null, undefined, 42]) expect(decodeError(x).code).toBe(MALFORMED_FRAME);
  });

  it('another wire version, with VSYNC_ERR_VERSION', () => {
    for (const version of [1, 2, 4, 7, 0xffffffff]) {
      const err = decodeError(envelope({ version, ping: {} }));
      expect(err.code).toBe(VERSION);
      expect(err.message).toContain(String(version));
    }
  });

  it('an envelope without a body', () => {
    const err = decodeError(envelope({}));
    expect(err.code).toBe(MALFORMED_FRAME);
    expect(err.message).toMatch(/missing body/);
  });

  it('a body of the wrong wire type (skipped as unknown, so no body)', () => {
    // field 8 (msgs) as a varint: tag (8 << 3) | 0
    const bytes = Buffer.concat([envelope({}), Buffer.from([8 << 3, 1])]);
    expect(decodeError(bytes).message).toMatch(/missing body/);
  });

  it('empty group or sender ids', () => {
    expect(decodeError(envelope({ group: '', ping: {} })).message).toMatch(/empty group/);
    expect(decodeError(envelope({ from: '', ping: {} })).message).toMatch(/from/);
  });

  it('empty member ids anywhere', () => {
    const d = (members: string[], leavers: string[]) => ({ prevView: 1, view: 2, members, leavers, cut: 3 });
    const cases: Array<[vsync.wire.Envelope.$Properties, RegExp]> = [
      [{ msgs: { senders: ['a#1', ''] } }, /msgs\.senders\[1\]/],
      [{ nv: { decision: d(['a#1', ''], []) } }, /nv\.decision\.members\[1\]/],
      [{ nv: { decision: d(['a#1'], ['']) } }, /nv\.decision\.leavers\[0\]/],
      [{ acc: { ballot: 1, decision: d(['a#1'], []), source: '' } }, /acc\.source/],
      [{ join: { joiner: '' } }, /join\.joiner/],
      [{ join: {} }, /join\.joiner/],
    ];
    for (const [props, re] of cases) {
      const err = decodeError(envelope(props));
      expect(err.code).toBe(MALFORMED_FRAME);
      expect(err.message).toMatch(re);
    }
  });

  it('missing required decisions', () => {
    const cases: Array<[vsync.wire.Envelope.$Properties, RegExp]> = [
      [{ nv: {} }, /nv\.decision: missing/],
      [{ acc: { ballot: 1, source: 'a#1' } }, /acc\.decision: missing/],
      [{ prom: { ballot: 1, received: 2, accepted: { ballot: 1 } } }, /prom\.accepted\.decision: missing/],
    ];
    for (const [props, re] of cases) {
      const err = decodeError(envelope(props));
      expect(err.code).toBe(MALFORMED_FRAME);
      expect(err.message).toMatch(re);
    }
  });

  it('entries whose sender index is out of range of senders', () => {
    const frame: Frame = {
      t: 'msgs', view: 1, first: 1, senders: ['a#1', 'b#1'],
      entries: [{ sender: 1, msgNo: 1, payload: new Uint8Array(1) }, { sender: 2, msgNo: 2, payload: new Uint8Array(1) }],
      last: 2, commit: 0, stable: 0, fill: false,
    };
    const err = decodeError(encodeFrame('g', 'a#1', 'b#1', frame));
    expect(err.code).toBe(MALFORMED_FRAME);
    expect(err.message).toMatch(/entries\[1\]\.sender = 2 is out of range/);
    // No senders at all: even index 0 is out of range.
    const none: Frame = { ...frame, senders: [], entries: [{ sender: 0, msgNo: 1, payload: new Uint8Array(0) }] };
    expect(decodeError(encodeFrame('g', 'a#1', '', none)).message).toMatch(/entries\[0\]\.sender = 0 is out of range/);
  });

  it('a delivery kind that is not one (above 2), in entries and in forwards', () => {
    const msgs: Frame = { t: 'msgs', view: 1, first: 1, senders: ['a#1'], entries: [{ sender: 0, msgNo: 1, payload: new Uint8Array(1), kind: 3 }], last: 1, commit: 0, stable: 0, fill: false };
    expect(decodeError(encodeFrame('g', 'a#1', '', msgs)).message).toMatch(/entries\[0\]\.kind = 3 is not a delivery kind/);
    const fwd: Frame = { t: 'forward', view: 1, msgs: [{ fseq: 1, msgNo: 1, payload: new Uint8Array(1), kind: 2 }, { fseq: 2, msgNo: 2, payload: new Uint8Array(1), kind: 99 }] };
    expect(decodeError(encodeFrame('g', 'a#1', '', fwd)).message).toMatch(/fwd\.msgs\[1\]\.kind = 99/);
  });

  it('numbers above Number.MAX_SAFE_INTEGER, and accepts MAX_SAFE_INTEGER itself', () => {
    const max = u64(0x1fffff, 0xffffffff); // 2^53 - 1
    const over = u64(0x200000); // 2^53
    const top = u64(0xffffffff, 0xffffffff); // 2^64 - 1
    expect(decodeFrame(envelope({ view: max, ping: {} })).frame.view).toBe(Number.MAX_SAFE_INTEGER);
    const cases: Array<[vsync.wire.Envelope.$Properties, RegExp]> = [
      [{ view: over, ping: {} }, /view = 9007199254740992 /],
      [{ view: top, ping: {} }, /view = 18446744073709551615 /],
      [{ ack: { received: over } }, /ack\.received/],
      [{ heartbeat: { promised: over } }, /heartbeat\.promised/],
      [{ fetch: { from: 1, to: over } }, /fetch\.to/],
      [{ msgs: { first: top } }, /msgs\.first/],
      [{ msgs: { last: over } }, /msgs\.last/],
      [{ msgs: { commit: over } }, /msgs\.commit/],
      [{ msgs: { stable: over } }, /msgs\.stable/],
      [{ msgs: { senders: ['a#1'], entries: [{ sender: 0, msgNo: 1 }, { sender: 0, msgNo: over }] } }, /msgs\.entries\[1\]\.msgNo/],
      [{ fwd: { msgs: [{ fseq: over, msgNo: 1 }] } }, /fwd\.msgs\[0\]\.fseq/],
      [{ fwd: { msgs: [{ fseq: 1, msgNo: top }] } }, /fwd\.msgs\[0\]\.msgNo/],
      [{ prep: { ballot: over } }, /prep\.ballot/],
      [{ prom: { ballot: 1, received: over } }, /prom\.received/],
      [{ prom: { ballot: 1, accepted: { ballot: over, decision } } }, /prom\.accepted\.ballot/],
      [{ rej: { ballot: top } }, /rej\.ballot/],
      [{ accd: { ballot: top } }, /accd\.ballot/],
      [{ acc: { ballot: 1, decision: { ...decision, cut: over }, source: 'a#1' } }, /acc\.decision\.cut/],
      [{ nv: { decision: { ...decision, prevView: over } } }, /nv\.decision\.prevView/],
      [{ nv: { decision: { ...decision, view: top } } }, /nv\.decision\.view/],
    ];
    for (const [props, re] of cases) {
      const err = decodeError(envelope(props));
      expect(err.code).toBe(MALFORMED_FRAME);
      expect(err.message).toMatch(re);
    }
  });

  it('invalid UTF-8 in strings', () => {
    // version 1, then field 2 (group) of 2 bytes: a lone continuation byte and an overlong encoding start
    const bytes = Uint8Array.from([0x08, WIRE_VERSION, 0x12, 0x02, 0x80, 0xc0, 0x1a, 0x03, 0x61, 0x23, 0x31, 0x32, 0x00]);
    const err = decodeError(bytes);
    expect(err.code).toBe(MALFORMED_FRAME);
    expect(err.message).toMatch(/undecodable/);
  });

  it('length prefixes beyond the end of the input', () => {
    // field 2 (group) claiming 2^31 bytes
    const err = decodeError(Uint8Array.from([0x08, WIRE_VERSION, 0x12, 0x80, 0x80, 0x80, 0x80, 0x08, 0x61]));
    expect(err.code).toBe(MALFORMED_FRAME);
  });

  it('deeply nested unknown groups without overflowing the stack', () => {
    const open = [(20 << 3) | 3, 0x01]; // field 20, start group
    const bytes = Uint8Array.from([0x08, WIRE_VERSION, ...Array.from({ length: 100_000 }, () => open).flat()]);
    expect(decodeError(bytes).code).toBe(MALFORMED_FRAME);
  });

  it('every truncation of a valid frame', () => {
    for (const [, frame] of small) {
      const bytes = encodeFrame('group', 'me#1', '', frame);
      for (let n = 1; n < bytes.length; n++) {
        const err = decodeError(bytes.subarray(0, n));
        expect(err.code, `${frame.t} cut at ${n} of ${bytes.length}`).toBe(MALFORMED_FRAME);
      }
    }
  });

  it('every truncation inside the destination field; a cut just before it leaves a valid frame to anyone', () => {
    // `to` (field 20) is encoded last, after the body: cutting it off whole yields a frame addressed to ''. Websocket
    // messages arrive whole or not at all, so this is no hazard in transit; receivers check `to` against their ids.
    for (const [, frame] of small) {
      const bytes = encodeFrame('group', 'me#1', 'you#1', frame);
      const boundary = bytes.length - (3 + 'you#1'.length);
      expect(decodeFrame(bytes.subarray(0, boundary))).toEqual({ ...decodeFrame(bytes), to: '' });
      for (let n = boundary + 1; n < bytes.length; n++) {
        expect(decodeError(bytes.subarray(0, n)).code, `${frame.t} cut at ${n} of ${bytes.length}`).toBe(MALFORMED_FRAME);
      }
    }
  });

  it('truncations of a frame with a 1 MiB payload', () => {
    const frame = sampleFrames.find(([name]) => name === 'msgs 1 MiB')![1];
    const bytes = encodeFrame('group', 'me#1', 'you#1', frame);
    for (const n of [1, 10, 30, 1000, bytes.length - 1000, bytes.length - 1]) {
      expect(decodeError(bytes.subarray(0, n)).code).toBe(MALFORMED_FRAME);
    }
  });
});

describe('decodeFrame never fails with another kind of error', () => {
  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => decodesOrRejects(bytes)), { numRuns: 2000 });
  });

  it('on random bytes behind a valid header', () => {
    const header = envelope({}); // version, group, from: the rest is random
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => decodesOrRejects(Buffer.concat([header, tail]))),
      { numRuns: 2000 },
    );
  });

  it('on valid frames with corrupted bytes', () => {
    const encoded = small.map(([, f]) => encodeFrame('group', 'me#1', 'you#1', f));
    const arb = fc
      .record({ which: fc.nat(encoded.length - 1), edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }) })
      .map(({ which, edits }) => {
        const b = Uint8Array.from(encoded[which]!);
        for (const [at, v] of edits) b[at % b.length] = v;
        return b;
      });
    fc.assert(
      fc.property(arb, (bytes) => {
        decodesOrRejects(bytes);
        // What decodes is a frame the codec can encode again, to the same frame.
        let decoded;
        try {
          decoded = decodeFrame(bytes);
        } catch {
          return;
        }
        const again = decodeFrame(encodeFrame(decoded.group, decoded.from, decoded.to, decoded.frame));
        expect(again).toEqual(decoded);
      }),
      { numRuns: 3000 },
    );
  });
});
