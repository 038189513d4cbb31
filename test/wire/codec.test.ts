import $protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/core/frames.js';
import { WIRE_VERSION, decodeFrame, encodeFrame } from '../../src/wire/index.js';
import { canon, payloadsOf, sampleFrames } from './frames.js';

describe('wire codec round trip', () => {
  it('has wire version 1', () => {
    expect(WIRE_VERSION).toBe(3);
  });

  it.each(sampleFrames)('%s', (_name, frame) => {
    const before = canon(frame);
    const bytes = encodeFrame('grp', 'me#1', 'you#2', frame);
    expect(bytes).toBeInstanceOf(Uint8Array);
    // Encoding leaves the frame alone.
    expect(canon(frame)).toEqual(before);
    const decoded = decodeFrame(bytes);
    expect(canon(decoded)).toEqual({ group: 'grp', from: 'me#1', to: 'you#2', frame: before });
    // Plain Uint8Array payloads, not Buffers (whose slice() does not copy).
    for (const p of payloadsOf(decoded.frame)) expect(p.constructor).toBe(Uint8Array);
  });

  it('covers every frame type', () => {
    const types = new Set(sampleFrames.map(([, f]) => f.t));
    expect([...types].sort()).toEqual(
      ['accept', 'accepted', 'ack', 'exclude', 'fetch', 'forward', 'heartbeat', 'join', 'leave', 'msgs', 'newView', 'ping', 'prepare', 'promise', 'reject'].sort(),
    );
  });

  it('decodes from a plain Uint8Array as well as a Buffer, at any offset', () => {
    const frame = sampleFrames.find(([n]) => n === 'msgs')![1];
    const bytes = encodeFrame('g', 'a#1', 'b#1', frame);
    const framed = new Uint8Array(bytes.length + 10);
    framed.set(bytes, 5);
    const view = framed.subarray(5, 5 + bytes.length);
    expect(canon(decodeFrame(view))).toEqual(canon(decodeFrame(bytes)));
    expect(canon(decodeFrame(view).frame)).toEqual(canon(frame));
  });

  it('does not copy payloads on decode', () => {
    const frame: Frame = { t: 'forward', view: 1, msgs: [{ fseq: 1, msgNo: 1, payload: new Uint8Array(4096).fill(9) }] };
    const bytes = encodeFrame('g', 'a#1', 'b#1', frame);
    const decoded = decodeFrame(bytes).frame;
    if (decoded.t !== 'forward') throw new Error('wrong type');
    const p = decoded.msgs[0]!.payload;
    expect(p.buffer).toBe(bytes.buffer);
    expect(p.byteOffset).toBeGreaterThanOrEqual(bytes.byteOffset);
    expect(p.byteOffset + p.byteLength).toBeLessThanOrEqual(bytes.byteOffset + bytes.byteLength);
  });

  it('keeps ids, group names and payloads with any content', () => {
    const frame: Frame = { t: 'newView', view: 1, decision: { prevView: 1, view: 2, members: ['ünï#1', '日本#2', '🙂#3', ' #4'], leavers: [], cut: 0 } };
    expect(decodeFrame(encodeFrame('gröup/🙂', 'ñ#9', 'ü#🙂', frame))).toEqual({ group: 'gröup/🙂', from: 'ñ#9', to: 'ü#🙂', frame });
  });

  it('leaves protobufjs configured as it was (the writer presizing is temporary)', () => {
    const before = $protobuf.Writer.initialBufferSize;
    encodeFrame('g', 'a#1', '', sampleFrames.find(([n]) => n === 'msgs 1 MiB')![1]);
    expect($protobuf.Writer.initialBufferSize).toBe(before);
  });

  it('encodes a 100-entry msgs frame compactly', () => {
    const entries = Array.from({ length: 100 }, (_, i) => ({ sender: i % 3, msgNo: 2 ** 40 + i, payload: new Uint8Array(16) }));
    const frame: Frame = { t: 'msgs', view: 9, first: 2 ** 40, senders: ['a#1', 'b#1', 'c#1'], entries, last: 2 ** 40 + 99, commit: 2 ** 40, stable: 2 ** 40, fill: false };
    const bytes = encodeFrame('g', 'a#1', '', frame);
    // Per entry: 16 payload + 2 tag/len + 1 sender + 7 msgNo + 3 tags = 29 bytes, no more.
    expect(bytes.length).toBeLessThan(100 * 30 + 64);
    expect(canon(decodeFrame(bytes).frame)).toEqual(canon(frame));
  });

  it("carries an empty destination ('' = the member the receiving node hosts) in no bytes at all", () => {
    const frame: Frame = { t: 'join', view: 0, joiner: 'newbie#1' };
    const anyone = encodeFrame('g', 'newbie#1', '', frame);
    const addressed = encodeFrame('g', 'newbie#1', 'seed#4', frame);
    expect(decodeFrame(anyone).to).toBe('');
    expect(decodeFrame(addressed).to).toBe('seed#4');
    // field 20: a 2-byte tag, a length byte and the id
    expect(addressed.length - anyone.length).toBe(3 + 'seed#4'.length);
  });

  it('starts every envelope with the version field (0x08), which the transport relies on', () => {
    for (const [, frame] of sampleFrames) {
      expect(encodeFrame('g', 'a#1', '', frame)[0]).toBe(0x08);
      expect(encodeFrame('g', 'a#1', 'b#2', frame)[0]).toBe(0x08);
    }
  });
});
