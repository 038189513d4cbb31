import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { expectOk, TestCluster } from '../helpers/cluster.js';

const five = ['a#1', 'b#1', 'c#1', 'd#1', 'e#1'];

function sendMany(c: TestCluster, ids: string[], n: number): void {
  for (let i = 0; i < n; i++) for (const id of ids) c.send(id);
}

describe('scripted scenarios (each checked by the trace checker)', () => {
  it('delivers every message everywhere in one total order', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1']);
    sendMany(c, ['a#1', 'b#1', 'c#1'], 10);
    c.tick(5);
    const d = c.delivered('a#1');
    expect(d).toHaveLength(30);
    expect(c.delivered('b#1')).toEqual(d);
    expect(c.delivered('c#1')).toEqual(d);
    expectOk(c.finish());
  });

  it('sequencer crash with ordered messages that reached only one member', () => {
    const c = new TestCluster(five);
    c.tick(2);
    // The sequencer's ordered stream reaches b only; nobody acknowledges, so nothing is committed yet.
    c.filter = (from, to, f) => !(from === 'a#1' && f.t === 'msgs' && to !== 'b#1');
    sendMany(c, ['b#1', 'c#1', 'd#1'], 5);
    c.tick(1);
    expect(c.member('b#1').deliveredSeq).toBe(0);
    c.crash('a#1');
    c.filter = null;
    c.until(() => c.views('b#1').length === 2, 500, 'a view without the sequencer');
    expect(c.views('b#1')[1]!.members).toEqual(['b#1', 'c#1', 'd#1', 'e#1']);
    c.tick(5);
    // What b held was ordered by the old sequencer: the flush delivers it to every survivor in the old view.
    for (const id of ['c#1', 'd#1', 'e#1']) expect(c.delivered(id)).toEqual(c.delivered('b#1'));
    expect(c.delivered('b#1')).toHaveLength(15);
    expectOk(c.finish());
  });

  it('coordinator crash in the middle of its flush: the next in rank runs it again', () => {
    const c = new TestCluster(five);
    sendMany(c, five, 3);
    c.tick(3);
    c.crash('e#1');
    let crashed = false;
    c.onFrame = (from, _to, f) => {
      if (!crashed && from === 'a#1' && f.t === 'accept') {
        crashed = true;
        c.crash('a#1');
      }
    };
    c.until(() => crashed, 500, 'the leader to reach its accept phase');
    c.onFrame = null;
    c.until(() => c.member('b#1').currentView?.members.includes('a#1') === false, 1000, 'a view without a and e');
    expect(c.member('b#1').currentView!.members).toEqual(['b#1', 'c#1', 'd#1']);
    sendMany(c, ['b#1', 'c#1', 'd#1'], 3);
    expectOk(c.finish());
  });

  it('a sender crashes while its multicast is half way: all survivors or none deliver it', () => {
    const c = new TestCluster(five);
    c.tick(2);
    // e's message is ordered; the ordered frame reaches a (the sequencer) and b only, and no one acknowledges.
    c.filter = (from, to, f) => !(from === 'a#1' && f.t === 'msgs' && to !== 'b#1');
    c.send('e#1', 'half-way');
    c.tick(1);
    c.crash('e#1');
    c.filter = null;
    c.until(() => c.views('c#1').length === 2, 500, 'a view without e');
    c.tick(3);
    const sets = ['a#1', 'b#1', 'c#1', 'd#1'].map((id) => c.delivered(id).join());
    expect(new Set(sets).size).toBe(1);
    expectOk(c.finish());
  });

  it('a join that arrives during a flush is admitted in the same or the next view', () => {
    const c = new TestCluster(five);
    c.tick(2);
    c.crash('e#1');
    let joined = false;
    c.onFrame = (from, _to, f) => {
      if (!joined && from === 'a#1' && f.t === 'prepare') {
        joined = true;
        c.join('f#1', ['c#1']);
      }
    };
    c.until(() => joined, 500, 'the flush to start');
    c.onFrame = null;
    c.until(() => c.member('f#1').currentView !== null, 1000, 'f to be admitted');
    sendMany(c, ['a#1', 'f#1'], 5);
    expectOk(c.finish());
    expect(c.member('a#1').currentView!.members).toEqual(['a#1', 'b#1', 'c#1', 'd#1', 'f#1']);
  });

  it('two failures at once make one view change', () => {
    const c = new TestCluster(five);
    sendMany(c, five, 2);
    c.tick(2);
    c.crash('d#1');
    c.crash('e#1');
    c.until(() => c.member('a#1').currentView!.id > 1, 500, 'a new view');
    expect(c.views('a#1').map((v) => v.members.length)).toEqual([5, 3]);
    expectOk(c.finish());
  });

  it('a minority partition blocks, the majority goes on, and the minority rejoins after the heal', () => {
    const c = new TestCluster(five);
    c.partition(['a#1', 'b#1', 'c#1'], ['d#1', 'e#1']);
    sendMany(c, ['a#1', 'd#1'], 3);
    c.until(() => c.member('a#1').currentView!.id === 2, 500, 'the majority to exclude the minority');
    expect(c.member('a#1').currentView!.members).toEqual(['a#1', 'b#1', 'c#1']);
    c.tick(100);
    // The minority never installs a view of its own and reports that it is a minority.
    expect(c.views('d#1')).toHaveLength(1);
    expect(c.events('d#1').some((e) => e.type === 'minority')).toBe(true);
    c.heal();
    c.until(() => c.member('a#1').currentView!.members.length === 5, 2000, 'the old minority to rejoin');
    expect(c.member('a#1').currentView!.members).toContain('d#2');
    expectOk(c.finish());
  });

  it('a paused member finds out it was excluded and comes back as a new incarnation', () => {
    const c = new TestCluster(five);
    c.pause('c#1');
    sendMany(c, ['a#1', 'b#1'], 3);
    c.until(() => c.member('a#1').currentView!.id === 2, 500, 'c to be excluded');
    c.resume('c#1');
    c.until(() => c.member('a#1').currentView!.members.includes('c#2'), 1000, 'c#2 to join');
    expect(c.events('c#1').at(-1)?.type).toBe('excluded');
    expectOk(c.finish());
  });

  it('a single late heartbeat does not evict a healthy member (double-check)', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1'], { suspectTicks: 10, confirmTicks: 10 });
    c.tick(2);
    // b is silent towards a for a little longer than the suspicion threshold, but answers the ping.
    let silence = 12;
    c.filter = (from, to) => !(from === 'b#1' && to === 'a#1' && silence > 0);
    for (let i = 0; i < 30; i++) {
      c.tick();
      silence--;
    }
    expect(c.member('a#1').currentView!.id).toBe(1);
    c.filter = null;
    expectOk(c.finish());
  });

  it('a graceful leave delivers the leaver\'s messages first and leaves a majority behind', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1']);
    sendMany(c, ['b#1'], 5);
    c.member('b#1').leave();
    c.until(() => c.member('a#1').currentView!.id === 2, 500, 'the leave');
    expect(c.events('b#1').at(-1)?.type).toBe('left');
    expect(c.delivered('a#1').filter((m) => m.startsWith('b#1/'))).toHaveLength(5);
    expectOk(c.finish());
  });

  it('the leave of two of three members does not block (leavers do not count)', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1']);
    c.member('a#1').leave();
    c.member('b#1').leave();
    c.until(() => c.aliveIds().length === 1, 500, 'two leaves');
    expect(c.member('c#1').currentView!.members).toEqual(['c#1']);
    expectOk(c.finish());
  });

  it('one-way cut: the coordinator no longer hears a member and excludes it', () => {
    const c = new TestCluster(five);
    c.cutOneWay('d#1', 'a#1');
    sendMany(c, ['b#1', 'd#1'], 2);
    c.until(() => c.member('a#1').currentView!.id >= 2, 1000, 'a view change');
    c.heal();
    expectOk(c.finish());
  });
});

