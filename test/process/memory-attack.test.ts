/**
 * Memory attacks by an insider (issue 8, item 5) against real `vsync member` processes. The attacker holds the
 * secret, so it completes the handshake and seals its frames like an honest node; the threat model lets it lie,
 * but not crash a member, stall the group or take a member past a memory bound. It sends
 *   (a) 24 `msgs` fills of 8 MiB each to one member (8 entries of 1 MiB, the largest payload a member takes) that nobody asked for,
 *   (b) a frame listing 2 million member ids (13.6 MiB, under the 16 MiB frame limit),
 *   (c) under the sequencer's own name, 64 MiB of ordered messages far ahead of a gap.
 * Each member's RSS is read from /proc/<pid>/status throughout; the group keeps delivering; the frames show up as
 * rejected in the victim's /status; the traces pass the checker.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/core/frames.js';
import type { NodeStats } from '../../src/api/stats.js';
import { encodeFrame } from '../../src/wire/codec.js';
import { Insider } from './insider.js';
import { ProcCluster, sleep } from './proc-cluster.js';

const MiB = 1024 * 1024;
/** What each member may hold at any time during or after the attack (a member is about 70 MiB before it, and peaked at about 150 MiB in it). */
const RSS_BOUND = 256 * MiB;
/** How far above its own figure before the attack a member may stay once the attack is over. */
const RSS_GROWTH_AFTER = 128 * MiB;

let cluster: ProcCluster | null = null;
afterEach(() => {
  cluster?.killAll();
  cluster = null;
});

