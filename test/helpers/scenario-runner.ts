import { readFileSync, writeFileSync } from 'node:fs';
import type { CheckReport } from '../../src/check/index.js';
import type { CoreConfig, CoreEvent, Frame, MemberId } from '../../src/core/index.js';
import { type FrameFate, TestCluster } from './cluster.js';

/**
 * Scenario files: interaction tests written as data, in the style of etcd raft's testdata/*.txt. A file is a list
 * of commands, each followed by `----` and the output it must produce, ended by a blank line:
 *
 *     # Comment lines (and blank lines) before a command explain it.
 *     bootstrap a b c
 *     ----
 *     a: install view 1 [a b c]
 *     ...
 *
 * Every command prints what the members did while it ran (their core events, one block per member), so a file
 * reads as a narrated run. Members are named by letter; `a` is incarnation `a#1`, a later incarnation shows its
 * number (`a#2`), and the names always refer to the newest incarnation. Commands:
 *
 *     bootstrap a b c [stateful] [<config key>=<number> ...]   a group of these members, view 1
 *     send a [text]                 a multicasts text (default `a:<n>`)
 *     send a*5                      a multicasts five messages
 *     tick [n]                      n ticks (default 1), all frames delivered after each
 *     stabilize [max]               ticks until every live member is in one view with nothing in flight
 *     crash b                       b stops: no frames in or out, ever
 *     join d [via a,b]              d asks to join (through every live member, or the ones named)
 *     leave b                       graceful leave
 *     drop a->b,c [type ...]        frames from a to b and c are lost (only frames of these types, if given)
 *     partition a | b c             every link between the two sides is cut, both ways
 *     heal                          every cut and drop rule is lifted
 *     print views|deliveries|state  each live member's view, delivered messages, or application state
 *     print frames [all] [type ...] the frames that crossed the network since the last `print frames`
 *                                   (heartbeats and pings only with `all`; lost frames are marked)
 *     check                         settles the group, ends every trace and runs the trace checker
 *
 * With UPDATE=1 in the environment the runner rewrites each file with the output it got, instead of comparing.
 */

export interface Block {
  /** Comment and blank lines before the command, kept as they are. */
  leading: string[];
  command: string;
  /** 1-based line of the command in the file, for error messages. */
  line: number;
  expected: string[];
}

export interface ScenarioFile {
  blocks: Block[];
  /** Lines after the last block. */
  trailing: string[];
}

const SEPARATOR = '----';

export function parseScenario(text: string, file = 'scenario'): ScenarioFile {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const blocks: Block[] = [];
  let leading: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '' || line.startsWith('#')) {
      leading.push(line);
      i++;
      continue;
    }
    const command = line.trim();
    const at = i + 1;
    i++;
    if (lines[i] !== SEPARATOR) throw new Error(`${file}:${at}: '${command}' must be followed by a line '${SEPARATOR}'`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
    if (i < lines.length) i++; // the blank line that ends the output
    blocks.push({ leading, command, line: at, expected });
    leading = [];
  }
  return { blocks, trailing: leading };
}

