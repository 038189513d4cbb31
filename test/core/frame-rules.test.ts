import { describe, expect, it } from 'vitest';
import { makeBallot } from '../../src/core/ballot.js';
import { resolveConfig } from '../../src/core/config.js';
import { MAX_ROUND, MAX_ROUND_STEP } from '../../src/core/frame-limits.js';
import {
  acceptedOk, ballotInRange, decisionFollowsOk, decisionShapeOk, frameShapeOk, isContact, leaderBallotOk, reportedBallotOk,
} from '../../src/core/frame-rules.js';
import type { Decision, Frame } from '../../src/core/frames.js';
import { MessageLog } from '../../src/core/message-log.js';

const cfg = resolveConfig({ maxFrameBytes: 1000, maxPayloadBytes: 2000 });
const view = { id: 4, members: ['a', 'b', 'c'] };
const d = (over: Partial<Decision> = {}): Decision => ({ prevView: 4, view: 5, members: ['a', 'c', 'j'], leavers: ['b'], cut: 10, ...over });
const bytes = (n: number) => new Uint8Array(n);

describe('frame shapes', () => {
  const ok: Frame[] = [
    { t: 'heartbeat', view: 1, promised: 0 },
    { t: 'msgs', view: 1, first: 1, senders: ['a'], entries: [{ sender: 0, msgNo: 1, payload: bytes(3) }], last: 1, commit: 1, stable: 0, fill: false },
    { t: 'msgs', view: 1, first: 5, senders: [], entries: [], last: 4, commit: 4, stable: 4, fill: false },
    { t: 'forward', view: 1, msgs: [{ fseq: 1, msgNo: 1, payload: bytes(2000) }] },
    { t: 'stateChunk', view: 1, offset: 0, total: -1, data: bytes(0) },
    { t: 'accept', view: 4, ballot: makeBallot(1, 0), decision: d(), source: 'a' },
    { t: 'newView', view: 4, decision: d({ members: [] }) },
  ];
  it.each(ok.map((f) => [f.t, f]))('accepts a well-formed %s', (_t, f) => expect(frameShapeOk(f as Frame, cfg)).toBe(true));

  const bad: Array<[string, unknown]> = [
    ['negative view', { t: 'heartbeat', view: -1, promised: 0 }],
    ['unsafe ballot', { t: 'heartbeat', view: 1, promised: 2 ** 53 }],
    ['round above MAX_ROUND', { t: 'prepare', view: 1, ballot: makeBallot(MAX_ROUND + 1, 0), survivors: [] }],
    ['entry sender out of range', { t: 'msgs', view: 1, first: 1, senders: ['a'], entries: [{ sender: 1, msgNo: 1, payload: bytes(1) }], last: 1, commit: 1, stable: 0, fill: false }],
    ['first = 0', { t: 'msgs', view: 1, first: 0, senders: [], entries: [], last: 0, commit: 0, stable: 0, fill: false }],
    ['more senders than entries', { t: 'msgs', view: 1, first: 1, senders: ['a', 'b'], entries: [], last: 0, commit: 0, stable: 0, fill: false }],
    ['payload above maxPayloadBytes', { t: 'forward', view: 1, msgs: [{ fseq: 1, msgNo: 1, payload: bytes(2001) }] }],
    ['empty id', { t: 'join', view: 0, joiner: '' }],
    ['decision skipping a view', { t: 'newView', view: 4, decision: d({ view: 7 }) }],
    ['decision listing a member twice', { t: 'newView', view: 4, decision: d({ members: ['a', 'a'] }) }],
    ['member both staying and leaving', { t: 'newView', view: 4, decision: d({ leavers: ['a'] }) }],
    ['chunk beyond its total', { t: 'stateChunk', view: 1, offset: 5, total: 6, data: bytes(2) }],
    ['unknown type', { t: 'boom', view: 1 }],
    ['not an object', null],
  ];
  it.each(bad)('refuses %s', (_what, f) => expect(frameShapeOk(f as Frame, cfg)).toBe(false));

  it('decision shapes bound the member list by maxMembers', () => {
    expect(decisionShapeOk(d(), 3)).toBe(true);
    expect(decisionShapeOk(d(), 2)).toBe(false);
  });
});

