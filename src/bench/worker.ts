/**
 * A bench worker process: a raw-`ws` mesh node, a member of the bare batched sequencer (seq-baseline.ts), or a vsync
 * member, driven by the bench parent over stdin/stdout
 * JSON lines (see protocol.ts). Spawned as `node dist/bench/worker.js`.
 *
 * Payloads: bytes 0..7 the sender's send time on the monoNow() clock (float64, ms), 8..11 the sender's message counter,
 * 12..15 the sender's worker index; the rest zeros. Receivers compute the latency from the first 8 bytes.
 */
import { performance as perf } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pino, type Logger } from 'pino';
import WebSocket, { WebSocketServer } from 'ws';
import { type Group, Node } from '../index.js';
import { zeroMask } from '../net/transport.js';
import { BlockDigest } from './digest.js';
import { Histogram } from './histogram.js';
import { type LinkSeal, linkSeal, memberOfUrl } from './sealed-links.js';
import { BatchingSequencer, SubmissionBatcher, decodeBatch, decodeSubmissions } from './seq-baseline.js';
import { StallMonitor } from './stalls.js';
import type { HistogramData } from './histogram.js';
import { type Command, type StartReply, type StatusReply, type WindowReply, type WorkerEvent, type WorkerMode, monoNow, wallNow } from './protocol.js';

export const MIN_PAYLOAD = 16;

/** Process start on the monoNow() clock. */
const tProcess = monoNow() - performance.now();

function write(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function emitEvent(e: WorkerEvent): void {
  write(e);
}

// ---- delivery accounting -------------------------------------------------------------------------------------

const histSelf = new Histogram();
const histOthers = new Histogram();
const digest = new BlockDigest();
let delivered = 0;
let deliveredBytes = 0;
let received = 0;
let lastSeq = 0;

const scratch = new Float64Array(1);
const scratchU8 = new Uint8Array(scratch.buffer);

function sendTimeOf(p: Uint8Array): number {
  for (let i = 0; i < 8; i++) scratchU8[i] = p[i]!;
  return scratch[0]!;
}

function onDelivery(p: Uint8Array, own: boolean): void {
  const lat = (monoNow() - sendTimeOf(p)) * 1000;
  delivered++;
  deliveredBytes += p.byteLength;
  if (own) histSelf.record(lat);
  else {
    received++;
    histOthers.record(lat);
  }
}

// ---- sending -------------------------------------------------------------------------------------------------

let mode: WorkerMode | null = null;
let index = 0;
let counter = 0;
let sent = 0;
let completed = 0;
let failed = 0;
let skipped = 0;
let outstanding = 0;
let lastError: string | null = null;
let running = false;
let loadGen = 0;
let pacer: NodeJS.Timeout | null = null;
let pumpScheduled = false;
let load = { rate: 0, bytes: 1024, window: 2000 };
/** The options of every vsync send of the current load (its delivery kind). */
let sendOpts: { delivery?: 'safe' | 'agreed' | 'fifo' } = {};
/** Rate-paced sends are skipped while this many are outstanding (the bench's own memory bound). */
const MAX_OUTSTANDING_PACED = 50_000;

function makePayload(bytes: number): Uint8Array {
  const p = Buffer.alloc(Math.max(MIN_PAYLOAD, bytes));
  counter++;
  p.writeUInt32LE(counter >>> 0, 8);
  p.writeUInt32LE(index, 12);
  p.writeDoubleLE(monoNow(), 0);
  return p;
}

// vsync
let node: Node | null = null;
let group: Group | null = null;
/** Application state, for members started with `stateBytes` (state transfer hands it to joiners). */
let appState: Uint8Array = new Uint8Array(0);
let stateReceived: number | null = null;

function makeState(bytes: number): Uint8Array {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4096) b[i] = (i / 4096) & 0xff;
  return b;
}

function sendVsync(): void {
  const p = makePayload(load.bytes);
  sent++;
  outstanding++;
  group!.send(p, sendOpts).then(
    () => {
      outstanding--;
      completed++;
      if (running && load.rate === 0) schedulePump();
    },
    (err: Error) => {
      outstanding--;
      failed++;
      lastError = err.message;
      if (running && load.rate === 0) schedulePump();
    },
  );
}

