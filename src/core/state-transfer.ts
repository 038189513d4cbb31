import { detach } from './message-log.js';
import type { MemberId } from './types.js';

/**
 * A joiner's download of the group state at the cut of the view that admitted it. The state is requested in
 * windows of several frames and reassembled in order; when a source stops answering, the next one (another
 * member that kept a snapshot at the same cut) is asked from the current offset.
 */
export class StateDownload {
  private parts: Uint8Array[] = [];
  received = 0;
  total = -1;
  private requestedTo = 0;
  idx = 0;
  lastAt: number;
  /** When bytes last arrived (from any source). */
  progressAt: number;

  constructor(
    readonly view: number,
    readonly sources: MemberId[],
    now: number,
  ) {
    this.lastAt = now;
    this.progressAt = now;
  }

  get source(): MemberId {
    return this.sources[this.idx % this.sources.length]!;
  }

  get done(): boolean {
    return this.total >= 0 && this.received >= this.total;
  }

  /** The next window to ask for, or null while one is still arriving. */
  nextRequest(window: number): { offset: number; length: number } | null {
    if (this.done || this.requestedTo > this.received) return null;
    this.requestedTo = this.received + window;
    return { offset: this.received, length: window };
  }

  /** Accepts a chunk if it is the next one; returns true when it advanced. */
  accept(offset: number, total: number, data: Uint8Array, now: number): boolean {
    if (offset !== this.received || total < 0 || (this.total >= 0 && total !== this.total)) return false;
    this.total = total;
    if (data.byteLength > 0) this.parts.push(detach(data));
    this.received += data.byteLength;
    this.lastAt = now;
    this.progressAt = now;
    return true;
  }

  /** Gives up on the current source: ask the next from where we are. */
  rotate(now: number): void {
    this.idx++;
    this.requestedTo = this.received;
    this.lastAt = now;
  }

  assemble(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0]!;
    const out = new Uint8Array(this.received);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    this.parts = [];
    return out;
  }
}

/** Members that keep a snapshot at the cut of a view with joiners: the first two old members in rank order. */
export const STATE_PROVIDERS = 2;
