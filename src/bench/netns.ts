/**
 * Bench members on "other hosts" without leaving the machine: one Linux network namespace per member, each with a
 * veth interface (`eth0`, 10.214.0.<11+i>/24) whose peer end is on a bridge in a hub namespace. Nothing is added to
 * the host's namespace; cleanup() deletes every namespace made here. `tc netem` adds a one-way delay on each
 * member's interface when the kernel has it (sch_netem); without it the case runs without delay and says so.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const SUBNET = '10.214.0';

/** Why namespaces cannot be made here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (network namespaces need root)';
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return "the 'ip' command (iproute2) is missing";
  return null;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export class BenchNet {
  /** Every namespace made here is named with this prefix (cleanup() deletes them by it). */
  readonly prefix: string;
  /** The namespace of the bridge. */
  readonly hub: string;
  private readonly subnet: string;
  private made: string[] = [];
  /** Why netem cannot delay packets here (set by the first setDelay that failed), or null. */
  netemMissing: string | null = null;

  /** `prefix` and `subnet` (three octets of a /24) keep two users of namespaces apart (the bench's and the tests'). */
  constructor(readonly size: number, opts: { prefix?: string; subnet?: string } = {}) {
    this.prefix = opts.prefix ?? `vsb${process.pid}`;
    this.hub = `${this.prefix}h`;
    this.subnet = opts.subnet ?? SUBNET;
  }

  ns(i: number): string {
    return `${this.prefix}n${i}`;
  }

  host(i: number): string {
    return `${this.subnet}.${11 + i}`;
  }

  /** Member i's port on the bridge, in the hub namespace: down cuts the member off (packets lost both ways). */
  hubPort(i: number): string {
    return `v${i}`;
  }

  setup(): void {
    this.cleanup();
    ip('netns', 'add', this.hub);
    this.made.push(this.hub);
    ip('-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.hub, 'link', 'set', 'br0', 'up');
    for (let i = 0; i < this.size; i++) {
      const ns = this.ns(i);
      ip('netns', 'add', ns);
      this.made.push(ns);
      // Made inside the namespaces from the start: the host's namespace never sees these interfaces.
      ip('link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', this.hubPort(i), 'netns', this.hub);
      ip('-n', this.hub, 'link', 'set', this.hubPort(i), 'master', 'br0');
      ip('-n', this.hub, 'link', 'set', this.hubPort(i), 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${this.host(i)}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
    }
  }

  /**
   * `ms` of delay on every member's outgoing packets (so `ms` one way between two members), 0 for none. False when
   * netem is missing (`netemMissing` says why); nothing is changed then.
   */
  setDelay(ms: number): boolean {
    for (let i = 0; i < this.size; i++) {
      const args = ms > 0
        ? ['-n', this.ns(i), 'qdisc', 'replace', 'dev', 'eth0', 'root', 'netem', 'delay', `${ms}ms`]
        : ['-n', this.ns(i), 'qdisc', 'del', 'dev', 'eth0', 'root'];
      const r = spawnSync('tc', args, { encoding: 'utf8' });
      if (r.status !== 0 && ms > 0) {
        this.netemMissing = (r.stderr || r.error?.message || `tc exited with ${r.status}`).trim();
        return false;
      }
    }
    return true;
  }

  /** Cuts member i off the bridge, or heals it. */
  link(i: number, up: boolean): void {
    ip('-n', this.hub, 'link', 'set', this.hubPort(i), up ? 'up' : 'down');
  }

  /** Deletes every namespace with this prefix (also leftovers of an earlier crash of the same pid). */
  cleanup(): void {
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    const names = new Set([...this.made, ...listed.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(this.prefix))]);
    for (const ns of names) spawnSync('ip', ['netns', 'del', ns]);
    this.made = [];
  }
}
