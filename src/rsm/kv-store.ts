import { ErrorCodes, VsyncError } from '../errors.js';
import type { StateMachine } from './replicated-state-machine.js';

export interface KvStoreOptions {
  /** Largest key in UTF-8 bytes (default 1 KiB). */
  maxKeyBytes?: number;
  /** Largest value in UTF-8 bytes (default 256 KiB); a put, append or cas beyond it is refused. */
  maxValueBytes?: number;
  /** Most bytes of keys and values held in total (default 32 MiB); a write beyond it is refused. */
  maxTotalBytes?: number;
  /** Most keys (default 100,000). */
  maxKeys?: number;
}

/**
 * The commands, as JSON objects. Keys and values are strings only: a string is the one JSON value that survives
 * encode/decode exactly (numbers would not: `1e999` parses to Infinity, which a snapshot writes as `null`).
 * `cas` sets `key` to `value` only if its current value is `expected` (null: absent); `value: null` deletes.
 */
export type KvCommand =
  | { op: 'put'; key: string; value: string }
  | { op: 'append'; key: string; value: string }
  | { op: 'cas'; key: string; expected: string | null; value: string | null }
  | { op: 'get'; key: string }
  | { op: 'del'; key: string }
  | { op: 'dump' };

const enc = new TextEncoder();
const dec = new TextDecoder();
const reply = (o: unknown): Uint8Array => enc.encode(JSON.stringify(o));
const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

const FIELDS: Record<KvCommand['op'], readonly string[]> = {
  put: ['op', 'key', 'value'],
  append: ['op', 'key', 'value'],
  cas: ['op', 'key', 'expected', 'value'],
  get: ['op', 'key'],
  del: ['op', 'key'],
  dump: ['op'],
};

/**
 * A key-value store as a deterministic state machine (the kv demo and the tests use it). Commands and results
 * are JSON: put/append -> {ok, value|length}; cas -> {ok, swapped, value}; get/del; dump -> all keys. A refused
 * command answers {ok:false, error} and changes nothing, alike at every member. Every member must be given the
 * same limits, or their states can differ.
 */
export class KvStore implements StateMachine {
  private data = new Map<string, string>();
  private totalBytes = 0;
  private readonly maxKeyBytes: number;
  private readonly maxValueBytes: number;
  private readonly maxTotalBytes: number;
  private readonly maxKeys: number;

  constructor(o: KvStoreOptions = {}) {
    const limit = (v: number | undefined, def: number, what: string): number => {
      const n = v ?? def;
      if (!Number.isSafeInteger(n) || n < 1) throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, `KvStore: ${what} must be a positive integer, got ${String(v)}`);
      return n;
    };
    this.maxKeyBytes = limit(o.maxKeyBytes, 1024, 'maxKeyBytes');
    this.maxValueBytes = limit(o.maxValueBytes, 256 * 1024, 'maxValueBytes');
    this.maxTotalBytes = limit(o.maxTotalBytes, 32 * 1024 * 1024, 'maxTotalBytes');
    this.maxKeys = limit(o.maxKeys, 100_000, 'maxKeys');
  }

  /** Checks a command's shape without applying it (a client endpoint refuses a bad one before it is ordered). */
  validate(command: Uint8Array): string | null {
    const r = this.parse(command);
    return typeof r === 'string' ? r : null;
  }

  apply(command: Uint8Array): Uint8Array {
    const c = this.parse(command);
    if (typeof c === 'string') return reply({ ok: false, error: c });
    switch (c.op) {
      case 'put':
        return this.write(c.key, c.value) ?? reply({ ok: true, value: c.value });
      case 'append': {
        const v = (this.data.get(c.key) ?? '') + c.value;
        return this.write(c.key, v) ?? reply({ ok: true, length: v.length });
      }
      case 'cas': {
        const current = this.data.get(c.key) ?? null;
        if (current !== c.expected) return reply({ ok: true, swapped: false, value: current });
        if (c.value === null) this.remove(c.key);
        else {
          const refused = this.write(c.key, c.value);
          if (refused) return refused;
        }
        return reply({ ok: true, swapped: true, value: c.value });
      }
      case 'get':
        return reply({ ok: true, value: this.data.get(c.key) ?? null });
      case 'del':
        return reply({ ok: this.remove(c.key) });
      case 'dump':
        return reply({ ok: true, data: Object.fromEntries(this.sorted()) });
    }
  }

  /** Canonical: entries sorted by key, so equal stores give equal bytes (and equal trace digests). */
  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify(this.sorted()));
  }

  restore(snapshot: Uint8Array): void {
    const entries: unknown = JSON.parse(dec.decode(snapshot));
    if (!Array.isArray(entries)) throw new RangeError('kv snapshot: not a list');
    const data = new Map<string, string>();
    let total = 0;
    for (const e of entries) {
      if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || typeof e[1] !== 'string') throw new RangeError('kv snapshot: bad entry');
      data.set(e[0], e[1]);
      total += utf8Bytes(e[0]) + utf8Bytes(e[1]);
    }
    this.data = data;
    this.totalBytes = total;
  }

  private sorted(): Array<[string, string]> {
    return [...this.data].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Sets key to value within the quotas; returns the refusal, or null when done. */
  private write(key: string, value: string): Uint8Array | null {
    const vb = utf8Bytes(value);
    if (vb > this.maxValueBytes) return reply({ ok: false, error: `value of ${vb} bytes exceeds ${this.maxValueBytes}` });
    const old = this.data.get(key);
    const kb = utf8Bytes(key);
    if (old === undefined && this.data.size >= this.maxKeys) return reply({ ok: false, error: `store full: ${this.maxKeys} keys` });
    const total = this.totalBytes - (old === undefined ? 0 : kb + utf8Bytes(old)) + kb + vb;
    if (total > this.maxTotalBytes) return reply({ ok: false, error: `store full: ${total} bytes would exceed ${this.maxTotalBytes}` });
    this.data.set(key, value);
    this.totalBytes = total;
    return null;
  }

  private remove(key: string): boolean {
    const old = this.data.get(key);
    if (old === undefined) return false;
    this.data.delete(key);
    this.totalBytes -= utf8Bytes(key) + utf8Bytes(old);
    return true;
  }

  /** The command, or why it is refused. Never throws: every member must refuse the same commands alike. */
  private parse(command: Uint8Array): KvCommand | string {
    let c: unknown;
    try {
      c = JSON.parse(dec.decode(command));
    } catch {
      return 'not JSON';
    }
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return 'a command is a JSON object';
    const o = c as Record<string, unknown>;
    if (typeof o['op'] !== 'string' || !Object.hasOwn(FIELDS, o['op'])) return 'unknown op';
    const op = o['op'] as KvCommand['op'];
    for (const k of Object.keys(o)) if (!FIELDS[op].includes(k)) return `unexpected field '${k}' for ${op}`;
    if (op === 'dump') return { op };
    const key = o['key'];
    if (typeof key !== 'string' || key.length === 0) return 'key must be a non-empty string';
    if (utf8Bytes(key) > this.maxKeyBytes) return `key exceeds ${this.maxKeyBytes} bytes`;
    if (op === 'get' || op === 'del') return { op, key };
    const value = o['value'];
    if (op === 'cas') {
      const expected = o['expected'] ?? null;
      if (expected !== null && typeof expected !== 'string') return 'expected must be a string or null';
      if (value !== null && value !== undefined && typeof value !== 'string') return 'value must be a string or null';
      return { op, key, expected, value: (value as string | null | undefined) ?? null };
    }
    if (typeof value !== 'string') return 'value must be a string';
    return { op, key, value };
  }
}
