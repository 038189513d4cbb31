import { describe, expect, it } from 'vitest';
import { SequencerState } from '../../src/core/sequencer-state.js';
import { expectOk, TestCluster } from '../helpers/cluster.js';

/**
 * The sequencer's side of the progress watch (protocol.md §4.2) after a quiet spell. A member that has everything
 * is not late, however long nothing was ordered: its clock starts when it falls behind. Counted from its last
 * advance instead, a quiet spell longer than progressTimeoutTicks made the first tick after the next order
 * distrust every member whose ack for it was still on the way, and exclude one of them (the bench, whose groups
 * idle while the baselines take their turn, lost a member that way at the start of a measurement window).
 */
describe('progress watch after a quiet spell', () => {
  const members = ['a', 'b', 'c'];

  it('SequencerState.stalled: a caught-up member is not stalled the moment something new is ordered', () => {
    const s = new SequencerState(0, 0);
    s.ack('b', 10, 1);
    s.ack('c', 10, 1);
    // Quiet: nothing new is ordered for far longer than the limit, and the watch runs every tick.
    for (let t = 2; t <= 1000; t++) expect(s.stalled(members, 'a', 10, t, 50)).toEqual([]);
    // Something is ordered at tick 1001; the acks for it are on the way.
    expect(s.stalled(members, 'a', 11, 1001, 50)).toEqual([]);
    s.ack('b', 11, 1002);
    expect(s.stalled(members, 'a', 11, 1050, 50)).toEqual([]);
    // c really stops: it is stalled once it has lagged, without advancing, for more than the limit.
    expect(s.stalled(members, 'a', 11, 1051, 50)).toEqual(['c']);
  });

  it('SequencerState.stalled: a member that never acked and lags is still stalled after the limit', () => {
    const s = new SequencerState(0, 5);
    expect(s.stalled(members, 'a', 3, 55, 50)).toEqual([]);
    s.ack('b', 3, 56);
    expect(s.stalled(members, 'a', 3, 56, 50)).toEqual(['c']);
  });

  it('a member whose first ack after a quiet spell is lost stays in the view', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1'], { progressTimeoutTicks: 20 });
    c.send('b#1', 'before');
    c.tick(5);
    // Idle for five times the progress timeout: every member has everything, nothing is ordered.
    c.tick(100);
    // The next message is ordered; c's first acknowledgement of it is lost (late), the next one comes with its
    // heartbeat a few ticks on, well within the limit.
    let dropped = 0;
    c.filter = (from, to, f) => {
      if (from === 'c#1' && to === 'a#1' && f.t === 'ack' && f.received >= 2 && dropped === 0) {
        dropped++;
        return false;
      }
      return true;
    };
    c.send('b#1', 'after');
    c.tick(60);
    expect(dropped).toBe(1);
    for (const id of ['a#1', 'b#1', 'c#1']) {
      expect(c.views(id).map((v) => v.members.join(' '))).toEqual(['a#1 b#1 c#1']);
      expect(c.delivered(id)).toHaveLength(2);
      expect(c.events(id).some((e) => e.type === 'excluded' || e.type === 'minority')).toBe(false);
    }
    expectOk(c.finish());
  });
});