export function formatScenario(f: ScenarioFile, outputs: string[][]): string {
  const out: string[] = [];
  f.blocks.forEach((b, k) => {
    out.push(...b.leading, b.command, SEPARATOR, ...outputs[k]!, '');
  });
  out.push(...f.trailing);
  // One newline at the end, whatever the trailing lines were.
  while (out.length > 0 && out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}

/** A failure while running a command, shown as the command's output so the file says where it went wrong. */
class ScenarioError extends Error {}

interface WireRecord {
  from: MemberId;
  to: MemberId;
  frame: Frame;
  fate: FrameFate;
}

/** Runs the commands of one file against a fresh TestCluster and returns each command's output lines. */
export class ScenarioRunner {
  private cluster: TestCluster | null = null;
  /** Per member id: how many of its events have been printed already. */
  private printed = new Map<MemberId, number>();
  private wire: WireRecord[] = [];
  private drops: Array<{ from: MemberId; to: Set<MemberId>; types: Set<string> | null }> = [];
  private counters = new Map<string, number>();
  /** Bound on the frame record (print frames): a scenario that never prints frames must not grow without end. */
  static readonly MAX_WIRE_RECORDS = 100_000;

  run(command: string): string[] {
    try {
      const out = this.dispatch(command.split(/\s+/).filter((w) => w !== ''));
      return out.length > 0 ? out : ['ok'];
    } catch (err) {
      if (err instanceof ScenarioError) return [`error: ${err.message}`];
      throw err;
    }
  }

  private get c(): TestCluster {
    if (!this.cluster) throw new ScenarioError('no cluster yet: the file must start with bootstrap');
    return this.cluster;
  }

  private dispatch([verb, ...args]: string[]): string[] {
    switch (verb) {
      case 'bootstrap':
        return this.bootstrap(args);
      case 'send':
        return this.send(args);
      case 'tick': {
        this.c.tick(this.count(args[0], 1));
        return this.newEvents();
      }
      case 'stabilize': {
        const max = this.count(args[0], 3000);
        let n = 0;
        while (!this.c.settled() && n < max) {
          this.c.tick();
          n++;
        }
        const out = this.newEvents();
        const ticks = `${n} tick${n === 1 ? '' : 's'}`;
        out.push(this.c.settled() ? `settled after ${ticks}` : `not settled after ${ticks}`);
        return out;
      }
      case 'crash': {
        for (const name of args) this.c.crash(this.id(name));
        return this.newEvents();
      }
      case 'join': {
        const [name, via, list] = args;
        if (!name) throw new ScenarioError('join <name> [via a,b]');
        if (this.c.nodes.has(this.firstId(name))) throw new ScenarioError(`${name} exists already`);
        const contacts = via === 'via' && list ? list.split(',').map((n) => this.id(n)) : undefined;
        this.c.join(this.firstId(name), contacts);
        return this.newEvents();
      }
      case 'leave': {
        for (const name of args) this.c.leave(this.id(name));
        return this.newEvents();
      }
      case 'drop':
        return this.drop(args);
      case 'partition': {
        const bar = args.indexOf('|');
        if (bar <= 0 || bar === args.length - 1) throw new ScenarioError('partition a b | c d');
        this.c.partition(args.slice(0, bar).map((n) => this.id(n)), args.slice(bar + 1).map((n) => this.id(n)));
        return [];
      }
      case 'heal':
        this.c.heal();
        this.drops = [];
        return [];
      case 'print':
        return this.print(args);
      case 'check':
        return this.check();
      default:
        throw new ScenarioError(`unknown command '${verb ?? ''}'`);
    }
  }

  private bootstrap(args: string[]): string[] {
    if (this.cluster) throw new ScenarioError('bootstrap twice');
    const names: string[] = [];
    const config: Partial<Record<keyof CoreConfig, number>> = {};
    let stateful = false;
    for (const a of args) {
      if (a === 'stateful') stateful = true;
      else if (a.includes('=')) {
        const [k, v] = a.split('=');
        config[k as keyof CoreConfig] = this.count(v, 0);
      } else names.push(a);
    }
    if (names.length === 0) throw new ScenarioError('bootstrap needs members');
    // Excluded members come back as new incarnations by themselves (TestCluster.rejoinOnExclusion), as a Node does.
    this.cluster = new TestCluster(names.map((n) => this.firstId(n)), config, { stateful });
    this.cluster.onWire = (from, to, frame, fate) => {
      if (this.wire.length >= ScenarioRunner.MAX_WIRE_RECORDS) this.wire.shift();
      this.wire.push({ from, to, frame, fate });
    };
    this.cluster.filter = (from, to, frame) => !this.drops.some((d) => d.from === from && d.to.has(to) && (d.types === null || d.types.has(frame.t)));
    return this.newEvents();
  }

  private send(args: string[]): string[] {
    const [who, ...rest] = args;
    if (!who) throw new ScenarioError('send <member> [text] | send <member>*<n>');
    const star = /^([^*]+)\*(\d+)$/.exec(who);
    const name = star ? star[1]! : who;
    const times = star ? Number(star[2]) : 1;
    const id = this.id(name);
    for (let i = 0; i < times; i++) {
      const n = (this.counters.get(name) ?? 0) + 1;
      this.counters.set(name, n);
      const text = rest.length > 0 && !star ? rest.join(' ') : `${name}:${n}`;
      try {
        this.c.send(id, text);
      } catch (err) {
        const code = (err as { code?: string }).code;
        throw new ScenarioError(`${name}: ${code ?? (err as Error).message}`);
      }
    }
    return this.newEvents();
  }

  private drop(args: string[]): string[] {
    const [link, ...types] = args;
    const m = link ? /^([^-]+)->(.+)$/.exec(link) : null;
    if (!m) throw new ScenarioError('drop <from>-><to>[,<to>...] [frame type ...]');
    this.drops.push({ from: this.id(m[1]!), to: new Set(m[2]!.split(',').map((n) => this.id(n))), types: types.length > 0 ? new Set(types) : null });
    return [];
  }

  private print(args: string[]): string[] {
    const [what, ...rest] = args;
    const c = this.c;
    switch (what) {
      case 'views':
        return c.aliveIds().map((id) => {
          const v = c.member(id).currentView;
          return `${show(id)}: ${v ? `view ${v.id} ${ids(v.members)}` : 'no view'}`;
        });
      case 'deliveries':
        return c.aliveIds().map((id) => {
          const ds = c.events(id).filter((e): e is Extract<CoreEvent, { type: 'deliver' }> => e.type === 'deliver');
          return `${show(id)}: ${ds.length === 0 ? 'nothing' : ds.map((d) => `${d.seq}:${text(d.payload)}`).join(' ')}`;
        });
      case 'state':
        if (!c.stateful) throw new ScenarioError('print state needs a stateful cluster (bootstrap ... stateful)');
        return c.aliveIds().map((id) => {
          const app = c.app(id);
          return `${show(id)}: ${app.entries.length} entries [${app.entries.join(' ')}] digest ${app.digest()}`;
        });
      case 'frames': {
        const all = rest.includes('all');
        const types = new Set(rest.filter((r) => r !== 'all'));
        const out = this.wire
          .filter((w) => (types.size === 0 ? all || (w.frame.t !== 'heartbeat' && w.frame.t !== 'ping') : types.has(w.frame.t)))
          .map((w) => `${show(w.from)}->${show(w.to)} ${frameText(w.frame)}${w.fate === 'delivered' ? '' : `  (lost: ${w.fate})`}`);
        this.wire = [];
        return out.length > 0 ? out : ['no frames'];
      }
      default:
        throw new ScenarioError('print views|deliveries|state|frames');
    }
  }

  private check(): string[] {
    let report: CheckReport;
    try {
      report = this.c.finish();
    } catch (err) {
      throw new ScenarioError((err as Error).message);
    }
    const out = this.newEvents();
    out.push(report.ok ? 'checker: ok' : 'checker: violations', ...report.violations.map((v) => `  ${v.property}: ${v.message}`));
    return out;
  }

  /** Every member's events since the last command, one block per member in order of creation. */
  private newEvents(): string[] {
    const out: string[] = [];
    for (const [id] of this.c.nodes) {
      const all = this.c.events(id);
      const from = this.printed.get(id) ?? 0;
      this.printed.set(id, all.length);
      for (const line of describeEvents(all.slice(from))) out.push(`${show(id)}: ${line}`);
    }
    return out;
  }

  private firstId(name: string): MemberId {
    if (name.includes('#')) throw new ScenarioError(`name members by letter, not by id: ${name}`);
    return `${name}#1`;
  }

  /** The newest incarnation of `name`. */
  private id(name: string): MemberId {
    let best: MemberId | null = null;
    for (const id of this.c.nodes.keys()) if (id.slice(0, id.lastIndexOf('#')) === name) best = id;
    if (!best) throw new ScenarioError(`no member ${name}`);
    return best;
  }

  private count(word: string | undefined, fallback: number): number {
    if (word === undefined) return fallback;
    const n = Number(word);
    if (!Number.isSafeInteger(n) || n < 0) throw new ScenarioError(`not a count: ${word}`);
    return n;
  }
}

/** `a#1` reads `a`; later incarnations keep their number. */
function show(id: MemberId): string {
  return id.endsWith('#1') ? id.slice(0, -2) : id;
}

function ids(list: readonly MemberId[]): string {
  return `[${list.map(show).join(' ')}]`;
}

function text(payload: Uint8Array): string {
  return new TextDecoder().decode(payload);
}

/** Events as lines; runs of deliveries in one view read as one line. */
function describeEvents(events: CoreEvent[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    switch (e.type) {
      case 'install': {
        let line = `install view ${e.view.id} ${ids(e.view.members)}`;
        if (e.joined.length > 0) line += ` joined ${ids(e.joined)}`;
        if (e.left.length > 0) line += ` left ${ids(e.left)}`;
        out.push(line);
        break;
      }
      case 'deliver': {
        const run = [e];
        while (i + 1 < events.length) {
          const next = events[i + 1]!;
          if (next.type !== 'deliver' || next.view !== e.view) break;
          run.push(next);
          i++;
        }
        const seqs = run.length === 1 ? `${e.seq}` : `${e.seq}-${run.at(-1)!.seq}`;
        out.push(`deliver ${seqs} in view ${e.view}: ${run.map((d) => `${show(d.sender)}/${d.msgNo}`).join(' ')}`);
        break;
      }
      case 'send':
        out.push(`send ${e.msgNo} in view ${e.view}`);
        break;
      case 'block':
      case 'unblock':
      case 'left':
      case 'excluded':
        out.push(`${e.type} in view ${e.view}`);
        break;
      case 'minority':
        out.push(`minority in view ${e.view}: ${e.reachable} of ${e.members} reachable`);
        break;
      case 'snapshot':
        out.push(`snapshot for view ${e.view}`);
        break;
      case 'state':
        out.push(`state for view ${e.view}: ${e.data.byteLength} bytes`);
        break;
      default:
        out.push(JSON.stringify(e));
    }
  }
  return out;
}

/** A frame as `type key=value ...`, generically, so that the printout follows the frame definitions as they change. */
function frameText(frame: Frame): string {
  const parts: string[] = [frame.t];
  for (const [k, v] of Object.entries(frame)) {
    if (k === 't' || k === 'view') continue;
    parts.push(`${k}=${valueText(v)}`);
  }
  parts.push(`(view ${frame.view})`);
  return parts.join(' ');
}

function valueText(v: unknown): string {
  if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
  if (typeof v === 'string') return v.includes('#') ? show(v) : v;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return ids(v as string[]);
    return `<${v.length} ${v.length === 1 ? 'item' : 'items'}>`;
  }
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${k}=${valueText(x)}`).join(' ')}}`;
  }
  return String(v);
}

/** Runs one file; returns the outputs and the file as it would be rewritten. */
export function runScenarioFile(path: string): { file: ScenarioFile; actual: string[][]; rewritten: string; original: string } {
  const original = readFileSync(path, 'utf8');
  const file = parseScenario(original, path);
  const runner = new ScenarioRunner();
  const actual = file.blocks.map((b) => runner.run(b.command));
  return { file, actual, rewritten: formatScenario(file, actual), original };
}

export function updateScenarioFile(path: string, rewritten: string): void {
  writeFileSync(path, rewritten);
}