/**
 * Investigation hook, off by default: VSYNC_BENCH_LOG=<pino level> gives the node a logger on stderr (worker-handle
 * keeps its tail), or with VSYNC_BENCH_LOG_DIR=<dir> in a file per worker process (<dir>/<name>-<pid>.log).
 */
function benchLogger(name: string): Logger | undefined {
  const level = process.env['VSYNC_BENCH_LOG'];
  if (!level) return undefined;
  const dir = process.env['VSYNC_BENCH_LOG_DIR'];
  return pino({ level }, pino.destination(dir ? { dest: `${dir}/${name}-${process.pid}.log`, mkdir: true } : 2));
}

// ws mesh
let wss: WebSocketServer | null = null;
/** The cluster secret of bench nodes (frames protected), unless a case asks for an insecure baseline. */
const BENCH_SECRET = 'bench-secret';

interface Conn {
  ws: WebSocket;
  outstanding: number;
  /** The bare sequencer's frame protection on this link (`sealed`), or null. */
  seal: LinkSeal | null;
}
/** Bare sequencer with sealed links (start's `sealed`). */
let sealed = false;

/** A frame for `c`: sealed when the link is. */
const out = (c: Conn, frame: Buffer): Buffer => (c.seal ? c.seal.seal(frame) : frame);
const conns: Conn[] = [];
let meshWaiter: (() => void) | null = null;
let meshExpect = 0;

function addConn(ws: WebSocket, seal: LinkSeal | null = null): void {
  ws.binaryType = 'nodebuffer';
  const c: Conn = { ws, outstanding: 0, seal };
  ws.on('message', (frame: Buffer) => {
    const data = seal ? seal.open(frame) : frame;
    if (data === null) {
      lastError = 'a sealed frame did not open';
      ws.terminate();
      return;
    }
    if (echo) {
      ws.send(data, { binary: true, compress: false });
      return;
    }
    if (pinging) {
      pingHist.record((monoNow() - sendTimeOf(data)) * 1000);
      return;
    }
    if (mode === 'seq') {
      if (sequencer) decodeSubmissions(data, (p) => sequencer!.submit(senderIndexOf(p), p));
      else decodeBatch(data, deliverSeq);
      return;
    }
    wsDigest(data).add(data.readUInt32LE(8), 'w', data);
    onDelivery(data, false);
  });
  ws.on('error', (err) => {
    lastError = err.message;
  });
  ws.on('close', () => {
    const i = conns.indexOf(c);
    if (i >= 0) conns.splice(i, 1);
  });
  conns.push(c);
  if (meshWaiter && conns.length >= meshExpect) meshWaiter();
}

/**
 * ws mode hashes every delivery too (per sender, keyed by the sender's counter), so the baseline does the same
 * per-delivery work as a vsync member; its gap count doubles as a FIFO check of the mesh.
 */
const wsDigests = new Map<number, BlockDigest>();
let wsFullEvery = 16;
function wsDigest(p: Uint8Array): BlockDigest {
  const idx = p[12]! | (p[13]! << 8) | (p[14]! << 16) | (p[15]! << 24);
  let d = wsDigests.get(idx);
  if (!d) wsDigests.set(idx, (d = new BlockDigest(1024, wsFullEvery)));
  return d;
}

const senderIndexOf = (p: Uint8Array): number => p[12]! | (p[13]! << 8) | (p[14]! << 16) | (p[15]! << 24);

// ---- the bare batched sequencer (mode 'seq'): worker 0 orders, the others dial it ----------------------------

let sequencer: BatchingSequencer | null = null;
/** Members: a turn's payloads go to the sequencer in one message. */
const toSequencer = new SubmissionBatcher((msg) => {
  if (conns[0]) conns[0].ws.send(out(conns[0], msg), { binary: true, compress: false });
});
const seqNames: string[] = [];
const seqName = (i: number): string => (seqNames[i] ??= `s${i}`);

