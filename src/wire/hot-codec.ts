/**
 * The two frames that carry payloads, `forward` and `msgs`, and the acknowledgement, `ack`, encoded and decoded by
 * hand.
 *
 * Every message passes through them several times (a forward encoded by its sender and decoded by the sequencer, a
 * `msgs` frame encoded once and decoded by every member), and protobufjs costs about 0.3 µs per entry to encode and
 * 0.45 µs to decode: an operation object per field written, and per entry read a message object, a long.js `Long` for
 * its number and then our own object. Here an entry costs one object and one view of its payload, and a frame one
 * buffer of its exact size. An `ack` is on the path of every safe delivery at the sequencer (a receiver's ack is the
 * third hop), and the generated code, cold after an idle millisecond, spent some 10 µs encoding it and as much
 * decoding it (the fast path gave up on it first, by an exception).
 *
 * Both sides follow proto/vsync.proto exactly and produce what the generated code produces: the encoder's bytes are
 * identical to protobufjs's (test/wire/hot-codec.test.ts compares them on random frames), and the decoder yields
 * the same frame. Whatever they do not expect they leave to the generated code, which then decides as it always did:
 * the encoder anything but ASCII strings, the decoder any other body, an unknown or repeated field, a field of the
 * wrong wire type, a value out of range, a list or string above the limits, truncated bytes. So the fast path
 * changes no outcome; a frame it gives up on is decoded twice, at most.
 */
import { MAX_KIND_CODE } from '../core/delivery-kinds.js';
import { MAX_FRAME_ENTRIES, MAX_FRAME_SENDERS, MAX_ID_BYTES } from '../core/frame-limits.js';
import type { Entry, Frame, FwdMsg } from '../core/frames.js';
import type { MemberId } from '../core/types.js';

type HotFrame = Extract<Frame, { t: 'msgs' | 'forward' | 'ack' }>;

/** The decoded envelope, as `decodeFrame` returns it. */
export interface HotDecoded {
  group: string;
  from: MemberId;
  to: MemberId | '';
  frame: HotFrame;
}

// Envelope and body field numbers and tags (proto/vsync.proto): tag = field << 3 | wire type.
const TAG_VERSION = (1 << 3) | 0;
const TAG_GROUP = (2 << 3) | 2;
const TAG_FROM = (3 << 3) | 2;
const TAG_VIEW = (4 << 3) | 0;
const TAG_FWD = (7 << 3) | 2;
const TAG_MSGS = (8 << 3) | 2;
const TAG_ACK = (9 << 3) | 2;
/** The bits (1 << field) of the bodies the fast path reads: a second body of the oneof goes to the generated code. */
const BODY_BITS = (1 << 7) | (1 << 8) | (1 << 9);
const TAG_TO = (20 << 3) | 2; // two bytes on the wire: 0xa2 0x01
const TO_FIRST_BYTE = (TAG_TO & 0x7f) | 0x80;

const EMPTY_PAYLOAD: Uint8Array = new Uint8Array(0);
const NO_SIZES = new Int32Array(0);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// ---- encoding ------------------------------------------------------------------------------------------------

/** Bytes of `v` (a non-negative safe integer) as a varint. */
function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 5;
  for (let x = Math.floor(v / 0x800000000); x > 0; x = Math.floor(x / 0x80)) n++;
  return n;
}

function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  // `v & 0x7f` is exact for integers up to 2^53: ToInt32 keeps v mod 2^32, a multiple of 128 apart from v.
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[pos++] = v;
  return pos;
}

/** A string of ASCII characters only (its bytes are its char codes), which is what the encoder here writes. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function writeAscii(buf: Uint8Array, pos: number, s: string): number {
  pos = writeVarint(buf, pos, s.length);
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

/** Size of a string field with a one-byte tag, or of `to` (two-byte tag); 0 when empty (proto3 omits it). */
const strField = (s: string, tagBytes: number): number => (s.length === 0 ? 0 : tagBytes + varintSize(s.length) + s.length);
/** Size of a varint field with a one-byte tag; 0 when zero (proto3 omits it). */
const numField = (v: number): number => (v === 0 ? 0 : 1 + varintSize(v));

/** Size of one entry's or forwarded message's fields (the same layout but for field 1). */
function itemSize(first: number, msgNo: number, payload: Uint8Array, kind: number | undefined, direct: boolean | undefined): number {
  return numField(first) + numField(msgNo) + (payload.length === 0 ? 0 : 1 + varintSize(payload.length) + payload.length) + numField(kind ?? 0) + (direct === true ? 2 : 0);
}

