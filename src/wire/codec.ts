/**
 * Frames <-> protobuf bytes (proto/vsync.proto, generated code in ./gen/).
 *
 * Encoding trusts its input: frames come from the core. The proto's field names equal the frame objects'
 * property names, so the core's objects (a `msgs` frame, its entries, a decision...) go to the generated encoder
 * as they are; only the envelope is allocated here.
 *
 * Decoding trusts nothing: every failure is a `VsyncError` with code `VSYNC_ERR_MALFORMED_FRAME` or
 * `VSYNC_ERR_VERSION`. Lists and strings above the limits of src/core/frame-limits.ts (member lists, entries,
 * senders, ids) are refused before anything is allocated (`size-scan.ts`). Payloads of decoded frames are plain `Uint8Array` views into the input bytes, not copies:
 * the caller must not reuse the input buffer while the frame is alive.
 */
import { MAX_KIND_CODE } from '../core/delivery-kinds.js';
import { ErrorCodes, VsyncError } from '../errors.js';
import type { Accepted, Decision, Entry, Frame, FwdMsg } from '../core/frames.js';
import type { MemberId } from '../core/types.js';
import $protobuf from 'protobufjs/minimal.js';
import { vsync } from './gen/vsync.js';
import { decodeHot, encodeHot } from './hot-codec.js';
import { scanEnvelope } from './size-scan.js';

const W = vsync.wire;
const Writer = $protobuf.Writer;

/**
 * Version of the wire format, carried by every envelope (and by the link handshake). 2: the handshake's mac is
 * over the transcript of both Hellos, frames are sealed after it, and Hello carries `max_payload_bytes`. 3: forwarded
 * messages and ordered entries carry `direct` (an entry may then be an id whose payload came from its sender); a
 * version-2 node would read such an entry as an empty payload, so the versions must not mix.
 */
export const WIRE_VERSION = 3;

export interface DecodedFrame {
  group: string;
  /** The sender's member id. */
  from: MemberId;
  /**
   * The destination member id, or `''`: whichever member of `group` the receiving node hosts (join requests sent to
   * seed nodes, whose member ids the joiner does not know). Not validated here: the receiver compares it to its own.
   */
  to: MemberId | '';
  frame: Frame;
}

const EMPTY_MESSAGE: Readonly<Record<string, never>> = Object.freeze({});
const EMPTY_PAYLOAD = new Uint8Array(0);

/**
 * Encodes one frame of `group` sent by `from` to `to` (a member id, or `''`: whichever member of `group` the receiving
 * node hosts). The result is a view into a possibly larger buffer (Node's pooled `Buffer.allocUnsafe`, or the
 * encoder's own): use its `byteOffset`/`byteLength`, never its whole `.buffer`. Its first byte is always 0x08 (the
 * version field): the transport tells envelopes from its own link messages by it (proto/vsync.proto).
 */
export function encodeFrame(group: string, from: MemberId, to: MemberId | '', frame: Frame): Uint8Array {
  const version = WIRE_VERSION;
  if (frame.t === 'msgs' || frame.t === 'forward' || frame.t === 'ack') {
    const hot = encodeHot(version, group, from, to, frame);
    if (hot !== null) return hot;
  }
  return encodeGeneric(group, from, to, frame);
}

