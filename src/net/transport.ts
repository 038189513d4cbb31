/**
 * Node-to-node transport: one websocket server per node and one link per peer node, shared by all groups of the
 * node. Links are authenticated (handshake.ts), kept alive by heartbeats (peer-link.ts) and redialed with backoff
 * (dialer.ts); a directory (directory.ts) lets a node reach nodes it only heard of. Frames are opaque bytes here.
 *
 * Two links to the same node (both nodes dialed at once, or a reconnect before the old link is known dead) are
 * resolved deterministically: the node with the smaller name closes all but its newest link after a grace period;
 * the other node never closes a link for that reason, and sends on its newest. Meanwhile both links deliver.
 */
import { EventEmitter } from 'eventemitter3';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { ErrorCodes, VsyncError } from '../errors.js';
import { ITEM_OVERHEAD, ByteQueue } from './byte-queue.js';
import { Dialer } from './dialer.js';
import { TAG_BYTES } from './frame-seal.js';
import { Directory } from './directory.js';
import { Handshake, type LocalIdentity, MAX_KNOWN, type NodeAddr, type PeerHello, type Refusal, encodeDirectory } from './handshake.js';
import { type TransportOptions, type ResolvedOptions, defaultAdvertise, resolveOptions } from './options.js';
import { CloseCode, ENVELOPE_FIRST_BYTE, type LinkClosed, type LinkHooks, PeerLink } from './peer-link.js';
import { LinkServer, certificateNames } from './server.js';

export interface TransportEvents {
  /** One binary data message (an Envelope, not validated here) from an authenticated peer. */
  frame: (node: string, bytes: Uint8Array) => void;
  peerUp: (node: string) => void;
  peerDown: (node: string, reason: string) => void;
}

export interface TransportStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Frames not sent: no route, queue or buffer full, too large, given up, or the transport closed. */
  dropped: number;
  /** Connections refused or closed for a handshake or protocol fault (by us or by the peer). */
  rejected: number;
  /** Messages after a handshake that failed authentication (forged, altered, replayed, reordered); each closed its link. */
  badFrames: number;
  /** Inbound connections refused by a connection bound (pending handshakes in all or per source, or closing). */
  refusedConnections: number;
  /** Open authenticated links. */
  links: number;
  /** Bytes queued for peers that are not connected (with a small per-message overhead). */
  queuedBytes: number;
}

/** One peer node as `peerStats()` sees it. */
export interface PeerStats {
  node: string;
  /** up: an authenticated link is open; connecting: a handshake is under way; down: neither (frames queue). */
  state: 'up' | 'connecting' | 'down';
  links: number;
  /** Its advertised URL (or IP address), when known. */
  address: string | null;
  /** Whether we dialed the link in use; null without a link. */
  outbound: boolean | null;
  /** When the link in use opened (epoch ms). */
  upSinceMs: number | null;
  /** Round trip of the last heartbeat on the link in use (ms); null before the first pong. */
  rttMs: number | null;
  /** Bytes queued for it while it has no link. */
  queuedBytes: number;
  /** Bytes buffered in its link's socket. */
  bufferedBytes: number;
}

/** Default bound on inbound connections in their handshake at once; more are refused (option maxPendingHandshakes). */
export const MAX_PENDING_HANDSHAKES = 64;
/** At most one warning per this many ms about bad frames or refused connections; the rest are counted. */
const WARN_EVERY_MS = 1000;

interface Peer {
  name: string;
  /** Open links, oldest first. */
  links: PeerLink[];
  /** Frames waiting for a link. */
  queue: ByteQueue;
  /** It was connected and dropped: dial it again (until given up). */
  redial: boolean;
  /** peerUp was emitted, peerDown not yet. */
  up: boolean;
  dedup: NodeJS.Timeout | null;
}

function aborted(signal: AbortSignal): VsyncError {
  return new VsyncError(ErrorCodes.ABORTED, 'aborted', { cause: signal.reason });
}