function rssOf(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples every member's RSS every 50 ms and keeps the largest seen per member. */
class RssWatch {
  readonly max = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pids: Map<string, number>) {
    this.timer = setInterval(() => this.sample(), 50);
  }
  sample(): Map<string, number> {
    const now = new Map<string, number>();
    for (const [name, pid] of this.pids) {
      const r = rssOf(pid);
      now.set(name, r);
      if (r > (this.max.get(name) ?? 0)) this.max.set(name, r);
    }
    return now;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

const mib = (n: number): string => `${(n / MiB).toFixed(0)} MiB`;

async function stats(httpUrl: string): Promise<NodeStats> {
  const res = await fetch(`${httpUrl}/status`);
  return (await res.json()) as NodeStats;
}

const delivered = (c: ProcCluster, name: string): number => Number(c.get(name).lastMatch(/^status .* delivered=(\d+)/)?.[1] ?? 0);
const seqOf = (c: ProcCluster, name: string): number => Number(c.get(name).lastMatch(/^status .* seq=(\d+)/)?.[1] ?? 0);

/** `n` payloads of `size` bytes: one buffer, sliced (the encoder copies them into the frame). */
function payloads(n: number, size: number): Uint8Array[] {
  const buf = new Uint8Array(size).fill(0x5a);
  return Array.from({ length: n }, () => buf);
}

/**
 * Sends each of `frames` as `node` over a link to `url`, dialing again when the victim closed it (under load the
 * attacker, busy sealing megabytes, answers pings late and the victim rightly gives up on it). Returns how many
 * frames the socket took.
 */
async function sendAll(url: string, node: string, frames: Uint8Array[], as: { url?: string; epoch?: number } = {}): Promise<number> {
  let link = await Insider.connect(url, node, as);
  let sent = 0;
  for (const bytes of frames) {
    for (let attempt = 0; attempt < 4; attempt++) {
      if (!link.open) link = await Insider.connect(url, node, as);
      if (await link.sendBytes(bytes)) {
        sent++;
        break;
      }
    }
  }
  await sleep(500);
  await link.close();
  return sent;
}

describe('memory attacks by an insider against real processes', () => {
  it('large fills, a 2-million-id frame and an ahead-of-gap flood keep every member under its bound; the group delivers throughout', async () => {
    const c = (cluster = new ProcCluster(['--send-rate', '10']));
    const https = new Map<string, string>();
    for (const n of ['a', 'b', 'c']) {
      const p = await c.start(n, { args: ['--http', '127.0.0.1:0'] });
      https.set(n, (await p.waitFor(/^http url=(\S+)/))[1]!);
    }
    await c.waitViews((m) => m.length === 3, 30_000, 'three members');
    const view = c.lastView('b')!;
    const sequencerId = view.members[0]!;
    const sequencer = sequencerId.slice(0, sequencerId.lastIndexOf('#'));
    // The victim of the ahead-of-gap flood: a member that is not the sequencer.
    const victim = ['a', 'b', 'c'].find((n) => n !== sequencer)!;
    const victimUrl = c.urls.get(victim)!;
    const pids = new Map([...c.procs].map(([n, p]) => [n, p.child.pid!]));
    await sleep(1000);
    const watch = new RssWatch(pids);
    const before = watch.sample();
    const rejectedBefore = (await stats(https.get(victim)!)).transport.rejected;

    // (a) Unasked fills, 8 MiB each, from a node that is not in the view.
    const fill = (first: number): Frame => ({
      t: 'msgs', view: view.id, first, senders: [sequencerId], entries: payloads(8, MiB).map((payload, i) => ({ sender: 0, msgNo: 1_000_000 + i, payload })),
      last: first + 7, commit: 0, stable: 0, fill: true,
    });
    const fillBytes = encodeFrame('g', 'mallory#1', '', fill(seqOf(c, victim) + 8000));
    const fillsSent = await sendAll(victimUrl, 'mallory', Array.from({ length: 24 }, () => fillBytes));
    const afterFills = delivered(c, victim);

    // (b) Two million member ids in one decision: refused by the codec before it builds a list, and the link dropped.
    const ids = Array.from({ length: 2_000_000 }, (_, i) => `m${i.toString(36)}`);
    const huge: Frame = { t: 'newView', view: view.id, decision: { prevView: view.id, view: view.id + 1, members: ids, leavers: [], cut: 0 } };
    const hugeBytes = encodeFrame('g', 'mallory#1', '', huge);
    expect(hugeBytes.byteLength).toBeGreaterThan(13 * MiB);
    for (const n of ['a', 'b', 'c']) {
      const m = await Insider.connect(c.urls.get(n)!, 'mallory');
      await m.sendBytes(hugeBytes);
      await m.closed; // the member closes the link
    }

    // Counted before (c): under the sequencer's name the liar takes the victim's frames to the sequencer while its
    // link is open, which may get the victim excluded, and a new incarnation counts afresh.
    const mid = await stats(https.get(victim)!);
    const rejected = mid.groups.find((x) => x.group === 'g')!.rejectedFrames;
    const transportRejected = mid.transport.rejected - rejectedBefore;

    // (c) The sequencer's name, the victim's link: 64 MiB of ordered messages far ahead of what the group has
    // ordered (they would only be delivered minutes from now; a view change discards them first).
    const base = seqOf(c, victim) + 12_000;
    const flood = Array.from({ length: 8 }, (_, f) => {
      const first = base + 8 * f;
      const frame: Frame = {
        t: 'msgs', view: view.id, first, senders: [sequencerId], entries: payloads(8, MiB).map((payload, i) => ({ sender: 0, msgNo: 2_000_000 + 8 * f + i, payload })),
        last: first + 7, commit: 0, stable: 0, fill: false,
      };
      return encodeFrame('g', sequencerId, '', frame);
    });
    expect(await sendAll(victimUrl, sequencer, flood, { url: c.urls.get(sequencer)!, epoch: 1 })).toBe(8);

    // The group keeps delivering at every member.
    const marks = new Map(['a', 'b', 'c'].map((n) => [n, delivered(c, n)]));
    for (const n of ['a', 'b', 'c']) {
      await c.get(n).waitFor(new RegExp(`^status .* delivered=(?!${marks.get(n)}\\b)\\d+`), 30_000, c.get(n).lines.length);
    }
    expect(delivered(c, victim)).toBeGreaterThan(afterFills);
    await sleep(3000);
    const after = watch.sample();
    watch.stop();

    const st = await stats(https.get(victim)!);
    const g = st.groups.find((x) => x.group === 'g')!;
    console.log(`rss before ${[...before].map(([n, r]) => `${n}=${mib(r)}`).join(' ')}; max ${[...watch.max].map(([n, r]) => `${n}=${mib(r)}`).join(' ')}; after ${[...after].map(([n, r]) => `${n}=${mib(r)}`).join(' ')}; victim ${victim} rejected ${JSON.stringify(rejected)} transport.rejected ${transportRejected} fills sent ${fillsSent}`);
    for (const n of ['a', 'b', 'c']) {
      expect(watch.max.get(n)!, `${n}'s largest RSS`).toBeLessThan(RSS_BOUND);
      expect(after.get(n)!, `${n}'s RSS after the attack`).toBeLessThan(before.get(n)! + RSS_GROWTH_AFTER);
    }
    // (a) counted by the core, (b) by the transport; (c) took at most maxAheadBytes (not visible from outside
    // but in the RSS), and the victim's log holds what it held.
    expect(fillsSent).toBe(24);
    expect(rejected['fill-unasked']).toBeGreaterThanOrEqual(1);
    expect(transportRejected).toBeGreaterThanOrEqual(1);
    expect(g.log.bytes).toBeLessThanOrEqual(16 * MiB + MiB);

    await c.quiesce(60_000);
    const report = await c.finish();
    expect(report.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([]);
  }, 240_000);
});
