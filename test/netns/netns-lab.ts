/**
 * A private network for multi-host tests without leaving the machine: one Linux network namespace per node, each
 * with one veth interface (`eth0`, 10.213.0.<11+i>/24) whose other end sits on a bridge in a hub namespace of its
 * own. Nothing is added to the host's namespace: all traffic stays inside namespaces created here, which cleanup()
 * deletes. Needs root and iproute2; tc netem (latency, loss) is used when the kernel has it.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/vsync.js', import.meta.url));
export const SUBNET = '10.213.0';

/** Why the lab cannot run here, or null when it can. */
export function unavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (network namespaces need root)';
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return "the 'ip' command (iproute2) is missing";
  return null;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A `vsync member` process inside a namespace, whose stdout lines can be awaited. */
export class NsMember {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  exitCode: number | null = null;
  private buf = '';

  constructor(readonly name: string, ns: string, args: string[]) {
    // `ip netns exec` execs the command: the child's pid is the member's, so signals reach it directly.
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'member', '--name', name, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.buf += chunk;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
    });
    this.child.stderr!.resume();
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => {
      this.exitCode = code;
      resolve(code);
    }));
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

export class NetnsLab {
  readonly prefix = `vsf${process.pid}`;
  readonly hub = `${this.prefix}h`;
  private readonly spaces: string[] = [];
  readonly members: NsMember[] = [];
  /** Whether tc netem worked (latency and loss are on). */
  netem = false;

  constructor(readonly size: number) {}

  ns(i: number): string {
    return `${this.prefix}n${i}`;
  }

  addr(i: number): string {
    return `${SUBNET}.${11 + i}`;
  }

  /** Creates the hub with its bridge and one namespace per node. */
  setup(): void {
    this.cleanup();
    ip('netns', 'add', this.hub);
    this.spaces.push(this.hub);
    ip('-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.hub, 'link', 'set', 'br0', 'up');
    for (let i = 0; i < this.size; i++) {
      const ns = this.ns(i);
      ip('netns', 'add', ns);
      this.spaces.push(ns);
      // Both ends are created directly in their namespaces: nothing appears in the host's.
      ip('link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', this.hub);
      ip('-n', this.hub, 'link', 'set', `p${i}`, 'master', 'br0');
      ip('-n', this.hub, 'link', 'set', `p${i}`, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${this.addr(i)}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
  }

  /** 2 ms ± 1 ms of latency and 1% loss on every node's interface; false (and no change) without netem. */
  addNetem(): boolean {
    for (let i = 0; i < this.size; i++) {
      const r = spawnSync('ip', ['netns', 'exec', this.ns(i), 'tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', '2ms', '1ms', 'loss', '1%'], { encoding: 'utf8' });
      if (r.status !== 0) return false;
    }
    this.netem = true;
    return true;
  }

  /** Cuts node `i` off the bridge (its packets are lost both ways), or heals it. */
  link(i: number, up: boolean): void {
    ip('-n', this.hub, 'link', 'set', `p${i}`, up ? 'up' : 'down');
  }

  spawn(i: number, args: string[]): NsMember {
    const m = new NsMember(`n${i}`, this.ns(i), args);
    this.members.push(m);
    return m;
  }

  /** Kills every member started here and deletes every namespace of this lab (also leftovers of a crashed run). */
  cleanup(): void {
    for (const m of this.members.splice(0)) m.signal('SIGKILL');
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    const names = new Set([...this.spaces, ...listed.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(this.prefix))]);
    for (const ns of names) spawnSync('ip', ['netns', 'del', ns]);
    this.spaces.length = 0;
  }
}