/** encodeFrame by the generated code only (every frame; the tests compare it with the hand-written encoder). */
export function encodeGeneric(group: string, from: MemberId, to: MemberId | '', frame: Frame): Uint8Array {
  const version = WIRE_VERSION;
  const view = frame.view;
  let env: vsync.wire.Envelope.$Properties;
  switch (frame.t) {
    case 'heartbeat': env = { version, group, from, to, view, heartbeat: frame }; break;
    case 'ping': env = { version, group, from, to, view, ping: EMPTY_MESSAGE }; break;
    case 'forward': env = { version, group, from, to, view, fwd: frame }; break;
    case 'msgs': env = { version, group, from, to, view, msgs: frame }; break;
    case 'ack': env = { version, group, from, to, view, ack: frame }; break;
    case 'fetch': env = { version, group, from, to, view, fetch: frame }; break;
    case 'join': env = { version, group, from, to, view, join: frame }; break;
    case 'leave': env = { version, group, from, to, view, leave: EMPTY_MESSAGE }; break;
    case 'prepare': env = { version, group, from, to, view, prep: frame }; break;
    case 'promise': env = { version, group, from, to, view, prom: frame }; break;
    case 'reject': env = { version, group, from, to, view, rej: frame }; break;
    case 'accept': env = { version, group, from, to, view, acc: frame }; break;
    case 'accepted': env = { version, group, from, to, view, accd: frame }; break;
    case 'newView': env = { version, group, from, to, view, nv: frame }; break;
    case 'exclude': env = { version, group, from, to, view, excl: EMPTY_MESSAGE }; break;
    case 'stateRequest': env = { version, group, from, to, view, sreq: frame }; break;
    case 'stateChunk':
      env = frame.total < 0
        ? { version, group, from, to, view, schunk: { offset: frame.offset, total: 0, data: frame.data, missing: true } }
        : { version, group, from, to, view, schunk: frame };
      break;
    default: {
      const t: never = frame;
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `encodeFrame: unknown frame type ${String((t as { t?: unknown }).t)}`);
    }
  }
  return W.Envelope.encode(env, writerFor(sizeHint(group, from, to, frame))).finish(true);
}

/**
 * A writer whose buffer already holds `size` bytes. protobufjs grows its buffer by doubling from 128 bytes, copying
 * it each time: for a 100 KiB frame that costs more than the encoding itself. `initialBufferSize` is protobufjs's
 * public knob for the first buffer; it is restored at once (all of this is synchronous).
 */
function writerFor(size: number): $protobuf.Writer {
  const initial = Writer.initialBufferSize;
  if (size <= initial) return Writer.create();
  Writer.initialBufferSize = size;
  try {
    return Writer.create();
  } finally {
    Writer.initialBufferSize = initial;
  }
}

/**
 * An upper bound of the encoded size of the frames that carry payloads (`msgs`, `forward`); 0 for the others, which are
 * small. Per entry: payload, plus at most 5 (tag, length) + 6 (sender) + 9 (msgNo) + 6 (payload tag and length).
 */
function sizeHint(group: string, from: MemberId, to: string, frame: Frame): number {
  let n: number;
  if (frame.t === 'msgs') {
    n = 128;
    const { senders, entries } = frame;
    for (let i = 0; i < senders.length; i++) n += 3 * senders[i]!.length + 6;
    for (let i = 0; i < entries.length; i++) n += entries[i]!.payload.length + 32;
  } else if (frame.t === 'forward') {
    n = 64;
    const msgs = frame.msgs;
    for (let i = 0; i < msgs.length; i++) n += msgs[i]!.payload.length + 32;
  } else if (frame.t === 'stateChunk') {
    n = 64 + frame.data.length;
  } else {
    return 0;
  }
  return n + 3 * (group.length + from.length + to.length);
}

/** Decodes and validates one envelope. Throws `VsyncError` (MALFORMED_FRAME or VERSION) on any defect. */
export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  if (!(bytes instanceof Uint8Array)) throw malformed('input is not a Uint8Array');
  // Read a Buffer through a plain Uint8Array view: protobufjs then yields payloads as plain Uint8Array views
  // (subarray) rather than Buffers, whose slice() shares memory where Uint8Array's copies.
  const input = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The frames that carry payloads, and acks, by hand (hot-codec.ts); anything it does not expect is decided below.
  return decodeHot(input, WIRE_VERSION) ?? decodeGeneric(input);
}

/** decodeFrame by the generated code only, for a plain Uint8Array (the tests compare it with the fast path). */
export function decodeGeneric(input: Uint8Array): DecodedFrame {
  let env: DecodedEnvelope;
  try {
    // Lists and strings above the limits are refused before the decoder allocates them.
    scanEnvelope(input);
    env = W.Envelope.decode(input);
  } catch (err) {
    throw malformed(`undecodable bytes (${err instanceof Error ? err.message : String(err)})`, err);
  }
  // proto3 cannot tell version 0 from no version: both mean the bytes are not an envelope of any version.
  if (!env.version) throw malformed('missing version');
  if (env.version !== WIRE_VERSION) {
    throw new VsyncError(ErrorCodes.VERSION, `wire version ${env.version}, expected ${WIRE_VERSION}`);
  }
  const group = env.group;
  if (!group) throw malformed('empty group');
  const from = env.from;
  if (!from) throw malformed('empty sender id (from)');
  const to = env.to ?? '';
  return { group, from, to, frame: decodeBody(env, u64(env.view, 'view')) };
}

