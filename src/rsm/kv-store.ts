import type { StateMachine } from './replicated-state-machine.js';

type KvCommand = { op: 'put'; key: string; value: string } | { op: 'get'; key: string } | { op: 'del'; key: string } | { op: 'append'; key: string; value: string } | { op: 'dump' };

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A key-value store as a deterministic state machine (the kv demo and the tests use it). Commands and results
 * are JSON: {op:'put'|'append', key, value} -> {ok, value}; {op:'get'|'del', key}; {op:'dump'} -> all keys.
 */
export class KvStore implements StateMachine {
  private data = new Map<string, string>();

  apply(command: Uint8Array): Uint8Array {
    let c: KvCommand;
    try {
      c = JSON.parse(dec.decode(command)) as KvCommand;
    } catch {
      return enc.encode(JSON.stringify({ ok: false, error: 'not JSON' }));
    }
    switch (c.op) {
      case 'put':
        this.data.set(c.key, c.value);
        return enc.encode(JSON.stringify({ ok: true, value: c.value }));
      case 'append': {
        const v = (this.data.get(c.key) ?? '') + c.value;
        this.data.set(c.key, v);
        return enc.encode(JSON.stringify({ ok: true, length: v.length }));
      }
      case 'get':
        return enc.encode(JSON.stringify({ ok: true, value: this.data.get(c.key) ?? null }));
      case 'del':
        return enc.encode(JSON.stringify({ ok: this.data.delete(c.key) }));
      case 'dump':
        return enc.encode(JSON.stringify({ ok: true, data: Object.fromEntries([...this.data].sort(([a], [b]) => (a < b ? -1 : 1))) }));
      default:
        return enc.encode(JSON.stringify({ ok: false, error: 'unknown op' }));
    }
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data]));
  }

  restore(snapshot: Uint8Array): void {
    this.data = new Map(JSON.parse(dec.decode(snapshot)) as Array<[string, string]>);
  }
}
