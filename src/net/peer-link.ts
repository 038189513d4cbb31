/**
 * One websocket to another node: its handshake, then envelopes and directory news; websocket ping/pong heartbeats;
 * a bounded close. The link decides nothing about peers: its owner (the transport) does, through LinkHooks.
 */
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { ErrorCodes } from '../errors.js';
import { Opener, Sealer, TAG_BYTES } from './frame-seal.js';
import { type Handshake, type NodeAddr, type PeerHello, type Refusal, checkKnown, clip, decodeLink, encodeReject } from './handshake.js';

/** Close codes of the transport (4000..4999: application codes). */
export const CloseCode = {
  GOING_AWAY: 1001,
  TOO_BIG: 1009,
  /** We sent a Reject. */
  REFUSED: 4001,
  /** Text message, data before the handshake, or a link message out of place. */
  PROTOCOL: 4002,
  /** Another link to the same node replaces this one. */
  SUPERSEDED: 4003,
  /** The owner refused the peer (Transport.dropPeer). */
  DROPPED: 4004,
  HANDSHAKE_TIMEOUT: 4005,
  /** A message after the handshake failed authentication (forged, altered, replayed or reordered). */
  BAD_FRAME: 4006,
} as const;

/** First byte of every Envelope (field 1, varint: its version); link messages begin with another. */
export const ENVELOPE_FIRST_BYTE = 0x08;
/** Missed pongs before a link is terminated. */
export const MAX_MISSED_PONGS = 3;
/**
 * Largest message accepted before the handshake completes (a Hello with a full directory is far smaller), so that
 * unauthenticated connections cannot make us buffer maxPayload bytes each.
 */
export const HANDSHAKE_MAX_PAYLOAD = 1024 * 1024;

let warnedNoReceiveLimit = false;

/**
 * Sets the largest message `ws` will take from now on. ws has no public API for this: its `maxPayload` option is
 * fixed when the socket is made, for the socket's whole life. A link needs two limits: HANDSHAKE_MAX_PAYLOAD until
 * the peer has proved it holds the secret, so that an unauthenticated connection cannot make us buffer a whole
 * maxPayload message, and maxPayload after. Checking the size in our message handler would be too late (ws has
 * buffered the message by then), and the server-wide option would cap every message at the handshake's limit. So
 * this writes ws's internal `_receiver._maxPayload` (ws 8); test/net/receive-limit.test.ts fails if ws renames it.
 * Returns false when the field is not there: the limit then stays maxPayload throughout (safe, only less strict).
 */
export function setReceiveLimit(ws: WebSocket, n: number): boolean {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') return false;
  receiver._maxPayload = n;
  return true;
}

export interface LinkClosed {
  reason: string;
  /** The handshake had finished: the link was open. */
  wasOpen: boolean;
  /** Who closed it, and with which code (ours, or the peer's). */
  byUs: boolean;
  code: number;
  /** The handshake found that this node dialed itself. */
  self: boolean;
}

export interface LinkHooks {
  /**
   * The peer's Hello passed validation, naming `node` (not authenticated yet): a refusal here is sent instead of our
   * HelloAuth, so a peer refused for what it claims never completes its side. Synchronous.
   */
  claim(link: PeerLink, node: string): Refusal | null;
  /** The peer authenticated; null admits it, a refusal closes the link. Synchronous. */
  admit(link: PeerLink, peer: PeerHello): Refusal | null;
  /** The link is open: envelopes may flow. Called right after a successful admit. */
  opened(link: PeerLink): void;
  /** One envelope, as a plain Uint8Array view of the received message. */
  frame(link: PeerLink, bytes: Uint8Array): void;
  directory(link: PeerLink, known: NodeAddr[]): void;
  /** Called once, when the websocket is closed. */
  closed(link: PeerLink, info: LinkClosed): void;
  /** A refusal (by us or the peer) or protocol error; the owner counts them. */
  rejected(link: PeerLink): void;
  /** A message failed authentication; the link closes itself. The owner counts and logs (rate-limited). */
  badFrame(link: PeerLink): void;
}

