import { STATE_PROVIDERS } from './state-transfer.js';
import type { MemberId } from './types.js';

/** One `stateChunk` frame's worth of the state (`total = -1`: no snapshot here for that view). */
export interface StateChunk {
  offset: number;
  total: number;
  data: Uint8Array;
}

/**
 * The provider side of state transfer: the first `STATE_PROVIDERS` old members of a view that admits joiners keep
 * the application's state at the view's cut (asked for with a `snapshot` event right after the install, before
 * any delivery of the new view) and serve it to the joiners in chunks. The joiner side is `StateDownload`.
 */
export class StateProvider {
  private snapshot: { view: number; data: Uint8Array | null } | null = null;

  /**
   * A view was installed by an old member of rank `rank`: returns true when it must take a snapshot now (the
   * caller emits the `snapshot` event). A kept snapshot stays until the next view with joiners (§11 Q12).
   */
  installed(view: number, members: readonly MemberId[], prevMembers: readonly MemberId[], rank: number): boolean {
    const joined = members.some((m) => !prevMembers.includes(m));
    if (!joined || rank >= STATE_PROVIDERS) return false;
    this.snapshot = { view, data: null };
    return true;
  }

  /** The application's answer to the `snapshot` event; ignored unless it is the one awaited. */
  provide(view: number, data: Uint8Array): void {
    if (this.snapshot && this.snapshot.view === view && this.snapshot.data === null) this.snapshot.data = data;
  }

  /**
   * The chunks answering a joiner's request for `length` bytes from `offset` in view `view`, each at most
   * `maxChunkBytes`: one `total = -1` chunk when this member keeps no snapshot of that view, none while the
   * application has not handed it over yet (the joiner asks again).
   */
  serve(view: number, offset: number, length: number, maxChunkBytes: number): StateChunk[] {
    const snap = this.snapshot;
    if (snap === null || snap.view !== view) return [{ offset, total: -1, data: new Uint8Array(0) }];
    if (snap.data === null) return [];
    const data = snap.data;
    const end = Math.min(data.byteLength, offset + length);
    let at = Math.min(offset, data.byteLength);
    const out: StateChunk[] = [];
    do {
      const next = Math.min(end, at + maxChunkBytes);
      out.push({ offset: at, total: data.byteLength, data: data.subarray(at, next) });
      at = next;
    } while (at < end);
    return out;
  }
}