function writeItem(buf: Uint8Array, pos: number, first: number, msgNo: number, payload: Uint8Array, kind: number | undefined, direct: boolean | undefined): number {
  if (first !== 0) pos = writeVarint(buf, (buf[pos] = 0x08, pos + 1), first);
  if (msgNo !== 0) pos = writeVarint(buf, (buf[pos] = 0x10, pos + 1), msgNo);
  if (payload.length !== 0) {
    buf[pos++] = 0x1a;
    pos = writeVarint(buf, pos, payload.length);
    buf.set(payload, pos);
    pos += payload.length;
  }
  if (kind !== undefined && kind !== 0) pos = writeVarint(buf, (buf[pos] = 0x20, pos + 1), kind);
  if (direct === true) {
    buf[pos++] = 0x28;
    buf[pos++] = 1;
  }
  return pos;
}

/**
 * Encodes a `forward`, `msgs` or `ack` envelope, or returns null for the generated encoder to do it (a string that is not
 * ASCII). Trusts its input as the codec's encoder does: the numbers are non-negative safe integers from the core.
 */
export function encodeHot(version: number, group: string, from: MemberId, to: MemberId | '', frame: HotFrame): Uint8Array | null {
  if (!isAscii(group) || !isAscii(from) || !isAscii(to)) return null;
  const view = frame.view;
  let body: number;
  let itemSizes: Int32Array;
  if (frame.t === 'ack') {
    itemSizes = NO_SIZES;
    body = numField(frame.received);
  } else if (frame.t === 'forward') {
    const msgs = frame.msgs;
    itemSizes = new Int32Array(msgs.length);
    body = 0;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      const s = itemSize(m.fseq, m.msgNo, m.payload, m.kind, m.direct);
      itemSizes[i] = s;
      body += 1 + varintSize(s) + s;
    }
  } else {
    const { senders, entries } = frame;
    for (let i = 0; i < senders.length; i++) if (!isAscii(senders[i]!)) return null;
    itemSizes = new Int32Array(entries.length);
    body = numField(frame.first) + numField(frame.last) + numField(frame.commit) + numField(frame.stable) + (frame.fill ? 2 : 0);
    for (let i = 0; i < senders.length; i++) body += 1 + varintSize(senders[i]!.length) + senders[i]!.length;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const s = itemSize(e.sender, e.msgNo, e.payload, e.kind, e.direct);
      itemSizes[i] = s;
      body += 1 + varintSize(s) + s;
    }
  }
  const size = numField(version) + strField(group, 1) + strField(from, 1) + numField(view) + 1 + varintSize(body) + body + strField(to, 2);
  // Node's pool for small frames, as protobufjs's writer uses; callers take byteOffset/byteLength into account.
  const buf: Uint8Array = Buffer.allocUnsafe(size);
  let pos = 0;
  if (version !== 0) pos = writeVarint(buf, (buf[pos] = TAG_VERSION, pos + 1), version);
  if (group.length !== 0) pos = writeAscii(buf, (buf[pos] = TAG_GROUP, pos + 1), group);
  if (from.length !== 0) pos = writeAscii(buf, (buf[pos] = TAG_FROM, pos + 1), from);
  if (view !== 0) pos = writeVarint(buf, (buf[pos] = TAG_VIEW, pos + 1), view);
  if (frame.t === 'ack') {
    buf[pos++] = TAG_ACK;
    pos = writeVarint(buf, pos, body);
    if (frame.received !== 0) pos = writeVarint(buf, (buf[pos] = 0x08, pos + 1), frame.received);
  } else if (frame.t === 'forward') {
    buf[pos++] = TAG_FWD;
    pos = writeVarint(buf, pos, body);
    const msgs = frame.msgs;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      buf[pos++] = 0x0a;
      pos = writeVarint(buf, pos, itemSizes[i]!);
      pos = writeItem(buf, pos, m.fseq, m.msgNo, m.payload, m.kind, m.direct);
    }
  } else {
    buf[pos++] = TAG_MSGS;
    pos = writeVarint(buf, pos, body);
    if (frame.first !== 0) pos = writeVarint(buf, (buf[pos] = 0x08, pos + 1), frame.first);
    const { senders, entries } = frame;
    for (let i = 0; i < senders.length; i++) pos = writeAscii(buf, (buf[pos] = 0x12, pos + 1), senders[i]!);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      buf[pos++] = 0x1a;
      pos = writeVarint(buf, pos, itemSizes[i]!);
      pos = writeItem(buf, pos, e.sender, e.msgNo, e.payload, e.kind, e.direct);
    }
    if (frame.last !== 0) pos = writeVarint(buf, (buf[pos] = 0x20, pos + 1), frame.last);
    if (frame.commit !== 0) pos = writeVarint(buf, (buf[pos] = 0x28, pos + 1), frame.commit);
    if (frame.stable !== 0) pos = writeVarint(buf, (buf[pos] = 0x30, pos + 1), frame.stable);
    if (frame.fill) {
      buf[pos++] = 0x38;
      buf[pos++] = 1;
    }
  }
  if (to.length !== 0) {
    buf[pos++] = TO_FIRST_BYTE;
    buf[pos++] = TAG_TO >>> 7;
    pos = writeAscii(buf, pos, to);
  }
  if (pos !== size) throw new Error(`encodeHot: wrote ${pos} bytes of ${size}`);
  return buf;
}

