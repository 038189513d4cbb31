import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, VsyncError } from '../../src/errors.js';
import { decodeClientMsg, decodeServerMsg, encodeClientMsg, encodeServerMsg, MAX_STRING_BYTES } from '../../src/rsm/client-wire.js';

describe('client endpoint frames', () => {
  it('round-trip', () => {
    fc.assert(fc.property(fc.record({
      kind: fc.nat(10), client: fc.string({ maxLength: 100 }), nonce: fc.uint8Array({ maxLength: 40 }), proof: fc.uint8Array({ maxLength: 40 }),
      request: fc.maxSafeNat(), command: fc.uint8Array({ maxLength: 200 }), counter: fc.maxSafeNat(), mac: fc.uint8Array({ maxLength: 40 }),
    }), (m) => {
      expect(decodeClientMsg(encodeClientMsg(m))).toEqual(m);
    }), { numRuns: 300 });
  });

  it('random bytes decode or give VSYNC_ERR_MALFORMED_FRAME, never another exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      for (const decode of [decodeClientMsg, decodeServerMsg]) {
        try {
          decode(b);
        } catch (err) {
          expect(err).toBeInstanceOf(VsyncError);
          expect((err as VsyncError).code).toBe(ErrorCodes.MALFORMED_FRAME);
        }
      }
    }), { numRuns: 2000 });
  });

  it('a string field above the limit is refused before it is decoded; an unsafe integer is refused', () => {
    expect(() => decodeClientMsg(encodeClientMsg({ client: 'x'.repeat(MAX_STRING_BYTES + 1) }))).toThrow(expect.objectContaining({ code: ErrorCodes.MALFORMED_FRAME }));
    expect(() => decodeServerMsg(encodeServerMsg({ message: 'x'.repeat(MAX_STRING_BYTES + 1) }))).toThrow(expect.objectContaining({ code: ErrorCodes.MALFORMED_FRAME }));
    // Field 5 (request) as the varint 2^64-1.
    const big = new Uint8Array([5 << 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => decodeClientMsg(big)).toThrow(expect.objectContaining({ code: ErrorCodes.MALFORMED_FRAME }));
  });
});
