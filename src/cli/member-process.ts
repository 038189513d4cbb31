import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/vsync.js', import.meta.url));

/** A `vsync member` child process whose stdout lines can be awaited (the demo and the multi-process tests). */
export class MemberProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  /** What it wrote to stderr (errors as one line with their code; logs), kept to the last 64 KiB. */
  stderr = '';
  private waiters: Array<{ re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void }> = [];
  private buf = '';
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, args: string[], opts: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {}) {
    this.child = spawn(process.execPath, [BIN, 'member', '--name', name, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.buf += chunk;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.lines.push(line);
        opts.onLine?.(line);
        this.check();
      }
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-65536);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => {
      this.exitCode = code;
      resolve(code);
    }));
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      for (let i = w.from; i < this.lines.length; i++) {
        const m = this.lines[i]!.match(w.re);
        if (m) {
          w.resolve(m);
          return false;
        }
      }
      return true;
    });
  }

  /** Resolves with the first line (from index `from`, default 0) that matches. */
  waitFor(re: RegExp, timeoutMs = 20_000, from = 0): Promise<RegExpMatchArray> {
    for (let i = from; i < this.lines.length; i++) {
      const m = this.lines[i]!.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-5).join('\n')}`)), timeoutMs);
      this.waiters.push({ re, from, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }

  lastMatch(re: RegExp): RegExpMatchArray | null {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const m = this.lines[i]!.match(re);
      if (m) return m;
    }
    return null;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exitCode === null) this.child.kill(sig);
  }
}
