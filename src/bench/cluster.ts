import type { StatusReply, WorkerMode } from './protocol.js';
import { WorkerHandle } from './worker-handle.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let clusterSeq = 0;

/**
 * A set of bench worker processes on 127.0.0.1: a raw ws full mesh, the bare batched sequencer (a star around worker
 * 0), or the members of one vsync group.
 */
export class Cluster {
  readonly workers: WorkerHandle[] = [];
  readonly prefix: string;
  private nextIndex = 0;

  private constructor(readonly mode: WorkerMode, private readonly execArgv: string[] = []) {
    this.prefix = `c${++clusterSeq}`;
  }

  /** Starts `n` ws workers and connects them in a full mesh (one connection per pair, used both ways). */
  static async ws(n: number): Promise<Cluster> {
    const c = new Cluster('ws');
    try {
      const ws = Array.from({ length: n }, () => c.spawn());
      const infos = await Promise.all(ws.map((w) => w.start('ws')));
      await Promise.all(ws.map((w, i) => w.call({ cmd: 'mesh', dial: infos.slice(0, i).map((x) => x.url), expect: n - 1 }, 20_000)));
      return c;
    } catch (err) {
      await c.close();
      throw err;
    }
  }

  /**
   * Starts `n` workers of the bare batched sequencer: worker 0 is the sequencer, every other one dials it.
   * `sealed`: every frame protected as on vsync's links with a secret (sealed-links.ts).
   */
  static async seq(n: number, sealed = false): Promise<Cluster> {
    const c = new Cluster('seq');
    try {
      const ws = Array.from({ length: n }, () => c.spawn());
      const infos = await Promise.all(ws.map((w) => w.start('seq', [], undefined, false, undefined, sealed)));
      await Promise.all(ws.map((w, i) => w.call({ cmd: 'mesh', dial: i === 0 ? [] : [infos[0]!.url], expect: i === 0 ? n - 1 : 1 }, 20_000)));
      return c;
    } catch (err) {
      await c.close();
      throw err;
    }
  }

  /** Starts `n` vsync members: the first founds the group, the others join one by one; waits for the full view. */
  /** `insecure`: without a cluster secret (no authentication, frames not protected): the baseline of that cost. */
  /** `place`: member i runs in network namespace `netns` and listens on `host` (netns.ts); default 127.0.0.1. */
  static async vsync(n: number, execArgv: string[] = [], stateBytes?: number, insecure = false, place?: (i: number) => { netns: string; host: string }): Promise<Cluster> {
    const c = new Cluster('vsync', execArgv);
    try {
      const ws = Array.from({ length: n }, (_, i) => c.spawn(place?.(i).netns));
      for (let i = 0; i < n; i++) await ws[i]!.start('vsync', c.urls(ws.slice(0, i)), stateBytes, insecure, place?.(i).host);
      await c.waitFullView(n);
      return c;
    } catch (err) {
      await c.close();
      throw err;
    }
  }

  spawn(netns?: string): WorkerHandle {
    const i = this.nextIndex++;
    const w = new WorkerHandle(`${this.prefix}m${i}`, i, { execArgv: this.execArgv, ...(netns ? { netns } : {}) });
    this.workers.push(w);
    return w;
  }

  urls(ws: WorkerHandle[] = this.alive()): string[] {
    return ws.filter((w) => w.info).map((w) => w.info!.url);
  }

  /** Workers neither killed nor exited (a SIGSTOPped one counts as alive). */
  alive(): WorkerHandle[] {
    return this.workers.filter((w) => !w.killed && !w.exited);
  }

  async statuses(ws: WorkerHandle[] = this.alive()): Promise<StatusReply[]> {
    return Promise.all(ws.map((w) => w.status()));
  }

  /** Waits until every live member reports the same view with `n` members. */
  async waitFullView(n: number, ms = 30_000): Promise<StatusReply[]> {
    const until = Date.now() + ms;
    for (;;) {
      const st = await this.statuses();
      if (st.every((s) => s.members.length === n && s.viewId === st[0]!.viewId)) return st;
      if (Date.now() > until) throw new Error(`no common view of ${n} members after ${ms} ms: ${st.map((s) => `${s.memberId}@${s.viewId}[${s.members.length}]`).join(' ')}`);
      await sleep(50);
    }
  }

  /**
   * The sequencer and the other workers: for vsync the live worker whose member is the coordinator of the current
   * view; for the bare batched sequencer worker 0, which orders (Cluster.seq).
   */
  async coordinator(): Promise<{ coordinator: WorkerHandle; others: WorkerHandle[] }> {
    if (this.mode === 'seq') return { coordinator: this.workers[0]!, others: this.workers.slice(1) };
    const alive = this.alive();
    const st = await this.statuses(alive);
    const coordId = st[0]!.members[0];
    const i = st.findIndex((s) => s.memberId === coordId);
    if (i < 0) throw new Error(`coordinator ${coordId} is not one of the live workers`);
    return { coordinator: alive[i]!, others: alive.filter((_, j) => j !== i) };
  }

  /**
   * Waits until sending is over and everything sent was delivered everywhere: no send outstanding, and (vsync)
   * every member at the same last seq, or (ws) no change of the delivery counts, for two polls in a row.
   */
  async quiesce(ms = 30_000, ws: WorkerHandle[] = this.alive()): Promise<{ ok: boolean; statuses: StatusReply[] }> {
    const until = Date.now() + ms;
    let prev = '';
    let stable = 0;
    for (;;) {
      const st = await this.statuses(ws);
      const idle = st.every((s) => s.outstanding === 0);
      const ordered = this.mode !== 'ws';
      const key = ordered ? st.map((s) => s.lastSeq).join(',') : st.map((s) => s.delivered).join(',');
      const same = ordered ? st.every((s) => s.lastSeq === st[0]!.lastSeq) : true;
      if (idle && same && key === prev) {
        if (++stable >= 2) return { ok: true, statuses: st };
      } else {
        stable = 0;
      }
      prev = key;
      if (Date.now() > until) return { ok: false, statuses: st };
      await sleep(ordered ? 50 : 100);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.exit(4000)));
  }
}