/** One ordered delivery; own messages leave the send window here (as a vsync send() resolves on delivery). */
function deliverSeq(seq: number, sender: number, payload: Uint8Array): void {
  lastSeq = seq;
  digest.add(seq, seqName(sender), payload);
  const own = sender === index;
  onDelivery(payload, own);
  if (own) {
    outstanding--;
    completed++;
    if (running && load.rate === 0) schedulePump();
  }
}

function sendSeq(): void {
  const p = makePayload(load.bytes);
  sent++;
  outstanding++;
  if (sequencer) sequencer.submit(index, p);
  else if (conns[0]) toSequencer.submit(p);
  else {
    outstanding--;
    failed++;
    lastError = 'no connection to the sequencer';
  }
}

// ---- the latency floor: a paced ws ping-pong between two workers ---------------------------------------------

let echo = false;
let pinging = false;
const pingHist = new Histogram();

/** Sends `bytes`-byte pings at `rate`/s for `ms` to the one connected peer (which echoes); the round trips, µs. */
async function pingPong(rate: number, bytes: number, ms: number): Promise<HistogramData> {
  const c = conns[0];
  if (!c) throw new Error('ping-pong: no connection');
  pingHist.reset();
  pinging = true;
  const t0 = performance.now();
  let done = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const el = performance.now() - t0;
      if (el >= ms) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor((el * rate) / 1000);
      while (done < due) {
        done++;
        c.ws.send(makePayload(bytes), { binary: true, compress: false });
      }
    }, 1);
  });
  await new Promise((r) => setTimeout(r, 200)); // the last replies
  pinging = false;
  return pingHist.toJSON();
}

function maxConnOutstanding(): number {
  let m = 0;
  for (const c of conns) if (c.outstanding > m) m = c.outstanding;
  return m;
}

function sendWs(): void {
  const p = makePayload(load.bytes);
  sent++;
  for (const c of conns) {
    c.outstanding++;
    outstanding++;
    c.ws.send(p, { binary: true, compress: false }, (err) => {
      c.outstanding--;
      outstanding--;
      if (err) {
        failed++;
        lastError = err.message;
      }
      if (running && load.rate === 0) schedulePump();
    });
  }
  // Self delivery (no network, no ordering), counted so that deliveries mean the same as in vsync.
  wsDigest(p).add(counter, 'w', p);
  onDelivery(p, true);
}

function windowFull(): boolean {
  return mode === 'ws' ? maxConnOutstanding() >= load.window : outstanding >= load.window;
}

function sendOne(): void {
  if (mode === 'ws') sendWs();
  else if (mode === 'seq') sendSeq();
  else sendVsync();
}

function schedulePump(): void {
  if (pumpScheduled) return;
  pumpScheduled = true;
  setImmediate(pump);
}

/** Closed loop: keeps `window` sends outstanding; a bounded burst per turn of the event loop. */
function pump(): void {
  pumpScheduled = false;
  if (!running) return;
  let burst = 0;
  while (running && !windowFull() && burst < 256) {
    sendOne();
    burst++;
  }
  if (burst === 256) schedulePump();
}

function startLoad(rate: number, bytes: number, window: number): void {
  stopLoad();
  load = { rate, bytes, window };
  running = true;
  const gen = ++loadGen;
  if (rate === 0) {
    schedulePump();
    return;
  }
  const t0 = performance.now();
  let done = 0;
  const tick = (): void => {
    if (!running || gen !== loadGen) return;
    const due = Math.floor(((performance.now() - t0) * rate) / 1000);
    let n = Math.min(due - done, Math.max(64, Math.ceil(rate / 100)));
    while (n-- > 0) {
      done++;
      if (outstanding >= MAX_OUTSTANDING_PACED || (mode === 'ws' && maxConnOutstanding() >= load.window)) skipped++;
      else sendOne();
    }
  };
  pacer = setInterval(tick, 1);
}

function stopLoad(): void {
  running = false;
  loadGen++;
  if (pacer) clearInterval(pacer);
  pacer = null;
}

// ---- commands ------------------------------------------------------------------------------------------------

