/**
 * Node name -> URL, learned from peers' Hellos (their own URL: first-hand) and from their directories (hearsay).
 * An entry carries the epoch of the node's incarnation it describes: hearsay replaces an entry only with a later
 * epoch, so stale news cannot undo fresh news, and forwarding only what changed terminates.
 */
import type { NodeAddr } from './handshake.js';

export const MAX_DIRECTORY_ENTRIES = 4096;

export class Directory {
  private readonly entries = new Map<string, NodeAddr>();
  /** Counts changes: a link whose Hello carried an older version is sent the directory again when it opens. */
  version = 0;

  constructor(
    private readonly self: string,
    private readonly cap = MAX_DIRECTORY_ENTRIES,
  ) {}

  url(node: string): string | undefined {
    return this.entries.get(node)?.url;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries, at most `limit`. */
  list(limit: number): NodeAddr[] {
    const out: NodeAddr[] = [];
    for (const e of this.entries.values()) {
      if (out.length >= limit) break;
      out.push(e);
    }
    return out;
  }

  /**
   * What a node says about itself, on a live link: always believed. An empty URL (no server) removes its entry.
   * Other nodes listed at the same URL are removed: the URL is this node's now. Returns whether the entry changed
   * and the names whose entries were removed.
   */
  learnDirect(addr: NodeAddr): { changed: boolean; removed: string[] } {
    const removed: string[] = [];
    if (addr.node === this.self) return { changed: false, removed };
    const old = this.entries.get(addr.node);
    if (addr.url === '') {
      if (old) {
        this.entries.delete(addr.node);
        this.version++;
      }
      return { changed: false, removed };
    }
    for (const [name, e] of this.entries) {
      if (name !== addr.node && e.url === addr.url) {
        this.entries.delete(name);
        removed.push(name);
      }
    }
    const changed = !old || old.url !== addr.url || old.epoch !== addr.epoch;
    if (changed && (old || this.entries.size < this.cap)) this.entries.set(addr.node, { ...addr });
    if (changed || removed.length > 0) this.version++;
    return { changed, removed };
  }

  /**
   * Second-hand entries; `skip(node)` names nodes to ignore (those with a live link tell us themselves). Returns
   * the entries that changed the directory.
   */
  learnHearsay(list: NodeAddr[], skip: (node: string) => boolean): NodeAddr[] {
    const changed: NodeAddr[] = [];
    for (const a of list) {
      if (a.node === this.self || skip(a.node)) continue;
      const old = this.entries.get(a.node);
      if (old ? a.epoch <= old.epoch : this.entries.size >= this.cap) continue;
      this.entries.set(a.node, { ...a });
      changed.push(a);
    }
    if (changed.length > 0) this.version++;
    return changed;
  }

  forget(node: string): void {
    if (this.entries.delete(node)) this.version++;
  }
}