/**
 * The masking key of the frames we send on links we dialed. RFC 6455 masks client frames so that a browser script
 * cannot put chosen bytes on the wire for a confused proxy to read as a request; `ws` then XORs every byte in
 * JavaScript on both ends, the largest single cost of a busy link. Where every frame after the handshake is
 * AES-GCM ciphertext (a cluster secret) or inside TLS, nobody chooses the bytes on the wire (the few handshake messages
 * before it are ours: nonces, names, MACs), so the frames go with a zero key, which `ws` offers for this
 * (`generateMask`) and both of its ends then skip. Insecure links keep random keys.
 */
export function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

export class Transport extends EventEmitter<TransportEvents> {
  readonly node: string;
  private advertised: string | null = null;
  private readonly o: ResolvedOptions;
  private readonly log: Logger;
  private readonly local: LocalIdentity;
  private readonly directory: Directory;
  private readonly peerMap = new Map<string, Peer>();
  /** Links in their handshake. */
  private readonly pending = new Set<PeerLink>();
  /** By URL: seeds, and nodes we connect to. */
  private readonly dialers = new Map<string, Dialer>();
  private readonly dialOf = new Map<PeerLink, Dialer>();
  /** Inbound links in their handshake: tells the server the connection is no longer unauthenticated. */
  private readonly onAuthenticated = new Map<PeerLink, () => void>();
  /** Nonces of our handshakes in progress (hex): a Hello carrying one comes from this very node. */
  private readonly ownNonces = new Set<string>();
  private readonly waiters = new Set<{ check: () => void; fail: (err: Error) => void }>();
  private readonly hooks: LinkHooks;
  private server: LinkServer | null = null;
  private started = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly counters = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, dropped: 0, rejected: 0, badFrames: 0, refusedConnections: 0 };
  /** Rate limiting of warnings: when the last one was logged, and how many were left out since. */
  private readonly warned = new Map<string, { at: number; suppressed: number }>();

  private constructor(o: ResolvedOptions) {
    super();
    this.o = o;
    this.node = o.node;
    this.log = o.logger;
    this.local = { cluster: o.cluster, node: o.node, url: '', epoch: Date.now(), key: o.key, maxPayloadBytes: o.maxPayloadBytes };
    this.directory = new Directory(o.node);
    this.hooks = {
      claim: (link, node) => this.checkCertificate(link, node),
      admit: (link, peer) => this.admit(link, peer),
      opened: (link) => this.onOpened(link),
      frame: (link, bytes) => this.onFrame(link, bytes),
      directory: (link, known) => this.onDirectory(link, known),
      closed: (link, info) => this.onClosed(link, info),
      rejected: () => void this.counters.rejected++,
      badFrame: (link) => {
        this.counters.badFrames++;
        this.warnLimited('bad-frame', { peer: link.peer?.node, remote: link.remoteAddress, code: ErrorCodes.AUTH }, 'message failed authentication (forged, altered, replayed or reordered): closing the link');
      },
    };
  }

  /** Starts the transport; it is listening (when `listen` is given) when the promise resolves. */
  static async start(opts: TransportOptions, signal?: AbortSignal): Promise<Transport> {
    const o = resolveOptions(opts);
    if (signal?.aborted) throw aborted(signal);
    const t = new Transport(o);
    if (o.listen) {
      t.server = await LinkServer.listen(
        {
          host: o.listen.host,
          port: o.listen.port,
          maxPayload: o.maxPayload + TAG_BYTES,
          handshakeTimeoutMs: o.handshakeTimeoutMs,
          logger: t.log,
          maxPending: o.maxPendingHandshakes,
          maxPendingPerSource: o.maxPendingHandshakesPerSource,
          maxConnections: o.maxConnections,
          tls: o.tls,
          accepting: () => t.started && !t.closed,
          refused: (reason, remote) => {
            t.counters.refusedConnections++;
            t.warnLimited('refused-connection', { remote, reason }, 'connection refused by a bound');
          },
          onConnection: (ws, remote, certNames, authenticated) => t.accept(ws, remote, certNames, authenticated),
        },
        signal,
      );
      t.advertised = o.advertise ?? defaultAdvertise(o.listen.host, t.server.port, o.tls ? 'wss' : 'ws');
      t.local.url = t.advertised;
    }
    if (signal?.aborted) {
      await t.close();
      throw aborted(signal);
    }
    if (!o.key && !o.tls) t.log.warn('insecure: no cluster secret and no TLS: peers are not authenticated and frames are not protected');
    t.started = true;
    t.log.info({ url: t.advertised, seeds: o.seeds }, 'transport started');
    for (const url of o.seeds) {
      const d = t.newDialer(url, true, null);
      if (url === t.advertised) d.markSelf();
      else d.kick();
    }
    return t;
  }

  /** The advertised URL; null for a node without a server. */
  get url(): string | null {
    return this.advertised;
  }

  /**
   * Sends one binary message to `node`. false: dropped (no route, queue or buffer full, larger than maxPayload,
   * closed). Never throws for a network reason; throws VSYNC_ERR_INVALID_ARGUMENT for bytes that are not an
   * envelope (encodeFrame's output always is). Without a link, the message is queued and the node dialed, when its
   * URL is known. The bytes are not copied: they must not be changed afterwards.
   */
  send(node: string, bytes: Uint8Array): boolean {
    if (bytes.byteLength === 0 || bytes[0] !== ENVELOPE_FIRST_BYTE) {
      throw new VsyncError(ErrorCodes.INVALID_ARGUMENT, 'transport.send: not an envelope (the first byte must be 0x08; see encodeFrame)');
    }
    if (this.closed || bytes.byteLength > this.o.maxPayload) return this.drop();
    const p = this.peerMap.get(node);
    const link = p && this.newestUsable(p);
    if (p && link) {
      if (p.queue.length > 0) this.flush(p, link);
      return this.write(link, bytes) || this.drop();
    }
    if (node === this.node) return this.drop();
    const d = this.dialerFor(node);
    // A link in its handshake will do as well: the peer may see it open (and send to us) before we do.
    if (!d && !this.handshaking(node)) return this.drop();
    const peer = p ?? this.peerOf(node);
    if (!peer.queue.push(bytes)) return this.drop();
    if (!this.handshaking(node)) d?.kick();
    return true;
  }

  /** Nodes with an open, authenticated link. */
  peers(): string[] {
    const out: string[] = [];
    for (const p of this.peerMap.values()) if (p.links.length > 0) out.push(p.name);
    return out;
  }

  /** Resolves with the first connected node that satisfies `predicate` (at once, if one is connected already). */
  waitForPeer(predicate: (node: string) => boolean, signal?: AbortSignal): Promise<string> {
    if (this.closed) return Promise.reject(new VsyncError(ErrorCodes.CLOSED, 'transport closed'));
    if (signal?.aborted) return Promise.reject(aborted(signal));
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => finish(aborted(signal!));
      const waiter = {
        check: () => {
          let found: string | undefined;
          try {
            found = this.peers().find(predicate);
          } catch (err) {
            finish(err as Error);
            return;
          }
          if (found !== undefined) finish(null, found);
        },
        fail: (err: Error) => finish(err),
      };
      const finish = (err: Error | null, node?: string) => {
        this.waiters.delete(waiter);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(node!);
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiter.check();
    });
  }

  /** Names of the nodes behind the seed URLs (those learned so far), in seed order. */
  seedNodes(): string[] {
    const out = new Set<string>();
    for (const d of this.dialers.values()) if (d.seed && d.node !== null && !d.self) out.add(d.node);
    return [...out];
  }

  /**
   * Each seed URL other than our own: the node behind it (once learned), whether it is connected, and why the last
   * attempt to reach it failed (null when it did not). Join errors are built from this.
   */
  seedReport(): Array<{ url: string; node: string | null; connected: boolean; error: string | null }> {
    const out = [];
    for (const d of this.dialers.values()) {
      if (!d.seed || d.self) continue;
      out.push({ url: d.url, node: d.node, connected: d.node !== null && this.hasLinks(d.node), error: d.lastError });
    }
    return out;
  }

  /** Refuses a misbehaving peer: logs the reason and closes its links. It may connect again later. */
  dropPeer(node: string, reason: string): void {
    const p = this.peerMap.get(node);
    if (!p || p.links.length === 0) return;
    this.counters.rejected++;
    this.log.warn({ peer: node, reason }, 'dropping peer');
    p.redial = false;
    for (const l of [...p.links]) l.close(CloseCode.DROPPED, reason, true);
  }

  /** Closes the server and every link, clears every timer; resolves when all is closed. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): TransportStats {
    let links = 0;
    let queuedBytes = 0;
    for (const p of this.peerMap.values()) {
      links += p.links.length;
      queuedBytes += p.queue.bytes;
    }
    return { ...this.counters, links, queuedBytes };
  }

  /** Read-only, for node.stats(): each known peer node, its link state and heartbeat round trip. */
  peerStats(): PeerStats[] {
    const out: PeerStats[] = [];
    for (const p of this.peerMap.values()) {
      const link = this.newestUsable(p) ?? p.links[p.links.length - 1];
      out.push({
        node: p.name,
        state: p.links.length > 0 ? 'up' : this.handshaking(p.name) ? 'connecting' : 'down',
        links: p.links.length,
        address: link?.address ?? this.directory.url(p.name) ?? null,
        outbound: link?.outbound ?? null,
        upSinceMs: link && link.openedAt > 0 ? link.openedAt : null,
        rttMs: link?.rttMs ?? null,
        queuedBytes: p.queue.bytes,
        bufferedBytes: link?.bufferedAmount ?? 0,
      });
    }
    return out;
  }

  // ---- links ----

  private accept(ws: WebSocket, remoteAddress: string, certNames: string[] | null, authenticated: () => void): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const link = this.newLink(ws, false, null, remoteAddress);
    link.certNames = certNames;
    this.onAuthenticated.set(link, authenticated);
  }

  /** Logs a warning at most once per WARN_EVERY_MS for `kind`, with the count of those left out since. */
  private warnLimited(kind: string, fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    const w = this.warned.get(kind);
    if (w && now - w.at < WARN_EVERY_MS) {
      w.suppressed++;
      return;
    }
    this.log.warn({ ...fields, ...(w && w.suppressed > 0 ? { suppressed: w.suppressed } : {}) }, msg);
    this.warned.set(kind, { at: now, suppressed: 0 });
  }

  private newLink(ws: WebSocket, outbound: boolean, url: string | null, remoteAddress: string): PeerLink {
    const handshake = new Handshake(this.local, (n) => this.ownNonces.has(Buffer.from(n).toString('hex')), outbound);
    this.ownNonces.add(handshake.nonce.toString('hex'));
    const link = new PeerLink(
      ws,
      {
        outbound,
        url,
        remoteAddress,
        handshake,
        known: () => ({ list: this.directory.list(MAX_KNOWN), version: this.directory.version }),
        heartbeatMs: this.o.heartbeatMs,
        handshakeTimeoutMs: this.o.handshakeTimeoutMs,
        maxPayload: this.o.maxPayload,
        logger: this.log,
        warnLimited: (kind, fields, msg) => this.warnLimited(`link|${kind}`, fields, msg),
      },
      this.hooks,
    );
    this.pending.add(link);
    return link;
  }

  private admit(link: PeerLink, peer: PeerHello): Refusal | null {
    if (this.closed) return { code: ErrorCodes.CLOSED, reason: 'node is shutting down' };
    const cert = this.checkCertificate(link, peer.node);
    if (cert) return cert;
    const p = this.peerMap.get(peer.node);
    for (const l of p?.links ?? []) {
      if (l.address !== link.address) {
        return { code: ErrorCodes.INVALID_ARGUMENT, reason: `duplicate node name ${peer.node}: already connected at ${l.address}, this one is at ${link.address}` };
      }
    }
    return null;
  }

  /** With TLS the certificate is the identity: the name in the Hello must be one the certificate vouches for. */
  private checkCertificate(link: PeerLink, node: string): Refusal | null {
    if (!this.o.tls) return null;
    if (link.certNames === null) return { code: ErrorCodes.AUTH, reason: 'no TLS certificate from the peer (this node requires mutual TLS)' };
    if (!link.certNames.includes(node)) {
      return { code: ErrorCodes.AUTH, reason: `the peer's certificate names ${JSON.stringify(link.certNames.slice(0, 4))}, not ${node}` };
    }
    return null;
  }

  private onOpened(link: PeerLink): void {
    this.pending.delete(link);
    this.onAuthenticated.get(link)?.();
    this.onAuthenticated.delete(link);
    this.ownNonces.delete(link.nonce);
    const versionBefore = this.directory.version;
    const peer = link.peer!;
    const name = peer.node;
    const p = this.peerOf(name);
    p.links.push(link);
    p.redial = false;
    const d = this.dialOf.get(link);
    this.dialOf.delete(link);
    if (d) {
      d.attemptOpened();
      if (d.node !== name && !d.seed && d.node !== null) this.log.info({ url: d.url, expected: d.node, peer: name }, 'URL leads to another node');
      d.node = name;
    }
    // A seed may also be connected through the link it opened to us.
    const seed = peer.url ? this.dialers.get(peer.url) : undefined;
    if (seed?.seed) seed.node = name;
    this.dialerFor(name, false)?.connected();

    const { changed, removed } = this.directory.learnDirect({ node: name, url: peer.url, epoch: peer.epoch });
    for (const r of removed) this.forgetRoute(r);
    const news = this.directory.learnHearsay(peer.known, (n) => this.hasLinks(n));
    if (changed) news.unshift({ node: name, url: peer.url, epoch: peer.epoch });

    // What we learned while this link was in its handshake, which our Hello could not carry.
    if (link.helloVersion !== versionBefore) link.send(encodeDirectory(this.directory.list(MAX_KNOWN)));
    this.flush(p, link);
    if (!link.sealed && !this.o.tls) {
      this.log.warn({ peer: name, remote: link.remoteAddress, outbound: link.outbound }, 'insecure link: the peer is not authenticated and frames are not protected');
    }
    if (!p.up) {
      p.up = true;
      this.log.info({ peer: name, url: peer.url || undefined, outbound: link.outbound }, 'peer up');
      this.emitSafe('peerUp', name);
    }
    this.checkWaiters();
    if (this.closed) return; // by a listener
    if (news.length > 0) this.gossip(news, name);
    if (p.links.length > 1 && this.node < name) this.scheduleDedup(p);
  }

  private onFrame(link: PeerLink, bytes: Uint8Array): void {
    this.counters.framesIn++;
    this.counters.bytesIn += bytes.byteLength;
    this.emitSafe('frame', link.peer!.node, bytes);
  }

  private onDirectory(link: PeerLink, known: NodeAddr[]): void {
    const news = this.directory.learnHearsay(known, (n) => this.hasLinks(n));
    if (news.length > 0) this.gossip(news, link.peer!.node);
  }

  private onClosed(link: PeerLink, info: LinkClosed): void {
    this.pending.delete(link);
    this.onAuthenticated.delete(link);
    this.ownNonces.delete(link.nonce);
    const d = this.dialOf.get(link);
    this.dialOf.delete(link);
    if (!info.wasOpen) {
      // Frames queued for the node this handshake claimed to be, which has no other route: dropped.
      const claimed = link.claimedNode;
      if (claimed !== null && !this.handshaking(claimed) && !this.hasLinks(claimed)) {
        const cd = this.dialerFor(claimed, false);
        if (cd) cd.kick();
        else this.forgetRoute(claimed);
      }
      if (d && info.self) {
        this.log.info({ url: d.url }, 'seed URL leads to this node itself: not dialing it again');
        d.markSelf();
      } else if (d) {
        this.log.debug({ url: d.url, reason: info.reason }, 'dial failed');
        d.attemptFailed(info.reason);
      }
      return;
    }
    const name = link.peer!.node;
    const p = this.peerMap.get(name);
    if (!p) return;
    const i = p.links.indexOf(link);
    if (i >= 0) p.links.splice(i, 1);
    if (p.links.length > 0) {
      this.log.debug({ peer: name, reason: info.reason }, 'redundant link closed');
      return;
    }
    if (p.dedup) clearTimeout(p.dedup);
    p.dedup = null;
    if (p.up) {
      p.up = false;
      this.log.info({ peer: name, reason: info.reason }, 'peer down');
      this.emitSafe('peerDown', name, info.reason);
    }
    if (this.closed) return;
    const intentional = info.byUs && (info.code === CloseCode.DROPPED || info.code === CloseCode.SUPERSEDED);
    const dd = this.dialerFor(name);
    if (!intentional && dd) p.redial = true;
    if (dd) dd.linkLost();
    this.cleanup(p);
  }

  /** The newest link that can take a frame. */
  private newestUsable(p: Peer): PeerLink | undefined {
    for (let i = p.links.length - 1; i >= 0; i--) if (p.links[i]!.usable) return p.links[i];
    return undefined;
  }

  private write(link: PeerLink, bytes: Uint8Array): boolean {
    if (link.bufferedAmount + bytes.byteLength + ITEM_OVERHEAD > this.o.maxQueuedBytesPerPeer) return false;
    link.send(bytes);
    this.counters.framesOut++;
    this.counters.bytesOut += bytes.byteLength;
    return true;
  }

  private drop(): false {
    this.counters.dropped++;
    return false;
  }

  private flush(p: Peer, link: PeerLink): void {
    for (let m = p.queue.shift(); m !== undefined; m = p.queue.shift()) {
      if (!this.write(link, m)) this.counters.dropped++;
    }
  }

  /** Tells every other connected peer about directory news. */
  private gossip(news: NodeAddr[], from: string): void {
    const bytes = encodeDirectory(news.slice(0, MAX_KNOWN));
    for (const p of this.peerMap.values()) {
      if (p.name === from) continue;
      const l = this.newestUsable(p);
      if (l && l.bufferedAmount + bytes.byteLength <= this.o.maxQueuedBytesPerPeer) l.send(bytes);
    }
  }

  /** On the node with the smaller name: closes all but the newest link to `p`, after a grace period. */
  private scheduleDedup(p: Peer): void {
    if (p.dedup) return;
    p.dedup = setTimeout(() => {
      p.dedup = null;
      const keep = this.newestUsable(p);
      if (!keep) return;
      for (const l of p.links) {
        if (l !== keep && l.usable) {
          this.log.debug({ peer: p.name }, 'closing a redundant link');
          l.close(CloseCode.SUPERSEDED, 'superseded by a newer link');
        }
      }
    }, this.o.heartbeatMs);
  }

  // ---- peers, routes and dialing ----

  private peerOf(name: string): Peer {
    let p = this.peerMap.get(name);
    if (!p) {
      p = { name, links: [], queue: new ByteQueue(this.o.maxQueuedBytesPerPeer), redial: false, up: false, dedup: null };
      this.peerMap.set(name, p);
    }
    return p;
  }

  /** Whether a link in its handshake claims to lead to `node`. */
  private handshaking(node: string): boolean {
    for (const l of this.pending) if (l.claimedNode === node) return true;
    return false;
  }

  private hasLinks(node: string): boolean {
    return (this.peerMap.get(node)?.links.length ?? 0) > 0;
  }

  private hasUsable(node: string): boolean {
    const p = this.peerMap.get(node);
    return p !== undefined && this.newestUsable(p) !== undefined;
  }

  /** Forgets a peer that has nothing left: no link, no queue, nothing to redial. */
  private cleanup(p: Peer): void {
    if (p.links.length > 0 || p.queue.length > 0 || p.redial || p.up) return;
    this.peerMap.delete(p.name);
    for (const [url, d] of this.dialers) {
      if (!d.seed && d.node === p.name) {
        d.close();
        this.dialers.delete(url);
      }
    }
  }

  /** `node` has no known URL any more: drop what waits for it. */
  private forgetRoute(node: string): void {
    const p = this.peerMap.get(node);
    if (!p || p.links.length > 0) return;
    this.counters.dropped += p.queue.clear();
    p.redial = false;
    this.cleanup(p);
  }

  /** The dialer that reaches `node`: its seed's, or one for its directory URL (created if `create`). */
  private dialerFor(node: string, create = true): Dialer | null {
    for (const d of this.dialers.values()) if (d.seed && d.node === node && !d.self) return d;
    const url = this.directory.url(node);
    if (url === undefined) return null;
    let d = this.dialers.get(url);
    if (!d) {
      if (!create) return null;
      d = this.newDialer(url, false, node);
    }
    if (d.node === null) d.node = node;
    return d.self ? null : d;
  }

  private newDialer(url: string, seed: boolean, node: string | null): Dialer {
    const { minMs, maxMs, giveUpMs } = this.o.reconnect;
    const d = new Dialer(url, seed, node, { minMs, maxMs, giveUpMs, stableMs: Math.max(2000, 3 * this.o.heartbeatMs) }, {
      wanted: (x) => this.wanted(x),
      dial: (x) => this.dial(x),
      giveUp: (x) => this.giveUp(x),
    });
    this.dialers.set(url, d);
    return d;
  }

  private wanted(d: Dialer): boolean {
    if (this.closed || d.self) return false;
    if (d.node !== null && this.hasUsable(d.node)) return false;
    if (d.seed) return true;
    if (d.node === null || this.directory.url(d.node) !== d.url) return false;
    const p = this.peerMap.get(d.node);
    return p !== undefined && (p.queue.length > 0 || p.redial);
  }

  private dial(d: Dialer): void {
    let ws: WebSocket;
    try {
      const tls = this.o.tls;
      ws = new WebSocket(d.url, {
        maxPayload: this.o.maxPayload + TAG_BYTES,
        perMessageDeflate: false,
        handshakeTimeout: this.o.handshakeTimeoutMs,
        followRedirects: false,
        ...(this.o.key || tls ? { generateMask: zeroMask } : {}),
        ...(this.o.localAddress ? { localAddress: this.o.localAddress } : {}),
        // Mutual TLS: our certificate, the peer's checked against the CA. The host name in the URL is not checked
        // (peers are often dialed by IP address): the certificate must name the node instead (admit()).
        ...(tls ? { cert: tls.cert, key: tls.key, ca: tls.ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : {}),
      });
    } catch (err) {
      this.log.warn({ url: d.url, err: (err as Error).message }, 'cannot dial');
      d.attemptFailed((err as Error).message);
      return;
    }
    let host = d.url;
    try {
      host = new URL(d.url).hostname;
    } catch {
      // keep the URL
    }
    const link = this.newLink(ws, true, d.url, host);
    this.dialOf.set(link, d);
    if (this.o.tls) {
      ws.once('upgrade', (res) => {
        const sock = res.socket as TLSSocket;
        link.certNames = typeof sock.getPeerCertificate === 'function' ? certificateNames(sock.getPeerCertificate()) : null;
      });
    }
  }

  private giveUp(d: Dialer): void {
    this.log.warn({ url: d.url, peer: d.node ?? undefined, afterMs: this.o.reconnect.giveUpMs }, 'node unreachable: giving up dialing it');
    d.close();
    this.dialers.delete(d.url);
    const p = d.node === null ? undefined : this.peerMap.get(d.node);
    if (p && p.links.length === 0) {
      this.counters.dropped += p.queue.clear();
      p.redial = false;
      this.cleanup(p);
    }
  }

  // ---- events and shutdown ----

  private emitSafe<E extends keyof TransportEvents>(event: E, ...args: Parameters<TransportEvents[E]>): void {
    try {
      (this.emit as (e: E, ...a: Parameters<TransportEvents[E]>) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'a transport event listener threw');
    }
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) w.check();
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.log.info('transport closing');
    for (const d of this.dialers.values()) d.close();
    const links = [...this.pending];
    for (const p of this.peerMap.values()) {
      if (p.dedup) clearTimeout(p.dedup);
      p.dedup = null;
      links.push(...p.links);
    }
    for (const l of links) l.close(CloseCode.GOING_AWAY, 'node shutting down');
    for (const w of [...this.waiters]) w.fail(new VsyncError(ErrorCodes.CLOSED, 'transport closed'));
    await Promise.all(links.map((l) => l.whenClosed));
    if (this.server) await this.server.close();
    for (const p of this.peerMap.values()) this.counters.dropped += p.queue.clear();
    this.peerMap.clear();
    this.dialers.clear();
    this.dialOf.clear();
    this.log.info('transport closed');
  }
}
