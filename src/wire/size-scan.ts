/**
 * A pass over an envelope's protobuf bytes that refuses, before anything is decoded or allocated, lists and
 * strings above the limits of src/core/frame-limits.ts. protobufjs builds every repeated field in full: without
 * this, one 15 MiB frame listing two million member ids costs two million strings and a second of the event
 * loop before any check could look at it. The scan reads tags and lengths only; its cost is one step per field,
 * and it stops at the first list that passes its limit.
 *
 * It knows only the fields that carry lists, strings or nested messages; every other field is skipped by its
 * wire type, as the decoder would. Field numbers are those of proto/vsync.proto.
 */
import { MAX_FRAME_ENTRIES, MAX_FRAME_SENDERS, MAX_ID_BYTES, MAX_MEMBER_LIST } from '../core/frame-limits.js';

/** A length-delimited field: a string of at most `maxBytes`, or a nested message; `maxCount` bounds its repeats. */
type Field = { kind: 'str'; name: string; maxCount?: number } | { kind: 'msg'; name: string; of: Schema; maxCount?: number };
type Schema = Readonly<Record<number, Field>>;

const DECISION: Schema = {
  3: { kind: 'str', name: 'decision.members', maxCount: MAX_MEMBER_LIST },
  4: { kind: 'str', name: 'decision.leavers', maxCount: MAX_MEMBER_LIST },
};
const ACCEPTED: Schema = { 2: { kind: 'msg', name: 'accepted.decision', of: DECISION } };
const EMPTY: Schema = {};
const ENVELOPE: Schema = {
  2: { kind: 'str', name: 'group' },
  3: { kind: 'str', name: 'from' },
  20: { kind: 'str', name: 'to' },
  5: { kind: 'msg', name: 'heartbeat', of: EMPTY },
  6: { kind: 'msg', name: 'ping', of: EMPTY },
  7: { kind: 'msg', name: 'fwd', of: { 1: { kind: 'msg', name: 'fwd.msgs', of: EMPTY, maxCount: MAX_FRAME_ENTRIES } } },
  8: {
    kind: 'msg', name: 'msgs', of: {
      2: { kind: 'str', name: 'msgs.senders', maxCount: MAX_FRAME_SENDERS },
      3: { kind: 'msg', name: 'msgs.entries', of: EMPTY, maxCount: MAX_FRAME_ENTRIES },
    },
  },
  9: { kind: 'msg', name: 'ack', of: EMPTY },
  10: { kind: 'msg', name: 'fetch', of: EMPTY },
  11: { kind: 'msg', name: 'join', of: { 1: { kind: 'str', name: 'join.joiner' } } },
  12: { kind: 'msg', name: 'leave', of: EMPTY },
  13: { kind: 'msg', name: 'prep', of: EMPTY },
  14: { kind: 'msg', name: 'prom', of: { 3: { kind: 'msg', name: 'prom.accepted', of: ACCEPTED } } },
  15: { kind: 'msg', name: 'rej', of: EMPTY },
  16: { kind: 'msg', name: 'acc', of: { 2: { kind: 'msg', name: 'acc.decision', of: DECISION }, 3: { kind: 'str', name: 'acc.source' } } },
  17: { kind: 'msg', name: 'accd', of: EMPTY },
  18: { kind: 'msg', name: 'nv', of: { 1: { kind: 'msg', name: 'nv.decision', of: DECISION } } },
  19: { kind: 'msg', name: 'excl', of: EMPTY },
  21: { kind: 'msg', name: 'sreq', of: EMPTY },
  22: { kind: 'msg', name: 'schunk', of: EMPTY },
};

/** Thrown by the scan; the codec turns it into VSYNC_ERR_MALFORMED_FRAME. */
export class ScanError extends Error {}

/**
 * Checks `buf` (an Envelope) against the limits. Throws ScanError naming the first list or string too long, or
 * the first defect of the wire encoding it meets (a truncated field, a bad wire type).
 */
export function scanEnvelope(buf: Uint8Array): void {
  scan(buf, 0, buf.length, ENVELOPE, 0);
}

const MAX_DEPTH = 8;

function scan(buf: Uint8Array, start: number, end: number, schema: Schema, depth: number): void {
  if (depth > MAX_DEPTH) throw new ScanError('nested too deep');
  let counts: Map<number, number> | null = null;
  let pos = start;
  while (pos < end) {
    // Tag: a varint of at most 5 bytes.
    let tag = 0;
    let shift = 0;
    for (;;) {
      if (pos >= end) throw new ScanError('truncated tag');
      const b = buf[pos++]!;
      tag += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
      if (shift > 28) throw new ScanError('tag too long');
    }
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    switch (wire) {
      case 0: {
        let n = 0;
        while (pos < end && buf[pos]! >= 0x80) {
          pos++;
          if (++n >= 10) throw new ScanError('varint too long');
        }
        if (pos >= end) throw new ScanError('truncated varint');
        pos++;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        let len = 0;
        let sh = 0;
        for (;;) {
          if (pos >= end) throw new ScanError('truncated length');
          const b = buf[pos++]!;
          len += (b & 0x7f) * 2 ** sh;
          if (b < 0x80) break;
          sh += 7;
          if (sh > 28) throw new ScanError('length too long');
        }
        const stop = pos + len;
        if (stop > end) throw new ScanError('field runs past the end');
        const f = schema[field];
        if (f !== undefined) {
          if (f.maxCount !== undefined) {
            counts ??= new Map();
            const c = (counts.get(field) ?? 0) + 1;
            if (c > f.maxCount) throw new ScanError(`${f.name}: more than ${f.maxCount} items`);
            counts.set(field, c);
          }
          if (f.kind === 'str') {
            if (len > MAX_ID_BYTES) throw new ScanError(`${f.name}: a string of ${len} bytes (at most ${MAX_ID_BYTES})`);
          } else if (f.of !== EMPTY) {
            scan(buf, pos, stop, f.of, depth + 1);
          }
        }
        pos = stop;
        break;
      }
      default:
        throw new ScanError(`wire type ${wire}`);
    }
  }
  if (pos > end) throw new ScanError('field runs past the end');
}
