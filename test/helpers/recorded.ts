import type { Frame } from '../../src/core/frames.js';
import type { MemberId } from '../../src/core/types.js';
import type { TestCluster } from './cluster.js';

export const text = (p: Uint8Array): string => new TextDecoder().decode(p);

/** The payloads `id` delivered, as text, in order. */
export function payloads(c: TestCluster, id: MemberId): string[] {
  return c.events(id).flatMap((e) => (e.type === 'deliver' ? [text(e.payload)] : []));
}

/** Every frame taken off the network, for assertions on what went where. */
export function record(c: TestCluster): Array<{ from: MemberId; to: MemberId; frame: Frame }> {
  const seen: Array<{ from: MemberId; to: MemberId; frame: Frame }> = [];
  c.onWire = (from, to, frame) => seen.push({ from, to, frame });
  return seen;
}
