import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../src/wire/index.js';
import { canon, frameArb, idArb, payloadsOf } from './frames.js';

describe('wire codec properties', () => {
  it('decode(encode(f)) deep-equals f for random valid frames', () => {
    fc.assert(
      fc.property(idArb, idArb, fc.option(idArb, { nil: '' }), frameArb, (group, from, to, frame) => {
        const before = canon(frame);
        const bytes = encodeFrame(group, from, to, frame);
        expect(bytes[0]).toBe(0x08); // the transport tells envelopes from link messages by it
        const decoded = decodeFrame(bytes);
        expect(canon(decoded)).toEqual({ group, from, to, frame: before });
        expect(canon(frame)).toEqual(before); // encoding does not touch the frame
        for (const p of payloadsOf(decoded.frame)) expect(p.constructor).toBe(Uint8Array);
      }),
      { numRuns: 3000 },
    );
  });

  it('encoding is deterministic', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        expect(Buffer.from(encodeFrame('g', 'a#1', 'b#1', frame))).toEqual(Buffer.from(encodeFrame('g', 'a#1', 'b#1', frame)));
      }),
      { numRuns: 500 },
    );
  });
});
