import { describe, expect, it } from 'vitest';
import { checkTraces, formatReport, PROPERTIES, type CheckReport, type MemberTrace, type TraceEvent } from '../../src/check/index.js';
import { build, each, member } from './dsl.js';
import { goodHistory } from './scenarios.js';

function violated(report: CheckReport): string[] {
  return Object.entries(report.counts.violationsByProperty)
    .filter(([, n]) => n > 0)
    .map(([p]) => p)
    .sort();
}

function check(traces: MemberTrace[], liveness = false): CheckReport {
  return checkTraces(traces, { liveness });
}

function firstMessage(report: CheckReport, property: string): string {
  const v = report.violations.find((x) => x.property === property);
  expect(v, `no ${property} violation`).toBeDefined();
  return v!.message;
}

describe('a correct history', () => {
  it('passes every property, liveness included', () => {
    const report = checkTraces(build(...goodHistory()));
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
    expect(Object.keys(report.counts.violationsByProperty)).toEqual([...PROPERTIES]);
    expect(report.stats).toEqual({ traces: 5, members: 5, views: 4, sends: 9, deliveries: 28, tornLines: 1 });
  });

  it('prints a summary line', () => {
    const lines = formatReport(checkTraces(build(...goodHistory())));
    expect(lines.at(-1)).toBe('check: traces=5 members=5 views=4 sends=9 deliveries=28 violations=0');
    expect(lines.some((l) => l.includes('torn'))).toBe(true);
  });

  it('accepts a member that leaves and then shuts down, and a group that sheds its leavers', () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => member(id));
    each([a!, b!, c!, d!], (x) => x.install(1, ['a', 'b', 'c', 'd']));
    c!.leave().end();
    d!.leave();
    each([a!, b!], (x) => x.install(2, ['a', 'b']).end());
    expect(checkTraces(build(a!, b!, c!, d!)).violations).toEqual([]);
  });
});

