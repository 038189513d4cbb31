import { randomBytes, type KeyObject } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { memberProof, replyMac, sessionKey, signReply, type SignedReply } from '../../src/rsm/client-auth.js';
import { ClientKind, decodeClientMsg, encodeServerMsg, ServerKind } from '../../src/rsm/client-wire.js';

export interface FakeAnswer {
  result?: Uint8Array;
  error?: string;
  /** The name the fake writes into its reply. */
  member: string;
  /** The key it signs with. */
  key: KeyObject;
}

/**
 * A client endpoint speaking the protocol by hand with whatever answer a test wants: a lying member (which
 * knows the clients' secrets, as members do) or one that answers errors only.
 */
export async function fakeEndpoint(secrets: Record<string, string>, answer: (command: Uint8Array) => FakeAnswer): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    const ns = randomBytes(32);
    const name = 'fake';
    let client = '';
    let key: Uint8Array | null = null;
    let out = 0;
    ws.send(encodeServerMsg({ kind: ServerKind.CHALLENGE, nonce: ns, member: name, maxCommandBytes: 1 << 20, auth: 1 }));
    ws.on('message', (data) => {
      const m = decodeClientMsg(new Uint8Array(data as Buffer));
      if (m.kind === ClientKind.AUTH) {
        client = m.client;
        const secret = secrets[client]!;
        key = sessionKey(secret, ns, m.nonce, client, name);
        ws.send(encodeServerMsg({ kind: ServerKind.WELCOME, proof: memberProof(secret, ns, m.nonce, client, name) }));
        return;
      }
      const a = answer(m.command);
      const reply: SignedReply = { client, request: m.request, result: a.result ?? new Uint8Array(0), member: a.member, error: a.error ?? '' };
      const signature = signReply(a.key, reply);
      const counter = ++out;
      ws.send(encodeServerMsg({ kind: ServerKind.REPLY, ...reply, signature, counter, mac: replyMac(key!, counter, reply, signature) }));
    });
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}