describe('bounds and errors', () => {
  it('a full send window gives VSYNC_ERR_BACKPRESSURE, not unbounded memory', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1'], { maxPendingSends: 8 });
    c.partition(['a#1'], ['b#1', 'c#1']); // Nothing gets ordered: b's own messages stay pending.
    for (let i = 0; i < 8; i++) c.member('b#1').send(new Uint8Array(4));
    expect(() => c.member('b#1').send(new Uint8Array(4))).toThrowError(expect.objectContaining({ code: ErrorCodes.BACKPRESSURE }));
    expect(c.member('b#1').canSend()).toBe(false);
    c.heal();
  });

  it('an oversized payload is refused with VSYNC_ERR_PAYLOAD_TOO_LARGE', () => {
    const c = new TestCluster(['a#1'], { maxPayloadBytes: 16 });
    expect(() => c.member('a#1').send(new Uint8Array(17))).toThrowError(expect.objectContaining({ code: ErrorCodes.PAYLOAD_TOO_LARGE }));
  });

  it('sending before having a view is VSYNC_ERR_NOT_MEMBER', () => {
    const c = new TestCluster(['a#1']);
    c.join('b#1', ['a#1']);
    expect(() => c.member('b#1').send(new Uint8Array(1))).toThrowError(expect.objectContaining({ code: ErrorCodes.NOT_MEMBER }));
  });
});