// ---- decoding ------------------------------------------------------------------------------------------------

/** Thrown inside the decoder when it gives up; caught by decodeHot, which then returns null. */
const GIVE_UP = new Error('not for the fast path');

/** The decoder's cursor: the input and a position in it (one per call, so decoding is reentrant). */
class Cursor {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  /** A varint as a number; gives up above Number.MAX_SAFE_INTEGER or past `end`. */
  varint(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= end) throw GIVE_UP;
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let v = b & 0x7f;
    let mul = 0x80;
    for (let i = 1; ; i++) {
      if (pos >= end || i >= 8) throw GIVE_UP; // 8 varint bytes hold 56 bits: beyond them, not a safe integer
      b = buf[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
    }
    if (v > MAX_SAFE) throw GIVE_UP;
    this.pos = pos;
    return v;
  }

  /** The end of a length-delimited field that starts here (its length read). */
  span(end: number): number {
    const len = this.varint(end);
    const stop = this.pos + len;
    if (stop > end) throw GIVE_UP;
    return stop;
  }

  /** A string field of ASCII characters, at most MAX_ID_BYTES long; gives up on anything else. */
  ascii(end: number): string {
    const stop = this.span(end);
    const buf = this.buf;
    const start = this.pos;
    if (stop - start > MAX_ID_BYTES) throw GIVE_UP;
    let s = '';
    for (let i = start; i < stop; i++) {
      const c = buf[i]!;
      if (c > 0x7f) throw GIVE_UP;
      s += String.fromCharCode(c);
    }
    this.pos = stop;
    return s;
  }

  /** A payload: a view into the input (not a copy), or the shared empty array. */
  bytes(end: number): Uint8Array {
    const stop = this.span(end);
    const p = stop === this.pos ? EMPTY_PAYLOAD : this.buf.subarray(this.pos, stop);
    this.pos = stop;
    return p;
  }
}

/**
 * Decodes `input` (a plain Uint8Array) if it is a `forward`, `msgs` or `ack` envelope of wire version `version` that the fast
 * path fully understands; otherwise null, and the generated decoder decides.
 */
export function decodeHot(input: Uint8Array, version: number): HotDecoded | null {
  // Another body costs the four fields before it: version, group, from and view.
  try {
    return decodeEnvelope(new Cursor(input, 0), input.length, version);
  } catch (err) {
    if (err === GIVE_UP) return null;
    throw err;
  }
}

function decodeEnvelope(c: Cursor, end: number, version: number): HotDecoded | null {
  let seen = 0;
  let group = '';
  let from = '';
  let to = '';
  let view = 0;
  let frame: HotFrame | null = null;
  while (c.pos < end) {
    const tag = c.buf[c.pos++]!;
    // One bit per field (`to`, field 20, its own): a repeated field goes to the generated decoder, and so does a
    // second body (fwd, msgs and ack are fields 7, 8 and 9 of one oneof).
    const bit = tag === TO_FIRST_BYTE ? 1 << 20 : 1 << (tag >>> 3);
    if (seen & bit || (bit & BODY_BITS && seen & BODY_BITS)) throw GIVE_UP;
    seen |= bit;
    switch (tag) {
      case TAG_VERSION:
        if (c.varint(end) !== version) throw GIVE_UP;
        break;
      case TAG_GROUP:
        group = c.ascii(end);
        break;
      case TAG_FROM:
        from = c.ascii(end);
        break;
      case TAG_VIEW:
        view = c.varint(end);
        break;
      case TAG_FWD:
      case TAG_MSGS: {
        const stop = c.span(end);
        frame = tag === TAG_FWD ? decodeFwd(c, stop, view) : decodeMsgs(c, stop, view);
        break;
      }
      case TAG_ACK:
        frame = decodeAck(c, c.span(end), view);
        break;
      case TO_FIRST_BYTE: {
        if (c.pos >= end || c.buf[c.pos++] !== TAG_TO >>> 7) throw GIVE_UP;
        to = c.ascii(end);
        break;
      }
      default:
        throw GIVE_UP;
    }
  }
  // The view may follow the body in a valid encoding (fields in any order): set it now.
  if (frame === null || group === '' || from === '' || (seen & (1 << 1)) === 0) throw GIVE_UP;
  frame.view = view;
  return { group, from, to, frame };
}