function status(): StatusReply {
  const v = group?.currentView ?? null;
  return {
    sent, completed, failed, skipped, outstanding, delivered, received, lastSeq,
    viewId: v?.id ?? 0,
    members: v ? [...v.members] : [],
    memberId: group?.memberId ?? null,
    lastError,
  };
}

async function start(c: Extract<Command, { cmd: 'start' }>): Promise<StartReply> {
  mode = c.mode;
  index = c.index;
  sealed = c.mode === 'seq' && c.sealed === true;
  const tStartCmd = monoNow();
  if (c.mode === 'seq' && c.index === 0) {
    const multicast = (batch: Buffer): void => {
      for (const x of conns) x.ws.send(out(x, batch), { binary: true, compress: false });
    };
    // Sealed, the batch is sealed and sent after the sequencer's own deliveries of it (the rest of this call), as
    // vsync seals a turn's frames after its handlers (peer-link.ts): its own delivery does not wait for the seals.
    sequencer = new BatchingSequencer(sealed ? (batch) => process.nextTick(multicast, batch) : multicast, deliverSeq);
  }
  if (c.mode === 'ws' || c.mode === 'seq') {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    wss = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.on('connection', (ws, req) => {
      if (!sealed) return addConn(ws);
      const member = memberOfUrl(req.url);
      if (member === null) ws.terminate();
      else addConn(ws, linkSeal(member, 'sequencer'));
    });
    const addr = server.address() as { port: number };
    const t = monoNow();
    return { url: `ws://127.0.0.1:${addr.port}`, memberId: null, pid: process.pid, wallMinusMono: wallNow() - monoNow(), tProcess, tStartCmd, tNodeStarted: t, tJoined: t, viewId: 0, members: [], stateReceived: null };
  }
  const n = await Node.start({ name: c.name, listen: { host: c.host ?? '127.0.0.1', port: 0 }, seeds: c.seeds ?? [], logger: benchLogger(c.name), ...(c.insecure ? { insecure: true } : { secret: BENCH_SECRET }) });
  node = n;
  const tNodeStarted = monoNow();
  const stateful = c.stateBytes !== undefined;
  if (stateful) appState = makeState(c.stateBytes!);
  const hooks = stateful
    ? {
        getState: (): Uint8Array => appState,
        setState: (st: Uint8Array): void => {
          appState = st;
          stateReceived = st.byteLength;
        },
      }
    : {};
  const g = await n.join(c.group ?? 'bench', { signal: AbortSignal.timeout(60_000), ...hooks });
  const tJoined = monoNow();
  group = g;
  g.on('message', (m) => {
    lastSeq = m.seq;
    digest.add(m.seq, m.sender, m.payload);
    onDelivery(m.payload, m.sender === g.memberId);
  });
  g.on('view', (v) => emitEvent({ ev: 'view', t: monoNow(), id: v.id, members: [...v.members], me: g.memberId }));
  g.on('block', () => emitEvent({ ev: 'block', t: monoNow() }));
  g.on('unblock', () => emitEvent({ ev: 'unblock', t: monoNow() }));
  g.on('excluded', (e) => emitEvent({ ev: 'excluded', t: monoNow(), member: e.member, rejoining: e.rejoining }));
  g.on('minority', () => emitEvent({ ev: 'minority', t: monoNow() }));
  const v = g.currentView!;
  return { url: n.url!, memberId: g.memberId, pid: process.pid, wallMinusMono: wallNow() - monoNow(), tProcess, tStartCmd, tNodeStarted, tJoined, viewId: v.id, members: [...v.members], stateReceived };
}

async function mesh(dial: string[], expect: number): Promise<{ connections: number }> {
  meshExpect = expect;
  const ready = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`mesh: ${conns.length}/${expect} connections after 15 s`)), 15_000);
    meshWaiter = () => {
      clearTimeout(t);
      meshWaiter = null;
      resolve();
    };
    if (conns.length >= expect) meshWaiter();
  });
  for (const url of dial) {
    // Sealed links name their member (keys per link) and mask with a zero key, as vsync's protected links do.
    const ws = new WebSocket(sealed ? `${url}/?member=${index}` : url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, ...(sealed ? { generateMask: zeroMask } : {}) });
    ws.once('open', () => addConn(ws, sealed ? linkSeal(index, 'member') : null));
    ws.once('error', (err) => {
      lastError = err.message;
    });
  }
  await ready;
  return { connections: conns.length };
}

