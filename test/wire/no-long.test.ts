/**
 * The codec without long.js: protobufjs then decodes uint64 fields as JS numbers (rounded above 2^53). Runs in
 * its own process (vitest pool "forks"), so switching protobufjs's configuration here affects no other test.
 */
import $protobuf from 'protobufjs/minimal.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, VsyncError } from '../../src/errors.js';
import { vsync } from '../../src/wire/gen/vsync.js';
import { WIRE_VERSION, decodeFrame, encodeFrame } from '../../src/wire/index.js';
import { canon, frameArb, idArb, sampleFrames } from './frames.js';

const util = $protobuf.util as { Long: unknown };
let savedLong: unknown;

beforeAll(() => {
  savedLong = util.Long;
  util.Long = null;
  $protobuf.configure();
});
afterAll(() => {
  util.Long = savedLong;
  $protobuf.configure();
});

describe('wire codec without long.js', () => {
  it('really decodes uint64 as numbers', () => {
    const bytes = vsync.wire.Ack.encode({ received: 2 ** 40 }).finish();
    expect(vsync.wire.Ack.decode(bytes).received).toBe(2 ** 40);
  });

  it.each(sampleFrames)('round trips %s', (_name, frame) => {
    expect(canon(decodeFrame(encodeFrame('g', 'a#1', 'b#1', frame)))).toEqual({ group: 'g', from: 'a#1', to: 'b#1', frame: canon(frame) });
  });

  it('round trips random frames', () => {
    fc.assert(
      fc.property(idArb, frameArb, (from, frame) => {
        expect(canon(decodeFrame(encodeFrame('g', from, '', frame)))).toEqual({ group: 'g', from, to: '', frame: canon(frame) });
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects values from 2^53 up', () => {
    for (const [high, low] of [[0x200000, 0], [0x200000, 1], [0xffffffff, 0xffffffff]] as const) {
      const bytes = vsync.wire.Envelope.encode({ version: WIRE_VERSION, group: 'g', from: 'a#1', ack: { received: { low, high, unsigned: true } as unknown as number } }).finish();
      let err: unknown;
      try {
        decodeFrame(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VsyncError);
      expect((err as VsyncError).code).toBe(ErrorCodes.MALFORMED_FRAME);
      expect((err as VsyncError).message).toMatch(/ack\.received/);
    }
    const max = vsync.wire.Envelope.encode({ version: WIRE_VERSION, group: 'g', from: 'a#1', ack: { received: Number.MAX_SAFE_INTEGER } }).finish();
    expect(decodeFrame(max).frame).toEqual({ t: 'ack', view: 0, received: Number.MAX_SAFE_INTEGER });
  });
});