type DecodedEnvelope = ReturnType<typeof W.Envelope.decode>;

function decodeBody(env: DecodedEnvelope, view: number): Frame {
  switch (env.body) {
    case 'heartbeat':
      return { t: 'heartbeat', view, promised: u64(env.heartbeat.promised, 'heartbeat.promised') };
    case 'ping':
      return { t: 'ping', view };
    case 'fwd':
      return { t: 'forward', view, msgs: fwdMsgs(env.fwd.msgs) };
    case 'msgs': {
      const m = env.msgs;
      const senders = ids(m.senders, 'msgs.senders');
      return {
        t: 'msgs',
        view,
        first: u64(m.first, 'msgs.first'),
        senders,
        entries: entries(m.entries, senders.length),
        last: u64(m.last, 'msgs.last'),
        commit: u64(m.commit, 'msgs.commit'),
        stable: u64(m.stable, 'msgs.stable'),
        fill: m.fill === true,
      };
    }
    case 'ack':
      return { t: 'ack', view, received: u64(env.ack.received, 'ack.received') };
    case 'fetch':
      return { t: 'fetch', view, from: u64(env.fetch.from, 'fetch.from'), to: u64(env.fetch.to, 'fetch.to') };
    case 'join': {
      const joiner = env.join.joiner;
      if (!joiner) throw malformed('join.joiner: empty member id');
      return { t: 'join', view, joiner };
    }
    case 'leave':
      return { t: 'leave', view };
    case 'prep':
      return {
        t: 'prepare',
        view,
        ballot: u64(env.prep.ballot, 'prep.ballot'),
      };
    case 'prom': {
      const p = env.prom;
      return {
        t: 'promise',
        view,
        ballot: u64(p.ballot, 'prom.ballot'),
        received: u64(p.received, 'prom.received'),
        accepted: p.accepted == null ? null : accepted(p.accepted, 'prom.accepted'),
      };
    }
    case 'rej':
      return { t: 'reject', view, ballot: u64(env.rej.ballot, 'rej.ballot') };
    case 'acc': {
      const a = env.acc;
      const source = a.source;
      if (!source) throw malformed('acc.source: empty member id');
      return { t: 'accept', view, ballot: u64(a.ballot, 'acc.ballot'), decision: decision(a.decision, 'acc.decision'), source };
    }
    case 'accd':
      return { t: 'accepted', view, ballot: u64(env.accd.ballot, 'accd.ballot') };
    case 'nv':
      return { t: 'newView', view, decision: decision(env.nv.decision, 'nv.decision') };
    case 'excl':
      return { t: 'exclude', view };
    case 'sreq':
      return { t: 'stateRequest', view, offset: u64(env.sreq.offset, 'sreq.offset'), length: u64(env.sreq.length, 'sreq.length') };
    case 'schunk': {
      const c = env.schunk;
      const data = c.data ?? new Uint8Array(0);
      return { t: 'stateChunk', view, offset: u64(c.offset, 'schunk.offset'), total: c.missing === true ? -1 : u64(c.total, 'schunk.total'), data };
    }
    default:
      throw malformed('missing body');
  }
}

function entries(list: vsync.wire.Entry.$Properties[] | null | undefined, nSenders: number): Entry[] {
  if (list == null) return [];
  // The decoded list is ours: convert it in place rather than allocating a second array.
  const out = list as unknown as Entry[];
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    const sender = e.sender ?? 0;
    if (sender >= nSenders) {
      throw malformed(`msgs.entries[${i}].sender = ${sender} is out of range of msgs.senders (length ${nSenders})`);
    }
    const d: Entry = { sender, msgNo: u64(e.msgNo, 'msgs.entries[].msgNo', i), payload: payload(e.payload), kind: kind(e.kind, 'msgs.entries[].kind', i) };
    // Set only when true, as the core writes it: a decoded frame equals the one encoded.
    if (e.direct === true) d.direct = true;
    out[i] = d;
  }
  return out;
}