export interface LinkParams {
  outbound: boolean;
  /** For outbound links, the URL dialed. */
  url: string | null;
  remoteAddress: string;
  handshake: Handshake;
  /** The directory to put in our Hello, and its version. */
  known: () => { list: NodeAddr[]; version: number };
  heartbeatMs: number;
  handshakeTimeoutMs: number;
  /** Largest message after the handshake (the websocket's own limit). */
  maxPayload: number;
  logger: Logger;
  /**
   * Logs a warning about a connection that never authenticated, rate-limited by `kind` (anyone can open those, so
   * they must not flood the log). Default: the logger, unlimited.
   */
  warnLimited?: (kind: string, fields: Record<string, unknown>, msg: string) => void;
}

type State = 'connecting' | 'handshake' | 'open' | 'closed';

/** The part of the websocket's underlying socket (net.Socket or TLSSocket) that batches writes. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Links with frames queued by the code running now. The member runtime sends everything a turn of the event loop
 * produced from one callback (its flush, once per turn), and the application's handlers run in that callback after
 * the frames were handed over. A link keeps the turn's frames as they are until that callback returns
 * (process.nextTick), then seals and writes them to its corked socket and uncorks it: one writev per peer instead
 * of one write per frame (fewer syscalls and TCP segments), and the sealing (10 µs for 1 KB) and the websocket's
 * framing happen after the handlers, not before them: a delivery no longer waits for the seals of the frames its
 * own turn produced (an ack, a multicast), while the frames leave when they always did, when the callback returns.
 * (Writing in a setImmediate instead would hold frames sent from the check phase, where the runtime's flush runs,
 * until the next turn.)
 */
const queuedLinks: PeerLink[] = [];
let writeScheduled = false;

function writeAll(): void {
  writeScheduled = false;
  const links = queuedLinks.splice(0);
  for (const l of links) l.writeQueued();
}

export class PeerLink {
  private state: State;
  private closing = false;
  /** Stop delivering what still arrives (after a refusal or protocol error). */
  private mute = false;
  private closeCode = 0;
  private closeReason = '';
  private selfConnection = false;
  private wasOpen = false;
  private missed = 0;
  /** For the heartbeat: bytes we had buffered at the last beat, and bytes sent since. */
  private lastBuffered = 0;
  private sentSinceBeat = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private killTimer: NodeJS.Timeout | null = null;
  private errorMessage: string | null = null;
  private resolveClosed!: () => void;
  /** Resolves once the websocket is closed and the hooks were told. */
  readonly whenClosed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
  /** The authenticated peer (set when the link opens). */
  peer: PeerHello | null = null;
  /** Where the peer is: its advertised URL, or its IP address when it advertises none. */
  address = '';
  openedAt = 0;
  /** Round trip of the last heartbeat ping (ms, queueing behind buffered data included); null before the first pong. */
  rttMs: number | null = null;
  private pingAt = 0;
  /** Version of the directory our Hello carried. */
  helloVersion = -1;
  private log: Logger;
  private nonceHex: string | undefined;
  /** Frames handed to `send` by the running callback, written when it returns (see queuedLinks), and their bytes. */
  private queued: Uint8Array[] = [];
  private queuedBytes = 0;
  /** Frame protection, set when the handshake derived keys (a cluster secret); null: frames travel as they are. */
  private sealer: Sealer | null = null;
  private opener: Opener | null = null;
  /** Names the peer's TLS certificate vouches for (CN and DNS SANs); null: no certificate (not a TLS link). */
  certNames: string[] | null = null;

  constructor(
    private readonly ws: WebSocket,
    private readonly params: LinkParams,
    private readonly hooks: LinkHooks,
  ) {
    this.log = params.logger;
    this.state = ws.readyState === WebSocket.CONNECTING ? 'connecting' : 'handshake';
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('pong', () => {
      this.missed = 0;
      if (this.pingAt > 0) this.rttMs = performance.now() - this.pingAt;
      this.pingAt = 0;
    });
    ws.on('error', (err: Error & { code?: string }) => this.onError(err));
    ws.on('close', (code, reason) => this.onClose(code, reason));
    this.deadline = setTimeout(() => this.onDeadline(), params.handshakeTimeoutMs);
    if (this.state === 'connecting') ws.once('open', () => this.start());
    else this.start();
  }

