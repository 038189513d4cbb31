import { describe, expect, it } from 'vitest';
import { handOver } from '../../src/core/drive.js';
import type { CoreEvent, Ready } from '../../src/core/index.js';

const send: CoreEvent = { type: 'send', view: 1, msgNo: 1, payload: new Uint8Array(1) };
const deliver: CoreEvent = { type: 'deliver', view: 1, seq: 1, sender: 'a#1', msgNo: 1, payload: new Uint8Array(1) };
const excluded: CoreEvent = { type: 'excluded', view: 1 };
const ping = (to: string) => ({ to: [to], frame: { t: 'ping', view: 1 } as never });

function run(ready: Ready, endOn?: CoreEvent['type']): { log: string[]; ended: boolean } {
  const log: string[] = [];
  const ended = handOver(ready, {
    record: (e) => log.push(`record ${e.type}`),
    frame: (o) => log.push(`frame ${o.to.join(',')}`),
    event: (e) => {
      log.push(`event ${e.type}`);
      return e.type === endOn ? 'ended' : undefined;
    },
  });
  return { log, ended };
}

// The one order every driver (runtime, simulator, test cluster) hands a member's output over in.
describe('handOver', () => {
  it('records every event, then sends every frame, then hands the events over', () => {
    expect(run({ events: [send, deliver], frames: [ping('b#1'), ping('c#1')] })).toEqual({
      log: ['record send', 'record deliver', 'frame b#1', 'frame c#1', 'event send', 'event deliver'],
      ended: false,
    });
  });

  it('stops at the end of the incarnation: nothing after it is recorded or handed over, its frames still leave', () => {
    expect(run({ events: [deliver, excluded, send], frames: [ping('b#1')] }, 'excluded')).toEqual({
      log: ['record deliver', 'record excluded', 'frame b#1', 'event deliver', 'event excluded'],
      ended: true,
    });
  });

  it('works without a recorder', () => {
    const seen: string[] = [];
    handOver({ events: [send], frames: [ping('b#1')] }, { frame: () => seen.push('frame'), event: (e) => void seen.push(e.type) });
    expect(seen).toEqual(['frame', 'send']);
  });
});