describe('dissolving a group', () => {
  it('everyone leaving at once dissolves the group without blocking', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1']);
    sendMany(c, ['a#1', 'b#1', 'c#1'], 2);
    for (const id of ['a#1', 'b#1', 'c#1']) c.member(id).leave();
    c.until(() => c.aliveIds().length === 0, 500, 'everyone to leave');
    for (const id of ['a#1', 'b#1', 'c#1']) expect(c.events(id).at(-1)?.type).toBe('left');
    expectOk(c.finish({ liveness: false }));
  });
});

describe('cases found in review', () => {
  it('a leave at the same time as a crash does not block the majority', () => {
    const c = new TestCluster(['a#1', 'b#1', 'c#1']);
    c.crash('c#1');
    c.member('b#1').leave();
    c.until(() => c.aliveIds().length === 1 && c.member('a#1').currentView!.members.length === 1, 2000, 'c removed and b gone');
    expect(c.views('a#1').map((v) => v.members.length)).toEqual([3, 2, 1]);
    expectOk(c.finish());
  });

  it('everyone leaving while a join is pending admits the joiner first', () => {
    const c = new TestCluster(['a#1', 'b#1']);
    c.join('f#1', ['a#1']);
    c.member('a#1').leave();
    c.member('b#1').leave();
    c.until(() => c.aliveIds().length === 1, 2000, 'a and b to leave');
    expect(c.member('f#1').currentView!.members).toEqual(['f#1']);
    expectOk(c.finish());
  });

  it('a one-way cut from the sequencer to one member: that member is excluded, the rest go on', () => {
    const c = new TestCluster(five, { progressTimeoutTicks: 50 });
    c.cutOneWay('a#1', 'c#1');
    for (let i = 0; i < 20; i++) {
      c.send('b#1');
      c.tick(5);
    }
    c.until(() => !c.member('a#1').currentView!.members.includes('c#1'), 2000, 'c to be excluded');
    c.heal();
    expectOk(c.finish());
  });

  it('nobody can reach the sequencer (it still reaches everyone): the others exclude it', () => {
    const c = new TestCluster(five, { progressTimeoutTicks: 50 });
    for (const id of ['b#1', 'c#1', 'd#1', 'e#1']) c.cutOneWay(id, 'a#1');
    for (let i = 0; i < 20; i++) {
      c.send('b#1');
      c.send('d#1');
      c.tick(5);
    }
    c.until(() => c.member('b#1').currentView!.members[0] === 'b#1', 3000, 'a view led by b');
    c.heal();
    expectOk(c.finish());
  });
});
