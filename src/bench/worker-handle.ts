import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command, DigestReply, HistReply, MemReply, StartReply, StatusReply, WindowReply, WorkerEvent, WorkerMode } from './protocol.js';

/**
 * The compiled worker. From `src/bench/` (tests run the TypeScript sources) and from `dist/bench/` alike, this is
 * `<package>/dist/bench/worker.js`: workers always run compiled code, spawned with `process.execPath`.
 */
export const WORKER_JS = fileURLToPath(new URL('../../dist/bench/worker.js', import.meta.url));

export interface ProcMem {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  hwm: number;
}

/** Reads VmRSS and VmHWM of a process from /proc (Linux); null elsewhere or when the process is gone. */
export function readProcMem(pid: number): ProcMem | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(s);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(s);
    if (!rss || !hwm) return null;
    return { rss: Number(rss[1]) * 1024, hwm: Number(hwm[1]) * 1024 };
  } catch {
    return null;
  }
}

type Reply = { id: number; ok: boolean; r?: unknown; error?: string };

/** Workers not yet exited: killed when this process exits, so that none lingers (a SIGSTOPped one would). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** wallMinusMono of every worker started in this process (to report how far the timeOrigin clocks disagree). */
export const clockOffsets: number[] = [];

/** One worker process as the parent sees it: typed request/reply calls and a log of timestamped events. */
export class WorkerHandle {
  readonly child: ChildProcess;
  readonly events: WorkerEvent[] = [];
  readonly stderr: string[] = [];
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private eventWaiters: Array<{ pred: (e: WorkerEvent) => boolean; resolve: (e: WorkerEvent) => void }> = [];
  private buf = '';
  exitCode: number | null = null;
  exited = false;
  readonly whenExited: Promise<void>;
  info: StartReply | null = null;
  killed = false;
  stopped = false;

  /** `netns`: run the worker in that network namespace (`ip netns exec` execs it: the child's pid is the worker's). */
  constructor(readonly name: string, readonly index: number, opts: { execArgv?: string[]; netns?: string } = {}) {
    if (!existsSync(WORKER_JS)) throw new Error(`${WORKER_JS} not found: build first (npx tsc -p tsconfig.json)`);
    const argv = [...(opts.execArgv ?? []), WORKER_JS];
    this.child = opts.netns
      ? spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr.push(chunk);
      if (this.stderr.length > 50) this.stderr.shift();
    });
    this.child.stdin!.on('error', () => {});
    live.add(this.child);
    this.whenExited = new Promise((resolve) => this.child.once('exit', (code) => {
      live.delete(this.child);
      this.exited = true;
      this.exitCode = code;
      for (const c of this.calls.values()) {
        clearTimeout(c.timer);
        c.reject(new Error(`worker ${this.name} exited (code ${code}) ${this.stderr.join('').slice(-500)}`));
      }
      this.calls.clear();
      resolve();
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get memberId(): string | null {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (e.ev === 'view') return e.me;
    }
    return this.info?.memberId ?? null;
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      let msg: Reply | WorkerEvent;
      try {
        msg = JSON.parse(line) as Reply | WorkerEvent;
      } catch {
        continue;
      }
      if ('ev' in msg) {
        this.events.push(msg);
        this.eventWaiters = this.eventWaiters.filter((w) => {
          if (!w.pred(msg as WorkerEvent)) return true;
          w.resolve(msg as WorkerEvent);
          return false;
        });
        continue;
      }
      const c = this.calls.get(msg.id);
      if (!c) continue;
      this.calls.delete(msg.id);
      clearTimeout(c.timer);
      if (msg.ok) c.resolve(msg.r);
      else c.reject(new Error(`worker ${this.name}: ${msg.error}`));
    }
  }

  call<T>(c: Command, timeoutMs = 30_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`worker ${this.name} has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new Error(`worker ${this.name}: no reply to ${c.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.calls.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
      this.child.stdin!.write(JSON.stringify({ ...c, id }) + '\n');
    });
  }

  /** Resolves with the first event (from index `from` of the event log) that satisfies `pred`. */
  waitEvent(pred: (e: WorkerEvent) => boolean, timeoutMs: number, from = 0): Promise<WorkerEvent> {
    for (let i = from; i < this.events.length; i++) if (pred(this.events[i]!)) return Promise.resolve(this.events[i]!);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (e: WorkerEvent) => { clearTimeout(t); resolve(e); } };
      const t = setTimeout(() => {
        this.eventWaiters = this.eventWaiters.filter((x) => x !== w);
        reject(new Error(`worker ${this.name}: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.eventWaiters.push(w);
    });
  }

  /** `host`: the address a vsync member listens on (default 127.0.0.1); `sealed`: the bare sequencer's links protected. */
  async start(mode: WorkerMode, seeds: string[] = [], stateBytes?: number, insecure = false, host?: string, sealed = false): Promise<StartReply> {
    this.info = await this.call<StartReply>({ cmd: 'start', mode, name: this.name, index: this.index, seeds, stateBytes, ...(insecure ? { insecure } : {}), ...(host ? { host } : {}), ...(sealed ? { sealed } : {}) }, 70_000);
    clockOffsets.push(this.info.wallMinusMono);
    return this.info;
  }

  status(): Promise<StatusReply> {
    return this.call<StatusReply>({ cmd: 'status' });
  }

  load(rate: number, bytes: number, window: number, delivery?: 'safe' | 'agreed' | 'fifo'): Promise<unknown> {
    return this.call(delivery === undefined ? { cmd: 'load', rate, bytes, window } : { cmd: 'load', rate, bytes, window, delivery });
  }

  stop(): Promise<StatusReply> {
    return this.call<StatusReply>({ cmd: 'stop' });
  }

  window(ms: number, resetHist = false): Promise<WindowReply> {
    return this.call<WindowReply>({ cmd: 'window', ms, resetHist }, ms + 30_000);
  }

  hist(reset = false): Promise<HistReply> {
    return this.call<HistReply>({ cmd: 'hist', reset });
  }

  digest(reset = false, blockSize?: number, fullEvery?: number): Promise<DigestReply> {
    return this.call<DigestReply>({ cmd: 'digest', reset, blockSize, fullEvery });
  }

  mem(): Promise<MemReply> {
    return this.call<MemReply>({ cmd: 'mem' });
  }

  procMem(): ProcMem | null {
    return this.exited ? null : readProcMem(this.pid);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exited) return;
    if (sig === 'SIGKILL') this.killed = true;
    if (sig === 'SIGSTOP') this.stopped = true;
    if (sig === 'SIGCONT') this.stopped = false;
    this.child.kill(sig);
  }

  /** Graceful exit (leave, close, exit 0); SIGKILL if that takes longer than `ms`. */
  async exit(ms = 5000): Promise<void> {
    if (this.exited) return;
    if (this.stopped) this.signal('SIGCONT');
    const t = setTimeout(() => this.signal('SIGKILL'), ms);
    await this.call({ cmd: 'exit' }, ms).catch(() => {});
    await this.whenExited;
    clearTimeout(t);
  }
}
