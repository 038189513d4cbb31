/** Validation of Node.start's options and of join's: everything is checked before anything is opened. */
import type { JoinOptions, NodeOptions } from './node.js';
import {
  coreConfig, groupName, integer, invalid, nodeName, optionalBoolean, optionalFunction, optionalInteger, optionalSignal,
  optionalDeliveryKind, optionalString, optionsObject,
} from './validate.js';

const MiB = 1024 * 1024;
/** Room for envelopes and per-message headers around a frame's payload bytes. */
const FRAME_SLACK = 64 * 1024;

function isWsUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Checks the options this module knows. Options added by other parts (TLS, HTTP) are checked where they are
 * used; unknown keys are not refused, so that a newer caller's options reach an older library harmlessly.
 */
export function validateNodeOptions(v: unknown): void {
  if (v === undefined) throw invalid('options must be an object with at least `name`');
  const o = optionsObject(v, 'options') as Partial<NodeOptions> & { signal?: unknown };
  nodeName(o.name, 'options.name');
  if (o.cluster !== undefined) groupName(o.cluster, 'options.cluster');
  if (o.listen !== undefined) {
    const l = optionsObject(o.listen, 'options.listen');
    if (typeof l['host'] !== 'string') throw invalid(`options.listen.host must be a string, got ${String(l['host'])}`);
    integer(l['port'], 'options.listen.port', 0, 65535);
  }
  if (o.advertise !== undefined && !isWsUrl(o.advertise)) throw invalid(`options.advertise must be a ws:// or wss:// URL, got ${JSON.stringify(o.advertise)}`);
  if (o.seeds !== undefined) {
    if (!Array.isArray(o.seeds)) throw invalid('options.seeds must be an array of ws:// or wss:// URLs');
    o.seeds.forEach((s, i) => {
      if (!isWsUrl(s)) throw invalid(`options.seeds[${i}] must be a ws:// or wss:// URL, got ${JSON.stringify(s)}`);
    });
  }
  if (o.secret !== undefined) {
    if (typeof o.secret !== 'string' && !((o.secret as unknown) instanceof Uint8Array)) throw invalid('options.secret must be a string or a Uint8Array');
    if ((o.secret as string | Uint8Array).length === 0) throw invalid('options.secret is empty');
  }
  if (o.logger !== undefined) {
    const l = o.logger as unknown as Record<string, unknown> | null;
    if (l === null || typeof l !== 'object' || typeof l['child'] !== 'function' || typeof l['warn'] !== 'function') {
      throw invalid('options.logger must be a pino logger');
    }
  }
  optionalString(o.trace, 'options.trace');
  if (o.trace === '') throw invalid('options.trace must be a folder path, got ""');
  optionalInteger(o.tickMs, 'options.tickMs', 1, 60_000);
  optionalInteger(o.maxFrameBytes, 'options.maxFrameBytes', 64 * 1024, 1024 * MiB);
  const cfg = coreConfig(o.config, 'options.config');
  // A frame larger than the websocket limit is dropped by the transport, and the group then stalls on it
  // (resent forever, never received): refuse the combination up front.
  const wsMax = o.maxFrameBytes ?? 16 * MiB;
  const largest = Math.max(cfg.maxFrameBytes, cfg.maxPayloadBytes);
  if (2 * largest + FRAME_SLACK > wsMax) {
    throw invalid(
      `options.maxFrameBytes (${wsMax}) must be at least twice the larger of options.config.maxFrameBytes and ` +
        `options.config.maxPayloadBytes (${largest}) plus ${FRAME_SLACK}: frames carry per-message headers`,
    );
  }
  optionalBoolean(o.insecure, 'options.insecure');
  optionalBoolean(o.merge, 'options.merge');
  // An `http` that is not an object would otherwise start the endpoint on its defaults, unasked for.
  if (o.http !== undefined) optionsObject(o.http, 'options.http');
  formationOptions(o, 'options');
  optionalSignal(o.signal, 'options.signal');
}

/** Checked here, at the call that takes them, rather than at a later join that would name the wrong call. */
function formationOptions(o: { bootstrapExpect?: unknown; joinTimeoutMs?: unknown }, name: string): void {
  optionalInteger(o.bootstrapExpect, `${name}.bootstrapExpect`, 0, 1024);
  optionalInteger(o.joinTimeoutMs, `${name}.joinTimeoutMs`, 0);
}

export function validateJoin(group: unknown, v: unknown): void {
  groupName(group, 'group');
  // Reserved for the nodes' own formation messages (node-formation.ts): refused here, in the words of the others.
  if ((group as string).startsWith('$vsync')) throw invalid(`group must not start with '$vsync' (reserved), got ${JSON.stringify(group)}`);
  const o = optionsObject(v, 'options') as Partial<Record<keyof JoinOptions, unknown>>;
  optionalSignal(o.signal, 'options.signal');
  optionalBoolean(o.found, 'options.found');
  optionalBoolean(o.rejoin, 'options.rejoin');
  optionalInteger(o.readerBuffer, 'options.readerBuffer', 1, 100_000_000);
  optionalInteger(o.maxWaitingSends, 'options.maxWaitingSends', 1, 100_000_000);
  optionalDeliveryKind(o.delivery, 'options.delivery');
  optionalFunction(o.getState, 'options.getState');
  optionalFunction(o.setState, 'options.setState');
  optionalFunction(o.digest, 'options.digest');
  formationOptions(o, 'options');
  if ((o.getState === undefined) !== (o.setState === undefined)) throw invalid('options.getState and options.setState go together');
}
