/**
 * An insider: a peer that holds the cluster secret, completes the link handshake under any node name it likes
 * (a made-up one, or a real member's) and then sends whatever frames it wants, sealed as an honest node would.
 * The threat model lets it lie; it must not be able to crash a member, stall the group or pass a memory bound.
 * It reads nothing after the handshake: what the victim sends it is dropped.
 */
import WebSocket from 'ws';
import type { Frame } from '../../src/core/frames.js';
import { Sealer } from '../../src/net/frame-seal.js';
import { Handshake } from '../../src/net/handshake.js';
import { encodeFrame } from '../../src/wire/codec.js';

export class Insider {
  private constructor(
    private readonly ws: WebSocket,
    private readonly sealer: Sealer,
    readonly node: string,
    /** Resolves with the websocket close code once the victim (or we) closed the link. */
    readonly closed: Promise<number>,
  ) {}

  /**
   * Dials `url` as `node` and completes the handshake with `secret`; rejects if the victim refuses. `as` sets the
   * URL and epoch the Hello advertises (a member's own, to impersonate it without rewriting the victim's directory).
   */
  static connect(url: string, node: string, as: { url?: string; epoch?: number } = {}, secret = 'test-secret', cluster = 'vsync'): Promise<Insider> {
    const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
    const local = { cluster, node, url: as.url ?? '', epoch: as.epoch ?? Date.now(), key: Buffer.from(secret, 'utf8'), maxPayloadBytes: 1024 * 1024 };
    const hs = new Handshake(local, () => false, true);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('error', () => {});
    return new Promise<Insider>((resolve, reject) => {
      let done = false;
      ws.once('open', () => ws.send(hs.hello([])));
      ws.on('message', (data: Buffer) => {
        if (done) return;
        const step = hs.receive(data);
        if (step.kind === 'reply') ws.send(step.bytes);
        else if (step.kind === 'done') {
          done = true;
          resolve(new Insider(ws, new Sealer(step.keys!.send), node, closed));
        } else {
          done = true;
          ws.close();
          reject(new Error(`handshake as ${node} failed: ${JSON.stringify(step)}`));
        }
      });
      void closed.then((code) => {
        if (!done) reject(new Error(`closed during the handshake as ${node} to ${url} (${code})`));
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends encoded envelope bytes, sealed; resolves once the socket has taken them (so the test never buffers much). */
  sendBytes(bytes: Uint8Array): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    const sealed = this.sealer.seal(bytes);
    return new Promise((resolve) => this.ws.send(sealed, { binary: true, compress: false }, (err) => resolve(!err)));
  }

  /** Encodes and sends one frame of `group` from member `from` (which must be a member id of this node). */
  send(group: string, from: string, frame: Frame): Promise<boolean> {
    return this.sendBytes(encodeFrame(group, from, '', frame));
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closed;
  }
}
