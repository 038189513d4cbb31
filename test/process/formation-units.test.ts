/** Formation messages and merge order, without a network. */
import { describe, expect, it } from 'vitest';
import { describeError, newGroupId, yieldsTo } from '../../src/api/bootstrap.js';
import { type FormMsg, MAX_CONTROL_BYTES, decodeControl, encodeControl } from '../../src/api/formation-messages.js';
import { decodeFrame, encodeFrame } from '../../src/wire/index.js';

const chunk = (s: string) => {
  const data = new TextEncoder().encode(s);
  return { t: 'stateChunk' as const, view: 0, offset: 0, total: data.length, data };
};

describe('formation messages', () => {
  it('round-trip through a real envelope', () => {
    const msgs = [
      { k: 'probe', g: 'g', exp: 3 },
      { k: 'status', g: 'g', st: 'member', exp: 0, gid: newGroupId(), members: ['a#1', 'b#1'], view: 4, max: 1024, origin: 'a' },
      { k: 'propose', g: 'g', id: 'p1', list: ['a', 'b', 'c'] },
      { k: 'accept', g: 'g', id: 'p1', member: 'b#x1' },
      { k: 'refuse', g: 'g', id: 'p1', reason: 'promised to a' },
      { k: 'commit', g: 'g', id: 'p1', gid: 'x-1', members: ['a#1', 'b#1', 'c#1'] },
      { k: 'abort', g: 'g', id: 'p1' },
    ] satisfies FormMsg[];
    for (const m of msgs) {
      const env = decodeFrame(encodeFrame('$vsync/form', 'a#form', '', encodeControl(m)));
      expect(decodeControl(env.frame)).toEqual(m);
    }
  });

  it('anything malformed decodes to null, never throws', () => {
    const bad = [
      '', 'null', '[]', '"x"', '{', '{"k":"probe"}', '{"k":"probe","g":"g","exp":-1}', '{"k":"nope","g":"g"}',
      '{"k":"status","g":"g","st":"boss","exp":0,"gid":"","members":[],"view":0,"max":0,"origin":"a"}',
      `{"k":"propose","g":"g","id":"p","list":${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `n${i}`))}}`,
      `{"k":"abort","g":"${'x'.repeat(300)}","id":"p"}`,
      '{"k":"accept","g":"g","id":"p","member":7}',
    ];
    for (const s of bad) expect(decodeControl(chunk(s))).toBeNull();
    expect(decodeControl({ t: 'stateChunk', view: 0, offset: 0, total: 2, data: new Uint8Array([0xff, 0xfe]) })).toBeNull();
    expect(decodeControl(chunk(`{"k":"probe","g":"g","exp":1,"pad":"${'x'.repeat(MAX_CONTROL_BYTES)}"}`))).toBeNull();
    expect(decodeControl({ t: 'ping', view: 0 })).toBeNull();
  });
});

describe('merge order', () => {
  it('fewer members give way; as many: the younger; then the larger id', () => {
    const old = { gid: newGroupId(1000), members: ['a#1', 'b#1'] };
    const young = { gid: newGroupId(2000), members: ['c#1', 'd#1'] };
    expect(yieldsTo(young, old)).toBe(true);
    expect(yieldsTo(old, young)).toBe(false);
    const small = { gid: newGroupId(1), members: ['e#1'] };
    expect(yieldsTo(small, young)).toBe(true);
    const twin = { gid: `${old.gid.split('-')[0]}-ffffffffffffffff`, members: ['x#1', 'y#1'] };
    expect(yieldsTo(twin, old) !== yieldsTo(old, twin)).toBe(true);
  });

  it('dial errors read as causes', () => {
    expect(describeError('connect ECONNREFUSED 127.0.0.1:1')).toBe('connection refused');
    expect(describeError('refused by the peer: VSYNC_ERR_AUTH: bad mac')).toMatch(/VSYNC_ERR_AUTH/);
  });
});
