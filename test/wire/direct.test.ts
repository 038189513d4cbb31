import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/core/frames.js';
import { decodeFrame, encodeFrame, WIRE_VERSION } from '../../src/wire/index.js';
import { vsync } from '../../src/wire/gen/vsync.js';

/** Issue 12: the `direct` flag of forwarded messages and ordered entries (proto3 bool, absent = false). */
describe('direct flag on the wire', () => {
  const fwd: Frame = {
    t: 'forward', view: 3,
    msgs: [{ fseq: 1, msgNo: 7, payload: new Uint8Array([1, 2, 3]), kind: 0, direct: true }, { fseq: 2, msgNo: 8, payload: new Uint8Array([4]), kind: 1 }],
  };
  const msgs: Frame = {
    t: 'msgs', view: 3, first: 5, senders: ['a#1'], last: 6, commit: 5, stable: 4, fill: false,
    entries: [{ sender: 0, msgNo: 7, payload: new Uint8Array(0), kind: 0, direct: true }, { sender: 0, msgNo: 8, payload: new Uint8Array([4]), kind: 1 }],
  };

  it.each([['forward', fwd], ['msgs', msgs]] as const)('a %s keeps the flag where it is set, and only there', (_t, frame) => {
    const back = decodeFrame(encodeFrame('g', 'a#1', 'b#1', frame)).frame;
    const list = back.t === 'forward' ? back.msgs : back.t === 'msgs' ? back.entries : [];
    expect(list.map((m) => m.direct)).toEqual([true, undefined]);
    expect(list.map((m) => 'direct' in m)).toEqual([true, false]);
  });

  it('a frame without the flag encodes as before: no bytes for it', () => {
    const plain: Frame = { t: 'forward', view: 3, msgs: [{ fseq: 1, msgNo: 7, payload: new Uint8Array([1]), kind: 0 }] };
    const withFalse = vsync.wire.Envelope.encode({ version: WIRE_VERSION, group: 'g', from: 'a#1', to: '', view: 3, fwd: { msgs: [{ fseq: 1, msgNo: 7, payload: new Uint8Array([1]), kind: 0 }] } }).finish();
    expect(encodeFrame('g', 'a#1', '', plain)).toEqual(withFalse);
  });
});
