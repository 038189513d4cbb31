/** Helpers shared by the formation and recovery tests (real ports on 127.0.0.1, waiting on a condition). */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { expect } from 'vitest';
import type { MemberProcess } from '../../src/cli/member-process.js';
import { VsyncError } from '../../src/index.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Ports that were free a moment ago (a seed list must be known before any node starts). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<Server>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Waits until `pred` holds, polling; fails after `ms` naming `what` (a function: described when it fails). */
export async function until(pred: () => boolean, ms = 20_000, what: string | (() => string) = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(20);
  }
}

/** The code of the VsyncError `p` rejects with (fails when it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(VsyncError);
    return (err as VsyncError).code;
  }
  throw new Error('expected a rejection');
}

/**
 * Lets a group of `vsync member` processes go quiet (a message in flight at SIGTERM would read as undelivered): stops
 * their sending, then waits until all report the same `seq=` (and `state=`, if any) for a while.
 */
export async function quiesce(ps: MemberProcess[], ms = 30_000): Promise<void> {
  for (const p of ps) p.signal('SIGUSR1');
  await Promise.all(ps.map((p) => p.waitFor(/^stopped-sending/, ms)));
  let last = '';
  let stableSince = Date.now();
  await until(() => {
    const key = ps.map((p) => p.lastMatch(/^status .* seq=(\d+)(?: state=(\w+))?/)?.slice(1).join('/') ?? '?').join(',');
    if (key !== last || !key.split(',').every((x) => x === key.split(',')[0])) {
      last = key;
      stableSince = Date.now();
    }
    return Date.now() - stableSince > 600;
  }, ms, () => `quiet group: ${last}`);
}