  /** Our handshake nonce, hex. */
  get nonce(): string {
    return (this.nonceHex ??= this.params.handshake.nonce.toString('hex'));
  }

  /** Until the link opens: the node the peer's Hello named, not authenticated yet. */
  get claimedNode(): string | null {
    return this.wasOpen ? null : this.params.handshake.peerNode;
  }

  get outbound(): boolean {
    return this.params.outbound;
  }

  get url(): string | null {
    return this.params.url;
  }

  get remoteAddress(): string {
    return this.params.remoteAddress;
  }

  /** Open, not closing: frames may be sent on it. */
  get usable(): boolean {
    return this.state === 'open' && !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Bytes given to this link and not yet written to the socket (the frames of the running callback included). */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount + this.queuedBytes;
  }

  /**
   * Sends one binary message; only on a usable link. The bytes are not copied here (ws takes the buffer as it is;
   * sealing writes the ciphertext into a new one): they must not change afterwards. They are sealed and written when
   * the running callback returns (see queuedLinks), in the order given.
   */
  send(bytes: Uint8Array): void {
    this.sentSinceBeat += bytes.byteLength;
    if (this.queued.length === 0) {
      queuedLinks.push(this);
      if (!writeScheduled) {
        writeScheduled = true;
        process.nextTick(writeAll);
      }
    }
    this.queued.push(bytes);
    this.queuedBytes += bytes.byteLength + (this.sealer === null ? 0 : TAG_BYTES);
  }

  /**
   * Seals and writes the queued frames to the socket, corked: one writev. ws exposes no public handle on its socket:
   * this uses its internal field when present (when not, every frame is its own write: correct, only slower).
   * Internal: called by writeAll, and by `close` before the close frame. Never throws (it runs from a tick).
   */
  writeQueued(): void {
    const frames = this.queued;
    if (frames.length === 0) return;
    this.queued = [];
    this.queuedBytes = 0;
    if (this.state !== 'open' || this.ws.readyState !== WebSocket.OPEN) return; // closed meanwhile: lost with the link
    const s = (this.ws as unknown as { _socket?: Partial<Corkable> | null })._socket;
    const corked = !!s && typeof s.cork === 'function' && typeof s.uncork === 'function';
    try {
      if (corked) s.cork!();
      for (const bytes of frames) {
        if (this.sealer === null) {
          this.ws.send(bytes, { binary: true, compress: false });
          continue;
        }
        if (this.sealer.exhausted) {
          this.close(CloseCode.GOING_AWAY, 'link key exhausted: reconnecting');
          break;
        }
        this.ws.send(this.sealer.seal(bytes), { binary: true, compress: false });
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'writing queued frames failed: the close event follows');
    } finally {
      if (corked) {
        try {
          s.uncork!();
        } catch {
          // a destroyed socket: the close event follows
        }
      }
    }
  }

  /** Whether frames on this link are sealed (frame-seal.ts). */
  get sealed(): boolean {
    return this.sealer !== null;
  }

  /**
   * Closes gracefully; the websocket is terminated if the peer does not complete the close in time. Envelopes that
   * still arrive meanwhile are delivered, unless `mute`.
   */
  close(code: number, reason: string, mute = false): void {
    if (mute) this.mute = true;
    if (this.state === 'closed' || this.closing) return;
    // The frames handed over before the close go first, as the application handed them (a leader's last view).
    this.writeQueued();
    this.closing = true;
    this.closeCode = code;
    this.closeReason = reason;
    this.stopHeartbeat();
    try {
      this.ws.close(code, Buffer.from(clip(reason, 100)).subarray(0, 120).toString());
    } catch {
      this.ws.terminate();
    }
    const grace = Math.min(2000, Math.max(200, this.params.heartbeatMs));
    this.killTimer = setTimeout(() => this.ws.terminate(), grace);
  }

  /** Drops the connection at once (no close handshake). */
  terminate(reason: string): void {
    if (this.state === 'closed') return;
    if (!this.closeReason) {
      this.closeReason = reason;
      this.closeCode = 1006;
    }
    this.closing = true;
    this.mute = true;
    this.queued = [];
    this.queuedBytes = 0;
    this.ws.terminate();
  }

