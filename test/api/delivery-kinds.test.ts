// The delivery menu through the public API, over real WebSockets on 127.0.0.1: send({ delivery }), a group
// default, the kind on every delivered message, validation at the call, and traces that pass the checker.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTraceDir, ErrorCodes, type Group, type Message, Node } from '../../src/index.js';
import { dec, enc, eventually } from '../helpers/api-helpers.js';

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

describe('delivery kinds through the API', { timeout: 120_000 }, () => {
  it('mixed kinds: one total order everywhere, the kind on each message, traces pass the checker', async () => {
    const trace = mkdtempSync(join(tmpdir(), 'vsync-kinds-'));
    const common = { secret: 'test-secret', listen: { host: '127.0.0.1', port: 0 }, trace };
    const first = await Node.start({ name: 'n0', ...common });
    nodes.push(first);
    const groups: Group[] = [await first.join('g', { delivery: 'agreed' })];
    for (let i = 1; i < 3; i++) {
      const node = await Node.start({ name: `n${i}`, seeds: [first.url!], ...common });
      nodes.push(node);
      groups.push(await node.join('g', { signal: AbortSignal.timeout(30_000) }));
    }
    await eventually(() => groups.every((g) => g.currentView?.members.length === 3), 30_000, 'one view of three');

    const got: string[][] = groups.map(() => []);
    groups.forEach((g, i) => g.on('message', (m: Message) => got[i]!.push(`${m.seq}:${m.delivery}:${dec(m.payload)}`)));
    const kinds = ['safe', 'agreed', 'fifo', undefined] as const;
    const sends = groups.flatMap((g, i) =>
      Array.from({ length: 40 }, (_, k) => {
        const delivery = kinds[k % kinds.length];
        return g.send(enc(`${i}-${k}`), delivery === undefined ? {} : { delivery });
      }),
    );
    const results = await Promise.all(sends);
    expect(new Set(results.map((r) => r.seq)).size).toBe(120);
    await eventually(() => got.every((l) => l.length === 120), 30_000, 'all deliveries');
    expect(got[1]).toEqual(got[0]);
    expect(got[2]).toEqual(got[0]);
    // No kind given: n0's group default (agreed); the others' default is safe.
    const kindOf = (payload: string): string => got[0]!.find((l) => l.endsWith(`:${payload}`))!.split(':')[1]!;
    expect(kindOf('0-3')).toBe('agreed');
    expect(kindOf('1-3')).toBe('safe');
    expect(kindOf('1-1')).toBe('agreed');
    expect(kindOf('2-2')).toBe('fifo');

    await Promise.all(nodes.splice(0).map((n) => n.close()));
    const orders = new Set<string>();
    for (const f of readdirSync(trace)) {
      for (const line of readFileSync(join(trace, f), 'utf8').split('\n')) if (line.includes('"ev":"send"')) orders.add(JSON.parse(line).order);
    }
    expect([...orders].sort()).toEqual(['fifo', 'safe', 'total']);
    expect((await checkTraceDir(trace)).violations).toEqual([]);
  });

  it('refuses a kind that is not one, at the call', async () => {
    const node = await Node.start({ name: 'v0', secret: 'test-secret', listen: { host: '127.0.0.1', port: 0 } });
    nodes.push(node);
    await expect(node.join('g', { delivery: 'uniform' as never })).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    const g = await node.join('g');
    await eventually(() => g.currentView !== null, 30_000, 'a view');
    await expect(g.send(enc('x'), { delivery: 'total' as never })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      message: expect.stringContaining("options.delivery must be one of 'safe', 'agreed', 'fifo'"),
    });
    await expect(g.send(enc('y'), { delivery: 'agreed' })).resolves.toMatchObject({ seq: 1 });
  });
});
