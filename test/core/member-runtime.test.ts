import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, InvariantError, VsyncError } from '../../src/errors.js';
import type { CoreEvent } from '../../src/core/events.js';
import { MemberRuntime } from '../../src/runtime/member-runtime.js';

/** A runtime of a one-member group whose log lines and events are kept for the test. */
function runtime() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const events: CoreEvent[] = [];
  const rt = new MemberRuntime({
    group: 'g', id: 'a#1', logger: pino(sink), out: { sendFrame: () => {} }, onEvent: (e) => void events.push(e),
  });
  rt.input((m) => m.bootstrap(['a#1']));
  return { rt, lines, events };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('MemberRuntime: nothing throws out of a timer or event handler', () => {
  it('a core that throws on input ends the incarnation as excluded, logged with VSYNC_ERR_INVARIANT', async () => {
    const { rt, lines, events } = runtime();
    await turn();
    (rt.member as unknown as { tick: () => void }).tick = () => {
      throw new InvariantError('boom');
    };
    expect(() => rt.input((m) => m.tick())).not.toThrow();
    await turn();
    expect(events.map((e) => e.type)).toEqual(['install', 'excluded']);
    expect(lines.some((l) => l['code'] === ErrorCodes.INVARIANT && l['level'] === 50)).toBe(true);
    expect(rt.input((m) => m.tick())).toBeUndefined(); // No input reaches a failed core.
  });

  it('a core that throws in ready() (the deferred flush, inside setImmediate) does not crash the process', async () => {
    const { rt, events } = runtime();
    await turn();
    (rt.member as unknown as { ready: () => never }).ready = () => {
      throw new TypeError('not a VsyncError at all');
    };
    rt.input((m) => m.tick());
    await turn();
    await turn();
    expect(events.at(-1)?.type).toBe('excluded');
  });

  it('a coded error of a call (send while not a member) still goes to its caller', async () => {
    const { rt } = runtime();
    await turn();
    rt.input((m) => m.leave());
    await turn();
    expect(() => rt.input((m) => m.send(new Uint8Array(1)))).toThrow(VsyncError);
  });
});
