/**
 * Frame protection for the bare batched sequencer's links (`Cluster.seq(n, true)`, the latency probe's
 * `--bare --sealed`): vsync's own AES-256-GCM per link and direction (src/net/frame-seal.ts, cipher objects made
 * ahead), so that baseline pays per frame what a protected vsync link pays, and nothing else of vsync's; its sequencer
 * seals a batch after delivering it itself, as vsync seals after its handlers (worker.ts). The keys come from the
 * member's index, not from a handshake: the case measures what sealing costs, not its secrecy.
 */
import { createHash } from 'node:crypto';
import { Opener, Sealer } from '../net/frame-seal.js';

export interface LinkSeal {
  seal(plain: Buffer): Buffer;
  /** The plaintext, or null when the frame is not the next one the other end sealed. */
  open(sealed: Buffer): Buffer | null;
}

function key(member: number, direction: 'to-sequencer' | 'from-sequencer'): Buffer {
  return createHash('sha256').update(`vsync bench sealed sequencer|${member}|${direction}`).digest();
}

/** One end of member `member`'s link to the sequencer: the member's end or the sequencer's. */
export function linkSeal(member: number, end: 'member' | 'sequencer'): LinkSeal {
  const sealer = new Sealer(key(member, end === 'member' ? 'to-sequencer' : 'from-sequencer'));
  const opener = new Opener(key(member, end === 'member' ? 'from-sequencer' : 'to-sequencer'));
  return { seal: (p) => sealer.seal(p), open: (s) => opener.open(s) };
}

/** The member index a sealed link's dialer puts in its URL (`?member=i`), or null. */
export function memberOfUrl(url: string | undefined): number | null {
  const m = /[?&]member=(\d+)(?:&|$)/.exec(url ?? '');
  return m ? Number(m[1]) : null;
}
