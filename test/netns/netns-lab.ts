/**
 * A private network for multi-host tests without leaving the machine: one Linux network namespace per node, each
 * with one veth interface (`eth0`, 10.213.0.<11+i>/24) whose other end sits on a bridge in a hub namespace of its
 * own. Nothing is added to the host's namespace: all traffic stays inside namespaces created here, which cleanup()
 * deletes. Needs root and iproute2; tc netem (latency, loss) is used when the kernel has it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BenchNet, netnsUnavailable } from '../../src/bench/netns.js';

const BIN = fileURLToPath(new URL('../../bin/vsync.js', import.meta.url));
export const SUBNET = '10.213.0';

/** Why the lab cannot run here, or null when it can (the bench's check: the same needs). */
export const unavailable = netnsUnavailable;

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
  /** The namespaces and the bridge: the bench's (src/bench/netns.ts), on a subnet of the tests' own. */
  private readonly net: BenchNet;
  readonly members: NsMember[] = [];
  /** Whether tc netem worked (latency and loss are on). */
  netem = false;

  constructor(readonly size: number) {
    this.net = new BenchNet(size, { prefix: this.prefix, subnet: SUBNET });
  }

  get hub(): string {
    return this.net.hub;
  }

  ns(i: number): string {
    return this.net.ns(i);
  }

  addr(i: number): string {
    return this.net.host(i);
  }

  /** Creates the hub with its bridge and one namespace per node. */
  setup(): void {
    this.net.setup();
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
    this.net.link(i, up);
  }

  spawn(i: number, args: string[]): NsMember {
    const m = new NsMember(`n${i}`, this.ns(i), args);
    this.members.push(m);
    return m;
  }

  /** Kills every member started here and deletes every namespace of this lab (also leftovers of a crashed run). */
  cleanup(): void {
    for (const m of this.members.splice(0)) m.signal('SIGKILL');
    this.net.cleanup();
  }
}
