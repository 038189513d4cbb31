/** A three-member cluster of in-process Nodes on 127.0.0.1, each with its ops HTTP endpoint, for the ops tests. */
import { type Group, type HttpOptions, Node } from '../../src/index.js';

export async function eventually(pred: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface OpsCluster {
  nodes: Node[];
  groups: Group[];
  close(): Promise<void>;
}

/** `n` nodes named n0.., all in group `g`, each with `http` on 127.0.0.1 (a free port). */
export async function opsCluster(n: number, http: HttpOptions = {}, group = 'g'): Promise<OpsCluster> {
  const nodes: Node[] = [];
  const groups: Group[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map((x) => x.close()));
  };
  try {
    for (let i = 0; i < n; i++) {
      const node = await Node.start({
        name: `n${i}`,
        listen: { host: '127.0.0.1', port: 0 },
        seeds: i === 0 ? [] : [nodes[0]!.url!],
        secret: 'test-secret',
        http: { host: '127.0.0.1', port: 0, ...http },
      });
      nodes.push(node);
      groups.push(await node.join(group, { signal: AbortSignal.timeout(20_000) }));
    }
    await eventually(() => groups.every((g) => g.currentView?.members.length === n), 20_000, 'everyone in one view');
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes, groups, close };
}
