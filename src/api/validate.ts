/**
 * Argument checks for the public API. JavaScript callers bypass the types, and a wrong value that gets past the
 * call fails later where nobody can catch it (inside a timer, on another member): every check here throws
 * VSYNC_ERR_INVALID_ARGUMENT at the call, with a message that names the argument.
 */
import { type CoreConfig, DEFAULT_CONFIG } from '../core/config.js';
import { DELIVERY_KINDS, type DeliveryKind } from '../core/delivery-kinds.js';
import { ErrorCodes, VsyncError } from '../errors.js';

export function invalid(message: string): VsyncError {
  return new VsyncError(ErrorCodes.INVALID_ARGUMENT, message);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return 'an array';
  return `an object (${Object.prototype.toString.call(v).slice(8, -1)})`;
}

/** `undefined`, or a non-null, non-array object (an options bag). */
export function optionsObject(v: unknown, name: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${name} must be an object, got ${show(v)}`);
  return v as Record<string, unknown>;
}

export function optionalSignal(v: unknown, name: string): void {
  if (v === undefined) return;
  if (!(v instanceof AbortSignal)) throw invalid(`${name} must be an AbortSignal, got ${show(v)}`);
}

export function optionalBoolean(v: unknown, name: string): void {
  if (v !== undefined && typeof v !== 'boolean') throw invalid(`${name} must be a boolean, got ${show(v)}`);
}

export function optionalFunction(v: unknown, name: string): void {
  if (v !== undefined && typeof v !== 'function') throw invalid(`${name} must be a function, got ${show(v)}`);
}

/** A delivery kind (`'safe'`, `'agreed'`, `'fifo'`), or undefined. */
export function optionalDeliveryKind(v: unknown, name: string): DeliveryKind | undefined {
  if (v !== undefined && !(DELIVERY_KINDS as readonly unknown[]).includes(v)) {
    throw invalid(`${name} must be one of ${DELIVERY_KINDS.map((k) => `'${k}'`).join(', ')}, got ${show(v)}`);
  }
  return v as DeliveryKind | undefined;
}

export function optionalString(v: unknown, name: string): void {
  if (v !== undefined && typeof v !== 'string') throw invalid(`${name} must be a string, got ${show(v)}`);
}

/** An integer in [min, max]. */
export function integer(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw invalid(`${name} must be an integer in ${min}..${max}, got ${show(v)}`);
  }
  return v;
}

export function optionalInteger(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (v !== undefined) integer(v, name, min, max);
}

export function bytes(v: unknown, name: string): Uint8Array {
  // A string would be sent as its UTF-16 code units cut to bytes, an object as nothing: refuse both.
  if (!(v instanceof Uint8Array)) throw invalid(`${name} must be a Uint8Array (encode strings with TextEncoder), got ${show(v)}`);
  return v;
}

export const MAX_NAME_LENGTH = 128;

/** A node name: it becomes part of every member id, of trace file names and of log lines. */
export function nodeName(v: unknown, name: string): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9._-]+$/.test(v) || v.length > MAX_NAME_LENGTH) {
    throw invalid(`${name} must match [A-Za-z0-9._-]+ (1..${MAX_NAME_LENGTH} characters), got ${show(v)}`);
  }
  return v;
}

/** A group or cluster name: any text without control characters (it travels in every frame). */
export function groupName(v: unknown, name: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(v)) {
    throw invalid(`${name} must be 1..${MAX_NAME_LENGTH} characters without control characters, got ${show(v)}`);
  }
  return v;
}

/** Bound of what a view can hold: ballots encode the rank below 1024 (docs/protocol.md §5.10). */
const MAX_RANKS = 1024;

/**
 * The core's tunables: known keys only (a misspelt one would otherwise be ignored silently), positive integers,
 * and the relations without which a group stalls instead of failing (a payload that can never fit the send window
 * or the sequencer's log).
 */
export function coreConfig(v: unknown, name: string): CoreConfig {
  const partial = optionsObject(v, name);
  for (const [k, value] of Object.entries(partial)) {
    if (!Object.hasOwn(DEFAULT_CONFIG, k)) throw invalid(`${name}.${k} is not a setting (settings: ${Object.keys(DEFAULT_CONFIG).join(', ')})`);
    if (value === undefined) continue;
    integer(value, `${name}.${k}`, 1);
  }
  const c: CoreConfig = { ...DEFAULT_CONFIG };
  for (const [k, value] of Object.entries(partial)) if (value !== undefined) (c as unknown as Record<string, number>)[k] = value as number;
  if (c.maxMembers > MAX_RANKS) throw invalid(`${name}.maxMembers must be at most ${MAX_RANKS}, got ${c.maxMembers}`);
  if (c.maxPayloadBytes > c.maxPendingBytes) {
    throw invalid(`${name}.maxPayloadBytes (${c.maxPayloadBytes}) must not exceed ${name}.maxPendingBytes (${c.maxPendingBytes}): such a payload could never be sent`);
  }
  if (c.maxPayloadBytes > c.maxLogBytes) {
    throw invalid(`${name}.maxPayloadBytes (${c.maxPayloadBytes}) must not exceed ${name}.maxLogBytes (${c.maxLogBytes}): such a payload could never be ordered`);
  }
  return c;
}
