// A tiny DSL that writes member traces in memory, the way the library would log them.
import { createHash } from 'node:crypto';
import type { MemberTrace, OrderClass, TraceEvent } from '../../src/check/index.js';

const hashes = new Map<string, string>();

/** The payload of message `m` is taken to be `m` itself; memoized, since large generated runs hash a lot. */
export function hashOf(payload: string): string {
  let h = hashes.get(payload);
  if (h === undefined) hashes.set(payload, (h = createHash('sha256').update(payload).digest('hex').slice(0, 16)));
  return h;
}

export interface SendOpts {
  view?: number;
  hash?: string;
  order?: OrderClass;
}

export interface DeliverOpts {
  view?: number;
  hash?: string;
  seq?: number | null;
}

export class TraceBuilder {
  private readonly events: TraceEvent[] = [];
  private current: number | undefined;
  private tornLines = 0;

  constructor(
    readonly me: string,
    readonly file = `${me.replace(/[^\w.-]/g, '_')}.jsonl`,
  ) {}

  // Fields in the order the parser produces, so in-memory traces look like parsed ones to V8 as well.
  private push(make: (me: string, line: number) => TraceEvent): this {
    this.events.push(make(this.me, this.events.length + 1));
    return this;
  }

  private viewOr(v: number | undefined): number {
    const view = v ?? this.current;
    if (view === undefined) throw new Error(`${this.me}: no view installed; pass one explicitly`);
    return view;
  }

  install(id: number, members: string[]): this {
    this.current = id;
    return this.push((me, line) => ({ ev: 'install', me, line, view: { id, members } }));
  }

  send(msg: string, o: SendOpts = {}): this {
    const view = this.viewOr(o.view);
    return this.push((me, line) => ({ ev: 'send', me, line, msg, view, hash: o.hash ?? hashOf(msg), order: o.order ?? 'fifo' }));
  }

  deliver(msg: string, o: DeliverOpts = {}): this {
    const view = this.viewOr(o.view);
    return this.push((me, line) => ({ ev: 'deliver', me, line, msg, view, hash: o.hash ?? hashOf(msg), seq: o.seq ?? null }));
  }

  state(hash: string, view?: number): this {
    const v = this.viewOr(view);
    return this.push((me, line) => ({ ev: 'state', me, line, view: v, hash }));
  }

  block(): this {
    const view = this.viewOr(undefined);
    return this.push((me, line) => ({ ev: 'block', me, line, view }));
  }

  unblock(): this {
    const view = this.viewOr(undefined);
    return this.push((me, line) => ({ ev: 'unblock', me, line, view }));
  }

  leave(): this {
    return this.push((me, line) => ({ ev: 'leave', me, line }));
  }

  end(): this {
    return this.push((me, line) => ({ ev: 'end', me, line }));
  }

  other(name: string): this {
    return this.push((me, line) => ({ ev: 'other', me, line, name, raw: { ev: name, me } }));
  }

  /** The process was SIGKILLed mid-write: its file ends in a torn line. */
  torn(): this {
    this.tornLines = 1;
    return this;
  }

  build(): MemberTrace {
    return { file: this.file, me: this.me, events: [...this.events], tornLines: this.tornLines, problems: [] };
  }

  /** The file as the library writes it (a torn trace gets half a line at the end). */
  jsonl(): string {
    const lines = this.events.map((e) => JSON.stringify(toWire(e)));
    const torn = this.tornLines > 0 ? `{"ev":"deliver","me":${JSON.stringify(this.me)},"msg":"x/` : '';
    return lines.map((l) => `${l}\n`).join('') + torn;
  }
}

function toWire(e: TraceEvent): Record<string, unknown> {
  if (e.ev === 'other') return { ...e.raw };
  const { line: _line, ...rest } = e;
  return rest;
}

export const member = (me: string, file?: string): TraceBuilder => new TraceBuilder(me, file);

export function build(...builders: TraceBuilder[]): MemberTrace[] {
  return builders.map((b) => b.build());
}

/** Runs `fn` on each builder: for the steps every member of a view takes alike. */
export function each(builders: TraceBuilder[], fn: (b: TraceBuilder) => unknown): void {
  for (const b of builders) fn(b);
}
