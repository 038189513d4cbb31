import { describe, expect, it } from 'vitest';
import { admitJoiners, planViewChange } from '../../src/core/view-change-plan.js';

// Each row: the view's members, who the leader can reach, the confirmed joiners (arrival order), who asked to
// leave, the view cap, and the plan expected. Read as the rules of docs/protocol.md §1, "Primary component".
interface Row {
  name: string;
  members: string;
  survivors: string;
  joins?: string;
  leaves?: string;
  maxMembers?: number;
  want: { primary: boolean; leavers: string; joiners: string; stay: number };
}

const ids = (s: string | undefined): string[] => (s ? s.split(' ').filter(Boolean) : []);

const rows: Row[] = [
  { name: 'everyone alive, nothing pending', members: 'a b c', survivors: 'a b c', want: { primary: true, leavers: '', joiners: '', stay: 3 } },
  { name: 'one of three failed: still a majority', members: 'a b c', survivors: 'a b', want: { primary: true, leavers: '', joiners: '', stay: 2 } },
  { name: 'two of four is no majority', members: 'a b c d', survivors: 'a b', want: { primary: false, leavers: '', joiners: '', stay: 2 } },
  { name: 'a lone member is its own majority', members: 'a', survivors: 'a', want: { primary: true, leavers: '', joiners: '', stay: 1 } },
  { name: 'a graceful leave with everyone alive', members: 'a b c', survivors: 'a b c', leaves: 'c', want: { primary: true, leavers: 'c', joiners: '', stay: 2 } },
  { name: 'a suspected leaver counts as a failure, not a leaver', members: 'a b c', survivors: 'a b', leaves: 'c', want: { primary: true, leavers: '', joiners: '', stay: 2 } },
  {
    name: 'a leave waits when a failure at the same time would cost the majority',
    members: 'a b c d e', survivors: 'a b c d', leaves: 'b c d',
    want: { primary: true, leavers: '', joiners: '', stay: 4 },
  },
  {
    name: 'two leave while one failed: the two who stay are a majority of the three that do not leave',
    members: 'a b c d e', survivors: 'a b c d', leaves: 'c d',
    want: { primary: true, leavers: 'c d', joiners: '', stay: 2 },
  },
  {
    name: 'a leave goes ahead when the stayers keep a majority without the leavers',
    members: 'a b c d e', survivors: 'a b c d e', leaves: 'd e',
    want: { primary: true, leavers: 'd e', joiners: '', stay: 3 },
  },
  { name: 'every survivor leaves, no join: the group dissolves', members: 'a b', survivors: 'a b', leaves: 'a b', want: { primary: true, leavers: 'a b', joiners: '', stay: 0 } },
  {
    name: 'every survivor leaves while a join is pending: the leaves wait, the joiner comes in',
    members: 'a b', survivors: 'a b', leaves: 'a b', joins: 'x',
    want: { primary: true, leavers: '', joiners: 'x', stay: 2 },
  },
  { name: 'one joiner may join a lone member', members: 'a', survivors: 'a', joins: 'x y', want: { primary: true, leavers: '', joiners: 'x', stay: 1 } },
  {
    name: 'joiners never outnumber the stayers (stay − 1 of them), in arrival order',
    members: 'a b c d', survivors: 'a b c d', joins: 'w x y z',
    want: { primary: true, leavers: '', joiners: 'w x y', stay: 4 },
  },
  { name: 'a joiner already in the view is not admitted again', members: 'a b c', survivors: 'a b c', joins: 'b x', want: { primary: true, leavers: '', joiners: 'x', stay: 3 } },
  { name: 'a full view admits nobody', members: 'a b c', survivors: 'a b c', joins: 'x', maxMembers: 3, want: { primary: true, leavers: '', joiners: '', stay: 3 } },
  {
    name: 'the room for joiners counts the survivors, leavers included (conservative)',
    members: 'a b c d', survivors: 'a b c d', leaves: 'd', joins: 'x y', maxMembers: 5,
    want: { primary: true, leavers: 'd', joiners: 'x', stay: 3 },
  },
  { name: 'a minority admits joiners in its plan but does not start', members: 'a b c', survivors: 'a', joins: 'x', want: { primary: false, leavers: '', joiners: 'x', stay: 1 } },
];

describe('planViewChange', () => {
  it.each(rows)('$name', (r) => {
    const plan = planViewChange({ id: 7, members: ids(r.members) }, ids(r.survivors), ids(r.joins), new Set(ids(r.leaves)), { maxMembers: r.maxMembers ?? 64 });
    expect({ primary: plan.primary, leavers: plan.leavers.join(' '), joiners: plan.joiners.join(' '), stay: plan.stay }).toEqual(r.want);
  });

  it('a primary plan always keeps a majority of the view without its leavers (the clause §11 Q12 asked about)', () => {
    // Every combination of up to 7 members, reachable subsets and leave requests: the assertion inside never fires.
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    for (let n = 1; n <= all.length; n++) {
      const members = all.slice(0, n);
      for (let reach = 0; reach < 1 << n; reach++) {
        if ((reach & 1) === 0) continue; // The leader (a) always reaches itself.
        const survivors = members.filter((_, i) => reach & (1 << i));
        for (let leave = 0; leave < 1 << n; leave += 3) {
          const leaves = new Set(members.filter((_, i) => leave & (1 << i)));
          for (const joins of [[], ['x']]) {
            const p = planViewChange({ id: 1, members }, survivors, joins, leaves, { maxMembers: 64 });
            if (p.primary && p.stay > 0) expect(2 * p.stay).toBeGreaterThan(n - p.leavers.length);
          }
        }
      }
    }
  });
});

describe('admitJoiners', () => {
  it.each([
    { name: 'capped by room beside the survivors', members: 'a b', confirmed: 'x y z', survivors: 2, stay: 2, max: 3, want: 'x' },
    { name: 'capped by the stayers', members: 'a b c', confirmed: 'x y z', survivors: 3, stay: 3, max: 64, want: 'x y' },
    { name: 'skips members of the view', members: 'a b c', confirmed: 'a x', survivors: 3, stay: 3, max: 64, want: 'x' },
  ])('$name', (r) => {
    expect(admitJoiners({ id: 1, members: ids(r.members) }, ids(r.confirmed), r.survivors, r.stay, { maxMembers: r.max }).join(' ')).toBe(r.want);
  });
});
