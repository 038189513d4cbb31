import type { CoreEvent } from '../core/index.js';
import { type DeliveryKind, kindOf } from '../core/delivery-kinds.js';
import { payloadHash } from './payload-hash.js';
import type { TraceSink } from './sinks.js';

/** A delivery kind as the trace format's `order`: agreed is the format's "total" (ordered, not uniform). */
const TRACE_ORDER: Record<DeliveryKind, 'safe' | 'total' | 'fifo'> = { safe: 'safe', agreed: 'total', fifo: 'fifo' };

/** Turns one member incarnation's core events into trace lines (docs/trace-format.md, v1). */
export class TraceRecorder {
  private closed = false;
  constructor(
    readonly me: string,
    private readonly sink: TraceSink,
  ) {}

  record(e: CoreEvent): void {
    if (this.closed) return;
    const me = this.me;
    switch (e.type) {
      case 'install':
        this.sink.write({ ev: 'install', me, view: { id: e.view.id, members: [...e.view.members] } });
        break;
      case 'send':
        this.sink.write({ ev: 'send', me, msg: `${me}/${e.msgNo}`, view: e.view, hash: payloadHash(e.payload), order: TRACE_ORDER[kindOf(e.kind)] });
        break;
      case 'deliver':
        this.sink.write({ ev: 'deliver', me, msg: `${e.sender}/${e.msgNo}`, view: e.view, hash: payloadHash(e.payload), seq: e.seq });
        break;
      case 'block':
      case 'unblock':
        this.sink.write({ ev: e.type, me, view: e.view });
        break;
      case 'left':
        this.sink.write({ ev: 'leave', me });
        this.close();
        break;
      default:
        break;
    }
  }

  state(view: number, hash: string): void {
    if (!this.closed) this.sink.write({ ev: 'state', me: this.me, view, hash });
  }

  /** A clean shutdown: no group events follow. */
  end(): void {
    if (this.closed) return;
    this.sink.write({ ev: 'end', me: this.me });
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.close();
  }
}
