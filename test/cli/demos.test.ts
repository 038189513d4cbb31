// The demos show the guarantees they claim: the counter holds the same value at the same sequence number at
// every member, a late joiner included (state transfer); the chat room says when it has no majority, and why.
// They run over dist/ (built by `npm test` first), as real processes on 127.0.0.1.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const DEMOS = fileURLToPath(new URL('../../demos/', import.meta.url));

class Proc {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  private buf = '';
  private waiters: Array<() => void> = [];

  constructor(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [DEMOS + script, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, VSYNC_SECRET: 'test-secret', ...env },
    });
    this.child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      this.buf += c;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr!.resume();
  }

  async waitFor(re: RegExp, ms = 30_000, from = 0): Promise<RegExpMatchArray> {
    const until = Date.now() + ms;
    for (;;) {
      for (let i = from; i < this.lines.length; i++) {
        const m = this.lines[i]!.match(re);
        if (m) return m;
      }
      if (Date.now() > until) throw new Error(`no line matching ${re}; last lines:\n${this.lines.slice(-8).join('\n')}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }
}

const procs: Proc[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.child.kill('SIGKILL');
});

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function start(script: string, args: string[], env?: NodeJS.ProcessEnv): Proc {
  const p = new Proc(script, args, env);
  procs.push(p);
  return p;
}

describe('demos', () => {
  it('counter: every member, a late joiner included, holds the same value at the same sequence number', async () => {
    const [pa, pb, pc] = await freePorts(3);
    const env = { COUNTER_INTERVAL_MS: '50' };
    const a = start('counter.mjs', ['a', String(pa)], env);
    await a.waitFor(/^joined as /);
    const seed = `ws://127.0.0.1:${pa}`;
    const b = start('counter.mjs', ['b', String(pb), seed], env);
    await b.waitFor(/^joined as /);
    await a.waitFor(/^seq 40: /);
    // c joins a group that has counted for a while: it must start from the current value, not from 0.
    const c = start('counter.mjs', ['c', String(pc), seed], env);
    const got = await c.waitFor(/^state received: value (\d+) after seq (\d+)/);
    expect(Number(got[1])).toBeGreaterThan(0);
    const joinSeq = Number(got[2]);
    await c.waitFor(new RegExp(`^seq ${joinSeq + 30}: `));
    await a.waitFor(new RegExp(`^seq ${joinSeq + 30}: `));
    await b.waitFor(new RegExp(`^seq ${joinSeq + 30}: `));

    const valuesAt = (p: Proc): Map<number, string> => {
      const m = new Map<number, string>();
      for (const l of p.lines) {
        const x = /^seq (\d+): (\S+) adds (\d+) -> (-?\d+)$/.exec(l);
        if (x) m.set(Number(x[1]), `${x[2]} +${x[3]} = ${x[4]}`);
      }
      return m;
    };
    const [va, vb, vc] = [valuesAt(a), valuesAt(b), valuesAt(c)];
    for (let s = joinSeq + 1; s <= joinSeq + 30; s++) {
      expect(vb.get(s), `b at seq ${s}`).toBe(va.get(s));
      expect(vc.get(s), `c at seq ${s}`).toBe(va.get(s));
    }
    // The joiner delivered nothing before its state: its first delivery is the one right after the cut.
    expect(Math.min(...vc.keys())).toBe(joinSeq + 1);
  });

  it('chat: three members; after two crashes the last one says it has no majority and why', async () => {
    const [pa, pb, pc] = await freePorts(3);
    const seed = `ws://127.0.0.1:${pa}`;
    const a = start('chat.mjs', ['alice', String(pa)]);
    await a.waitFor(/^\* joined as /);
    const b = start('chat.mjs', ['bob', String(pb), seed]);
    await b.waitFor(/^\* joined as /);
    const c = start('chat.mjs', ['carol', String(pc), seed]);
    await c.waitFor(/^\* joined as /);
    await a.waitFor(/^\* in the room \(view \d+\): alice, bob, carol$/);
    a.child.stdin!.write('hello everyone\n');
    for (const p of [a, b, c]) await p.waitFor(/^\[\d+\] alice: hello everyone$/);

    b.child.kill('SIGKILL');
    await a.waitFor(/^\* in the room \(view \d+\): alice, carol \(two members: one crash and the other has no majority\)$/);
    const from = a.lines.length;
    c.child.kill('SIGKILL');
    const m = await a.waitFor(/^\* no majority: only (\d+) of the (\d+) members of view \d+ can be reached\. (.*)$/, 30_000, from);
    expect(Number(m[1])).toBeLessThanOrEqual(Number(m[2]) / 2);
    expect(m[3]).toMatch(/frozen.*two cut-off halves/);
  });
});