  private onDeadline(): void {
    const reason = `handshake not finished within ${this.params.handshakeTimeoutMs} ms`;
    if (this.state !== 'connecting') {
      this.fail(CloseCode.HANDSHAKE_TIMEOUT, reason, false);
      return;
    }
    this.log.debug({ url: this.url }, 'dial timed out');
    this.close(CloseCode.HANDSHAKE_TIMEOUT, reason, true);
  }

  private start(): void {
    if (this.state === 'closed' || this.closing) return;
    this.state = 'handshake';
    this.setMaxPayload(Math.min(HANDSHAKE_MAX_PAYLOAD, this.params.maxPayload));
    const known = this.params.known();
    this.helloVersion = known.version;
    this.ws.send(this.params.handshake.hello(known.list), { binary: true, compress: false });
    this.heartbeat = setInterval(() => this.beat(), this.params.heartbeatMs);
  }

  private beat(): void {
    // Our ping waits behind what we have buffered: while the buffer drains, the peer is taking data, so it is alive.
    const buffered = this.ws.bufferedAmount;
    if (this.lastBuffered + this.sentSinceBeat - buffered > 0 && buffered > 0) this.missed = 0;
    this.lastBuffered = buffered;
    this.sentSinceBeat = 0;
    if (this.missed >= MAX_MISSED_PONGS) {
      this.log.warn({ peer: this.peer?.node, remote: this.remoteAddress }, `no pong for ${MAX_MISSED_PONGS} heartbeats: terminating the link`);
      this.terminate('heartbeat timeout');
      return;
    }
    this.missed++;
    try {
      if (this.pingAt === 0) this.pingAt = performance.now();
      this.ws.ping();
    } catch {
      // not open any more: the close event follows
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed' || this.mute) return;
    this.missed = 0;
    if (!isBinary) {
      this.protocolError('text message');
      return;
    }
    if (this.state === 'open') {
      if (this.opener !== null) {
        const plain = this.opener.open(data);
        if (plain === null) {
          this.onBadFrame();
          return;
        }
        data = plain;
      }
      if (data.length > 0 && data[0] === ENVELOPE_FIRST_BYTE) {
        this.hooks.frame(this, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        return;
      }
      this.onLinkMessage(data);
      return;
    }
    if (this.closing) return; // refused or timed out: ignore the rest
    const step = this.params.handshake.receive(data);
    switch (step.kind) {
      case 'reply': {
        const refusal = this.hooks.claim(this, this.params.handshake.peerNode!);
        if (refusal) {
          this.refuse(refusal);
          return;
        }
        this.ws.send(step.bytes, { binary: true, compress: false });
        return;
      }
      case 'refuse':
        this.refuse(step.refusal);
        return;
      case 'refused':
        this.hooks.rejected(this);
        this.log.warn({ remote: this.remoteAddress, url: this.url, code: step.code, reason: step.reason }, 'refused by the peer');
        this.close(CloseCode.REFUSED, `refused by the peer: ${step.code}: ${step.reason}`, true);
        return;
      case 'done': {
        this.address = step.peer.url || `ip:${this.remoteAddress}`;
        const refusal = this.hooks.admit(this, step.peer);
        if (refusal) {
          // The peer may already have checked our proof and opened its side: from our HelloAuth on, it expects
          // sealed messages, so the refusal is sealed too (else it would read it as a forged frame).
          this.refuse(refusal, step.keys ? new Sealer(step.keys.send) : null);
          return;
        }
        this.peer = step.peer;
        this.state = 'open';
        if (step.keys) {
          this.sealer = new Sealer(step.keys.send);
          this.opener = new Opener(step.keys.receive);
        }
        this.setMaxPayload(this.params.maxPayload + (step.keys ? TAG_BYTES : 0));
        this.wasOpen = true;
        this.openedAt = Date.now();
        if (this.deadline) clearTimeout(this.deadline);
        this.deadline = null;
        this.log = this.log.child({ peer: step.peer.node });
        this.hooks.opened(this);
        return;
      }
    }
  }

  private setMaxPayload(n: number): void {
    if (!setReceiveLimit(this.ws, n) && !warnedNoReceiveLimit) {
      warnedNoReceiveLimit = true;
      this.log.warn({ limit: n }, 'this version of ws has no receive limit to set: links keep the server-wide maxPayload before the handshake');
    }
  }

  private onLinkMessage(data: Buffer): void {
    const m = decodeLink(data);
    if (m?.t === 'directory') {
      const known = checkKnown(m.known);
      if (known === null) this.protocolError('malformed directory message');
      else this.hooks.directory(this, known);
      return;
    }
    if (m?.t === 'reject') {
      this.hooks.rejected(this);
      this.log.warn({ code: m.code, reason: m.reason }, 'refused by the peer');
      this.close(CloseCode.REFUSED, `refused by the peer: ${m.code}: ${m.reason}`, true);
      return;
    }
    this.protocolError(m === null ? 'malformed message (neither an envelope nor a link message)' : `unexpected ${m.t} after the handshake`);
  }

  /** A message that does not open: dropped, reported, and the link closed (nothing after it can be trusted). */
  private onBadFrame(): void {
    this.hooks.badFrame(this);
    this.close(CloseCode.BAD_FRAME, 'a message failed authentication (forged, altered, replayed or reordered)', true);
  }

  private refuse(r: Refusal, sealer: Sealer | null = null): void {
    this.hooks.rejected(this);
    this.selfConnection = r.self === true;
    if (r.self) this.log.info({ url: this.url }, 'refusing a connection to this node itself');
    else this.warn(`refusing|${r.code}`, { remote: this.remoteAddress, url: this.url, code: r.code, reason: r.reason }, 'refusing peer');
    try {
      const reject = encodeReject(r);
      this.ws.send(sealer ? sealer.seal(reject) : reject, { binary: true, compress: false });
    } catch {
      // closing anyway
    }
    this.close(CloseCode.REFUSED, `${r.code}: ${r.reason}`, true);
  }

  private protocolError(reason: string): void {
    this.fail(CloseCode.PROTOCOL, reason, true);
  }

  private fail(code: number, reason: string, protocol: boolean): void {
    if (this.closing) return;
    if (protocol) this.hooks.rejected(this);
    const fields = { peer: this.peer?.node, remote: this.remoteAddress, url: this.url, ...(protocol ? { code: ErrorCodes.MALFORMED_FRAME } : {}) };
    this.warn(`closing|${code}|${reason}`, fields, `closing the link: ${reason}`);
    this.close(code, reason, true);
  }

  private onError(err: Error & { code?: string }): void {
    // The close event follows. Protocol errors detected by ws (oversized or invalid frames) close with 1002/1009.
    this.errorMessage = err.message;
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || (err.code?.startsWith('WS_ERR_') ?? false)) {
      this.hooks.rejected(this);
      this.warn('ws-protocol', { peer: this.peer?.node, remote: this.remoteAddress, err: err.message }, 'closing the link: websocket protocol error');
    } else {
      this.log.debug({ peer: this.peer?.node, url: this.url, err: err.message }, 'websocket error');
    }
  }

  /** A warning; rate-limited while the link has not authenticated (see LinkParams.warnLimited). */
  private warn(kind: string, fields: Record<string, unknown>, msg: string): void {
    if (this.wasOpen || !this.params.warnLimited) this.log.warn(fields, msg);
    else this.params.warnLimited(kind, fields, msg);
  }

  private onClose(code: number, reasonBuf: Buffer): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopHeartbeat();
    if (this.deadline) clearTimeout(this.deadline);
    if (this.killTimer) clearTimeout(this.killTimer);
    this.deadline = this.killTimer = null;
    const byUs = this.closeReason !== '';
    let reason: string;
    if (byUs) reason = this.closeReason;
    else if (this.errorMessage !== null) reason = this.errorMessage;
    else reason = `closed by the peer (${code}${reasonBuf.length ? ` ${clip(reasonBuf.toString(), 100)}` : ''})`;
    try {
      this.hooks.closed(this, { reason, wasOpen: this.wasOpen, byUs, code: byUs ? this.closeCode : code, self: this.selfConnection });
    } finally {
      this.resolveClosed();
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