describe('each property is flagged by a trace that breaks it', () => {
  it('self-inclusion: a member installs a view without itself', () => {
    const [a, b] = [member('a').install(1, ['b']), member('b').install(1, ['b'])];
    const r = check(build(a, b));
    expect(violated(r)).toEqual(['self-inclusion']);
    expect(firstMessage(r, 'self-inclusion')).toContain('a (a.jsonl:1) installed view 1');
  });

  it('local-monotonicity: a member installs view 2 after view 3', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).install(3, ab).install(2, ab);
    const b = member('b').install(1, ab).install(2, ab).install(3, ab);
    const r = check(build(a, b));
    expect(violated(r)).toEqual(['local-monotonicity']);
    expect(firstMessage(r, 'local-monotonicity')).toContain('installed view 2 after view 3');
  });

  it('view-agreement: two members disagree on the members (or their rank order) of view 3', () => {
    const abc = ['a', 'b', 'c'];
    const a = member('a').install(1, abc).install(2, abc).install(3, abc);
    const b = member('b').install(1, abc).install(2, abc).install(3, ['b', 'a', 'c']);
    const c = member('c').install(1, abc).install(2, abc).install(3, abc);
    const r = check(build(a, b, c));
    expect(violated(r)).toEqual(['view-agreement']);
    expect(firstMessage(r, 'view-agreement')).toMatch(/^view 3: b .* installed members \[b, a, c\] but a installed \[a, b, c\]/);
  });

  it('primary-component: a chain fork, two views both installed right after view 2', () => {
    const all = ['a', 'b', 'c', 'd', 'e'];
    const ms = all.map((id) => member(id).install(1, all).install(2, all));
    const [a, b, c, d, e] = ms;
    each([a!, b!], (x) => x.install(3, ['a', 'b', 'c', 'd']));
    each([c!, d!, e!], (x) => x.install(4, ['b', 'c', 'd', 'e']));
    const r = check(build(...ms));
    expect(violated(r)).toEqual(['primary-component']);
    expect(firstMessage(r, 'primary-component')).toContain('no member installed view 4 right after view 3');
    expect(firstMessage(r, 'primary-component')).toContain('after 2 by c');
  });

  it('primary-component: a view that keeps only a minority', () => {
    const all = ['a', 'b', 'c', 'd', 'e'];
    const ms = all.map((id) => member(id).install(1, all));
    each([ms[0]!, ms[1]!], (x) => x.install(2, ['a', 'b']));
    const r = check(build(...ms));
    expect(violated(r)).toEqual(['primary-component']);
    expect(firstMessage(r, 'primary-component')).toContain('keeps only 2 of the 5 counted members of view 1');
  });

  it('primary-component: an exact half is not a majority', () => {
    const all = ['a', 'b', 'c', 'd'];
    const ms = all.map((id) => member(id).install(1, all));
    each([ms[0]!, ms[1]!], (x) => x.install(2, ['a', 'b']));
    expect(violated(check(build(...ms)))).toEqual(['primary-component']);
  });

  it('primary-component: graceful leavers are not counted, crashed members are', () => {
    const all = ['a', 'b', 'c', 'd', 'e'];
    const ms = all.map((id) => member(id).install(1, all));
    ms[2]!.leave();
    ms[3]!.leave();
    each([ms[0]!, ms[1]!], (x) => x.install(2, ['a', 'b']));
    expect(check(build(...ms)).ok).toBe(true); // 2 of the 3 counted (a, b, e)
    // Without d's trace nothing shows that d left, so d counts as crashed: 2 of 4 is no majority.
    expect(violated(check(build(...ms.filter((_, i) => i !== 3))))).toEqual(['primary-component']);
  });

  it('delivery-integrity: a message nobody sent, and a hash that differs from the send', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1', { hash: 'aaaaaaaaaaaaaaaa' }).deliver('a/1', { hash: 'aaaaaaaaaaaaaaaa' });
    const b = member('b').install(1, ab).deliver('a/1', { hash: 'bbbbbbbbbbbbbbbb' }).deliver('z/9');
    const r = check(build(a, b));
    expect(violated(r)).toEqual(['delivery-integrity']);
    expect(r.counts.violationsByProperty['delivery-integrity']).toBe(2);
    expect(firstMessage(r, 'delivery-integrity')).toContain('b (b.jsonl:2) delivered msg a/1 with hash bbbbbbbbbbbbbbbb');
  });

  it('no-duplication: a member delivers a message twice', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1', { order: 'total' }).deliver('a/1', { seq: 1 });
    const b = member('b').install(1, ab).deliver('a/1', { seq: 1 }).deliver('a/1', { seq: 1 });
    const r = check(build(a, b));
    expect(violated(r)).toEqual(['no-duplication']);
    expect(firstMessage(r, 'no-duplication')).toContain('b (b.jsonl:3) delivered msg a/1 again');
  });

  it('sending-view-delivery and same-view-delivery: a message delivered in two views', () => {
    const abc = ['a', 'b', 'c'];
    const a = member('a').install(1, abc).send('a/1', { order: 'safe' }); // crashes
    const b = member('b').install(1, abc).deliver('a/1', { seq: 1 }); // crashes too
    const c = member('c').install(1, abc).install(2, ['c']).deliver('a/1', { view: 2, seq: 1 });
    const r = check(build(a, b, c));
    // A message delivered in a view it was not sent in breaks both; they cannot be split. (Safe, so b's
    // delivery must also be c's in view 1; an agreed one may be b's alone: delivery-kinds.test.ts.)
    expect(violated(r)).toEqual(['primary-component', 'same-view-delivery', 'sending-view-delivery', 'uniform-delivery']);
    expect(firstMessage(r, 'same-view-delivery')).toContain('msg a/1 was delivered in view 1 by b but in view 2 by c');
    expect(firstMessage(r, 'sending-view-delivery')).toContain('c (c.jsonl:3) delivered msg a/1 in view 2, but a (last) sent it in view 1');
  });

  it('sending-view-delivery: delivered in the first view after the sender re-sent it in the next', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1', { order: 'safe' }).install(2, ab).send('a/1', { order: 'safe' });
    const b = member('b').install(1, ab).deliver('a/1', { seq: 1 });
    expect(violated(check(build(a, b)))).toEqual(['sending-view-delivery', 'uniform-delivery']);
  });

  it('virtual-synchrony: two members move from view 1 to view 2 having delivered different messages', () => {
    const abc = ['a', 'b', 'c'];
    const a = member('a').install(1, abc).send('a/1').deliver('a/1'); // crashes
    const b = member('b').install(1, abc).deliver('a/1').install(2, ['b', 'c']);
    const c = member('c').install(1, abc).install(2, ['b', 'c']);
    const r = check(build(a, b, c));
    expect(violated(r)).toEqual(['virtual-synchrony']);
    expect(firstMessage(r, 'virtual-synchrony')).toMatch(/c and b both went from view 1 to view 2 .* only c .* delivered \[\], only b delivered \[a\/1\]/);
  });

  it('total-order: a seq gap within a view', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1', { order: 'total' }).send('a/2', { order: 'total' }).send('a/3', { order: 'total' });
    const b = member('b').install(1, ab);
    each([a, b], (x) => x.deliver('a/1', { seq: 1 }).deliver('a/2', { seq: 2 }).deliver('a/3', { seq: 4 }));
    const r = check(build(a, b));
    expect(violated(r)).toEqual(['total-order']);
    expect(firstMessage(r, 'total-order')).toContain('delivered seq 4 (msg a/3) right after seq 2 (msg a/2); seqs 3..3 are missing');
  });

  it('total-order: two members order two messages differently', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1', { order: 'total' });
    const b = member('b').install(1, ab).send('b/1', { order: 'total' });
    a.deliver('a/1', { seq: 1 }).deliver('b/1', { seq: 2 });
    b.deliver('b/1', { seq: 1 }).deliver('a/1', { seq: 2 });
    const r = check(build(a, b));
    expect(violated(r)).toEqual(['total-order']);
    expect(firstMessage(r, 'total-order')).toContain('msg b/1 has seq 1');
  });

  it('total-order: a member starts a view at a different point of the order than the others', () => {
    const abc = ['a', 'b', 'c'];
    const a = member('a').install(1, abc).send('a/1', { order: 'total' }).send('a/2', { order: 'total' });
    const b = member('b').install(1, abc);
    const c = member('c').install(1, abc);
    each([a, b], (x) => x.deliver('a/1', { seq: 1 }).deliver('a/2', { seq: 2 }));
    c.deliver('a/2', { seq: 2 });
    const r = check(build(a, b, c));
    expect(violated(r)).toEqual(['reliable-fifo', 'total-order']);
    expect(firstMessage(r, 'total-order')).toContain('view 1: ordered deliveries of c and a differ at position 1');
  });

  it('total-order: seq does not increase along a member, and one seq names two messages', () => {
    const ab = ['a', 'b'];
    const a2 = member('a').install(1, ab).send('a/1', { order: 'total' }).deliver('a/1', { seq: 5 }).install(2, ab).send('a/2', { order: 'total' }).deliver('a/2', { seq: 5 });
    const b2 = member('b').install(1, ab).deliver('a/1', { seq: 5 }).install(2, ab).deliver('a/2', { seq: 5 });
    const r = check(build(a2, b2));
    expect(violated(r)).toEqual(['total-order']);
    expect(r.violations[0]!.message).toContain('seq 5 is msg a/2');
    expect(r.counts.violationsByProperty['total-order']).toBe(3); // one seq two msgs, and non-increasing at a and b
  });

  it('reliable-fifo: a sender’s messages delivered out of order', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1').send('a/2').deliver('a/1').deliver('a/2');
    const b = member('b').install(1, ab).deliver('a/2').deliver('a/1');
    const r = check(build(a, b));
    expect(violated(r)).toEqual(['reliable-fifo']);
    expect(firstMessage(r, 'reliable-fifo')).toContain('b (b.jsonl:2) delivered msg a/2 from a in view 1 where a/1 comes next');
  });

  it('reliable-fifo: a hole — a later message delivered, an earlier one never', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1').send('a/2').deliver('a/1').deliver('a/2');
    const b = member('b').install(1, ab).deliver('a/2');
    expect(violated(check(build(a, b)))).toEqual(['reliable-fifo']);
  });

  it('self-delivery: a member moves on without its own message', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1').install(2, ab);
    const b = member('b').install(1, ab).install(2, ab);
    const r = check(build(a, b));
    expect(violated(r)).toEqual(['self-delivery']);
    expect(firstMessage(r, 'self-delivery')).toContain('a (a.jsonl:2) sent msg a/1 in view 1 and then installed view 2');
  });

  it('self-delivery: a member leaves without its own message', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1').leave();
    const b = member('b').install(1, ab);
    expect(violated(check(build(a, b)))).toEqual(['self-delivery']);
  });

  it('state-agreement: differing state digests in one view', () => {
    const ab = ['a', 'b'];
    const r = check(build(member('a').install(1, ab).state('1111'), member('b').install(1, ab).state('2222')));
    expect(violated(r)).toEqual(['state-agreement']);
    expect(firstMessage(r, 'state-agreement')).toContain('view 1: b (b.jsonl:2) logged state 2222 but a logged 1111');
  });

  it('liveness: members end cleanly in a view that still holds a crashed member', () => {
    const abc = ['a', 'b', 'c'];
    const ms = build(member('a').install(1, abc).end(), member('b').install(1, abc).end(), member('c').install(1, abc));
    const r = checkTraces(ms);
    expect(violated(r)).toEqual(['liveness']);
    expect(firstMessage(r, 'liveness')).toContain('it still holds [c (trace stops without end: crashed)]');
    expect(checkTraces(ms, { liveness: false }).ok).toBe(true);
    expect(checkTraces(ms, { liveness: false }).counts.violationsByProperty).not.toHaveProperty('liveness');
  });

  it('liveness: members end in different views, and a message of the final view is missing', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).install(2, ab).send('a/1').deliver('a/1').end();
    const b = member('b').install(1, ab).end();
    const r = checkTraces(build(a, b));
    expect(violated(r)).toEqual(['liveness']);
    expect(firstMessage(r, 'liveness')).toContain('not in one final view: [b in view 1] while others ended in view 2');
    expect(r.violations.length).toBe(1);
    expect(r.counts.violationsByProperty['liveness']).toBe(2);
  });

  it('liveness: a message sent in the final view that a clean ender never delivered', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('a/1').deliver('a/1').end();
    const b = member('b').install(1, ab).end();
    const r = checkTraces(build(a, b));
    expect(violated(r)).toEqual(['liveness']);
    expect(firstMessage(r, 'liveness')).toBe('msg a/1 was sent in final view 1 by a but not delivered by all members that ended cleanly: missing at [b]');
  });

  it('liveness: a member ends cleanly without its own message', () => {
    const a = member('a').install(1, ['a']).send('a/1').end();
    const r = checkTraces(build(a));
    expect(violated(r)).toEqual(['liveness']);
    expect(r.counts.violationsByProperty['liveness']).toBe(2); // sent in the final view, and its own
  });

  it('trace-wellformed: events after end, a delivery tagged with another view, reading problems', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).end().install(2, ab);
    const b = member('b').install(1, ab).install(2, ab).deliver('x/1', { view: 1 });
    const bad: MemberTrace = { file: 'c.jsonl', me: 'c', events: [], problems: ['c.jsonl:3: unparseable line "{"'] };
    const r = check([...build(a, b), bad]);
    expect(violated(r)).toContain('trace-wellformed');
    expect(r.violations[0]!.property).toBe('trace-wellformed');
    expect(r.counts.violationsByProperty['trace-wellformed']).toBe(3);
    const text = formatReport(r).join('\n');
    expect(text).toContain('c.jsonl:3: unparseable line');
    expect(text).toContain('(+2 more)');
  });

  it('trace-wellformed: an in-memory event missing a field is reported, not misjudged', () => {
    const a = member('a').install(1, ['a']).send('a/1').build();
    // As JSON.stringify would leave it for `seq: undefined`.
    a.events.push({ ev: 'deliver', me: 'a', msg: 'a/1', view: 1, hash: 'whatever' } as unknown as TraceEvent);
    const r = check([a]);
    expect(violated(r)).toEqual(['trace-wellformed']);
    expect(r.violations[0]!.message).toBe('a.jsonl:3: deliver needs seq (integer or null)');
  });

  it('trace-wellformed: two files for one member, a message sent by two members or twice in one view', () => {
    const ab = ['a', 'b'];
    const a = member('a').install(1, ab).send('m/1').deliver('m/1');
    const b = member('b').install(1, ab).send('m/1').send('b/1').send('b/1').deliver('m/1').deliver('b/1');
    const a2 = member('a', 'a-again.jsonl').install(1, ab);
    const r = check(build(a, b, a2));
    expect(r.counts.violationsByProperty['trace-wellformed']).toBe(3);
    expect(r.violations[0]!.message).toContain('member a has two trace files, a.jsonl and a-again.jsonl');
    const r2 = check(build(a, b));
    expect(r2.violations[0]!.message).toContain('msg m/1 is sent by two members');
    const r3 = check(build(member('b').install(1, ['b']).send('b/1').send('b/1').deliver('b/1')));
    expect(violated(r3)).toEqual(['trace-wellformed']);
    expect(r3.violations[0]!.message).toContain('sent msg b/1 twice in view 1');
  });
});
