/**
 * Node-to-node messages of group formation (bootstrap.ts): probes and status reports, the founding proposal of
 * `bootstrapExpect`, and group identity gossip. They ride in ordinary envelopes of a reserved group name (no user
 * group may take it), as the data of a `stateChunk` body, JSON-encoded: the wire format (proto/) and the link handshake
 * stay as they are. Decoding trusts nothing: anything malformed or out of bounds decodes to null.
 */
import type { Frame } from '../core/index.js';

/** The reserved group name of formation messages; user group names may not start with '$vsync'. */
export const CONTROL_GROUP = '$vsync/form';
/** Largest encoded formation message, in bytes. */
export const MAX_CONTROL_BYTES = 128 * 1024;
/** Most member ids or node names in one message. */
export const MAX_LIST = 1024;
const MAX_TEXT = 256;

/**
 * What a node says about one group: `none` (it wants the group but found none yet), `forming` (it has promised its
 * place to a founding proposal), `member` (it runs an instance of the group: `gid`, `members` and `view` describe it).
 */
export type GroupState = 'none' | 'forming' | 'member';

export interface StatusMsg {
  k: 'status';
  g: string;
  st: GroupState;
  /** The sender's bootstrapExpect for the group (0: none). */
  exp: number;
  /** The group instance's id ('' unknown or none). */
  gid: string;
  members: string[];
  view: number;
  /** Most members the instance admits. */
  max: number;
  /** The node whose state this is: the sender, or a node the sender heard it from (relayed for conflicts). */
  origin: string;
  /** The id of the instance this one was recovered from (recover.ts); absent for an instance founded afresh. */
  parent?: string;
}

/** A recovery's question to the view-mates of a blocked minority, and their answer (recover.ts). */
export interface RecoverQuery {
  k: 'rquery';
  g: string;
  id: string;
  /** The instance being recovered. */
  gid: string;
}

export interface RecoverInfo {
  k: 'rinfo';
  g: string;
  id: string;
  gid: string;
  /** Whether the answering member is blocked in a minority of that instance. */
  minority: boolean;
  /** Its last installed view and the last sequence number it delivered in the group's total order. */
  view: number;
  seq: number;
}

/** The decision: end instance `old`; `founder` founds the new lineage `gid`, the other `survivors` join it. */
export interface RecoverOrder {
  k: 'recover';
  g: string;
  old: string;
  gid: string;
  founder: string;
  survivors: string[];
}

export type FormMsg =
  | { k: 'probe'; g: string; exp: number }
  | StatusMsg
  | { k: 'propose'; g: string; id: string; list: string[] }
  | { k: 'accept'; g: string; id: string; member: string }
  | { k: 'refuse'; g: string; id: string; reason: string }
  | { k: 'commit'; g: string; id: string; gid: string; members: string[] }
  | { k: 'abort'; g: string; id: string }
  | RecoverQuery
  | RecoverInfo
  | RecoverOrder;

export function encodeControl(msg: FormMsg): Frame {
  const data = new TextEncoder().encode(JSON.stringify(msg));
  return { t: 'stateChunk', view: 0, offset: 0, total: data.length, data };
}

const isText = (v: unknown, min = 0): v is string => typeof v === 'string' && v.length >= min && v.length <= MAX_TEXT;
const isList = (v: unknown): v is string[] => Array.isArray(v) && v.length <= MAX_LIST && v.every((x) => isText(x, 1));
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The formation message in a control envelope's frame, or null when it is not a valid one. */
export function decodeControl(frame: Frame): FormMsg | null {
  if (frame.t !== 'stateChunk' || frame.data.byteLength > MAX_CONTROL_BYTES) return null;
  let m: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame.data));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    m = v as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!isText(m['g'], 1)) return null;
  const g = m['g'];
  switch (m['k']) {
    case 'probe':
      return isCount(m['exp']) ? { k: 'probe', g, exp: m['exp'] } : null;
    case 'status': {
      const { st, exp, gid, members, view, max, origin } = m;
      if (st !== 'none' && st !== 'forming' && st !== 'member') return null;
      if (!isCount(exp) || !isText(gid) || !isList(members) || !isCount(view) || !isCount(max) || !isText(origin, 1)) return null;
      const parent = m['parent'];
      if (parent !== undefined && !isText(parent, 1)) return null;
      return { k: 'status', g, st, exp, gid, members, view, max, origin, ...(parent !== undefined ? { parent } : {}) };
    }
    case 'propose':
      return isText(m['id'], 1) && isList(m['list']) ? { k: 'propose', g, id: m['id'], list: m['list'] } : null;
    case 'accept':
      return isText(m['id'], 1) && isText(m['member'], 1) ? { k: 'accept', g, id: m['id'], member: m['member'] } : null;
    case 'refuse':
      return isText(m['id'], 1) && isText(m['reason']) ? { k: 'refuse', g, id: m['id'], reason: m['reason'] } : null;
    case 'commit':
      return isText(m['id'], 1) && isText(m['gid'], 1) && isList(m['members']) ? { k: 'commit', g, id: m['id'], gid: m['gid'], members: m['members'] } : null;
    case 'abort':
      return isText(m['id'], 1) ? { k: 'abort', g, id: m['id'] } : null;
    case 'rquery':
      return isText(m['id'], 1) && isText(m['gid'], 1) ? { k: 'rquery', g, id: m['id'], gid: m['gid'] } : null;
    case 'rinfo': {
      const { id, gid, minority, view, seq } = m;
      if (!isText(id, 1) || !isText(gid, 1) || typeof minority !== 'boolean' || !isCount(view) || !isCount(seq)) return null;
      return { k: 'rinfo', g, id, gid, minority, view, seq };
    }
    case 'recover': {
      const { old, gid, founder, survivors } = m;
      if (!isText(old, 1) || !isText(gid, 1) || !isText(founder, 1) || !isList(survivors)) return null;
      return { k: 'recover', g, old, gid, founder, survivors };
    }
    default:
      return null;
  }
}
