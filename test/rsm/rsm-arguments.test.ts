// ReplicatedStateMachine.join with a wrong node or state machine: refused at the call with a coded error naming
// the argument (it used to throw a TypeError, or join the group and fail at the first command), and nothing joined.
import { afterEach, expect, it } from 'vitest';
import { ErrorCodes, KvStore, Node, ReplicatedStateMachine, VsyncError } from '../../src/index.js';

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.close()));
});

async function codeAndMessage(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VsyncError);
    return [(e as VsyncError).code, (e as VsyncError).message];
  }
  throw new Error('expected a refusal');
}

it('refuses a wrong node or state machine, naming it, and joins nothing', async () => {
  const n = await Node.start({ name: 'a', listen: { host: '127.0.0.1', port: 0 }, secret: 'test-secret' });
  nodes.push(n);
  expect(await codeAndMessage(ReplicatedStateMachine.join(1 as never, 'kv', new KvStore()))).toEqual([ErrorCodes.INVALID_ARGUMENT, expect.stringMatching(/^node must be/)]);
  expect(await codeAndMessage(ReplicatedStateMachine.join(n, 'kv', {} as never))).toEqual([ErrorCodes.INVALID_ARGUMENT, 'sm.apply must be a function']);
  expect(await codeAndMessage(ReplicatedStateMachine.join(n, 'kv', null as never))).toEqual([ErrorCodes.INVALID_ARGUMENT, expect.stringMatching(/^sm must be/)]);
  const noRestore = { apply: () => new Uint8Array(), snapshot: () => new Uint8Array() };
  expect(await codeAndMessage(ReplicatedStateMachine.join(n, 'kv', noRestore as never))).toEqual([ErrorCodes.INVALID_ARGUMENT, 'sm.restore must be a function']);
  // None of the refused calls joined: the group is still free.
  const kv = await ReplicatedStateMachine.join(n, 'kv', new KvStore());
  expect(kv).toBeInstanceOf(ReplicatedStateMachine);
}, 60_000);