describe('ballots', () => {
  it.each([
    ['its own rank', makeBallot(3, 1), 1, 0, true],
    ['another rank', makeBallot(3, 0), 1, 0, false],
    ['round 0', makeBallot(0, 1), 1, 0, false],
    ['a round far beyond any seen', makeBallot(MAX_ROUND_STEP + 5, 1), 1, 4, false],
    ['a round just within the step', makeBallot(MAX_ROUND_STEP + 4, 1), 1, 4, true],
    ['the forged 2^53-1', 2 ** 53 - 1, 0, 0, false],
    ['a sender outside the view', makeBallot(1, 0), -1, 0, false],
    ['rank 2 of 5 (could lead: 3 survivors of 5)', makeBallot(1, 2), 2, 0, true],
    ['rank 3 of 5 (could never lead: at most 2 survivors)', makeBallot(1, 3), 3, 0, false],
  ])('a leader ballot of %s', (_w, ballot, rank, known, want) => expect(leaderBallotOk(ballot, rank, 5, known)).toBe(want));

  it('reported ballots (rej) stay within the step too, and every accepted ballot leaves room to grow', () => {
    expect(reportedBallotOk(makeBallot(5, 9), 4)).toBe(true);
    expect(reportedBallotOk(makeBallot(MAX_ROUND_STEP + 5, 9), 4)).toBe(false);
    expect(ballotInRange(makeBallot(MAX_ROUND, 0))).toBe(true);
    expect(Number.isSafeInteger(makeBallot(MAX_ROUND + 1, 0))).toBe(true);
  });
});

describe('decisions that end a view', () => {
  it.each([
    ['a fresh decision', d(), 10, true],
    ['a cut below what was delivered', d(), 11, false],
    ['another view', d({ prevView: 3, view: 4 }), 0, false],
    ['a leaver from outside the view', d({ leavers: ['x'] }), 0, false],
    ['a joiner ranked before an old member', d({ members: ['j', 'a', 'c'] }), 0, false],
    ['old members out of rank order', d({ members: ['c', 'a'] }), 0, false],
    ['a dissolution', d({ members: [], leavers: ['a', 'b', 'c'] }), 0, true],
  ])('%s', (_w, dec, delivered, want) => expect(decisionFollowsOk(dec, view, delivered)).toBe(want));

  it('an accepted value in a promise is below the promise, for this view, with a cut its sender holds', () => {
    expect(acceptedOk({ ballot: 5000, decision: d() }, 6000, 10, view)).toBe(true);
    expect(acceptedOk({ ballot: 6000, decision: d() }, 6000, 10, view)).toBe(true);
    expect(acceptedOk({ ballot: 6001, decision: d() }, 6000, 10, view)).toBe(false);
    expect(acceptedOk({ ballot: 5000, decision: d() }, 6000, 9, view)).toBe(false);
    expect(acceptedOk({ ballot: 5000, decision: d({ prevView: 3, view: 4 }) }, 6000, 10, view)).toBe(false);
  });
});

describe('contacts', () => {
  it('match ids exactly or by node wildcard', () => {
    expect(isContact(['a#1'], 'a#1')).toBe(true);
    expect(isContact(['a#1'], 'a#2')).toBe(false);
    expect(isContact(['node-a#*'], 'node-a#k3')).toBe(true);
    expect(isContact(['node-a#*'], 'node-ab#k3')).toBe(false);
    expect(isContact(['a#*'], 'a#b#c')).toBe(false);
  });
});

describe('the log holds bytes of its own, within a byte bound ahead of a gap', () => {
  it('copies a payload out of the frame it was decoded from', () => {
    const frame = new Uint8Array(1 << 20);
    const payload = frame.subarray(100, 110);
    const log = new MessageLog(0);
    log.add(2, { sender: 'a', msgNo: 1, payload }, 100, 100); // ahead of the gap
    log.add(1, { sender: 'a', msgNo: 2, payload }, 100, 100);
    expect(log.get(1)!.payload.buffer.byteLength).toBe(10);
    expect(log.get(2)!.payload.buffer.byteLength).toBe(10);
  });

  it('refuses entries ahead of a gap beyond aheadByteLimit', () => {
    const log = new MessageLog(0);
    log.aheadByteLimit = 1000;
    expect(log.add(2, { sender: 'a', msgNo: 1, payload: bytes(600) }, 100, 100)).toBe(true);
    expect(log.add(3, { sender: 'a', msgNo: 2, payload: bytes(600) }, 100, 100)).toBe(false);
    expect(log.aheadBytes).toBe(600);
    expect(log.add(1, { sender: 'a', msgNo: 3, payload: bytes(600) }, 100, 100)).toBe(true); // the gap itself is always taken
    expect(log.received).toBe(2);
  });
});
