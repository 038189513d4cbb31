import { describe, expect, it } from 'vitest';
import * as vsync from '../../src/index.js';
import { type Group, Node } from '../../src/index.js';

const SECRET = 'test-secret';

describe('the public surface', () => {
  it('exports Node as a factory and Group as a type only; the core stays inside', () => {
    expect(Object.keys(Node)).toEqual(['start']);
    expect(Object.isFrozen(Node)).toBe(true);
    const names = Object.keys(vsync);
    for (const internal of ['Group', 'GroupImpl', 'NodeImpl', 'Member', 'MemberRuntime', 'Transport']) expect(names).not.toContain(internal);
    for (const kept of ['Node', 'ErrorCodes', 'VsyncError', 'ReplicatedStateMachine', 'runSimulation', 'checkTraces', 'DEFAULT_CONFIG']) expect(names).toContain(kept);
  });

  it('the Group and Node types do not offer the internals (checked by npm run typecheck)', () => {
    // Never called: the @ts-expect-error lines fail `tsc -p tsconfig.test.json` if an internal becomes public again.
    const compileOnly = (g: Group, n: Node): void => {
      // @ts-expect-error internal
      g.tick();
      // @ts-expect-error internal
      g.receive('a#1', { t: 'ping', view: 1 });
      // @ts-expect-error internal
      g.start(true);
      // @ts-expect-error internal
      g.close(true);
      // @ts-expect-error internal
      g.endTrace();
      // @ts-expect-error internal
      g.recordState(1, '0123456789abcdef');
      // @ts-expect-error internal
      void n.groups;
    };
    expect(typeof compileOnly).toBe('function');
  });

  it('await using: a group leaves and a node closes at the end of the scope; `closed` says so', async () => {
    let node!: Node;
    let group!: Group;
    {
      await using n = await Node.start({ name: 'solo', secret: SECRET, listen: { host: '127.0.0.1', port: 0 } });
      await using g = await n.join('g', { found: true });
      node = n;
      group = g;
      await g.send(new TextEncoder().encode('hello'));
      let groupClosed = false;
      void g.closed.then(() => (groupClosed = true));
      await new Promise((r) => setTimeout(r, 20));
      expect(groupClosed).toBe(false);
    }
    // Disposal runs in reverse order: the group leaves first, then the node closes.
    await expect(group.closed).resolves.toBeUndefined();
    await expect(node.closed).resolves.toBeUndefined();
    await expect(group.send(new TextEncoder().encode('late'))).rejects.toMatchObject({ code: vsync.ErrorCodes.LEAVING });
    await expect(node.join('h')).rejects.toMatchObject({ code: vsync.ErrorCodes.CLOSED });
  });

  it('closing the node ends its groups: both `closed` promises resolve', async () => {
    const n = await Node.start({ name: 'solo2', secret: SECRET });
    const g = await n.join('g', { found: true });
    await n.close();
    await expect(g.closed).resolves.toBeUndefined();
    await expect(n.closed).resolves.toBeUndefined();
  });

  it('Symbol.asyncDispose exists on this Node version (or is polyfilled)', () => {
    expect(typeof Symbol.asyncDispose).toBe('symbol');
  });
});
