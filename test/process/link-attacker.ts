/**
 * An outsider without the secret who speaks the link handshake (proto/vsync.proto, Link) to real nodes and relays
 * what one node says to another, trying to get in under a name it cannot prove.
 */
import WebSocket from 'ws';
import { decodeLink, encodeAuth, encodeHello, newNonce } from '../../src/net/handshake.js';

export interface Outcome {
  /** Reject codes received, and the websocket close code. */
  rejects: string[];
  closeCode: number;
  /** Messages received after what would have been the handshake (an open link would carry some). */
  opened: boolean;
}

interface Conn {
  ws: WebSocket;
  messages: Buffer[];
  next(): Promise<Buffer>;
  outcome: Promise<Outcome>;
}

function connect(url: string): Conn {
  const ws = new WebSocket(url);
  const messages: Buffer[] = [];
  const waiting: Array<(b: Buffer) => void> = [];
  const rejects: string[] = [];
  let count = 0;
  ws.on('error', () => {});
  ws.on('message', (data: Buffer) => {
    count++;
    const m = decodeLink(data);
    if (m?.t === 'reject') rejects.push(m.code);
    const w = waiting.shift();
    if (w) w(data);
    else messages.push(data);
  });
  const outcome = new Promise<Outcome>((resolve) => ws.on('close', (code) => resolve({ rejects, closeCode: code, opened: count > 2 && rejects.length === 0 })));
  return {
    ws,
    messages,
    next: () => (messages.length > 0 ? Promise.resolve(messages.shift()!) : new Promise((r) => waiting.push(r))),
    outcome,
  };
}

const opened = (c: Conn): Promise<void> => new Promise((r) => (c.ws.readyState === WebSocket.OPEN ? r() : c.ws.once('open', () => r())));

/**
 * The relay of issue 8: claim to be `victimName` to `target`; hand `target`'s nonce to the victim in a Hello of our
 * own; forward the victim's answer to `target` as our proof.
 */
export async function macRelay(targetUrl: string, victimUrl: string, victimName: string, cluster = 'vsync'): Promise<{ target: Outcome; victim: Outcome }> {
  const t = connect(targetUrl);
  const v = connect(victimUrl);
  await Promise.all([opened(t), opened(v)]);
  const targetHello = decodeLink(await t.next());
  if (targetHello?.t !== 'hello') throw new Error('expected the target Hello');
  // To the victim, a Hello carrying the target's challenge.
  v.ws.send(encodeHello({ cluster, node: 'mallory', url: '', epoch: Date.now(), key: null, maxPayloadBytes: 1024 * 1024 }, targetHello.hello.nonce, []));
  await v.next(); // the victim's Hello
  const victimAuth = await v.next();
  // To the target, claim the victim's name and present the victim's answer.
  t.ws.send(encodeHello({ cluster, node: victimName, url: '', epoch: Date.now(), key: null, maxPayloadBytes: 1024 * 1024 }, newNonce(), []));
  t.ws.send(victimAuth);
  const target = await t.outcome;
  v.ws.close();
  return { target, victim: await v.outcome };
}

/** A blind relay of two fresh connections into each other: each node is shown the other's Hello and answer. */
export async function crossRelay(aUrl: string, bUrl: string): Promise<[Outcome, Outcome]> {
  const a = connect(aUrl);
  const b = connect(bUrl);
  await Promise.all([opened(a), opened(b)]);
  const pump = async (from: Conn, to: Conn): Promise<void> => {
    for (;;) {
      const m = await Promise.race([from.next(), from.outcome.then(() => null)]);
      if (m === null || to.ws.readyState !== WebSocket.OPEN) return;
      to.ws.send(m);
    }
  };
  void pump(a, b);
  void pump(b, a);
  return Promise.all([a.outcome, b.outcome]);
}

export { encodeAuth };
