import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CheckReport, checkTraceDir } from '../../src/check/index.js';
import { MemberProcess } from '../../src/cli/member-process.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Real `vsync member` processes on 127.0.0.1 writing traces into one folder. */
export class ProcCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'vsync-proc-'));
  readonly procs = new Map<string, MemberProcess>();
  readonly urls = new Map<string, string>();
  readonly dead = new Set<string>();

  constructor(private readonly common: string[] = []) {}

  async start(name: string, opts: { args?: string[]; seeds?: string[]; host?: string; env?: NodeJS.ProcessEnv; waitReady?: boolean } = {}): Promise<MemberProcess> {
    const seeds = opts.seeds ?? [...this.urls.values()];
    const given = [...this.common, ...(opts.args ?? [])];
    // Secure by default: a test secret unless the test chose how the member authenticates.
    const auth = given.some((a) => ['--secret', '--insecure', '--tls-cert'].includes(a)) ? [] : ['--secret', 'test-secret'];
    const args = [...(opts.args?.includes('--listen') ? [] : ["--listen", `${opts.host ?? '127.0.0.1'}:0`]), '--group', 'g', '--trace-dir', this.dir, '--status-ms', '200', ...auth, ...given];
    if (seeds.length > 0) args.push('--seeds', seeds.join(','));
    const p = new MemberProcess(name, args, { env: opts.env });
    this.procs.set(name, p);
    if (opts.waitReady !== false) {
      const m = await p.waitFor(/^ready me=\S+ url=(\S+)/, 20_000);
      this.urls.set(name, m[1]!);
    }
    return p;
  }

  get(name: string): MemberProcess {
    return this.procs.get(name)!;
  }

  alive(): MemberProcess[] {
    return [...this.procs.entries()].filter(([n, p]) => !this.dead.has(n) && p.exitCode === null).map(([, p]) => p);
  }

  kill(name: string, sig: NodeJS.Signals = 'SIGKILL'): void {
    this.get(name).signal(sig);
    if (sig === 'SIGKILL') {
      this.dead.add(name);
      this.urls.delete(name);
    }
  }

  /** The member list of the last view `name` printed. */
  lastView(name: string): { id: number; members: string[] } | null {
    const m = this.get(name).lastMatch(/^view id=(\d+) members=(\S+)/);
    return m ? { id: Number(m[1]), members: m[2]!.split(',') } : null;
  }

  /** Waits until every live member printed a view satisfying `pred`. */
  async waitViews(pred: (members: string[]) => boolean, ms = 30_000, what = 'views', except: string[] = []): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      const ok = this.alive().filter((p) => !except.includes(p.name)).every((p) => {
        const v = this.lastView(p.name);
        return v !== null && pred(v.members);
      });
      if (ok) return;
      if (Date.now() > until) {
        throw new Error(`timed out waiting for ${what}: ${this.alive().map((p) => `${p.name}=${JSON.stringify(this.lastView(p.name))}`).join(' ')}`);
      }
      await sleep(50);
    }
  }

  /** Stops multicasting everywhere and waits until all live members report the same last sequence number. */
  async quiesce(ms = 30_000): Promise<void> {
    const alive = this.alive();
    for (const p of alive) p.signal('SIGUSR1');
    await Promise.all(alive.map((p) => p.waitFor(/^stopped-sending/, ms)));
    const until = Date.now() + ms;
    let stableSince = 0;
    let last = '';
    for (;;) {
      const seqs = alive.map((p) => p.lastMatch(/^status me=\S+ view=(\d+) delivered=\d+ sent=\d+ seq=(\d+)/)?.slice(1).join('/') ?? '?');
      const key = seqs.join(',');
      // A member that joined in the last view and has delivered nothing reports seq 0 while the others report the
      // last seq of an earlier view: quiet too when nothing was sent since it joined (the trace check at the end
      // still sees any message it missed).
      const views = new Set(seqs.map((s) => s.split('/')[0]));
      const delivered = new Set(seqs.filter((s) => !s.endsWith('/0')));
      const same = !seqs.includes('?') && views.size === 1 && delivered.size <= 1;
      if (same && key === last) {
        if (Date.now() - stableSince > 600) return;
      } else {
        stableSince = Date.now();
        last = key;
      }
      if (Date.now() > until) throw new Error(`group did not go quiet: ${key}`);
      await sleep(100);
    }
  }

  /** SIGTERM everyone alive, wait for them to exit, then check the traces. */
  async finish(): Promise<CheckReport> {
    const alive = this.alive();
    for (const p of alive) p.signal('SIGTERM');
    await Promise.all(alive.map((p) => Promise.race([p.exited, sleep(15_000)])));
    return checkTraceDir(this.dir);
  }

  killAll(): void {
    for (const p of this.procs.values()) p.signal('SIGKILL');
  }
}