function decodeFwd(c: Cursor, end: number, view: number): HotFrame {
  const msgs: FwdMsg[] = [];
  while (c.pos < end) {
    if (c.buf[c.pos++] !== 0x0a) throw GIVE_UP;
    if (msgs.length >= MAX_FRAME_ENTRIES) throw GIVE_UP;
    const it = readItem(c, c.span(end));
    const m: FwdMsg = { fseq: it.first, msgNo: it.msgNo, payload: it.payload, kind: it.kind };
    if (it.direct) m.direct = true;
    msgs.push(m);
  }
  return { t: 'forward', view, msgs };
}

function decodeAck(c: Cursor, end: number, view: number): HotFrame {
  let received = 0;
  let seen = false;
  while (c.pos < end) {
    if (c.buf[c.pos++] !== 0x08 || seen) throw GIVE_UP;
    seen = true;
    received = c.varint(end);
  }
  return { t: 'ack', view, received };
}

function decodeMsgs(c: Cursor, end: number, view: number): HotFrame {
  let first = 0;
  let last = 0;
  let commit = 0;
  let stable = 0;
  let fill = false;
  const senders: MemberId[] = [];
  const entries: Entry[] = [];
  let seen = 0;
  while (c.pos < end) {
    const tag = c.buf[c.pos++]!;
    switch (tag) {
      case 0x12:
        if (senders.length >= MAX_FRAME_SENDERS) throw GIVE_UP;
        senders.push(c.ascii(end));
        if (senders[senders.length - 1] === '') throw GIVE_UP; // the generated decoder names the empty id
        continue;
      case 0x1a:
        if (entries.length >= MAX_FRAME_ENTRIES) throw GIVE_UP;
        entries.push(decodeEntry(c, c.span(end)));
        continue;
    }
    const bit = 1 << (tag >>> 3);
    if (seen & bit) throw GIVE_UP;
    seen |= bit;
    switch (tag) {
      case 0x08: first = c.varint(end); break;
      case 0x20: last = c.varint(end); break;
      case 0x28: commit = c.varint(end); break;
      case 0x30: stable = c.varint(end); break;
      case 0x38: fill = boolOf(c.varint(end)); break;
      default: throw GIVE_UP;
    }
  }
  // Senders may follow the entries on the wire: the indexes are checked once both are read.
  for (let i = 0; i < entries.length; i++) {
    const s = entries[i]!.sender;
    if (s >= senders.length) throw GIVE_UP;
  }
  return { t: 'msgs', view, first, senders, entries, last, commit, stable, fill };
}

function decodeEntry(c: Cursor, end: number): Entry {
  const it = readItem(c, end);
  // Entry.sender is a uint32: a larger index is the generated decoder's to truncate (and then to judge).
  if (it.first > 0xffffffff) throw GIVE_UP;
  const e: Entry = { sender: it.first, msgNo: it.msgNo, payload: it.payload, kind: it.kind };
  if (it.direct) e.direct = true;
  return e;
}

/** The fields of an Entry or a FwdMsg, which share their layout but for field 1 (sender, fseq). Reused: read it at once. */
const item = { first: 0, msgNo: 0, payload: EMPTY_PAYLOAD, kind: 0, direct: false };

function readItem(c: Cursor, end: number): typeof item {
  item.first = 0;
  item.msgNo = 0;
  item.payload = EMPTY_PAYLOAD;
  item.kind = 0;
  item.direct = false;
  let seen = 0;
  while (c.pos < end) {
    const tag = c.buf[c.pos++]!;
    const bit = 1 << (tag >>> 3);
    if (seen & bit) throw GIVE_UP;
    seen |= bit;
    switch (tag) {
      case 0x08: item.first = c.varint(end); break;
      case 0x10: item.msgNo = c.varint(end); break;
      case 0x1a: item.payload = c.bytes(end); break;
      case 0x20: item.kind = c.varint(end); if (item.kind > MAX_KIND_CODE) throw GIVE_UP; break;
      case 0x28: item.direct = boolOf(c.varint(end)); break;
      default: throw GIVE_UP;
    }
  }
  return item;
}

/** protobufjs reads a bool as a uint32 (the low 32 bits of the varint) other than 0; 0 and 1 are all we expect. */
function boolOf(v: number): boolean {
  if (v > 1) throw GIVE_UP;
  return v === 1;
}