function fwdMsgs(list: vsync.wire.FwdMsg.$Properties[] | null | undefined): FwdMsg[] {
  if (list == null) return [];
  const out = list as unknown as FwdMsg[];
  for (let i = 0; i < list.length; i++) {
    const m = list[i]!;
    const d: FwdMsg = {
      fseq: u64(m.fseq, 'fwd.msgs[].fseq', i),
      msgNo: u64(m.msgNo, 'fwd.msgs[].msgNo', i),
      payload: payload(m.payload),
      kind: kind(m.kind, 'fwd.msgs[].kind', i),
    };
    if (m.direct === true) d.direct = true;
    out[i] = d;
  }
  return out;
}

/** A delivery kind code (src/core/delivery-kinds.ts); absent is 0, safe. An unknown code is malformed. */
function kind(k: number | null | undefined, what: string, index: number): number {
  const v = k ?? 0;
  if (v > MAX_KIND_CODE) throw malformed(`${fieldName(what, index)} = ${v} is not a delivery kind`);
  return v;
}

/** A decoded payload; an absent one is protobufjs's shared default (a Buffer), replaced by our own empty array. */
function payload(p: Uint8Array | null | undefined): Uint8Array {
  return p != null && p.length !== 0 ? p : EMPTY_PAYLOAD;
}

function decision(d: vsync.wire.Decision.$Properties | null | undefined, what: string): Decision {
  if (d == null) throw malformed(`${what}: missing`);
  return {
    prevView: u64(d.prevView, `${what}.prevView`),
    view: u64(d.view, `${what}.view`),
    members: ids(d.members, `${what}.members`),
    leavers: ids(d.leavers, `${what}.leavers`),
    cut: u64(d.cut, `${what}.cut`),
  };
}

function accepted(a: vsync.wire.Accepted.$Properties, what: string): Accepted {
  return { ballot: u64(a.ballot, `${what}.ballot`), decision: decision(a.decision, `${what}.decision`) };
}

/** A decoded list of member ids: ours to keep; checked for empty ids. */
function ids(list: string[] | null | undefined, what: string): MemberId[] {
  if (list == null) return [];
  for (let i = 0; i < list.length; i++) {
    if (!list[i]) throw malformed(`${what}[${i}]: empty member id`);
  }
  return list;
}

/** What protobufjs yields for a uint64: a number, or a long.js `Long` when that package is loaded. */
type Uint64 = number | { low: number; high: number };

/** Largest high word of a safe integer: 2^53 - 1 = 0x1fffff_ffffffff. */
const MAX_SAFE_HIGH = 0x1fffff;
const TWO_32 = 0x1_0000_0000;

/**
 * A uint64 field as a JS number; absent means 0. Values above `Number.MAX_SAFE_INTEGER` are malformed. (Without
 * long.js protobufjs rounds large values to a double, but any value >= 2^53 still rounds to >= 2^53.)
 */
function u64(v: Uint64 | null | undefined, what: string, index?: number): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
    throw malformed(`${fieldName(what, index)} = ${v} is not a safe integer`);
  }
  if (v == null) return 0;
  const high = v.high >>> 0;
  const low = v.low >>> 0;
  if (high > MAX_SAFE_HIGH) {
    const value = (BigInt(high) << 32n) | BigInt(low);
    throw malformed(`${fieldName(what, index)} = ${value} is above Number.MAX_SAFE_INTEGER`);
  }
  return high * TWO_32 + low;
}

function fieldName(what: string, index: number | undefined): string {
  return index === undefined ? what : what.replace('[]', `[${index}]`);
}

function malformed(what: string, cause?: unknown): VsyncError {
  return new VsyncError(ErrorCodes.MALFORMED_FRAME, `malformed frame: ${what}`, cause === undefined ? undefined : { cause });
}
