import { describe, expect, it, vi } from 'vitest';
import { ErrorCodes, VsyncError } from '../../src/errors.js';
import { MAX_FRAME_SENDERS, MAX_ID_BYTES, MAX_MEMBER_LIST } from '../../src/core/frame-limits.js';
import { vsync } from '../../src/wire/gen/vsync.js';
import { WIRE_VERSION, decodeFrame, encodeFrame } from '../../src/wire/index.js';

const W = vsync.wire;

/** Appends a protobuf varint. */
function varint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/** An envelope `newView` whose decision lists `count` member ids, built byte by byte (no encoder could afford it). */
function nvListing(count: number): Uint8Array {
  const id = new TextEncoder().encode('m#12345');
  const entry = 2 + id.length; // tag 0x1a (decision.members), length, bytes
  const decisionLen = count * entry;
  const head: number[] = [0x08, WIRE_VERSION, 0x12, 0x01, 0x67, 0x1a, 0x03, 0x61, 0x23, 0x31]; // version, group 'g', from 'a#1'
  const nvLen: number[] = [];
  varint(nvLen, decisionLen);
  const nvBody = 1 + nvLen.length + decisionLen; // tag 0x0a (nv.decision), length, decision
  head.push(0x92, 0x01); // field 18 (nv), wire type 2
  varint(head, nvBody);
  head.push(0x0a, ...nvLen);
  const out = new Uint8Array(head.length + decisionLen);
  out.set(head, 0);
  let at = head.length;
  for (let i = 0; i < count; i++) {
    out[at++] = 0x1a;
    out[at++] = id.length;
    out.set(id, at);
    at += id.length;
  }
  return out;
}

function decodeError(bytes: Uint8Array): VsyncError {
  try {
    decodeFrame(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(VsyncError);
    return err as VsyncError;
  }
  throw new Error('expected decodeFrame to throw');
}

describe('the codec refuses lists and strings above its limits before it decodes them', () => {
  it('a 15 MiB frame listing 2 million member ids is refused without being decoded', () => {
    const bytes = nvListing(2_000_000);
    expect(bytes.byteLength).toBeGreaterThan(15 * 1024 * 1024);
    const decode = vi.spyOn(W.Envelope, 'decode');
    try {
      const err = decodeError(bytes);
      expect(err.code).toBe(ErrorCodes.MALFORMED_FRAME);
      expect(err.message).toMatch(/decision\.members: more than 1024 items/);
      expect(decode).not.toHaveBeenCalled();
    } finally {
      decode.mockRestore();
    }
  });

  it('a decision of exactly MAX_MEMBER_LIST members still decodes', () => {
    const f = decodeFrame(nvListing(MAX_MEMBER_LIST)).frame;
    expect(f.t === 'newView' && f.decision.members.length).toBe(MAX_MEMBER_LIST);
  });

  it('senders and ids above their limits', () => {
    const senders = Array.from({ length: MAX_FRAME_SENDERS + 1 }, (_, i) => `s#${i}`);
    const entries = senders.map((_, i) => ({ sender: i, msgNo: 1, payload: new Uint8Array(0) }));
    const msgs = encodeFrame('g', 'a#1', '', { t: 'msgs', view: 1, first: 1, senders, entries, last: entries.length, commit: 0, stable: 0, fill: false });
    expect(decodeError(msgs).message).toMatch(/msgs\.senders/);
    const long = 'x'.repeat(MAX_ID_BYTES + 1);
    expect(decodeError(encodeFrame('g', long, '', { t: 'ping', view: 1 })).message).toMatch(/from: a string/);
    expect(decodeError(encodeFrame('g', 'a#1', '', { t: 'join', view: 0, joiner: long })).message).toMatch(/join\.joiner/);
    expect(decodeFrame(encodeFrame('g', 'x'.repeat(MAX_ID_BYTES), '', { t: 'ping', view: 1 })).from).toHaveLength(MAX_ID_BYTES);
  });
});
