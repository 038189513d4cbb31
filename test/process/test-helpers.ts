/** Helpers shared by the formation and recovery tests (real ports on 127.0.0.1, waiting on a condition). */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { expect } from 'vitest';
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