const stalls = new StallMonitor();

function windowCmd(ms: number, resetHist: boolean): Promise<WindowReply> {
  if (resetHist) {
    histSelf.reset();
    histOthers.reset();
  }
  const d0 = delivered;
  const b0 = deliveredBytes;
  const r0 = received;
  const s0 = sent;
  const cpu0 = process.cpuUsage();
  const elu0 = perf.eventLoopUtilization();
  stalls.reset();
  const hrFromUs = Number(process.hrtime.bigint() / 1000n);
  const t0 = performance.now();
  return new Promise((resolve) => {
    setTimeout(() => {
      const cpu = process.cpuUsage(cpu0);
      const st = stalls.report();
      resolve({
        ms: performance.now() - t0,
        deliveries: delivered - d0,
        bytes: deliveredBytes - b0,
        received: received - r0,
        sent: sent - s0,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        rss: process.memoryUsage.rss(),
        elu: perf.eventLoopUtilization(elu0).utilization,
        loopDelayMaxMs: st.loopDelay.max,
        loopDelay: st.loopDelay,
        gc: st.gc,
        hrFromUs,
        hrToUs: Number(process.hrtime.bigint() / 1000n),
      });
    }, ms);
  });
}

async function exitCmd(): Promise<void> {
  stopLoad();
  if (group) await group.leave({ signal: AbortSignal.timeout(2000) }).catch(() => {});
  if (node) await node.close().catch(() => {});
  for (const c of conns) c.ws.terminate();
  if (wss) await new Promise<void>((r) => wss!.close(() => r()));
}

async function handle(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'start':
      return start(c);
    case 'mesh':
      return mesh(c.dial, c.expect);
    case 'state':
      appState = makeState(c.bytes);
      return {};
    case 'echo':
      echo = c.on;
      return {};
    case 'pingpong':
      return pingPong(c.rate, c.bytes, c.ms);
    case 'load':
      sendOpts = c.delivery === undefined ? {} : { delivery: c.delivery };
      startLoad(c.rate, c.bytes, c.window);
      return {};
    case 'stop':
      stopLoad();
      return status();
    case 'status':
      return status();
    case 'window':
      return windowCmd(c.ms, c.resetHist === true);
    case 'hist': {
      const r = { self: histSelf.toJSON(), others: histOthers.toJSON() };
      if (c.reset) {
        histSelf.reset();
        histOthers.reset();
      }
      return r;
    }
    case 'digest': {
      if (mode === 'ws') {
        // No total order to compare: report the per-sender FIFO gaps only.
        let gaps = 0;
        let deliveries = 0;
        for (const d of wsDigests.values()) {
          const x = d.report();
          gaps += x.gaps;
          deliveries += x.deliveries;
        }
        if (c.reset) {
          wsDigests.clear();
          if (c.fullEvery) wsFullEvery = c.fullEvery;
        }
        return { first: 0, last: 0, deliveries, gaps, blocks: [] };
      }
      const r = digest.report();
      if (c.reset) digest.reset(c.blockSize, c.fullEvery);
      return r;
    }
    case 'mem': {
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
    }
    case 'exit':
      await exitCmd();
      return {};
    default:
      throw new Error(`unknown command ${(c as { cmd: string }).cmd}`);
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let c: Command & { id: number };
  try {
    c = JSON.parse(line) as Command & { id: number };
  } catch {
    return;
  }
  handle(c).then(
    (r) => {
      write({ id: c.id, ok: true, r });
      if (c.cmd === 'exit') setImmediate(() => process.exit(0));
    },
    (err: Error) => write({ id: c.id, ok: false, error: err.message }),
  );
});
// The parent is gone: do not linger.
rl.on('close', () => process.exit(0));
process.on('uncaughtException', (err) => {
  emitEvent({ ev: 'error', t: monoNow(), message: err.stack ?? err.message });
  process.exit(1);
});
