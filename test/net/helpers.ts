/** Helpers for the transport tests: nodes on 127.0.0.1 with ephemeral ports, captured logs, waiting with deadlines. */
import { pino } from 'pino';
import { Transport, type TransportOptions } from '../../src/net/index.js';

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export const WARN = 40;

export interface TestNode {
  t: Transport;
  logs: LogLine[];
  frames: Array<{ from: string; text: string }>;
  ups: string[];
  downs: Array<{ node: string; reason: string }>;
}

const open = new Set<Transport>();

export const TEST_SECRET = 'test-secret';

/** Fast timings for tests. */
export const FAST = { heartbeatMs: 100, reconnect: { minMs: 20, maxMs: 200 }, handshakeTimeoutMs: 1000 } as const;

/** Starts a node listening on an ephemeral port (unless `listen: null`), recording its logs, frames and events. */
export async function startNode(
  name: string,
  opts: Partial<Omit<TransportOptions, 'listen'>> & { listen?: TransportOptions['listen'] | null } = {},
): Promise<TestNode> {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const { listen, ...rest } = opts;
  // Secure by default: a secret unless the test asks for an insecure node or TLS.
  const auth = rest.secret !== undefined || rest.insecure || rest.tls ? {} : { secret: TEST_SECRET };
  const t = await Transport.start({
    cluster: 'test',
    node: name,
    ...FAST,
    ...auth,
    ...rest,
    logger,
    ...(listen === null ? {} : { listen: listen ?? { host: '127.0.0.1', port: 0 } }),
  });
  open.add(t);
  const n: TestNode = { t, logs, frames: [], ups: [], downs: [] };
  t.on('frame', (from, b) => n.frames.push({ from, text: Buffer.from(b.subarray(1)).toString() }));
  t.on('peerUp', (node) => n.ups.push(node));
  t.on('peerDown', (node, reason) => n.downs.push({ node, reason }));
  return n;
}

/** Closes every node started by startNode and not closed yet. */
export async function closeAll(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((t) => t.close()));
}

export async function stop(n: TestNode): Promise<void> {
  open.delete(n.t);
  await n.t.close();
}

/** Polls `cond` every 5 ms until it holds; fails after `ms`. */
export async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A test message: the byte 0x08 (with which every Envelope begins, and which the transport requires), then `s`.
 * Received frames are recorded without that byte.
 */
export const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.concat([Buffer.from([0x08]), Buffer.from(s)]));

/** Sends `text` from a to b until b has received it (frames sent before the link is up may be queued or dropped). */
export async function deliver(a: TestNode, b: TestNode, text: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!b.frames.some((f) => f.from === a.t.node && f.text === text)) {
    if (Date.now() > deadline) throw new Error(`timed out delivering '${text}' from ${a.t.node} to ${b.t.node}`);
    a.t.send(b.t.node, bytes(text));
    await waitFor(() => true, '', 0);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function warnings(n: TestNode): LogLine[] {
  return n.logs.filter((l) => l.level >= WARN);
}
