/**
 * group.recover() through the Node API on 127.0.0.1: refused without confirmation and outside a minority; a lone
 * survivor of three founds a new lineage and delivers again. Plus the founder choice and the messages' decoding.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeControl, encodeControl } from '../../src/api/formation-messages.js';
import { chooseFounder } from '../../src/api/recover.js';
import { ErrorCodes, type Group, Node } from '../../src/index.js';
import { codeOf, until } from './test-helpers.js';

const SECRET = 'test-secret';
const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

describe('group.recover', () => {
  it('chooses the survivor with the latest view, then the most delivered, then the lowest name', () => {
    expect(chooseFounder([{ node: 'b', view: 4, seq: 10 }, { node: 'a', view: 4, seq: 9 }]).node).toBe('b');
    expect(chooseFounder([{ node: 'b', view: 4, seq: 10 }, { node: 'a', view: 4, seq: 10 }]).node).toBe('a');
    expect(chooseFounder([{ node: 'a', view: 3, seq: 99 }, { node: 'c', view: 4, seq: 1 }]).node).toBe('c');
  });

  it('decodes recovery messages and refuses malformed ones', () => {
    const order = { k: 'recover', g: 'g', old: 'x-1', gid: 'y-2', founder: 'a', survivors: ['a', 'b'] } as const;
    expect(decodeControl(encodeControl({ ...order, survivors: [...order.survivors] }))).toEqual(order);
    const bad = (m: unknown): unknown => decodeControl({ t: 'stateChunk', view: 0, offset: 0, total: 0, data: new TextEncoder().encode(JSON.stringify(m)) });
    expect(bad({ k: 'rinfo', g: 'g', id: 'i', gid: 'x', minority: 'yes', view: 1, seq: 1 })).toBeNull();
    expect(bad({ k: 'rinfo', g: 'g', id: 'i', gid: 'x', minority: true, view: -1, seq: 1 })).toBeNull();
    expect(bad({ k: 'recover', g: 'g', old: 'x', gid: 'y', founder: 'a', survivors: 'a' })).toBeNull();
    expect(bad({ k: 'status', g: 'g', st: 'member', exp: 0, gid: 'x', members: [], view: 1, max: 3, origin: 'a', parent: 7 })).toBeNull();
  });

  it('is refused without confirm and outside a minority; a lone survivor of three founds a new lineage', async () => {
    const a = await Node.start({ name: 'a', listen: { host: '127.0.0.1', port: 0 }, secret: SECRET });
    nodes.push(a);
    const ga = await a.join('g');
    const others: Node[] = [];
    for (const name of ['b', 'c']) {
      const n = await Node.start({ name, listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, seeds: [a.url!] });
      nodes.push(n);
      others.push(n);
      await n.join('g');
    }
    await until(() => ga.currentView?.members.length === 3, 30_000, 'three members');
    expect(await codeOf(ga.recover({} as { confirm: boolean }))).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(await codeOf(ga.recover({ confirm: true }))).toBe(ErrorCodes.NOT_IN_MINORITY);
    const oldGid = a.groupId('g')!;
    expect(oldGid).not.toBe('');

    const minority = new Promise<void>((r) => ga.once('minority', () => r()));
    await Promise.all(others.map((n) => n.close({ leave: false }))); // they fail: a stays, a minority of one
    await minority;
    const recovered = new Promise<unknown>((r) => ga.once('recovered', r));
    const result = await ga.recover({ confirm: true });
    expect(result).toMatchObject({ group: 'g', previousGroupId: oldGid, founder: 'a', survivors: ['a'] });
    expect(await recovered).toMatchObject({ previousGroupId: oldGid, groupId: result.groupId });
    expect(a.groupId('g')).toBe(result.groupId);
    await until(() => ga.currentView?.id === 1 && ga.currentView.members.length === 1, 30_000, 'the new lineage\'s view 1');
    const g = a.stats().groups[0]!;
    expect(g).toMatchObject({ groupId: result.groupId, parentGroupId: oldGid, primary: true });
    expect(g.history.at(-1)!.reason).toMatch(/^founded by a#/);
    const sent = await (ga as Group).send(new TextEncoder().encode('after'), { signal: AbortSignal.timeout(20_000) });
    expect(sent.viewId).toBe(1);
  }, 120_000);

  it('POST /recover on the ops endpoint: header token, JSON only, coded refusals', async () => {
    const token = 'test-ops-token';
    const a = await Node.start({ name: 'a', listen: { host: '127.0.0.1', port: 0 }, secret: SECRET, http: { token } });
    nodes.push(a);
    await a.join('g');
    const post = (body: string, headers: Record<string, string> = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }): Promise<Response> =>
      fetch(`${a.httpUrl}/recover`, { method: 'POST', headers, body });
    expect((await post('{}', { 'Content-Type': 'application/json' })).status).toBe(401);
    expect((await post('{}', { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await post('not json')).status).toBe(400);
    const unconfirmed = await post(JSON.stringify({ group: 'g' }));
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.json()).toMatchObject({ error: ErrorCodes.INVALID_ARGUMENT });
    expect((await post(JSON.stringify({ group: 'other', confirm: true }))).status).toBe(404);
    const primary = await post(JSON.stringify({ group: 'g', confirm: true }));
    expect(primary.status).toBe(409);
    expect(await primary.json()).toMatchObject({ error: ErrorCodes.NOT_IN_MINORITY });
    expect((await post('x'.repeat(5000))).status).toBe(413);
    expect((await fetch(`${a.httpUrl}/recover`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(405);
  }, 60_000);
});
